// Users and roles, as Cloud Controller has them (/v3/users, /v3/roles). kato is its own UAA too,
// so POST /v3/users also takes the password (CAPI takes the guid of a UAA user instead).

#include "controller/handlers.hpp"

namespace kato::controller {

namespace {

const std::set<std::string> kSpaceRoles = {"space_developer", "space_manager", "space_auditor", "space_supporter"};
const std::set<std::string> kOrgRoles = {"organization_user", "organization_manager", "organization_auditor",
                                         "organization_billing_manager"};

}  // namespace

json present_user(const Call& c, const json& u) {
  std::string name = u.value("name", "");
  return {{"guid", u["guid"]}, {"username", name}, {"presentation_name", name}, {"origin", "uaa"},
          {"created_at", u.value("created_at", "")}, {"updated_at", u.value("updated_at", u.value("created_at", ""))},
          {"metadata", metadata()}, {"links", {{"self", link(c.api + "/v3/users/" + u["guid"].get<std::string>())}}}};
}

namespace {

json present_role(const Call& c, const json& r) {
  json out = public_view(r);
  std::string space = r.value("_space", ""), org = r.value("_org", "");
  out["relationships"] = {{"user", to_one(r.value("_user", ""))}, {"space", to_one(space)}, {"organization", to_one(org)}};
  out["links"] = {{"self", link(c.api + "/v3/roles/" + r["guid"].get<std::string>())},
                  {"user", link(c.api + "/v3/users/" + r.value("_user", ""))}};
  if (!space.empty()) out["links"]["space"] = link(c.api + "/v3/spaces/" + space);
  if (!org.empty()) out["links"]["organization"] = link(c.api + "/v3/organizations/" + org);
  return out;
}

const json* at(const json& body, const char* pointer) {
  json::json_pointer p(pointer);
  return body.contains(p) && body[p].is_string() ? &body[p] : nullptr;
}

}  // namespace

void Controller::Impl::add_user_routes() {
  add("GET", "/v3/users", signed_in, [this](Call& c) {
    c.allow_query({"guids", "usernames", "origins"});
    auto users = store.list("user");
    filter_in(users, c, "guids", "/guid");
    filter_in(users, c, "usernames", "/name");
    return paginate(c, users, "/v3/users", Visible::TheUser, [&](const json& u) { return present_user(c, u); });
  });
  add("GET", "/v3/users/:guid", read(On::User), [this](Call& c) {
    c.allow_query({});
    return http::Response::json(200, present_user(c, find("user", c.param(0), "User")));
  });
  add("POST", "/v3/users", admin_only, [this](Call& c) {
    json body = c.body({"username", "password", "origin", "guid", "metadata"});
    const json* name = at(body, "/username");
    const json* password = at(body, "/password");
    if (!name || name->get<std::string>().empty()) throw unprocessable("Username must be a non-empty string");
    if (!password || password->get<std::string>().size() < 8)
      throw unprocessable("Password must be a string of at least 8 characters");
    json user;
    store.transaction([&] {
      for (const auto& u : store.list("user"))
        if (u["name"] == *name) throw unprocessable("User with username '" + name->get<std::string>() + "' already exists.", 10016, "CF-UniquenessError");
      std::string now = now_iso();
      user = {{"guid", auth::new_guid()}, {"name", *name}, {"_password", auth::hash_password(*password)},
              {"_admin", false}, {"created_at", now}, {"updated_at", now}};
      store.put("user", user);
    });
    return http::Response::json(201, present_user(c, user));
  });
  add("DELETE", "/v3/users/:guid", {Need::Admin, On::User}, [this](Call& c) {
    c.allow_query({});
    store.transaction([&] {
      json user = find("user", c.param(0), "User");
      if (user.value("_admin", true)) {
        int admins = 0;
        for (const auto& u : store.list("user")) admins += u.value("_admin", true) ? 1 : 0;
        if (admins <= 1) throw unprocessable("The last admin cannot be deleted");
      }
      // Its roles and refresh tokens go with it; its access tokens fail at once (authorize()
      // finds no user).
      for (const auto& r : store.list("role"))
        if (r.value("_user", "") == user["guid"]) store.remove("role", r["guid"]);
      for (const auto& t : store.list("refresh_token"))
        if (t.value("_user", "") == user["guid"]) store.remove("refresh_token", t["guid"]);
      store.remove("user", user["guid"]);
    });
    return done_job(c, "user.delete", c.param(0));
  });

  add("GET", "/v3/roles", signed_in, [this](Call& c) {
    c.allow_query({"guids", "types", "user_guids", "space_guids", "organization_guids", "include"});
    if (auto inc = c.query("include")) throw bad_query("Invalid include: " + *inc);
    auto roles = store.list("role");
    filter_in(roles, c, "guids", "/guid");
    filter_in(roles, c, "types", "/type");
    filter_in(roles, c, "user_guids", "/_user");
    filter_in(roles, c, "space_guids", "/_space");
    filter_in(roles, c, "organization_guids", "/_org");
    return paginate(c, roles, "/v3/roles", Visible::Role, [&](const json& r) { return present_role(c, r); });
  });
  add("GET", "/v3/roles/:guid", read(On::Role), [this](Call& c) {
    c.allow_query({});
    return http::Response::json(200, present_role(c, find("role", c.param(0), "Role")));
  });
  // Giving roles: admins, an organization's managers (in it and its spaces), a space's managers
  // (in it), as on CF. Unlike CAPI, which refuses a space role to a user with no role in the
  // space's organization, kato gives that user organization_user too: one step, not two.
  constexpr Access role_place{Need::Manage, On::Space, "/relationships/space/data/guid", On::Org,
                              "/relationships/organization/data/guid"};
  add("POST", "/v3/roles", role_place, [this](Call& c) {
    json body = c.body({"type", "relationships", "metadata"});
    std::string type = body.value("type", "");
    bool space_role = kSpaceRoles.count(type), org_role = kOrgRoles.count(type);
    if (!space_role && !org_role) throw unprocessable("Type must be one of the space or organization role types");
    const json* user_guid = at(body, "/relationships/user/data/guid");
    const json* username = at(body, "/relationships/user/data/username");
    const json* space = at(body, "/relationships/space/data/guid");
    const json* org = at(body, "/relationships/organization/data/guid");
    // Authorization looked at the space first: a body naming both must not pass on one and
    // act on the other.
    if (space && org) throw unprocessable("A role belongs to a space or to an organization, not both");
    const json* target = space_role ? space : org;
    if (!target) throw unprocessable(std::string(space_role ? "Space" : "Organization") + " must be a to-one relationship");
    json role;
    store.transaction([&] {
      std::optional<json> user;
      for (const auto& u : store.list("user"))
        if ((user_guid && u["guid"] == *user_guid) || (username && u["name"] == *username)) user = u;
      if (!user) throw unprocessable("Invalid user. Ensure that the user exists and you have access to it.");
      auto place = store.get(space_role ? "space" : "organization", *target);
      if (!place)
        throw unprocessable(std::string("Invalid ") + (space_role ? "space" : "organization") +
                            ". Ensure that the " + (space_role ? "space" : "organization") + " exists and you have access to it.");
      const char* field = space_role ? "_space" : "_org";
      for (const auto& r : store.list("role"))
        if (r.value("_user", "") == (*user)["guid"] && r.value("type", "") == type && r.value(field, "") == *target)
          throw unprocessable("User '" + (*user)["name"].get<std::string>() + "' already has '" + type + "' role in " +
                              (space_role ? "space '" : "organization '") + (*place)["name"].get<std::string>() + "'.",
                              10008, "CF-UnprocessableEntity");
      std::string now = now_iso();
      if (space_role) {
        std::string in_org = (*place).value("_org", "");
        bool has_org_role = false;
        for (const auto& r : store.list("role"))
          has_org_role |= r.value("_user", "") == (*user)["guid"] && r.value("_org", "") == in_org;
        if (!has_org_role)
          store.put("role", {{"guid", auth::new_guid()}, {"type", "organization_user"}, {"created_at", now},
                             {"updated_at", now}, {"_user", (*user)["guid"]}, {"_org", in_org}});
      }
      role = {{"guid", auth::new_guid()}, {"type", type}, {"created_at", now}, {"updated_at", now},
              {"_user", (*user)["guid"]}, {field, *target}};
      store.put("role", role);
    });
    return http::Response::json(201, present_role(c, role));
  });
  add("DELETE", "/v3/roles/:guid", manage(On::Role), [this](Call& c) {
    c.allow_query({});
    store.transaction([&] {
      json role = find("role", c.param(0), "Role");
      // As CAPI: a user keeps its organization role while it holds roles in the org's spaces.
      if (role.value("type", "") == "organization_user") {
        std::string org = role.value("_org", ""), user = role.value("_user", "");
        for (const auto& r : store.list("role")) {
          if (r.value("_user", "") != user || r.value("_space", "").empty()) continue;
          auto space = store.get("space", r["_space"]);
          if (space && space->value("_org", "") == org)
            throw unprocessable("Cannot delete organization_user role while user has roles in spaces of the organization.");
        }
      }
      store.remove("role", role["guid"]);
    });
    return done_job(c, "role.delete", c.param(0));
  });

  // UAA's password change (what the original client's `passwd` calls): users change their own,
  // proving the old one; an admin may set anyone's. The user's refresh tokens are revoked, so
  // that a session opened with the old password does not outlive it.
  add("PUT", "/Users/:guid/password", {Need::Self, On::User}, [this](Call& c) {
    json body = json::parse(c.req.body, nullptr, false);
    if (!body.is_object() || !body.contains("password") || !body["password"].is_string())
      return http::Response::json(400, {{"error", "invalid_password"}, {"message", "The password is required"}});
    std::string password = body["password"];
    if (password.size() < 8)
      return http::Response::json(422, {{"error", "invalid_password"}, {"message", "Password must be at least 8 characters"}});
    json user = find("user", c.param(0), "User");
    if (c.caller->guid == user["guid"]) {
      std::string old = body.value("oldPassword", "");
      if (!auth::check_password(old, user["_password"]))
        return http::Response::json(401, {{"error", "unauthorized"}, {"message", "Old password is incorrect"}});
    }
    store.transaction([&] {
      json fresh = find("user", c.param(0), "User");
      fresh["_password"] = auth::hash_password(password);
      fresh["updated_at"] = now_iso();
      store.put("user", fresh);
      for (const auto& t : store.list("refresh_token"))
        if (t.value("_user", "") == fresh["guid"]) store.remove("refresh_token", t["guid"]);
    });
    return http::Response::json(200, {{"status", "ok"}, {"message", "password updated"}});
  });
}

}  // namespace kato::controller
