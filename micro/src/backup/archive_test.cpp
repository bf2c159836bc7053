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

#include "support.hpp"

namespace fs = std::filesystem;
using kato::backup::Writer;

namespace {

// A gzip'd tar made by hand, for archives kato would never write (hostile names, links).
class HandMade {
 public:
  explicit HandMade(const fs::path& file)
      : fd_(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600)), a_(archive_write_new()) {
    archive_write_add_filter_gzip(a_);
    archive_write_set_format_pax_restricted(a_);
    archive_write_open_fd(a_, fd_);
  }
  ~HandMade() {
    archive_write_close(a_);
    archive_write_free(a_);
    ::close(fd_);
  }
  void file(const std::string& name, const std::string& body) { add(name, AE_IFREG, body, ""); }
  void link(const std::string& name, const std::string& target) { add(name, AE_IFLNK, "", target); }

 private:
  void add(const std::string& name, unsigned type, const std::string& body, const std::string& target) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_size(e, static_cast<la_int64_t>(body.size()));
    if (type == AE_IFLNK) archive_entry_set_symlink(e, target.c_str());
    archive_write_header(a_, e);
    archive_write_data(a_, body.data(), body.size());
    archive_entry_free(e);
  }
  int fd_;
  archive* a_;
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
  test::TempDir t;
  fs::path file = make_export(t.path());
  auto staged = stage_file(file, t.path() / "staged");
  CHECK(staged.header["domain"] == "a.example");
  CHECK(staged.manifest["members"].contains("services/x/dump.part00002"));
  CHECK(slurp(t.path() / "staged" / "services" / "x" / "dump") == slurp(t.path() / "src" / "big"));
  CHECK(slurp(t.path() / "staged" / "blobs" / "sub" / "a.txt") == "hello");
  CHECK(fs::read_symlink(t.path() / "staged" / "blobs" / "link") == "sub/a.txt");
  CHECK(slurp(t.path() / "staged" / "state" / "note") == "state");
}

TEST_CASE("zstd and uncompressed exports stage the same; the name says which", "[backup]") {
  using kato::backup::Compression;
  for (auto c : {Compression::zstd, Compression::none}) {
    test::TempDir t;
    fs::path file = make_export(t.path(), kato::backup::kFormat, c);
    auto staged = stage_file(file, t.path() / "staged");
    CHECK(slurp(t.path() / "staged" / "services" / "x" / "dump") == slurp(t.path() / "src" / "big"));
  }
  CHECK(kato::backup::compression_for("/mnt/nas/stackato-backup.tgz") == Compression::gzip);
  CHECK(kato::backup::compression_for("kato-export.tar.zst") == Compression::zstd);
  CHECK(kato::backup::compression_for("kato-export.tar") == Compression::none);
}

TEST_CASE("an export of a newer format is refused before anything is staged", "[backup]") {
  test::TempDir t;
  fs::path file = make_export(t.path(), kato::backup::kFormat + 1);
  REQUIRE_THROWS_WITH(stage_file(file, t.path() / "staged"), Catch::Contains("upgrade kato first"));
  CHECK(fs::is_empty(t.path() / "staged"));
}

TEST_CASE("a changed byte in a member is refused, naming the member", "[backup]") {
  test::TempDir t;
  fs::path file = make_export(t.path());
  rewrite_tar(file, [](std::string& tar) {
    auto at = tar.find("hello");
    REQUIRE(at != std::string::npos);
    tar[at] = 'j';
  });
  REQUIRE_THROWS_WITH(stage_file(file, t.path() / "staged"), Catch::Contains("member blobs/sub/a.txt") && Catch::Contains("SHA-256"));
}

TEST_CASE("a truncated export is refused", "[backup]") {
  test::TempDir t;
  fs::path file = make_export(t.path());
  fs::resize_file(file, fs::file_size(file) / 2);
  REQUIRE_THROWS_WITH(stage_file(file, t.path() / "staged"), Catch::Contains("damaged") || Catch::Contains("truncated"));
}

TEST_CASE("hostile member names are refused and nothing is written outside", "[backup]") {
  for (std::string bad : {"../evil", "/etc/evil", "a/../../evil", "a//b", "./x"}) {
    test::TempDir t;
    fs::path file = t.path() / "bad.tgz";
    {
      HandMade h(file);
      h.file(kato::backup::kHeaderMember, R"({"format":1})");
      h.file(bad, "x");
    }
    INFO(bad);
    REQUIRE_THROWS_WITH(stage_file(file, t.path() / "in" / "staged"), Catch::Contains("refused"));
    CHECK(!fs::exists(t.path() / "evil"));
    CHECK(!fs::exists(t.path() / "in" / "evil"));
  }
  CHECK(kato::backup::safe_member_name("services/mysql/x/data.sql.part00000"));
}

TEST_CASE("a member whose parent is a link in the archive is not followed", "[backup]") {
  test::TempDir t;
  fs::create_directories(t.path() / "outside");
  fs::path file = t.path() / "link.tgz";
  {
    HandMade h(file);
    h.file(kato::backup::kHeaderMember, R"({"format":1})");
    h.link("blobs", (t.path() / "outside").string());
    h.file("blobs/owned", "x");
  }
  REQUIRE_THROWS_WITH(stage_file(file, t.path() / "staged"), Catch::Contains("not a directory"));
  CHECK(fs::is_empty(t.path() / "outside"));
}
