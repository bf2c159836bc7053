// Bad input: one line naming file, line and column; never a crash or a hang.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace stackato::manifest;
using Catch::Contains;
using Catch::Matches;

TEST_CASE("malformed YAML: a syntax error with line and column", "[errors]") {
  auto msg = test::load_error("name: a\nservices: [unclosed\n");
  CHECK_THAT(msg, Matches(".*stackato\\.yml:[0-9]+:[0-9]+: Manifest error: Syntax error: .*"));
  CHECK(msg.find('\n') == std::string::npos);
  CHECK_THAT(test::load_error("name: a\n  bad: indent\n"), Contains("Syntax error"));
  CHECK_THAT(test::load_error("\tname: tab\n"), Contains("Syntax error"));
}

TEST_CASE("the top of the file must be a mapping", "[errors]") {
  CHECK_THAT(test::load_error("- a\n- b\n"), Contains(":1:1: Manifest error: Expected a yaml mapping at the top of the file, got a sequence"));
  CHECK_THAT(test::load_error("just a string\n"), Contains("got a scalar"));
}

TEST_CASE("an empty file has no application", "[errors]") {
  auto l = test::load_yaml("");
  CHECK(l->m.apps.empty());
  auto c = test::load_yaml("# only a comment\n");
  CHECK(c->m.apps.empty());
}

TEST_CASE("wrong types name the key and where it is", "[errors]") {
  CHECK_THAT(test::load_error("name: a\ncommand:\n  - x\n"),
             Contains(":3:3: Manifest validation error: Expected a yaml scalar for key \"command\", got a sequence"));
  CHECK_THAT(test::load_error("name: a\nenv: [A, B]\n"), Contains("Expected a yaml mapping for key \"env\", got a sequence"));
  CHECK_THAT(test::load_error("name: [a]\n"), Contains("Expected a yaml scalar for key \"name\", got a sequence"));
  CHECK_THAT(test::load_error("name: a\nhooks: echo\n"), Contains("Expected a yaml mapping for key \"hooks\""));
  CHECK_THAT(test::load_error("applications: 3\n", "manifest.yml"),
             Contains("Expected a yaml mapping or sequence for key \"applications\", got a scalar"));
}

TEST_CASE("errors deep in an inherited file point into that file", "[errors]") {
  test::TempDir d;
  d.write("base.yml", "mem: lots\n");
  d.write("stackato.yml", "inherit: base.yml\nname: a\n");
  test::TestContext ctx;
  try {
    test::load_at(d.path(), ctx);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK_THAT(e.file(), Contains("base.yml"));
    CHECK(e.line() == 1);
    CHECK(e.column() == 6);
  }
}

TEST_CASE("duplicate keys: the last wins, with a warning", "[errors]") {
  auto l = test::load_yaml("name: a\nmem: 64\nmem: 128\n");
  CHECK(l->m.apps[0].memory_mb == 128);
  CHECK(l->ctx.warned("duplicate key \"mem\""));
}

TEST_CASE("alias bombs and deep nesting are refused, not expanded", "[errors]") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", " : "") + "*" + prev;
    bomb += "]\n";
    prev = c;
  }
  CHECK_THAT(test::load_error(bomb + "name: x\n"), Contains("recursive aliases"));
  std::string deep = "name: a\nproperties:\n  x: " + std::string(300, '[') + std::string(300, ']') + "\n";
  CHECK_THAT(test::load_error(deep), Contains("nested deeper than"));
  CHECK_THAT(test::load_error("name: x\na: &a [*a]\n"), Contains("an alias refers to a value that contains it"));
  CHECK_THAT(test::load_error("name: x\na: &a\n  b: *a\n"), Contains("an alias refers to a value that contains it"));
}

TEST_CASE("a key that substitution turns into an existing key is an error", "[errors]") {
  CHECK_THAT(test::load_error("name: a\nservices:\n  a-db: mysql\n  ${name}-db: mysql\n"),
             Contains("which the same mapping already has"));
}

TEST_CASE("a substitution that doubles itself is refused with file:line:col, in bounded memory", "[errors]") {
  // 1 KB of YAML that would expand to 10 TiB (issue 19: it took 8.7 GB, then std::bad_alloc).
  std::string bomb = "name: x\nproperties:\n  v0: \"abcdefghij\"\n";
  for (int i = 1; i <= 40; ++i)
    bomb += "  v" + std::to_string(i) + ": \"${v" + std::to_string(i - 1) + "}${v" + std::to_string(i - 1) + "}\"\n";
  bomb += "env:\n  BIG: ${v40}\n";
  std::string e = test::load_error(bomb);
  CHECK_THAT(e, Contains("stackato.yml:"));
  CHECK_THAT(e, Contains("Value too large after substitution"));
  // Large but legitimate values are fine: 512 KiB from a short chain.
  std::string fine = "name: x\nproperties:\n  v0: \"" + std::string(1024, 'a') + "\"\n";
  for (int i = 1; i <= 9; ++i)
    fine += "  v" + std::to_string(i) + ": \"${v" + std::to_string(i - 1) + "}${v" + std::to_string(i - 1) + "}\"\n";
  fine += "env:\n  BIG: ${v9}\n";
  CHECK_NOTHROW(test::load_yaml(fine));
}

TEST_CASE("bytes that are not UTF-8 are a manifest error naming line and column", "[errors]") {
  CHECK_THAT(test::load_error("name: x\nenv:\n  A: \"ok \xff\xfe\"\n"),
             Catch::Matchers::EndsWith("stackato.yml:3:10: Manifest error: The file is not UTF-8: byte 0xff here"));
  CHECK_THAT(test::load_error("name: x\n\xc3\n"), Contains("stackato.yml:2:1:"));  // a cut sequence
  CHECK_THAT(test::load_error("name: \xc0\xaf\n"), Contains("not UTF-8"));         // an overlong '/'
  CHECK_NOTHROW(test::load_yaml("name: caf\xc3\xa9\nenv:\n  E: \"\xe2\x82\xac \xf0\x9f\x98\x80\"\n"));
}
