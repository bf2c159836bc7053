#include "patch/bundle.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>

#include "patch/signing.hpp"

namespace fs = std::filesystem;
using namespace kato::patch;

namespace {

struct Dir {
  fs::path p = fs::temp_directory_path() / ("kato-patch-test-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
  Dir() { fs::create_directories(p); }
  ~Dir() { fs::remove_all(p); }
};

void write(const fs::path& p, const std::string& text) { std::ofstream(p, std::ios::binary) << text; }

const char* kPatch = R"({"name":"dbexport-fix","description":"Fix dbexport","severity":"required",
  "applies_to":["4.0.0"],"roles":["helpers"],"files":[{"source":"dbexport","target":"helpers/dbexport"}]})";

std::string read_pub(const fs::path& key) {
  std::ifstream in(key.string() + ".pub");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The members of a bundle, to rebuild it changed (a tampered bundle).
std::map<std::string, std::string> members(const fs::path& file) {
  std::map<std::string, std::string> out;
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_tar(a);
  archive_read_open_filename(a, file.c_str(), 65536);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string data(static_cast<std::size_t>(archive_entry_size(e)), '\0');
    archive_read_data(a, data.data(), data.size());
    out[archive_entry_pathname(e)] = data;
  }
  archive_read_free(a);
  return out;
}

void rebuild(const fs::path& file, const std::map<std::string, std::string>& m) {
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_open_filename(a, file.c_str());
  for (const auto& [name, data] : m) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

}  // namespace

TEST_CASE("patch: keys sign and verify; another key, other bytes or a changed signature do not") {
  Dir d;
  std::string fp = keygen(d.p / "k");
  keygen(d.p / "other");
  CHECK(fp == fingerprint(read_pub(d.p / "k")));
  struct stat st {};
  REQUIRE(::stat((d.p / "k").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_THROWS_AS(keygen(d.p / "k"), KeyError);  // never overwritten
  std::string sig = sign(d.p / "k", "hello");
  CHECK(sig.size() == 64);
  CHECK(verify(read_pub(d.p / "k"), "hello", sig));
  CHECK_FALSE(verify(read_pub(d.p / "other"), "hello", sig));
  CHECK_FALSE(verify(read_pub(d.p / "k"), "hellO", sig));
  sig[3] ^= 1;
  CHECK_FALSE(verify(read_pub(d.p / "k"), "hello", sig));
  CHECK(fingerprint(read_pub(d.p / "k")).size() == 16);
  CHECK(fingerprint(read_pub(d.p / "k")) != fingerprint(read_pub(d.p / "other")));
  CHECK_THROWS_AS(fingerprint("not a key"), KeyError);
  CHECK_THROWS_AS(sign(d.p / "k.pub", "x"), KeyError);  // a public key cannot sign
}

TEST_CASE("patch: a bundle made and opened under the trusted key carries its payload") {
  Dir d;
  keygen(d.p / "k");
  fs::create_directories(d.p / "src");
  write(d.p / "src" / "patch.json", kPatch);
  write(d.p / "src" / "dbexport", "#!/bin/sh\necho new\n");
  make_bundle(d.p / "src", d.p / "k", d.p / "feed.tar.gz");
  CHECK(fs::exists(d.p / "index"));
  Bundle b = open_bundle(d.p / "feed.tar.gz", {read_pub(d.p / "k")});
  CHECK(b.info.name == "dbexport-fix");
  CHECK(b.info.applies("4.0.0"));
  CHECK_FALSE(b.info.applies("4.0.1"));
  CHECK(b.payload.at("dbexport") == "#!/bin/sh\necho new\n");
  CHECK(b.signer == fingerprint(read_pub(d.p / "k")));

  SECTION("an unknown key") {
    keygen(d.p / "other");
    CHECK_THROWS_WITH(open_bundle(d.p / "feed.tar.gz", {read_pub(d.p / "other")}), Catch::Contains("not by a trusted key"));
  }
  SECTION("patch.json changed after signing") {
    auto m = members(d.p / "feed.tar.gz");
    m["patch.json"].replace(m["patch.json"].find("Fix dbexport"), 12, "Fix DBexport");
    rebuild(d.p / "t.tar.gz", m);
    CHECK_THROWS_WITH(open_bundle(d.p / "t.tar.gz", {read_pub(d.p / "k")}), Catch::Contains("not by a trusted key"));
  }
  SECTION("unsigned") {
    auto m = members(d.p / "feed.tar.gz");
    m.erase("patch.sig");
    rebuild(d.p / "t.tar.gz", m);
    CHECK_THROWS_WITH(open_bundle(d.p / "t.tar.gz", {read_pub(d.p / "k")}), Catch::Contains("unsigned"));
  }
  SECTION("a payload whose hash differs") {
    auto m = members(d.p / "feed.tar.gz");
    m["payload/dbexport"] += "rm -rf /\n";
    rebuild(d.p / "t.tar.gz", m);
    CHECK_THROWS_WITH(open_bundle(d.p / "t.tar.gz", {read_pub(d.p / "k")}), Catch::Contains("does not match its SHA-256"));
  }
  SECTION("a member that is not patch.json, patch.sig or payload/") {
    auto m = members(d.p / "feed.tar.gz");
    m["payload/../../etc/x"] = "x";
    rebuild(d.p / "t.tar.gz", m);
    CHECK_THROWS_WITH(open_bundle(d.p / "t.tar.gz", {read_pub(d.p / "k")}), Catch::Contains("unexpected member"));
  }
  SECTION("truncated") {
    std::ifstream in(d.p / "feed.tar.gz", std::ios::binary);
    std::string all(std::istreambuf_iterator<char>(in), {});
    write(d.p / "t.tar.gz", all.substr(0, all.size() / 2));
    CHECK_THROWS_AS(open_bundle(d.p / "t.tar.gz", {read_pub(d.p / "k")}), BundleError);
  }
  SECTION("not a bundle at all") {
    write(d.p / "t.tar.gz", "hello");
    CHECK_THROWS_AS(open_bundle(d.p / "t.tar.gz", {read_pub(d.p / "k")}), BundleError);
  }
}

TEST_CASE("patch: patch.json errors name the field") {
  auto bad = [](const std::string& text) {
    try {
      parse_info(text, "p/patch.json", false);
    } catch (const BundleError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  std::string base = kPatch;
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  CHECK(bad(base) == "accepted");
  CHECK_THAT(bad("[]"), Catch::Contains("p/patch.json: not a JSON object"));
  CHECK_THAT(bad(with("\"required\"", "\"urgent\"")), Catch::Contains("'severity' must be required, recommended or optional"));
  CHECK_THAT(bad(with("[\"helpers\"]", "[\"dea\"]")), Catch::Contains("unknown role 'dea'"));
  CHECK_THAT(bad(with("helpers/dbexport", "/usr/bin/sudo")), Catch::Contains("target '/usr/bin/sudo' must be"));
  CHECK_THAT(bad(with("\"source\":\"dbexport\"", "\"source\":\"../x\"")), Catch::Contains("relative path inside"));
  CHECK_THAT(bad(with("dbexport-fix", "Bad Name")), Catch::Contains("'name' must be"));
  CHECK_THAT(bad(with("[\"4.0.0\"]", "[]")), Catch::Contains("'applies_to' names no version"));
  CHECK_THAT(bad(with("\"applies_to\"", "\"applies\"")), Catch::Contains("'applies_to' must be a list"));
  CHECK_THAT(parse_info(base, "x", false).files.size() == 1 ? "" : "x", Catch::Equals(""));
  CHECK_THROWS_WITH(parse_info(base, "x", true), Catch::Contains("'sha256' must be"));
}
