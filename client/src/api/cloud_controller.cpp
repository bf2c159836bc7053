#include "api/cloud_controller.hpp"

#include <algorithm>

#include "api/request.hpp"
#include "resources.hpp"

namespace stackato::client::api {

using json = nlohmann::json;

namespace {

// CAPI allows pages of up to 5000; kato of 5000 too. Fewer round trips for big foundations.
constexpr const char* kPage = "per_page=5000";


template <class T, class Parse>
std::vector<T> parsed(const json& list, Parse parse) {
  std::vector<T> out;
  for (const auto& item : list) out.push_back(parse(item));
  return out;
}


// GUIDs for a `*_guids` filter, each once, comma-joined, 100 to a request: a query string has a
// length limit (CAPI's nginx, proxies), and 100 GUIDs are about 3.7 KB.
std::vector<std::string> batches(std::vector<std::string> guids) {
  std::sort(guids.begin(), guids.end());
  guids.erase(std::unique(guids.begin(), guids.end()), guids.end());
  std::erase(guids, std::string());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < guids.size(); ++i) {
    if (i % 100 == 0) out.emplace_back();
    out.back() += (i % 100 ? "," : "") + q(guids[i]);
  }
  return out;
}

}  // namespace

json CloudController::list(const std::string& path) { return s_.list_all(path); }

void CloudController::follow(const std::string& method, const std::string& path, const json& body) {
  std::string location;
  s_.call(method, path, body, &location);
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

// Apps, processes and instances.

std::vector<App> CloudController::apps(const std::string& space_guid, const std::string& name) {
  std::string path = std::string("/v3/apps?order_by=name&") + kPage + "&space_guids=" + q(space_guid) +
                     (name.empty() ? "" : "&names=" + q(name));
  return parsed<App>(list(path), parse_app);
}

std::vector<App> CloudController::apps_by_guid(const std::vector<std::string>& guids) {
  std::vector<App> out;
  for (const auto& batch : batches(guids))
    for (auto& a : parsed<App>(list(std::string("/v3/apps?") + kPage + "&guids=" + batch), parse_app)) out.push_back(a);
  return out;
}

void CloudController::delete_app(const std::string& app_guid) { follow("DELETE", "/v3/apps/" + q(app_guid)); }

bool CloudController::offers_deployments() {
  try {
    s_.call("GET", "/v3/deployments?per_page=1");
    return true;
  } catch (const ApiError& e) {
    if (e.status == 404) return false;
    throw;
  }
}

Deployment CloudController::create_deployment(const std::string& app_guid, const std::string& droplet_guid) {
  json body = {{"droplet", {{"guid", droplet_guid}}},
               {"strategy", "rolling"},
               {"relationships", {{"app", {{"data", {{"guid", app_guid}}}}}}}};
  return parse_deployment(s_.call("POST", "/v3/deployments", body));
}

Deployment CloudController::deployment(const std::string& guid) {
  return parse_deployment(s_.call("GET", "/v3/deployments/" + q(guid)));
}

void CloudController::cancel_deployment(const std::string& guid) {
  s_.call("POST", "/v3/deployments/" + q(guid) + "/actions/cancel");
}

Process CloudController::app_process(const std::string& app_guid, const std::string& type) {
  return parse_process(s_.call("GET", "/v3/apps/" + q(app_guid) + "/processes/" + q(type)));
}

Process CloudController::scale(const std::string& process_guid, const Scale& scale) {
  json body = json::object();
  if (scale.instances) body["instances"] = *scale.instances;
  if (scale.memory_in_mb) body["memory_in_mb"] = *scale.memory_in_mb;
  if (scale.disk_in_mb) body["disk_in_mb"] = *scale.disk_in_mb;
  return parse_process(s_.call("POST", "/v3/processes/" + q(process_guid) + "/actions/scale", body));
}

App CloudController::app_action(const std::string& app_guid, const std::string& action) {
  return parse_app(s_.call("POST", "/v3/apps/" + q(app_guid) + "/actions/" + action));
}

std::map<std::string, std::string> CloudController::environment_variables(const std::string& app_guid) {
  json answer = s_.call("GET", "/v3/apps/" + q(app_guid) + "/environment_variables");
  const json var = answer.is_object() && answer.contains("var") ? answer["var"] : json::object();
  if (!var.is_object()) throw ShapeError("the app's environment variables in the target's answer are not an object");
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : var.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

void CloudController::update_environment_variables(const std::string& app_guid, const json& changes) {
  s_.call("PATCH", "/v3/apps/" + q(app_guid) + "/environment_variables", {{"var", changes}});
}

std::vector<Process> CloudController::space_processes(const std::string& space_guid, const std::string& type) {
  std::string path = std::string("/v3/processes?") + kPage + "&space_guids=" + q(space_guid) +
                     (type.empty() ? "" : "&types=" + q(type));
  return parsed<Process>(list(path), parse_process);
}

std::vector<std::vector<InstanceStats>> CloudController::process_stats(const std::vector<std::string>& process_guids) {
  std::vector<std::string> paths;
  for (const auto& g : process_guids) paths.push_back("/v3/processes/" + q(g) + "/stats");
  std::vector<std::vector<InstanceStats>> out;
  for (const auto& answer : s_.get_many(paths)) {
    if (!answer.contains("resources") || !answer["resources"].is_array())
      throw ShapeError("the target's process stats have no 'resources' list");
    out.push_back(parsed<InstanceStats>(answer["resources"], parse_instance_stats));
  }
  return out;
}

// Routes and domains.

std::vector<Route> CloudController::space_routes(const std::string& space_guid) {
  return parsed<Route>(list(std::string("/v3/routes?") + kPage + "&space_guids=" + q(space_guid)), parse_route);
}

std::vector<Route> CloudController::app_routes(const std::string& app_guid) {
  return parsed<Route>(list("/v3/apps/" + q(app_guid) + "/routes?" + kPage), parse_route);
}

std::vector<Domain> CloudController::domains() {
  return parsed<Domain>(list(std::string("/v3/domains?") + kPage), parse_domain);
}

std::optional<Domain> CloudController::domain_named(const std::string& name) {
  auto found = parsed<Domain>(list("/v3/domains?names=" + q(name)), parse_domain);
  for (auto& d : found)
    if (d.name == name) return d;
  return std::nullopt;
}

std::optional<Route> CloudController::find_route(const std::string& domain_guid, const std::string& host,
                                                 const std::string& path) {
  auto found = parsed<Route>(
      list("/v3/routes?domain_guids=" + q(domain_guid) + "&hosts=" + q(host) + "&paths=" + q(path)), parse_route);
  for (auto& r : found)
    if (r.domain_guid == domain_guid && r.host == host && r.path == path) return r;
  return std::nullopt;
}

Route CloudController::create_route(const std::string& space_guid, const std::string& domain_guid,
                                    const std::string& host, const std::string& path) {
  json body = {{"host", host}, {"relationships", {{"space", to_one(space_guid)}, {"domain", to_one(domain_guid)}}}};
  if (!path.empty()) body["path"] = path;
  return parse_route(s_.call("POST", "/v3/routes", body));
}

void CloudController::delete_route(const std::string& guid) { follow("DELETE", "/v3/routes/" + q(guid)); }

void CloudController::add_destination(const std::string& route_guid, const std::string& app_guid) {
  s_.call("POST", "/v3/routes/" + q(route_guid) + "/destinations",
          {{"destinations", json::array({{{"app", {{"guid", app_guid}}}}})}});
}

void CloudController::remove_destination(const std::string& route_guid, const std::string& destination_guid) {
  follow("DELETE", "/v3/routes/" + q(route_guid) + "/destinations/" + q(destination_guid));
}

// Services.

std::vector<ServiceInstance> CloudController::service_instances(const std::string& space_guid, const std::string& name) {
  std::string path = std::string("/v3/service_instances?order_by=name&") + kPage + "&space_guids=" + q(space_guid) +
                     (name.empty() ? "" : "&names=" + q(name));
  return parsed<ServiceInstance>(list(path), parse_service_instance);
}

std::vector<ServiceOffering> CloudController::service_offerings() {
  return parsed<ServiceOffering>(list(std::string("/v3/service_offerings?") + kPage), parse_service_offering);
}

std::vector<ServicePlan> CloudController::service_plans() {
  return parsed<ServicePlan>(list(std::string("/v3/service_plans?") + kPage), parse_service_plan);
}

std::vector<Binding> CloudController::app_bindings(const std::vector<std::string>& instance_guids) {
  std::vector<Binding> out;
  for (const auto& batch : batches(instance_guids))
    for (auto& b : parsed<Binding>(list(std::string("/v3/service_credential_bindings?type=app&") + kPage +
                                        "&service_instance_guids=" + batch),
                                   parse_binding))
      out.push_back(b);
  return out;
}

std::vector<Binding> CloudController::app_bindings(const std::string& app_guid, const std::string& instance_guid) {
  return parsed<Binding>(list("/v3/service_credential_bindings?type=app&app_guids=" + q(app_guid) +
                              "&service_instance_guids=" + q(instance_guid)),
                         parse_binding);
}

void CloudController::bind(const std::string& instance_guid, const std::string& app_guid) {
  follow("POST", "/v3/service_credential_bindings",
         {{"type", "app"}, {"relationships", {{"service_instance", to_one(instance_guid)}, {"app", to_one(app_guid)}}}});
}

void CloudController::delete_binding(const std::string& guid) {
  follow("DELETE", "/v3/service_credential_bindings/" + q(guid));
}

void CloudController::delete_service_instance(const std::string& guid) {
  follow("DELETE", "/v3/service_instances/" + q(guid));
}

void CloudController::rename_service_instance(const std::string& guid, const std::string& name) {
  follow("PATCH", "/v3/service_instances/" + q(guid), {{"name", name}});
}

std::vector<ServiceInstance> CloudController::bound_instances(const std::string& app_guid) {
  json included = json::object();
  auto bindings = parsed<Binding>(s_.list_all(std::string("/v3/service_credential_bindings?type=app&include=service_instance&") +
                                                  kPage + "&app_guids=" + q(app_guid),
                                              &included),
                                  parse_binding);
  if (included.contains("service_instances")) return parsed<ServiceInstance>(included["service_instances"], parse_service_instance);
  std::vector<std::string> guids;
  for (const auto& b : bindings) guids.push_back(b.instance_guid);
  std::vector<ServiceInstance> out;
  for (const auto& batch : batches(guids))
    for (auto& si : parsed<ServiceInstance>(list(std::string("/v3/service_instances?") + kPage + "&guids=" + batch),
                                            parse_service_instance))
      out.push_back(si);
  return out;
}

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
