// ParallelGzip: blocks compressed on several threads come out as one gzip file, in order, that
// gzip itself and libarchive read whole; an empty stream is a valid empty gzip; a failed write
// is one line, and every later call says it again.
#include "backup/gzip_blocks.hpp"

#include "backup/output.hpp"

#include <archive.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "support.hpp"

namespace fs = std::filesystem;
using kato::backup::ParallelGzip;

namespace {

// Random bytes and text in turns, so that blocks differ and compress differently.
std::string sample(std::size_t n) {
  std::string s;
  s.reserve(n);
  std::mt19937 rng(11);
  while (s.size() < n) {
    if ((s.size() / 100000) % 2) {
      for (int i = 0; i < 1000 && s.size() < n; ++i) s += static_cast<char>(rng());
    } else {
      s += "INSERT INTO big VALUES (" + std::to_string(s.size()) + ", 'row');\n";
    }
  }
  s.resize(n);
  return s;
}

fs::path compress(const fs::path& dir, const std::string& data, unsigned threads, std::size_t piece) {
  fs::path out = dir / "out.gz";
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  {
    kato::backup::Output o(fd);
    ParallelGzip gz(o, 1, threads);
    for (std::size_t at = 0; at < data.size(); at += piece) gz.write(data.data() + at, std::min(piece, data.size() - at));
    gz.finish();
  }
  ::close(fd);
  return out;
}

// What the gzip program makes of the file (stdout), and its exit status.
std::pair<std::string, int> gunzip(const fs::path& file) {
  std::string cmd = "gzip -dc < '" + file.string() + "'";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  return {out, status};
}

// What libarchive's gzip reader (the one kato data import uses) makes of it.
std::string libarchive_read(const fs::path& file) {
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_raw(a);
  REQUIRE(archive_read_open_filename(a, file.c_str(), 1 << 16) == ARCHIVE_OK);
  archive_entry* e = nullptr;
  REQUIRE(archive_read_next_header(a, &e) == ARCHIVE_OK);
  std::string out;
  char buf[65536];
  la_ssize_t n;
  while ((n = archive_read_data(a, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  CHECK(n == 0);
  archive_read_free(a);
  return out;
}

}  // namespace

TEST_CASE("ParallelGzip: many blocks on many threads are one gzip file, in order", "[backup][gzip]") {
  test::TempDir t;
  std::string data = sample(ParallelGzip::kBlock * 5 + 12345);
  // Pieces smaller and larger than a block; more threads than cores.
  for (std::size_t piece : {std::size_t(10240), ParallelGzip::kBlock * 3}) {
    fs::path out = compress(t.path(), data, 4, piece);
    auto [plain, status] = gunzip(out);
    CHECK(status == 0);
    CHECK(plain == data);
    CHECK(libarchive_read(out) == data);
    CHECK(fs::file_size(out) < data.size());
  }
}

TEST_CASE("ParallelGzip: a stream of exactly one block, and an empty one", "[backup][gzip]") {
  test::TempDir t;
  std::string one = sample(ParallelGzip::kBlock);
  auto [plain, status] = gunzip(compress(t.path(), one, 2, one.size()));
  CHECK(status == 0);
  CHECK(plain == one);
  auto [empty, empty_status] = gunzip(compress(t.path(), "", 2, 1));
  CHECK(empty_status == 0);  // a valid gzip file, not a zero-byte one
  CHECK(empty.empty());
  CHECK(fs::file_size(t.path() / "out.gz") > 0);
}

TEST_CASE("ParallelGzip: a failed write is one line, said again by every later call", "[backup][gzip]") {
  int fd = ::open("/dev/full", O_WRONLY);
  REQUIRE(fd >= 0);
  std::string data = sample(ParallelGzip::kBlock * 6);
  {
    kato::backup::Output o(fd);
    ParallelGzip gz(o, 1, 1);
    auto feed = [&] {
      for (std::size_t at = 0; at < data.size(); at += 65536) gz.write(data.data() + at, 65536);
      gz.finish();
    };
    CHECK_THROWS_WITH(feed(), "writing the archive: No space left on device");
    CHECK_THROWS_WITH(gz.finish(), "writing the archive: No space left on device");
    CHECK_THROWS_WITH(gz.write("x", 1), "writing the archive: No space left on device");
  }  // and the pool stops
  ::close(fd);
}
