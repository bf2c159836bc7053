#include "push/plan.hpp"

#include <catch2/catch.hpp>

using namespace stackato::client;
using nlohmann::json;

namespace {

api::Process web(long instances = 1, long memory = 256, std::optional<std::string> command = std::nullopt,
                 json health = {{"type", "port"}, {"data", {{"timeout", nullptr}, {"invocation_timeout", nullptr}}}}) {
  api::Process p;
  p.guid = "p";
  p.type = "web";
  p.instances = instances;
  p.memory_in_mb = memory;
  p.disk_in_mb = 1024;
  p.command = command;
  p.health_check = health;
  return p;
}

stackato::manifest::App app(const std::string& name = "hello") {
  stackato::manifest::App a;
  a.name = name;
  return a;
}

}  // namespace

TEST_CASE("push plan: a process that matches the manifest is left alone", "[push plan]") {
  auto a = app();
  a.instances = 1;
  a.memory_mb = 256;
  a.command = "python3 app.py";
  ProcessPlan plan = plan_process(web(1, 256, "python3 app.py"), a, {});
  CHECK_FALSE(plan.scales());
  CHECK_FALSE(plan.command);
  CHECK_FALSE(plan.health_check);  // CAPI's null timeouts are the default, as the manifest has it
  CHECK(plan.changes.empty());
}

TEST_CASE("push plan: only what changes is scaled, the command line over the manifest", "[push plan]") {
  auto a = app();
  a.instances = 2;
  a.memory_mb = 256;
  PushFlags flags;
  flags.instances = 3;
  ProcessPlan plan = plan_process(web(1, 256), a, flags);
  CHECK(plan.scale.instances == 3);
  CHECK_FALSE(plan.scale.memory_in_mb);
  CHECK_FALSE(plan.scale.disk_in_mb);
  CHECK(plan.changes == std::vector<std::string>{"Changing instances: 1 -> 3"});
}

TEST_CASE("push plan: command and health check, said as they change", "[push plan]") {
  auto a = app();
  a.command = "./run";
  a.health_check_type = "http";
  a.timeout = 90;
  ProcessPlan plan = plan_process(web(1, 256, "./old"), a, {});
  REQUIRE(plan.command);
  CHECK(*plan.command == "./run");
  REQUIRE(plan.health_check);
  CHECK(*plan.health_check == json{{"type", "http"}, {"data", {{"timeout", 90}, {"endpoint", "/"}}}});
  CHECK(plan.changes == std::vector<std::string>{"Changing command: './run'",
                                                 "Changing health check: port -> http / (start timeout 90 s)"});
}

TEST_CASE("push plan: health checks are additive; an endpoint without http is a warning", "[push plan]") {
  std::vector<std::string> warnings;
  json current = {{"type", "http"}, {"data", {{"endpoint", "/health"}, {"timeout", 60}}}};
  auto a = app();
  a.health_check_invocation_timeout = 5;
  auto hc = plan_health_check(current, a, warnings);
  REQUIRE(hc);
  CHECK(*hc == json{{"type", "http"}, {"data", {{"endpoint", "/health"}, {"timeout", 60}, {"invocation_timeout", 5}}}});
  auto worker = app();
  worker.worker = true;
  worker.health_check_endpoint = "/up";
  hc = plan_health_check(current, worker, warnings);
  REQUIRE(hc);
  CHECK((*hc)["type"] == "process");
  CHECK_FALSE((*hc)["data"].contains("endpoint"));
  CHECK(warnings == std::vector<std::string>{"health-check-http-endpoint is ignored: the health check type is process"});
}

TEST_CASE("push plan: environment variables set, changed, kept; hidden values never shown", "[push plan]") {
  auto a = app();
  stackato::manifest::EnvVar secret;
  secret.name = "TOKEN";
  secret.hidden = true;
  a.env.push_back(secret);
  EnvPlan plan = plan_env({{"KEEP", "1"}, {"SAME", "x"}, {"OLD", "a"}}, {{"SAME", "x"}, {"OLD", "b"}, {"NEW", "n"}, {"TOKEN", "s3"}}, a);
  CHECK(plan.changes == json{{"OLD", "b"}, {"NEW", "n"}, {"TOKEN", "s3"}});
  CHECK(plan.lines == std::vector<std::string>{"Setting env NEW = 'n'", "Changing env OLD = 'b'", "Setting env TOKEN = (hidden)"});
}

TEST_CASE("push plan: the URLs to map", "[push plan]") {
  auto a = app("web");
  PushFlags none;
  CHECK(plan_urls(a, none, false, "example.com") == std::vector<std::string>{"web.example.com"});
  CHECK(plan_urls(a, none, true, "").empty());  // an app with routes keeps them
  PushFlags url;
  url.urls = {"x.example.com"};
  CHECK(plan_urls(a, url, true, "") == std::vector<std::string>{"x.example.com"});
  auto listed = a;
  listed.urls = std::vector<std::string>{"a.example.com", "b.example.com/p"};
  CHECK(plan_urls(listed, none, true, "") == std::vector<std::string>{"a.example.com", "b.example.com/p"});
  PushFlags no_route;
  no_route.no_route = true;
  CHECK(plan_urls(listed, no_route, false, "example.com").empty());
  auto worker = a;
  worker.worker = true;
  CHECK(plan_urls(worker, none, false, "example.com").empty());
  // The domain is looked up only when the default route is wanted.
  CHECK(wants_default_route(a, none, false));
  CHECK_FALSE(wants_default_route(a, none, true));
  CHECK_FALSE(wants_default_route(listed, none, false));
  CHECK_FALSE(wants_default_route(a, url, false));
  CHECK_FALSE(wants_default_route(worker, none, false));
  CHECK_FALSE(wants_default_route(a, no_route, false));
}
