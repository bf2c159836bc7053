// Migrations: a data dir of each older version becomes today's, once; a newer one is refused.

#include "model/schema.hpp"

#include <catch2/catch.hpp>

#include "controller/access.hpp"
#include "controller/controller.hpp"
#include "store/store.hpp"
#include "support.hpp"

using namespace kato;

namespace {
// The documents a version-1 kato left: an org, a space, and a user with `_spaces`.
void version_one(store::Store& store) {
  store.put("organization", {{"guid", "o1"}, {"name", "kato"}});
  store.put("space", {{"guid", "s1"}, {"name", "dev"}, {"_org", "o1"}});
  store.put("user", {{"guid", "admin"}, {"name", "admin"}});
  store.put("user", {{"guid", "old"}, {"name", "old"}, {"_admin", false}, {"_spaces", {"s1"}}});
}
}  // namespace

TEST_CASE("schema: a version-1 data dir becomes version 3 at start, once", "[schema]") {
  test::TempDir tmp;
  store::Store store(tmp.path() / "kato.db");
  version_one(store);
  CHECK(model::schema_version(store) == 1);
  auto applied = model::migrate(store);
  CHECK(applied.size() == 2);
  CHECK(model::schema_version(store) == model::kSchemaVersion);
  auto old = controller::load_caller(store, "old");
  REQUIRE(old);
  CHECK(old->develops("s1"));
  CHECK(old->org_roles["o1"].count("organization_user"));
  CHECK_FALSE(store.get("user", "old")->contains("_spaces"));
  CHECK(store.list("role").size() == 2);
  CHECK(model::migrate(store).empty());  // nothing twice
  CHECK(store.list("role").size() == 2);
}

TEST_CASE("schema: a version-2 data dir gets only migration 3", "[schema]") {
  test::TempDir tmp;
  store::Store store(tmp.path() / "kato.db");
  version_one(store);
  store.put("role", {{"guid", "r1"}, {"type", "space_auditor"}, {"_user", "old"}, {"_space", "s1"}});
  store.set_setting("schema_version", "2");
  auto applied = model::migrate(store);
  REQUIRE(applied.size() == 1);
  CHECK(applied[0].rfind("3:", 0) == 0);
  CHECK(store.get("user", "old")->contains("_spaces"));  // migration 2 did not run again
  auto old = controller::load_caller(store, "old");
  CHECK(old->org_roles["o1"].count("organization_user"));
}

TEST_CASE("schema: kato's start migrates (Controller::bootstrap) and a newer data dir is refused", "[schema]") {
  test::TempDir tmp;
  store::Store store(tmp.path() / "kato.db");
  version_one(store);
  controller::Controller::bootstrap(store, controller::Config{}, "admin", "admin-password");
  CHECK(model::schema_version(store) == model::kSchemaVersion);
  store.set_setting("schema_version", std::to_string(model::kSchemaVersion + 1));
  CHECK_THROWS_AS(controller::Controller::bootstrap(store, controller::Config{}, "admin", "x"), model::TooNew);
  store.set_setting("schema_version", "two");
  CHECK_THROWS_WITH(model::migrate(store), "the data dir's schema_version is not a number: 'two'");
}

TEST_CASE("schema: the migrations are in order and end at kSchemaVersion", "[schema]") {
  int last = 1;
  for (const auto& m : model::migrations()) {
    CHECK(m.to == last + 1);
    last = m.to;
  }
  CHECK(last == model::kSchemaVersion);
}
