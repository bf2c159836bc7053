// The typed V3 resources: the shapes CAPI documents (docs/v3 in cloudfoundry/cloud_controller_ng:
// the role, user, organization and space objects), what they may leave null, and one-line errors
// for what the client cannot use.

#include "api/model.hpp"

#include <catch2/catch.hpp>

#include "cli.hpp"

using namespace stackato::client;
using json = nlohmann::json;

TEST_CASE("api model: a role in an organization, space null, unknown fields ignored", "[api]") {
  json j = json::parse(R"({
    "guid": "40557c70-d1bd-4976-a2ab-a85f5e882418",
    "created_at": "2019-10-10T17:19:12Z", "updated_at": "2019-10-10T17:19:12Z",
    "type": "organization_auditor",
    "relationships": {
      "user": {"data": {"guid": "3a5d3d89-3f89-4f05-8188-8a2b298c79d5"}},
      "organization": {"data": {"guid": "05e5a3fd-1b40-4a1a-bd1c-9c1a7e2e4b0a"}},
      "space": {"data": null}
    },
    "links": {"self": {"href": "https://api.example.org/v3/roles/40557c70"}},
    "some_future_field": [1, 2, 3]
  })");
  auto r = api::parse_role(j);
  CHECK(r.type == "organization_auditor");
  CHECK(r.user_guid == "3a5d3d89-3f89-4f05-8188-8a2b298c79d5");
  CHECK(r.org_guid == "05e5a3fd-1b40-4a1a-bd1c-9c1a7e2e4b0a");
  CHECK(r.space_guid.empty());
  CHECK(!r.in_space());
}

TEST_CASE("api model: a role without a space relationship at all, and one in a space", "[api]") {
  auto r = api::parse_role(json::parse(R"({"guid":"g","type":"space_developer",
    "relationships":{"user":{"data":{"guid":"u"}},"space":{"data":{"guid":"s"}}}})"));
  CHECK(r.in_space());
  CHECK(r.space_guid == "s");
  CHECK(r.org_guid.empty());
}

TEST_CASE("api model: a user that is a UAA client has no username: its presentation name", "[api]") {
  auto person = api::parse_user(json::parse(R"({"guid":"u1","username":"some-name","presentation_name":"some-name",
    "origin":"uaa","metadata":{"labels":{},"annotations":{}}})"));
  CHECK(person.username == "some-name");
  CHECK(person.origin == "uaa");
  auto client = api::parse_user(json::parse(R"({"guid":"u2","username":null,"presentation_name":"my-client",
    "origin":null})"));
  CHECK(client.username == "my-client");
  CHECK(client.origin.empty());
}

TEST_CASE("api model: organizations and spaces", "[api]") {
  auto o = api::parse_organization(json::parse(R"({"guid":"o","name":"acme","suspended":true,
    "relationships":{"quota":{"data":{"guid":"q"}}}})"));
  CHECK(o.name == "acme");
  CHECK(o.suspended);
  auto s = api::parse_space(json::parse(R"({"guid":"s","name":"dev",
    "relationships":{"organization":{"data":{"guid":"o"}},"quota":{"data":null}}})"));
  CHECK(s.org_guid == "o");
}

TEST_CASE("api model: what the client needs and cannot use is one line naming resource and field", "[api]") {
  try {
    api::parse_space(json::parse(R"({"guid":"s","name":42})"));
    FAIL("no error");
  } catch (const api::ShapeError& e) {
    CHECK(std::string(e.what()) == "the space in the target's answer has no usable 'name' (a number)");
  }
  try {
    api::parse_organization(json::parse(R"({"name":"x"})"));
    FAIL("no error");
  } catch (const api::ShapeError& e) {
    CHECK(std::string(e.what()) == "the organization in the target's answer has no usable 'guid' (missing)");
  }
  CHECK_THROWS_AS(api::parse_role(json::parse(R"({"guid":"g","type":"space_developer"})")), api::ShapeError);
  CHECK_THROWS_AS(api::parse_user(json::parse("[]")), api::ShapeError);
}

TEST_CASE("api model: role names as cf and CAPI write them", "[api]") {
  CHECK(api::space_role_type("SpaceDeveloper") == "space_developer");
  CHECK(api::space_role_type("space_auditor") == "space_auditor");
  CHECK(api::org_role_type("OrgManager") == "organization_manager");
  CHECK(api::org_role_type("BillingManager") == "organization_billing_manager");
  CHECK(api::org_role_type("orgauditor") == "organization_auditor");
  CHECK(api::org_role_type("organization_user") == "organization_user");
  CHECK_THROWS_WITH(api::space_role_type("OrgManager"),
                    "unknown space role 'OrgManager': one of SpaceDeveloper, SpaceManager, SpaceAuditor, SpaceSupporter");
  CHECK_THROWS_AS(api::org_role_type("SpaceDeveloper"), UsageError);
  CHECK(api::role_title("organization_manager") == "OrgManager");
  CHECK(api::role_title("organization_billing_manager") == "BillingManager");
  CHECK(api::role_title("space_developer") == "SpaceDeveloper");
}
