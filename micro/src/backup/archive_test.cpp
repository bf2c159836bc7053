// The export archive: round trip, parts, and what the reader refuses (a newer format, a flipped
// byte, a truncated archive, hostile member names), each with one line naming the member.
#include "backup/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;
using kato::backup::Writer;

namespace {

struct Tmp {
  fs::path dir;
  Tmp() {
    char t[] = "/tmp/archive_test.XXXXXX";
    dir = ::mkdtemp(t);
  }
  ~Tmp() { fs::remove_all(dir); }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

// An export with a header, a file, a tree (with a link), a stream of three parts and a manifest.
fs::path make_export(const fs::path& dir, int format = kato::backup::kFormat,
                     kato::backup::Compression compression = kato::backup::Compression::gzip) {
  fs::path src = dir / "src";
  fs::create_directories(src / "tree" / "sub");
  write_file(src / "tree" / "sub" / "a.txt", "hello");
  fs::create_symlink("sub/a.txt", src / "tree" / "link");
  std::string big(kato::backup::kPart * 2 + 123, '\0');
  std::mt19937 rng(7);
  for (auto& c : big) c = static_cast<char>(rng());
  write_file(src / "big", big);
  fs::path out = dir / "export.tgz";
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int in = ::open((src / "big").c_str(), O_RDONLY);
  {
    Writer w(fd, {}, compression);
    nlohmann::json header = {{"format", format}, {"kato_version", "test"}, {"domain", "a.example"}};
    w.add_bytes(kato::backup::kHeaderMember, header.dump());
    w.add_bytes("state/note", "state");
    w.add_tree("blobs", src / "tree");
    REQUIRE(w.add_stream("services/x/dump", in) == big.size());
    w.finish(header);
  }
  ::close(in);
  ::close(fd);
  return out;
}

kato::backup::Staged stage_file(const fs::path& file, const fs::path& into) {
  fs::create_directories(into);
  int fd = ::open(file.c_str(), O_RDONLY);
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } c{fd};
  return kato::backup::stage(fd, into);
}

// The archive decompressed, changed by f, and compressed again (a valid gzip of a bad tar).
void rewrite_tar(const fs::path& file, const std::function<void(std::string&)>& f) {
  std::string tar;
  {
    archive* a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_format_raw(a);
    archive_read_open_filename(a, file.c_str(), 1 << 16);
    archive_entry* e;
    archive_read_next_header(a, &e);
    char buf[65536];
    for (la_ssize_t n; (n = archive_read_data(a, buf, sizeof buf)) > 0;) tar.append(buf, static_cast<std::size_t>(n));
    archive_read_free(a);
  }
  f(tar);
  fs::path raw = file.string() + ".tar";
  write_file(raw, tar);
  REQUIRE(std::system(("gzip -1 -c " + raw.string() + " > " + file.string()).c_str()) == 0);
}

}  // namespace

TEST_CASE("an export stages back to the same files, parts joined, links kept", "[backup]") {
  Tmp t;
  fs::path file = make_export(t.dir);
  auto staged = stage_file(file, t.dir / "staged");
  CHECK(staged.header["domain"] == "a.example");
  CHECK(staged.manifest["members"].contains("services/x/dump.part00002"));
  CHECK(slurp(t.dir / "staged" / "services" / "x" / "dump") == slurp(t.dir / "src" / "big"));
  CHECK(slurp(t.dir / "staged" / "blobs" / "sub" / "a.txt") == "hello");
  CHECK(fs::read_symlink(t.dir / "staged" / "blobs" / "link") == "sub/a.txt");
  CHECK(slurp(t.dir / "staged" / "state" / "note") == "state");
}

TEST_CASE("zstd and uncompressed exports stage the same; the name says which", "[backup]") {
  using kato::backup::Compression;
  for (auto c : {Compression::zstd, Compression::none}) {
    Tmp t;
    fs::path file = make_export(t.dir, kato::backup::kFormat, c);
    auto staged = stage_file(file, t.dir / "staged");
    CHECK(slurp(t.dir / "staged" / "services" / "x" / "dump") == slurp(t.dir / "src" / "big"));
  }
  CHECK(kato::backup::compression_for("/mnt/nas/stackato-backup.tgz") == Compression::gzip);
  CHECK(kato::backup::compression_for("kato-export.tar.zst") == Compression::zstd);
  CHECK(kato::backup::compression_for("kato-export.tar") == Compression::none);
}

TEST_CASE("an export of a newer format is refused before anything is staged", "[backup]") {
  Tmp t;
  fs::path file = make_export(t.dir, kato::backup::kFormat + 1);
  REQUIRE_THROWS_WITH(stage_file(file, t.dir / "staged"), Catch::Contains("upgrade kato first"));
  CHECK(fs::is_empty(t.dir / "staged"));
}

TEST_CASE("a changed byte in a member is refused, naming the member", "[backup]") {
  Tmp t;
  fs::path file = make_export(t.dir);
  rewrite_tar(file, [](std::string& tar) {
    auto at = tar.find("hello");
    REQUIRE(at != std::string::npos);
    tar[at] = 'j';
  });
  REQUIRE_THROWS_WITH(stage_file(file, t.dir / "staged"), Catch::Contains("member blobs/sub/a.txt") && Catch::Contains("SHA-256"));
}

TEST_CASE("a truncated export is refused", "[backup]") {
  Tmp t;
  fs::path file = make_export(t.dir);
  fs::resize_file(file, fs::file_size(file) / 2);
  REQUIRE_THROWS_WITH(stage_file(file, t.dir / "staged"), Catch::Contains("damaged") || Catch::Contains("truncated"));
}

TEST_CASE("hostile member names are refused and nothing is written outside", "[backup]") {
  for (std::string bad : {"../evil", "/etc/evil", "a/../../evil", "a//b", "./x"}) {
    Tmp t;
    fs::path file = t.dir / "bad.tgz";
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    archive* a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    archive_write_open_fd(a, fd);
    auto add = [&](const std::string& name, const std::string& body) {
      archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, name.c_str());
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0600);
      archive_entry_set_size(e, static_cast<la_int64_t>(body.size()));
      archive_write_header(a, e);
      archive_write_data(a, body.data(), body.size());
      archive_entry_free(e);
    };
    add(kato::backup::kHeaderMember, R"({"format":1})");
    add(bad, "x");
    archive_write_close(a);
    archive_write_free(a);
    ::close(fd);
    INFO(bad);
    REQUIRE_THROWS_WITH(stage_file(file, t.dir / "in" / "staged"), Catch::Contains("refused"));
    CHECK(!fs::exists(t.dir / "evil"));
    CHECK(!fs::exists(t.dir / "in" / "evil"));
  }
  CHECK(kato::backup::safe_member_name("services/mysql/x/data.sql.part00000"));
}

TEST_CASE("a member whose parent is a link in the archive is not followed", "[backup]") {
  Tmp t;
  fs::create_directories(t.dir / "outside");
  fs::path file = t.dir / "link.tgz";
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_open_fd(a, fd);
  archive_entry* e = archive_entry_new();
  std::string header = R"({"format":1})";
  archive_entry_set_pathname(e, kato::backup::kHeaderMember);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, static_cast<la_int64_t>(header.size()));
  archive_write_header(a, e);
  archive_write_data(a, header.data(), header.size());
  archive_entry_clear(e);
  archive_entry_set_pathname(e, "blobs");
  archive_entry_set_filetype(e, AE_IFLNK);
  archive_entry_set_symlink(e, (t.dir / "outside").c_str());
  archive_write_header(a, e);
  archive_entry_clear(e);
  archive_entry_set_pathname(e, "blobs/owned");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, 1);
  archive_write_header(a, e);
  archive_write_data(a, "x", 1);
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  ::close(fd);
  REQUIRE_THROWS_WITH(stage_file(file, t.dir / "staged"), Catch::Contains("not a directory"));
  CHECK(fs::is_empty(t.dir / "outside"));
}
