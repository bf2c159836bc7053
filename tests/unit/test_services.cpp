// Services in every form (stackato-cli.md §2.3).
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace stackato::manifest;
using Catch::Contains;

namespace {
auto logged_in = [](test::TestContext& c) {
  c.types = std::vector<std::string>{"mysql", "postgresql", "redis", "filesystem", "harbor", "user-provided"};
};
}

TEST_CASE("services: name: type and the deprecated type: name", "[services]") {
  auto l = test::load_yaml("name: a\nservices:\n  customerdb: mysql\n  redis: cache\n", "stackato.yml", logged_in);
  const auto& s = l->m.apps[0].services;
  REQUIRE(s.size() == 2);
  CHECK(s[0].name == "customerdb");
  CHECK(s[0].type == "mysql");
  CHECK(s[1].name == "cache");
  CHECK(s[1].type == "redis");
  CHECK(l->ctx.warned("Deprecated syntax (vendor: name) in service specification \"redis: cache\""));
}

TEST_CASE("services: the seed's `mysql: customerdb`", "[services]") {
  auto l = test::load_yaml("name: customertracker\nservices:\n  mysql: customerdb\nhooks:\n  post-staging: perl preload.pl\n");
  CHECK(l->m.apps[0].services[0].name == "customerdb");
  CHECK(l->m.apps[0].services[0].type == "mysql");
  CHECK(l->ctx.warned("not logged in"));  // classified against the built-in list
}

TEST_CASE("services: both sides types reads as name: type, neither is an error", "[services]") {
  auto l = test::load_yaml("name: a\nservices:\n  redis: mysql\n", "stackato.yml", logged_in);
  CHECK(l->m.apps[0].services[0].name == "redis");
  CHECK(l->m.apps[0].services[0].type == "mysql");
  CHECK_THAT(test::load_error("name: a\nservices:\n  foo: bar\n", "stackato.yml", logged_in),
             Contains("Bad service definition \"foo: bar\" in manifest. Neither [foo] nor [bar] are supported system services"));
}

TEST_CASE("services: offline, an unknown type is taken as name: type with a warning", "[services]") {
  auto l = test::load_yaml("name: a\nservices:\n  port: harbor\n");
  CHECK(l->m.apps[0].services[0].name == "port");
  CHECK(l->m.apps[0].services[0].type == "harbor");
  CHECK(l->ctx.warned("cannot tell which of \"port: harbor\" is the service type"));
}

TEST_CASE("services: a CF list of names and empty values are name-only", "[services]") {
  auto l = test::load_yaml("applications:\n- name: a\n  services:\n  - db1\n  - db2\n", "manifest.yml");
  const auto& s = l->m.apps[0].services;
  REQUIRE(s.size() == 2);
  CHECK(s[0].name == "db1");
  CHECK(s[0].type.empty());
  auto e = test::load_yaml("name: a\nservices:\n  db3: \"\"\n");
  CHECK(e->m.apps[0].services[0].type.empty());
}

TEST_CASE("services: the CF mapping with every field", "[services]") {
  auto l = test::load_yaml(
      "name: a\nservices:\n  db:\n    label: postgresql\n    plan: large\n    provider: core\n"
      "    version: \"15\"\n    tags: [x, y]\n    parameters:\n      size: 10\n");
  const Service& s = l->m.apps[0].services[0];
  CHECK(s.type == "postgresql");
  CHECK(s.plan == "large");
  CHECK(s.provider == "core");
  CHECK(s.version == "15");
  CHECK(s.tags == std::vector<std::string>{"x", "y"});
  CHECK(s.parameters == nlohmann::json{{"size", 10}});
}

TEST_CASE("services: user-provided needs credentials", "[services]") {
  auto l = test::load_yaml("name: a\nservices:\n  ext:\n    type: user-provided\n    credentials:\n      uri: http://x\n");
  CHECK(l->m.apps[0].services[0].credentials == nlohmann::json{{"uri", "http://x"}});
  CHECK_THAT(test::load_error("name: a\nservices:\n  ext:\n    type: user-provided\n"),
             Contains("Manifest is missing the credentials for the user-provided service \"ext\""));
}

TEST_CASE("services: a non-empty string is bad syntax", "[services]") {
  CHECK_THAT(test::load_error("name: a\nservices: mysql\n"),
             Contains("Bad syntax, expected a yaml mapping for key \"services\", got a non-empty string instead."));
}

TEST_CASE("services: two apps may share one service", "[services]") {
  auto l = test::load_yaml(
      "name: node-env\nservices:\n  shared:\n    type: mysql\napplications:\n- name: node-env-2\n"
      "  services:\n    shared:\n      type: mysql\n");
  REQUIRE(l->m.apps.size() == 2);
  CHECK(l->m.apps[0].services[0].name == "shared");
  CHECK(l->m.apps[1].services[0].name == "shared");
}

TEST_CASE("services: only <app>-cache of type filesystem is the cache", "[services]") {
  auto l = test::load_yaml("name: foo\nservices:\n  ${name}-cache: filesystem\n  bar-cache: filesystem\n");
  const auto& s = l->m.apps[0].services;
  REQUIRE(s.size() == 2);
  CHECK_FALSE(s[1].cache);  // bar-cache belongs to no app of that name
  CHECK(s[0].name == "foo-cache");
  CHECK(s[0].type == "filesystem");
  CHECK(s[0].cache);
  CHECK(l->m.apps[0].json["services"]["foo-cache"]["cache"] == true);
  CHECK_FALSE(test::load_yaml("name: foo\nservices:\n  foo-cache: mysql\n")->m.apps[0].services[0].cache);
}
