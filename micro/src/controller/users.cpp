// Users and roles, as Cloud Controller has them (/v3/users, /v3/roles). kato is its own UAA too,
// so POST /v3/users also takes the password (CAPI takes the guid of a UAA user instead).

#include "controller/handlers.hpp"

namespace kato::controller {

namespace {

const std::set<std::string> kSpaceRoles = {"space_developer", "space_manager", "space_auditor", "space_supporter"};
const std::set<std::string> kOrgRoles = {"organization_user", "organization_manager", "organization_auditor",
                                         "organization_billing_manager"};

json present_user(const Call& c, const json& u) {
  std::string name = u.value("name", "");
  return {{"guid", u["guid"]}, {"username", name}, {"presentation_name", name}, {"origin", "uaa"},
          {"created_at", u.value("created_at", "")}, {"updated_at", u.value("updated_at", u.value("created_at", ""))},
          {"metadata", metadata()}, {"links", {{"self", link(c.api + "/v3/users/" + u["guid"].get<std::string>())}}}};
}

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
  // Giving roles: admins (organization and space managers, as on CF, later).
  add("POST", "/v3/roles", admin_only, [this](Call& c) {
    json body = c.body({"type", "relationships", "metadata"});
    std::string type = body.value("type", "");
    bool space_role = kSpaceRoles.count(type), org_role = kOrgRoles.count(type);
    if (!space_role && !org_role) throw unprocessable("Type must be one of the space or organization role types");
    const json* user_guid = at(body, "/relationships/user/data/guid");
    const json* username = at(body, "/relationships/user/data/username");
    const json* target = at(body, space_role ? "/relationships/space/data/guid" : "/relationships/organization/data/guid");
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
      role = {{"guid", auth::new_guid()}, {"type", type}, {"created_at", now}, {"updated_at", now},
              {"_user", (*user)["guid"]}, {field, *target}};
      store.put("role", role);
    });
    return http::Response::json(201, present_role(c, role));
  });
  add("DELETE", "/v3/roles/:guid", {Need::Admin, On::Role}, [this](Call& c) {
    c.allow_query({});
    if (!store.remove("role", c.param(0))) throw not_found("Role");
    return done_job(c, "role.delete", c.param(0));
  });
}

}  // namespace kato::controller
