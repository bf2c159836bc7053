// The upload path's zip reading and unpacking (blobs/zip.cpp) against archives written here
// with libarchive: the escapes an attacker tries, duplicates, and every limit.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "blobs/zip.hpp"
#include "support.hpp"

// GCC 12's -Wrestrict misfires on inlined std::string concatenation (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

using kato::blobs::Entry;
using kato::blobs::Limits;
using kato::blobs::TooLarge;
using kato::blobs::Tree;
namespace fs = std::filesystem;

namespace {

struct Item {
  std::string path;
  char type = 'f';  // f file, d directory, l link
  std::string data;  // content, or a link's target
};

fs::path make_zip(const fs::path& file, const std::vector<Item>& items) {
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  REQUIRE(archive_write_open_filename(a, file.c_str()) == ARCHIVE_OK);
  for (const auto& it : items) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, it.path.c_str());
    if (it.type == 'd') {
      archive_entry_set_filetype(e, AE_IFDIR);
      archive_entry_set_perm(e, 0755);
    } else if (it.type == 'l') {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_perm(e, 0777);
      archive_entry_set_symlink(e, it.data.c_str());
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(it.data.size()));
    }
    REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
    if (it.type == 'f' && !it.data.empty()) archive_write_data(a, it.data.data(), it.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return file;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// The chain from issue 14: each link looks harmless on its own.
const std::vector<Item> kChain = {
    {"a/b/c/d/e/f/g/h/up", 'l', "../../../../../../../.."},
    {"esc", 'l', "a/b/c/d/e/f/g/h/up/../../../../../../../.."},
};

}  // namespace

TEST_CASE("zip: a chain of links cannot carry a write outside the app", "[zip]") {
  test::TempDir tmp;
  fs::create_directories(tmp.path() / "app");
  auto depth = std::distance(tmp.path().begin(), tmp.path().end());
  // esc resolves to the file system's root, whatever the depth of the test's directory.
  std::string up;
  for (long i = 0; i < depth + 2; ++i) up += "../";
  std::vector<Item> items = {{"a/b/c/d/e/f/g/h/up", 'l', "../../../../../../../.."},
                             {"esc", 'l', "a/b/c/d/e/f/g/h/up/" + up.substr(0, up.size() - 1)}};
  // The target: a file beside the app directory, through the root.
  fs::path victim = tmp.path() / "victim";
  items.push_back({"esc" + victim.string(), 'f', "pwned"});
  auto zip = make_zip(tmp.path() / "chain.zip", items);

  auto e = error_of([&] { kato::blobs::each_entry(zip, [](Entry&) {}); });
  CHECK(e.find("goes through the link esc") != std::string::npos);
  e = error_of([&] { kato::blobs::unpack(zip, tmp.path() / "app"); });
  CHECK(e.find("goes through the link esc") != std::string::npos);
  CHECK_FALSE(fs::exists(victim));

  // Tree alone, as for a matched resource written under the links the zip left.
  Tree tree(tmp.path() / "app2");
  tree.symlink("a/b/c/d/e/f/g/h/up", "../../../../../../../..");
  tree.symlink("esc", items[1].data);
  e = error_of([&] { ::close(tree.create("esc" + victim.string(), 0644)); });
  CHECK(e.find("goes through a link") != std::string::npos);
  CHECK_FALSE(fs::exists(victim));
  // A link in the last place is replaced, never written through.
  fs::path outside = tmp.path() / "outside.txt";
  std::ofstream(outside) << "keep";
  tree.symlink("direct", outside.string());
  int fd = tree.create("direct", 0644);
  CHECK(::write(fd, "x", 1) == 1);
  ::close(fd);
  CHECK(slurp(outside) == "keep");
  CHECK_FALSE(fs::is_symlink(tmp.path() / "app2" / "direct"));
  CHECK(error_of([&] { ::close(tree.create("a/../../x", 0644)); }).find("leaving the app directory") != std::string::npos);
  CHECK(error_of([&] { ::close(tree.create("a/..", 0644)); }).find("not a file name") != std::string::npos);
}

TEST_CASE("zip: absolute paths, .. and links pointing out are refused, naming the entry", "[zip]") {
  test::TempDir tmp;
  auto refused = [&](const std::vector<Item>& items) {
    auto zip = make_zip(tmp.path() / "x.zip", items);
    return error_of([&] { kato::blobs::unpack(zip, tmp.path() / "app"); });
  };
  CHECK(refused({{"/etc/passwd", 'f', "x"}}).find("absolute path: /etc/passwd") != std::string::npos);
  CHECK(refused({{"a/../../x", 'f', "x"}}).find("leaving the app directory: a/../../x") != std::string::npos);
  CHECK(refused({{"etc", 'l', "/etc"}}).find("pointing outside the app: etc -> /etc") != std::string::npos);
  CHECK(refused({{"a/up", 'l', "../.."}}).find("pointing outside the app: a/up -> ../..") != std::string::npos);
  CHECK(refused({{"l", 'l', "d"}, {"l/x", 'f', "x"}}).find("goes through the link l") != std::string::npos);
  CHECK_FALSE(fs::exists(tmp.path() / "x"));
}

TEST_CASE("zip: duplicates and links inside the app unpack as the last entry says", "[zip]") {
  test::TempDir tmp;
  auto zip = make_zip(tmp.path() / "d.zip", {{"app.py", 'f', "first"}, {"lib", 'd', ""}, {"lib/m.py", 'f', "m"},
                                             {"app.py", 'f', "second"}, {"current", 'l', "lib"}});
  kato::blobs::unpack(zip, tmp.path() / "app");
  CHECK(slurp(tmp.path() / "app" / "app.py") == "second");
  CHECK(slurp(tmp.path() / "app" / "current" / "m.py") == "m");
  CHECK(fs::read_symlink(tmp.path() / "app" / "current") == "lib");
}

TEST_CASE("zip: entries, expanded size and compression ratio are limited", "[zip]") {
  test::TempDir tmp;
  std::vector<Item> many;
  for (int i = 0; i < 11; ++i) many.push_back({"f" + std::to_string(i), 'f', "x"});
  Limits l;
  l.max_entries = 10;
  auto zip = make_zip(tmp.path() / "many.zip", many);
  CHECK_THROWS_AS(kato::blobs::unpack(zip, tmp.path() / "a", l), TooLarge);
  CHECK(error_of([&] { kato::blobs::unpack(zip, tmp.path() / "a", l); }) == "the package has more than 10 entries");

  l = Limits{};
  l.max_bytes = 1 << 20;
  zip = make_zip(tmp.path() / "big.zip", {{"big", 'f', std::string((1 << 20) + 1, 'x')}});
  CHECK(error_of([&] { kato::blobs::each_entry(zip, [](Entry& e) { e.read([](std::string_view) {}); }, l); })
            .find("expands to more than 1 MB") != std::string::npos);
  // Content nobody reads is still counted: the archive is checked whole.
  CHECK_THROWS_AS(kato::blobs::each_entry(zip, [](Entry&) {}, l), TooLarge);

  l = Limits{};
  l.ratio_floor = 1 << 20;
  zip = make_zip(tmp.path() / "bomb.zip", {{"zeros", 'f', std::string(8 << 20, '\0')}});
  CHECK(fs::file_size(zip) < (1 << 20) / 8);
  CHECK(error_of([&] { kato::blobs::unpack(zip, tmp.path() / "b", l); }).find("zip bomb") != std::string::npos);
}

TEST_CASE("zip: a matched resource may not land under, or on, a link of the zip", "[zip]") {
  CHECK_NOTHROW(kato::blobs::check_not_under_links("lib/x", {"current"}));
  CHECK_THROWS(kato::blobs::check_not_under_links("esc/tmp/x", {"a/up", "esc"}));
  CHECK_THROWS(kato::blobs::check_not_under_links("esc", {"esc"}));
}
