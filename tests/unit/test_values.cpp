#include <catch2/catch.hpp>

#include "support.hpp"

using namespace stackato::manifest;

TEST_CASE("memspec: bare integers and M are MB, G takes floats", "[memspec]") {
  CHECK(parse_memspec("256") == 256);
  CHECK(parse_memspec("256M") == 256);
  CHECK(parse_memspec("256m") == 256);
  CHECK(parse_memspec("1G") == 1024);
  CHECK(parse_memspec("1.5G") == 1536);
  CHECK(parse_memspec("0.3G") == 307);  // int(x*1024), as the original
  CHECK(parse_memspec("-1") == -1);     // accepted here, forced to the minimum later
}

TEST_CASE("memspec: bare floats, two-letter suffixes and junk are rejected", "[memspec]") {
  for (const char* bad : {"1.5", "3.5GB", "256MB", "1.5M", "", "G", "12K", "abc", "1 G", "99999999999999999999"})
    CHECK_THROWS_AS(parse_memspec(bad), std::invalid_argument);
}

TEST_CASE("memspec errors in a manifest name the key and the rule", "[memspec]") {
  auto msg = test::load_error("name: a\nmem: 3.5GB\n");
  CHECK_THAT(msg, Catch::Contains(":2:6: Manifest error: Expected a size for key \"memory\""));
  CHECK_THAT(msg, Catch::Contains("two-letter suffixes like MB and GB are not accepted"));
  CHECK_THAT(test::load_error("name: a\ndisk: 1.5\n"), Catch::Contains("key \"disk_quota\""));
}

TEST_CASE("memory below the target's minimum is forced up with a warning", "[memspec]") {
  auto l = test::load_yaml("name: a\nmemory: -1\n", "stackato.yml", [](auto& c) { c.min_memory = 20; });
  CHECK(l->m.apps[0].memory_mb == 20);
  CHECK(l->ctx.warned("Forcing use of minimum memory requirement: 20M"));
}

TEST_CASE("versions compare as dotted integers", "[version]") {
  CHECK(compare_versions("1.7.1", "1.7.1") == 0);
  CHECK(compare_versions("1.7", "1.7.0") == 0);
  CHECK(compare_versions("1.10", "1.9") > 0);
  CHECK(compare_versions("2.10.4.55", "100000") < 0);
  CHECK(compare_versions("4.0.0", "3.2.4") > 0);
}

TEST_CASE("min_version: the original's messages", "[version]") {
  auto l = test::load_yaml("name: a\nmin_version:\n  client: 100000\n  server: 2.8\n");
  const App& app = l->m.apps[0];
  CHECK(app.min_client_version == "100000");
  try {
    check_min_version(app, "4.0.0", "");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "version conflict for client: have 4.0.0, need at least 100000");
  }
  auto ok = test::load_yaml("name: a\nmin_version:\n  client: 1.7.1\n  server: 2.8\n");
  CHECK_NOTHROW(check_min_version(ok->m.apps[0], "4.0.0", "2.10.4.55"));
  try {
    check_min_version(ok->m.apps[0], "4.0.0", "2.6");
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "version conflict for server: have 2.6, need at least 2.8");
  }
}

TEST_CASE("min_version: bad versions and unknown subkeys are hard errors", "[version]") {
  CHECK_THAT(test::load_error("name: a\nmin_version:\n  client: abc\n"),
             Catch::Contains("Expected version number for key \"min_version:client\", got \"abc\""));
  CHECK_THAT(test::load_error("name: a\nmin_version:\n  cleint: 1.0\n"),
             Catch::Contains("Found illegal key \"min_version:cleint\""));
}
