// The route table's promise (controller/access.hpp): every endpoint declares who may call it,
// and exactly the discovery and token endpoints are public. Also the roles a caller gets from
// the store.
#include <catch2/catch.hpp>

#include <set>

#include "controller/access.hpp"
#include "controller/controller.hpp"
#include "store/store.hpp"
#include "support.hpp"

using namespace kato::controller;
using json = nlohmann::json;

TEST_CASE("access: every endpoint declares who may call it; only discovery and tokens are public", "[access]") {
  test::TempDir tmp;
  kato::store::Store store(tmp.path() / "kato.db");
  kato::auth::Tokens tokens("key", "https://api.localhost/oauth/token", std::chrono::seconds(60));
  Controller api(store, tokens, Config{}, Backends{});
  auto all = api.endpoints();
  REQUIRE(all.size() > 60);
  std::set<std::string> publics;
  for (const auto& e : all) {
    INFO(e.method << " " << e.path);
    CHECK(!e.need.empty());
    if (e.need == "public") publics.insert(e.method + " " + e.path);
    // A path naming a resource is checked against it, unless it is the catalog or a job.
    bool names_one = e.path.find(":guid") != std::string::npos;
    bool catalog = e.path.rfind("/v3/service_offerings", 0) == 0 || e.path.rfind("/v3/service_plans", 0) == 0 ||
                   e.path.rfind("/v3/domains", 0) == 0 || e.path.rfind("/v3/jobs", 0) == 0;
    if (names_one && !catalog) CHECK(!e.on.empty());
    // Changes always need a target and the right to change it.
    static const std::set<std::string> changers = {"write", "manage", "manage org", "self", "admin"};
    if (e.method != "GET" && e.need != "public" && e.path != "/v3/resource_matches")  // (a match only hashes)
      CHECK(changers.count(e.need));
    if (e.need != "admin" && changers.count(e.need)) CHECK(!e.on.empty());
  }
  CHECK(publics == std::set<std::string>{"GET /", "GET /v3", "GET /v3/info", "GET /login", "POST /oauth/token",
                                         "DELETE /oauth/token/revoke/:token", "GET /api/v1/info"});
}

TEST_CASE("access: roles from the user's flag and role documents", "[access]") {
  test::TempDir tmp;
  kato::store::Store store(tmp.path() / "kato.db");
  store.put("organization", {{"guid", "o1"}, {"name", "kato"}});
  store.put("organization", {{"guid", "o2"}, {"name", "other"}});
  store.put("space", {{"guid", "s1"}, {"name", "dev"}, {"_org", "o1"}});
  store.put("space", {{"guid", "s2"}, {"name", "prod"}, {"_org", "o1"}});
  store.put("space", {{"guid", "s3"}, {"name", "x"}, {"_org", "o2"}});
  store.put("user", {{"guid", "admin"}, {"name", "admin"}});
  store.put("user", {{"guid", "dev"}, {"name", "dev"}, {"_admin", false}});
  store.put("role", {{"guid", "r0"}, {"type", "space_developer"}, {"_user", "dev"}, {"_space", "s1"}});
  store.put("user", {{"guid", "aud"}, {"name", "aud"}, {"_admin", false}});
  store.put("role", {{"guid", "r1"}, {"type", "space_auditor"}, {"_user", "aud"}, {"_space", "s2"}});
  store.put("role", {{"guid", "r2"}, {"type", "organization_manager"}, {"_user", "aud"}, {"_org", "o2"}});

  auto admin = load_caller(store, "admin");
  REQUIRE(admin);
  CHECK(admin->admin);
  auto dev = load_caller(store, "dev");
  REQUIRE(dev);
  CHECK_FALSE(dev->admin);
  CHECK(dev->sees_space("s1", "o1"));
  CHECK(dev->develops("s1"));
  CHECK_FALSE(dev->sees_space("s2", "o1"));
  CHECK(dev->sees_org("o1"));
  CHECK_FALSE(dev->sees_org("o2"));
  auto aud = load_caller(store, "aud");
  REQUIRE(aud);
  CHECK(aud->sees_space("s2", "o1"));
  CHECK_FALSE(aud->develops("s2"));
  CHECK(aud->sees_space("s3", "o2"));  // an organization manager sees its org's spaces
  CHECK_FALSE(aud->develops("s3"));
  CHECK_FALSE(load_caller(store, "gone"));

  store.put("app", {{"guid", "a1"}, {"_space", "s2"}});
  store.put("process", {{"guid", "p1"}, {"_app", "a1"}});
  auto place = place_of(store, On::Process, "p1");
  REQUIRE(place);
  CHECK(place->space == "s2");
  CHECK(place->org == "o1");
  CHECK_FALSE(place_of(store, On::App, "nope"));
}
