// env values at push (stackato-cli.md §2.4).
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace stackato::manifest;
using Catch::Contains;
using Env = std::map<std::string, std::string>;

TEST_CASE("env: default, then the environment with inherit, then --env", "[env]") {
  auto l = test::load_yaml(
      "name: a\nenv:\n  A: one\n  B:\n    default: two\n    inherit: yes\n  C:\n    inherit: yes\n");
  l->ctx.env = {{"B", "from-env"}, {"A", "ignored: A does not inherit"}};
  CHECK(resolve_env(l->m.apps[0], {}, l->ctx) == Env{{"A", "one"}, {"B", "from-env"}});
  CHECK(resolve_env(l->m.apps[0], {{"B", "cli"}, {"X", "extra"}}, l->ctx) ==
        Env{{"A", "one"}, {"B", "cli"}, {"X", "extra"}});
}

TEST_CASE("env: a required variable without a value fails under -n", "[env]") {
  auto l = test::load_yaml("name: a\nenv:\n  TOKEN:\n    required: yes\n");
  CHECK_THROWS_WITH(resolve_env(l->m.apps[0], {}, l->ctx), Contains("Required variable \"TOKEN\" not set"));
  CHECK(resolve_env(l->m.apps[0], {{"TOKEN", "t"}}, l->ctx) == Env{{"TOKEN", "t"}});
}

TEST_CASE("env: choices are checked in both modes", "[env]") {
  auto l = test::load_yaml("name: a\nenv:\n  MODE:\n    default: fast\n    choices: [fast, safe, slow]\n");
  CHECK(resolve_env(l->m.apps[0], {}, l->ctx) == Env{{"MODE", "fast"}});
  CHECK_THROWS_WITH(resolve_env(l->m.apps[0], {{"MODE", "turbo"}}, l->ctx),
                    Contains("Expected one of 'fast', 'safe', or 'slow' for \"MODE\", got \"turbo\""));
}

TEST_CASE("env: interactive prompts with the computed value as default", "[env]") {
  auto l = test::load_yaml(
      "name: a\nenv:\n  A: one\n  B:\n    required: yes\n    prompt: Secret please\n    hidden: yes\n"
      "  C:\n    default: x\n    choices: [x, y]\n");
  l->ctx.is_interactive = true;
  l->ctx.answers = {"", "", "s3cret", "y"};  // keep A; B empty then given; C from the menu
  CHECK(resolve_env(l->m.apps[0], {}, l->ctx) == Env{{"A", "one"}, {"B", "s3cret"}, {"C", "y"}});
  REQUIRE(l->ctx.prompts.size() == 4);
  CHECK(l->ctx.prompts[0] == "Enter A [one]: ");
  CHECK(l->ctx.prompts[1] == "Secret please: ");  // hidden: the default is not shown
}
