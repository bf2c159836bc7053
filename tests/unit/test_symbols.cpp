#include <catch2/catch.hpp>

#include "support.hpp"

using namespace stackato::manifest;
using Catch::Contains;

namespace {
std::string env_default(const App& app, const std::string& name) {
  for (const auto& v : app.env)
    if (v.name == name) return v.default_value.value_or("<none>");
  return "<missing>";
}
}  // namespace

TEST_CASE("substitution of name in values and in mapping keys", "[symbols]") {
  auto l = test::load_yaml(
      "name: FOO\n"
      "services:\n  ${name}-cache: filesystem\n  ${name}-db: mysql\n"
      "env:\n  GREETING: hello ${name}\n");
  const App& app = l->m.apps[0];
  REQUIRE(app.services.size() == 2);
  CHECK(app.services[0].name == "FOO-cache");
  CHECK(app.services[0].type == "filesystem");
  CHECK(app.services[0].cache);  // the staging cache service of app FOO
  CHECK(app.services[1].name == "FOO-db");
  CHECK_FALSE(app.services[1].cache);
  CHECK(env_default(app, "GREETING") == "hello FOO");
}

TEST_CASE("whitespace inside the braces is trimmed", "[symbols]") {
  auto l = test::load_yaml("name: app\ncommand: run ${ name }\n");
  CHECK(l->m.apps[0].command == "run app");
}

// Innermost enclosing mapping first; in each, properties:<sym>, then applications:<app>:<sym>,
// then <sym> itself.
TEST_CASE("lookup order: innermost mapping first, properties, current app, the key", "[symbols]") {
  auto l = test::load_yaml(
      "name: app\n"
      "mem: 128\n"
      "env:\n  A: ${mem}\n  B: ${colour}\n  C: ${shared}\n"
      "properties:\n  colour: blue\n  shared: from-properties\n"
      "applications:\n  - name: other\n    shared: from-app\n    command: ${shared} ${name}\n",
      "stackato.yml");
  REQUIRE(l->m.apps.size() == 2);
  const App& app = l->m.apps[0];
  CHECK(env_default(app, "A") == "128");
  CHECK(env_default(app, "B") == "blue");
  CHECK(env_default(app, "C") == "from-properties");  // properties win
  CHECK(l->m.apps[1].command == std::optional<std::string>("from-app other"));  // its own key is nearer
}

TEST_CASE("found values are resolved again, recursively", "[symbols]") {
  auto l = test::load_yaml(
      "name: app\ncommand: ${a}\nproperties:\n  a: x-${b}\n  b: y-${c}\n  c: z\n");
  CHECK(l->m.apps[0].command == "x-y-z");
}

TEST_CASE("unknown symbols and structured values are errors", "[symbols]") {
  CHECK_THAT(test::load_error("name: app\ncommand: ${nope}\n"),
             Contains(":2:10: Manifest error: Unknown symbol in manifest: nope"));
  // Only scalars can be used: `env` is a mapping.
  CHECK_THAT(test::load_error("name: app\ncommand: ${env}\nenv:\n  A: b\n"),
             Contains("Unknown symbol in manifest: env"));
  // Shell-style variables need the escape, as in the original.
  CHECK_THAT(test::load_error("name: app\nhooks:\n  pre-running: echo ${HOME}\n"),
             Contains("Unknown symbol in manifest: HOME"));
}

TEST_CASE("circular definitions are reported", "[symbols]") {
  CHECK_THAT(test::load_error("name: app\ncommand: ${a}\nproperties:\n  a: ${b}\n  b: ${a}\n"),
             Contains("Circular symbol definition detected involving: a, b"));
  CHECK_THAT(test::load_error("name: ${name}\n"), Contains("Circular symbol definition"));
}

TEST_CASE("a doubled dollar escapes to a literal symbol", "[symbols]") {
  auto l = test::load_yaml(
      "name: app\n"
      "hooks:\n  pre-running: echo $${HOME} and ${name} and $PLAIN\n"
      "env:\n  P: $${PATH}:/extra\n");
  CHECK(l->m.apps[0].hooks.at("pre-running") == std::vector<std::string>{"echo ${HOME} and app and $PLAIN"});
  CHECK(env_default(l->m.apps[0], "P") == "${PATH}:/extra");
}

TEST_CASE("nesting is unsupported and looks up the inner text", "[symbols]") {
  CHECK_THAT(test::load_error("name: app\ncommand: ${${x}}\n"), Contains("Unknown symbol in manifest: ${x"));
}

TEST_CASE("random-word: one value per string, re-drawn elsewhere", "[symbols]") {
  auto l = test::load_yaml("name: app\ncommand: ${random-word} ${random-word}\ndescription: ${random-word}\n");
  CHECK(l->m.apps[0].command == "1a2b 1a2b");
  CHECK(l->m.apps[0].json["stackato"]["description"] == "3c4d");
}

TEST_CASE("target-url and target-base", "[symbols]") {
  auto l = test::load_yaml("name: app\ncommand: ${target-url} ${target-base}\n");
  CHECK(l->m.apps[0].command == "https://api.example.com example.com");  // port stripped
  // A manifest's own `target` key is used as it is.
  auto own = test::load_yaml("name: app\ntarget: https://api.other.org\ncommand: ${target-url} ${target-base}\n");
  CHECK(own->m.apps[0].command == "https://api.other.org other.org");
}

TEST_CASE("space-base: the space's domain, the target's among several, a menu or an error", "[symbols]") {
  auto one = test::load_yaml("name: app\nhost: www\n", "stackato.yml",
                             [](auto& c) { c.domains = std::vector<std::string>{"apps.example.com"}; });
  CHECK(one->m.apps[0].urls == std::vector<std::string>{"www.apps.example.com"});

  auto several = test::load_yaml("name: app\nhost: www\n", "stackato.yml", [](auto& c) {
    c.domains = std::vector<std::string>{"a.org", "example.com"};
  });
  CHECK(several->m.apps[0].urls == std::vector<std::string>{"www.example.com"});

  CHECK_THAT(test::load_error("name: app\nhost: www\n", "stackato.yml",
                              [](auto& c) { c.domains = std::vector<std::string>{"a.org", "b.org"}; }),
             Contains("We found multiple domains and cannot choose"));
  CHECK_THAT(test::load_error("name: app\nhost: www\n", "stackato.yml",
                              [](auto& c) { c.domains = std::vector<std::string>{}; }),
             Contains("We need a domain and found none"));

  auto asked = test::load_yaml("name: app\nhost: www\n", "stackato.yml", [](auto& c) {
    c.domains = std::vector<std::string>{"a.org", "b.org"};
    c.is_interactive = true;
    c.answers = {"b.org"};
  });
  CHECK(asked->m.apps[0].urls == std::vector<std::string>{"www.b.org"});

  // Offline: the target's base, with a warning.
  auto offline = test::load_yaml("name: app\nhost: www\n");
  CHECK(offline->m.apps[0].urls == std::vector<std::string>{"www.example.com"});
  CHECK(offline->ctx.warned("no current space"));
}

TEST_CASE("ask LABEL prompts, and fails clearly under -n", "[symbols]") {
  auto l = test::load_yaml("name: app\ncommand: run ${ask Port}\n", "stackato.yml", [](auto& c) {
    c.is_interactive = true;
    c.answers = {"8080"};
  });
  CHECK(l->m.apps[0].command == "run 8080");
  CHECK(l->ctx.prompts == std::vector<std::string>{"Port: "});
  CHECK_THAT(test::load_error("name: app\ncommand: run ${ask Port}\n"),
             Contains("asks for \"Port\", but prompting is off"));
}

TEST_CASE("renaming with --as happens before substitution", "[symbols]") {
  test::TempDir dir;
  dir.write("stackato.yml", "name: old\nservices:\n  ${name}-cache: filesystem\n");
  test::TestContext ctx;
  auto m = test::load_at(dir.path(), ctx, [](LoadOptions& o) { o.as_name = "new"; });
  REQUIRE(m.apps.size() == 1);
  CHECK(m.apps[0].name == "new");
  CHECK(m.apps[0].services[0].name == "new-cache");
  CHECK(m.apps[0].services[0].cache);
}
