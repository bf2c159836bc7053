#include "api/cloud_controller.hpp"

#include "resources.hpp"

namespace stackato::client::api {

using json = nlohmann::json;

namespace {

// CAPI allows pages of up to 5000; kato of 5000 too. Fewer round trips for big foundations.
constexpr const char* kPage = "per_page=5000";

std::string q(const std::string& value) { return url_escape(value); }

template <class T, class Parse>
std::vector<T> parsed(const json& list, Parse parse) {
  std::vector<T> out;
  for (const auto& item : list) out.push_back(parse(item));
  return out;
}

json to_one(const std::string& guid) { return {{"data", {{"guid", guid}}}}; }

}  // namespace

json CloudController::list(const std::string& path) { return s_.list_all(path); }

void CloudController::follow(const std::string& method, const std::string& path) {
  std::string location;
  s_.call(method, path, nullptr, &location);
  if (!location.empty()) wait_job(s_, location);
}

long CloudController::total(const std::string& path) {
  json page = s_.call("GET", path);
  const json* n = page.contains("pagination") ? &page["pagination"] : nullptr;
  if (!n || !n->contains("total_results") || !(*n)["total_results"].is_number_integer())
    throw ShapeError("the target's list has no pagination.total_results");
  return (*n)["total_results"];
}

bool CloudController::has_current_droplet(const std::string& app_guid) {
  try {
    s_.call("GET", "/v3/apps/" + app_guid + "/droplets/current");
    return true;
  } catch (const ApiError& e) {
    if (e.status == 404) return false;
    throw;
  }
}

std::vector<Organization> CloudController::organizations(const std::string& name) {
  std::string path = std::string("/v3/organizations?") + kPage + (name.empty() ? "" : "&names=" + q(name));
  return parsed<Organization>(list(path), parse_organization);
}

Organization CloudController::organization(const std::string& guid) {
  return parse_organization(s_.call("GET", "/v3/organizations/" + q(guid)));
}

Organization CloudController::create_organization(const std::string& name) {
  return parse_organization(s_.call("POST", "/v3/organizations", {{"name", name}}));
}

Organization CloudController::rename_organization(const std::string& guid, const std::string& name) {
  return parse_organization(s_.call("PATCH", "/v3/organizations/" + q(guid), {{"name", name}}));
}

void CloudController::delete_organization(const std::string& guid) { follow("DELETE", "/v3/organizations/" + q(guid)); }

std::vector<Space> CloudController::spaces(const std::string& org_guid, const std::string& name) {
  std::string path = std::string("/v3/spaces?") + kPage + (org_guid.empty() ? "" : "&organization_guids=" + q(org_guid)) +
                     (name.empty() ? "" : "&names=" + q(name));
  return parsed<Space>(list(path), parse_space);
}

Space CloudController::create_space(const std::string& org_guid, const std::string& name) {
  return parse_space(
      s_.call("POST", "/v3/spaces", {{"name", name}, {"relationships", {{"organization", to_one(org_guid)}}}}));
}

Space CloudController::rename_space(const std::string& guid, const std::string& name) {
  return parse_space(s_.call("PATCH", "/v3/spaces/" + q(guid), {{"name", name}}));
}

void CloudController::delete_space(const std::string& guid) { follow("DELETE", "/v3/spaces/" + q(guid)); }

long CloudController::count_apps(const std::string& space_guid) {
  return total("/v3/apps?per_page=1&space_guids=" + q(space_guid));
}

long CloudController::count_service_instances(const std::string& space_guid) {
  return total("/v3/service_instances?per_page=1&space_guids=" + q(space_guid));
}

std::vector<User> CloudController::users(const std::string& username) {
  std::string path = std::string("/v3/users?") + kPage + (username.empty() ? "" : "&usernames=" + q(username));
  return parsed<User>(list(path), parse_user);
}

User CloudController::create_user(const std::string& username, const std::string& password) {
  // CAPI makes the Cloud Controller's record of a UAA user by guid; kato, its own UAA, takes the
  // name and password in the same call. The password goes in the body, never in a URL.
  return parse_user(s_.call("POST", "/v3/users", {{"username", username}, {"password", password}}));
}

void CloudController::delete_user(const std::string& guid) { follow("DELETE", "/v3/users/" + q(guid)); }

std::vector<User> CloudController::space_users(const std::string& space_guid) {
  return parsed<User>(list("/v3/spaces/" + q(space_guid) + "/users?" + kPage), parse_user);
}

std::vector<User> CloudController::organization_users(const std::string& org_guid) {
  return parsed<User>(list("/v3/organizations/" + q(org_guid) + "/users?" + kPage), parse_user);
}

std::vector<Role> CloudController::roles(const RoleFilter& f) {
  std::string path = std::string("/v3/roles?") + kPage;
  if (!f.user_guid.empty()) path += "&user_guids=" + q(f.user_guid);
  if (!f.space_guid.empty()) path += "&space_guids=" + q(f.space_guid);
  if (!f.org_guid.empty()) path += "&organization_guids=" + q(f.org_guid);
  if (!f.type.empty()) path += "&types=" + q(f.type);
  return parsed<Role>(list(path), parse_role);
}

Role CloudController::create_space_role(const std::string& type, const std::string& username,
                                        const std::string& space_guid) {
  json body = {{"type", type},
               {"relationships", {{"user", {{"data", {{"username", username}}}}}, {"space", to_one(space_guid)}}}};
  return parse_role(s_.call("POST", "/v3/roles", body));
}

Role CloudController::create_org_role(const std::string& type, const std::string& username,
                                      const std::string& org_guid) {
  json body = {{"type", type},
               {"relationships", {{"user", {{"data", {{"username", username}}}}}, {"organization", to_one(org_guid)}}}};
  return parse_role(s_.call("POST", "/v3/roles", body));
}

void CloudController::delete_role(const std::string& guid) { follow("DELETE", "/v3/roles/" + q(guid)); }

void change_password(Session& session, const std::string& user_guid, const std::string& old_password,
                     const std::string& new_password) {
  const json& links = session.root()["links"];
  std::string uaa = session.target();
  if (links.contains("uaa") && links["uaa"].is_object() && links["uaa"].contains("href") && links["uaa"]["href"].is_string())
    uaa = links["uaa"]["href"];
  session.call("PUT", uaa + "/Users/" + q(user_guid) + "/password",
               {{"oldPassword", old_password}, {"password", new_password}});
}

}  // namespace stackato::client::api
