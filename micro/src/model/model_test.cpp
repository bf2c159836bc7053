// The typed model: stored documents of every age parse, with the documented defaults.

#include "model/model.hpp"

#include <catch2/catch.hpp>

#include "store/store.hpp"
#include "support.hpp"

using namespace kato;
using json = nlohmann::json;

TEST_CASE("model: a process with and without a health check, command null or set", "[model]") {
  auto p = model::parse_process(json::parse(R"({"guid":"p","_app":"a","type":"web","instances":3,"memory_in_mb":64,
    "disk_in_mb":512,"command":null,"health_check":{"type":"http","data":{"endpoint":"/health","timeout":90,
    "invocation_timeout":5}}})"));
  CHECK(p.instances == 3);
  CHECK(p.memory_mb == 64);
  CHECK_FALSE(p.command);
  CHECK(p.health.type == "http");
  CHECK(p.health.endpoint == "/health");
  CHECK(p.health.timeout_s == 90);
  CHECK(p.health.invocation_timeout_s == 5);
  auto bare = model::parse_process(json::parse(R"({"guid":"p","_app":"a","command":"./run"})"));
  CHECK(bare.type == "web");
  CHECK(bare.instances == 1);
  CHECK(*bare.command == "./run");
  CHECK(bare.health.type == "port");
  CHECK_FALSE(bare.health.timeout_s);
  CHECK(bare.health.endpoint == "/");
}

TEST_CASE("model: apps, routes, bindings and service instances", "[model]") {
  auto app = model::parse_app(json::parse(R"({"guid":"a","name":"hello","_space":"s","state":"STARTED",
    "_droplet":"d","_env":{"K":"v","N":1}})"));
  CHECK(app.runnable());
  CHECK(app.env.size() == 1);  // only strings are environment
  CHECK_FALSE(model::parse_app(json::parse(R"({"guid":"a","state":"STARTED","_droplet":""})")).runnable());
  auto r = model::parse_route(json::parse(R"({"guid":"r","host":"h","path":"","url":"h.localhost","_space":"s",
    "_domain":"d","destinations":[{"guid":"x","app":{"guid":"a","process":{"type":"web"}}},{"app":{"guid":"b"}},7]})"));
  REQUIRE(r.destinations.size() == 2);
  CHECK(r.destinations[1].process_type == "web");
  auto si = model::parse_service_instance(json::parse(R"({"guid":"i","name":"db","type":"managed","_label":"mysql"})"));
  CHECK_FALSE(si.user_provided);
  CHECK(si.label == "mysql");
  CHECK(si.plan_name == "default");
  auto ups = model::parse_service_instance(json::parse(R"({"guid":"i","name":"u","type":"user-provided","_label":"x"})"));
  CHECK(ups.label == "user-provided");
  auto b = model::parse_binding(json::parse(R"({"guid":"b","_app":"a","_instance":"i","name":null})"));
  CHECK_FALSE(b.name);
  CHECK(b.credentials.is_object());
  CHECK_THROWS(model::parse_app(json::array()));
}

TEST_CASE("model: reads over a real store", "[model]") {
  test::TempDir tmp;
  store::Store store(tmp.path() / "kato.db");
  store.put("process", {{"guid", "p1"}, {"_app", "a"}, {"type", "worker"}});
  store.put("process", {{"guid", "p2"}, {"_app", "a"}, {"type", "web"}, {"instances", 2}});
  store.put("route", {{"guid", "r1"}, {"destinations", {{{"app", {{"guid", "a"}}}}}}});
  store.put("route", {{"guid", "r2"}, {"destinations", json::array()}});
  store.put("binding", {{"guid", "b1"}, {"_app", "a"}, {"_instance", "i"}});
  store.put("binding", {{"guid", "b2"}, {"_app", "z"}, {"_instance", "i"}});
  store.put("service_offering", {{"guid", "o"}, {"tags", {"mysql", "relational"}}});
  store.put("service_plan", {{"guid", "pl"}, {"_offering", "o"}});
  model::Model m(store);
  REQUIRE(m.web_process("a"));
  CHECK(m.web_process("a")->guid == "p2");
  CHECK_FALSE(m.web_process("nope"));
  CHECK(m.routes().size() == 2);
  CHECK(m.routes_to("a").size() == 1);
  CHECK(m.bindings_of("a").size() == 1);
  CHECK(m.offering_tags("pl") == std::vector<std::string>{"mysql", "relational"});
  CHECK(m.offering_tags("").empty());
  CHECK_FALSE(m.droplet(""));
}

TEST_CASE("model: users and roles; the first user, with no flag, is the admin", "[model]") {
  CHECK(model::parse_user(json::parse(R"({"guid":"u","name":"admin"})")).admin);
  CHECK_FALSE(model::parse_user(json::parse(R"({"guid":"u","name":"dev","_admin":false})")).admin);
  auto r = model::parse_role(json::parse(R"({"guid":"r","type":"space_developer","_user":"u","_space":"s"})"));
  CHECK(r.space_guid == "s");
  CHECK(r.org_guid.empty());
  test::TempDir tmp;
  store::Store store(tmp.path() / "kato.db");
  store.put("role", {{"guid", "r1"}, {"type", "organization_user"}, {"_user", "u"}, {"_org", "o"}});
  store.put("role", {{"guid", "r2"}, {"type", "space_auditor"}, {"_user", "v"}, {"_space", "s"}});
  model::Model m(store);
  REQUIRE(m.roles_of("u").size() == 1);
  CHECK(m.roles_of("u")[0].org_guid == "o");
  CHECK_FALSE(m.user("u"));
}
