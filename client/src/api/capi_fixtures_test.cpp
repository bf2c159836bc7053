// The typed V3 resources against CAPI's own published example bodies
// (tests/contract/fixtures, extracted by tests/contract/capi_fixtures.py; SOURCE.md names the
// commit): every resource of every example parses, and what CAPI leaves null (a starting
// instance's quotas, a user-provided instance's plan, a key binding's app) is read as absent
// instead of failing the command.

#include <fstream>

#include <catch2/catch.hpp>

#include "api/model.hpp"

using namespace stackato::client;
using json = nlohmann::json;

namespace {

json fixture(const std::string& name) {
  std::ifstream in(std::string(STACKATO_CAPI_FIXTURES) + "/" + name + ".json");
  REQUIRE(in);
  return json::parse(in);
}

template <class Parse>
auto all(const std::string& name, Parse parse) {
  std::vector<decltype(parse(json()))> out;
  json list = fixture(name);  // kept: a range-for over fixture(name)[...] would outlive it
  for (const auto& r : list["resources"]) out.push_back(parse(r));
  return out;
}

}  // namespace

TEST_CASE("CAPI examples: apps, their state and space", "[api][capi]") {
  auto apps = all("apps", api::parse_app);
  REQUIRE(apps.size() == 2);
  CHECK(apps[0].name == "my_app");
  CHECK(apps[0].started());
  CHECK_FALSE(apps[1].started());
  CHECK(apps[0].space_guid == "2f35885d-0c9d-4423-83ad-fd05066f8576");
  auto one = api::parse_app(fixture("app"));
  CHECK(one.guid == "1cb006ee-fb05-47e1-b541-c34179ddc446");
  CHECK(one.created_at == "2016-03-17T21:41:30Z");
}

TEST_CASE("CAPI examples: processes and their health checks", "[api][capi]") {
  auto ps = all("processes", api::parse_process);
  REQUIRE(ps.size() == 2);
  CHECK(ps[0].type == "web");
  CHECK(ps[0].instances == 5);
  CHECK(ps[0].memory_in_mb == 256);
  CHECK(ps[0].health_check["type"] == "port");
  CHECK(ps[1].type == "worker");
  auto one = api::parse_process(fixture("process"));
  CHECK(one.app_guid == "ccc25a0f-c8f4-4b39-9f1b-de9f328d0ee5");
  CHECK(one.command == "rackup");
  json no_command = fixture("process");
  no_command["command"] = nullptr;  // the droplet's start command
  CHECK_FALSE(api::parse_process(no_command).command);
}

TEST_CASE("CAPI examples: a starting instance's stats are null, not zero", "[api][capi]") {
  auto stats = all("process_stats", api::parse_instance_stats);
  REQUIRE(stats.size() == 2);
  CHECK(stats[0].state == "RUNNING");
  CHECK(stats[0].mem_quota == 268435456);
  CHECK(stats[0].uptime == 9042);
  REQUIRE(stats[0].cpu);
  CHECK(*stats[0].cpu > 0);
  CHECK(stats[1].state == "STARTING");
  CHECK(stats[1].index == 1);
  CHECK_FALSE(stats[1].mem_quota);
  CHECK_FALSE(stats[1].disk_quota);
  CHECK(stats[1].mem == 0);
}

TEST_CASE("CAPI examples: routes with several destinations", "[api][capi]") {
  auto routes = all("routes", api::parse_route);
  REQUIRE(routes.size() == 1);
  CHECK(routes[0].url == "a-hostname.a-domain.com/some_path");
  CHECK(routes[0].path == "/some_path");
  REQUIRE(routes[0].destinations.size() == 2);
  CHECK(routes[0].destinations[0].app_guid == "0a6636b5-7fc4-44d8-8752-0db3e40b35a5");
  CHECK(routes[0].destinations[0].process_type == "web");
}

TEST_CASE("CAPI examples: shared and private domains", "[api][capi]") {
  auto domains = all("domains", api::parse_domain);
  REQUIRE(domains.size() == 2);
  CHECK(domains[0].name == "test-domain.com");
  CHECK(domains[0].shared());  // organization: {data: null}
  CHECK(domains[1].name == "apps.identity");
}

TEST_CASE("CAPI examples: managed and user-provided instances", "[api][capi]") {
  auto sis = all("service_instances", api::parse_service_instance);
  REQUIRE(sis.size() == 2);
  CHECK(sis[0].type == "managed");
  CHECK(sis[0].plan_guid == "5358d122-638e-11ea-afca-bf6e756684ac");
  CHECK(sis[0].operation == "create");
  CHECK(sis[0].operation_state == "succeeded");
  CHECK(sis[1].type == "user-provided");
  CHECK(sis[1].plan_guid.empty());
  CHECK(sis[1].operation == "update");
}

TEST_CASE("CAPI examples: offerings, plans and the plan's offering", "[api][capi]") {
  auto offerings = all("service_offerings", api::parse_service_offering);
  REQUIRE(offerings.size() == 2);
  CHECK(offerings[0].name == "my_service_offering");
  CHECK_FALSE(offerings[0].description.empty());
  auto plans = all("service_plans", api::parse_service_plan);
  REQUIRE(plans.size() == 2);
  CHECK(plans[0].name == "my_big_service_plan");
  CHECK(plans[0].offering_guid == "13c60e38-11e7-11ea-9106-33ee3c5bd4d7");
}

TEST_CASE("CAPI examples: an app binding and a key binding (no app)", "[api][capi]") {
  auto bindings = all("service_credential_bindings", api::parse_binding);
  REQUIRE(bindings.size() == 2);
  CHECK(bindings[0].type == "app");
  CHECK(bindings[0].app_guid == "74f7c078-0934-470f-9883-4fddss5b8f13");
  CHECK(bindings[0].instance_guid == "8bfe4c1b-9e18-45b1-83be-124163f31f9e");
  CHECK(bindings[1].type == "key");
  CHECK(bindings[1].app_guid.empty());
}

TEST_CASE("CAPI examples: organizations, spaces, users and roles", "[api][capi]") {
  CHECK(all("organizations", api::parse_organization).size() == 2);
  auto spaces = all("spaces", api::parse_space);
  REQUIRE(spaces.size() == 2);
  CHECK(spaces[0].org_guid == "e00705b9-7b42-4561-ae97-2520399d2133");
  auto users = all("users", api::parse_user);
  REQUIRE(users.size() == 2);
  CHECK(users[1].username == "some-name");
  auto roles = all("roles", api::parse_role);
  REQUIRE(roles.size() == 2);
  CHECK(roles[1].in_space());
}

TEST_CASE("api model: a wrong type where CAPI has a number is a one-line shape error", "[api]") {
  json p = fixture("process");
  p["instances"] = "five";
  CHECK_THROWS_WITH(api::parse_process(p), "the process in the target's answer has no usable 'instances' (a string)");
  json st = fixture("process_stats")["resources"][0];
  st["state"] = nullptr;
  CHECK_THROWS_WITH(api::parse_instance_stats(st), "the instance in the target's answer has no usable 'state' (missing)");
}

TEST_CASE("CAPI examples: what push reads of packages, builds, droplets and deployments", "[api][capi]") {
  api::Package package = api::parse_package(fixture("package"));
  CHECK(package.state == "PROCESSING_UPLOAD");
  CHECK(package.error.empty());  // CAPI's null
  api::Build staging = api::parse_build(fixture("build_staging"));
  CHECK(staging.state == "STAGING");
  CHECK(staging.droplet_guid.empty());  // null while it stages
  api::Build staged = api::parse_build(fixture("build_staged"));
  CHECK(staged.state == "STAGED");
  CHECK(staged.droplet_guid == "1e1186e7-d803-4c46-b9d6-5c81e50fe55a");
  api::Droplet droplet = api::parse_droplet(fixture("droplet"));
  CHECK(droplet.state == "STAGED");
  CHECK(droplet.process_types.at("web") == "bundle exec rackup config.ru -p $PORT");
  api::Deployment d = api::parse_deployment(fixture("deployment"));
  CHECK(d.status_value == "ACTIVE");
  CHECK(d.status_reason == "DEPLOYING");
  CHECK_FALSE(d.finished());
  CHECK(d.droplet_guid == "44ccfa61-dbcf-4a0d-82fe-f668e9d2a962");
  CHECK(d.previous_droplet_guid == "cc6bc315-bd06-49ce-92c2-bc3ad45268c2");
  CHECK(d.app_guid == "305cea31-5a44-45ca-b51b-e89c7a8ef8b2");
}
