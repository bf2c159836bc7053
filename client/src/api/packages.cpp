// What push calls beyond the listings: apps created and renamed, process settings, the default
// domain, resource matches, packages and their upload, builds, the current droplet.

#include "api/cloud_controller.hpp"
#include "api/request.hpp"
#include "resources.hpp"

namespace stackato::client::api {

using json = nlohmann::json;


std::string CloudController::server_version() {
  json info = s_.call("GET", "/v3/info");
  return info.is_object() && info.contains("version") && info["version"].is_string() ? info["version"].get<std::string>() : "";
}

std::vector<InstanceStats> CloudController::instance_stats(const std::string& process_guid) {
  return process_stats({process_guid}).front();
}

json CloudController::info() {
  json v3 = s_.call("GET", "/v3/info");
  return v3.is_object() ? v3 : json::object();
}

std::string CloudController::exec_path(const std::string& app_guid, int instance) {
  return "/v3/apps/" + q(app_guid) + "/processes/web/instances/" + std::to_string(instance) + "/exec";
}

App CloudController::app(const std::string& guid) { return parse_app(s_.call("GET", "/v3/apps/" + q(guid))); }

std::optional<App> CloudController::app_if_any(const std::string& guid) {
  if (guid.empty()) return std::nullopt;
  try {
    return app(guid);
  } catch (const ApiError& e) {
    if (e.status == 404) return std::nullopt;
    throw;
  }
}

std::optional<MemoryQuota> CloudController::organization_memory(const std::string& org_guid) {
  json quotas, usage;
  try {
    quotas = s_.call("GET", "/v3/organization_quotas?organization_guids=" + q(org_guid));
    usage = s_.call("GET", "/v3/organizations/" + q(org_guid) + "/usage_summary");
  } catch (const ApiError&) {
    return std::nullopt;
  }
  const json limit = json(quotas).value("/resources/0/apps/total_memory_in_mb"_json_pointer, json());
  if (!limit.is_number_integer()) return std::nullopt;
  const json used = json(usage).value("/usage_summary/memory_in_mb"_json_pointer, json(0));
  return MemoryQuota{limit.get<long>(), used.is_number_integer() ? used.get<long>() : 0};
}

App CloudController::create_app(const std::string& name, const std::string& space_guid,
                                const std::map<std::string, std::string>& env) {
  json body = {{"name", name}, {"relationships", {{"space", to_one(space_guid)}}}};
  if (!env.empty()) body["environment_variables"] = env;
  return parse_app(s_.call("POST", "/v3/apps", body));
}

App CloudController::rename_app(const std::string& guid, const std::string& name) {
  return parse_app(s_.call("PATCH", "/v3/apps/" + q(guid), {{"name", name}}));
}

Process CloudController::update_process(const std::string& guid, const std::optional<std::string>& command,
                                        const std::optional<json>& health_check) {
  json body = json::object();
  if (command) body["command"] = *command;
  if (health_check) body["health_check"] = *health_check;
  return parse_process(s_.call("PATCH", "/v3/processes/" + q(guid), body));
}

std::optional<Domain> CloudController::default_domain(const std::string& org_guid) {
  if (!org_guid.empty()) {
    try {
      return parse_domain(s_.call("GET", "/v3/organizations/" + q(org_guid) + "/domains/default"));
    } catch (const ApiError&) {  // older servers: the first domain below
    }
  }
  auto all = domains();
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::vector<std::pair<std::string, std::uint64_t>> CloudController::resource_matches(const json& resources) {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  json found = s_.call("POST", "/v3/resource_matches", {{"resources", resources}});
  if (!found.is_object() || !found.contains("resources") || !found["resources"].is_array()) return out;
  for (const auto& r : found["resources"]) {
    if (!r.is_object() || !r.contains("checksum") || !r["checksum"].is_object()) continue;
    auto size = r.contains("size_in_bytes") && r["size_in_bytes"].is_number_unsigned() ? r["size_in_bytes"].get<std::uint64_t>() : 0;
    out.emplace_back(r["checksum"].value("value", ""), size);
  }
  return out;
}

Package CloudController::create_package(const std::string& app_guid) {
  return parse_package(s_.call("POST", "/v3/packages", {{"type", "bits"}, {"relationships", {{"app", to_one(app_guid)}}}}));
}

Package CloudController::package(const std::string& guid) { return parse_package(s_.call("GET", "/v3/packages/" + q(guid))); }

std::optional<Package> CloudController::newest_package(const std::string& app_guid) {
  json page = s_.call("GET", "/v3/apps/" + q(app_guid) + "/packages?states=READY&order_by=-created_at&per_page=1");
  if (!page.is_object() || !page.contains("resources") || !page["resources"].is_array() || page["resources"].empty())
    return std::nullopt;
  return parse_package(page["resources"][0]);
}

void CloudController::upload_package(const std::string& guid, const std::vector<FormPart>& parts, const Progress& progress) {
  s_.post_form("/v3/packages/" + q(guid) + "/upload", parts, progress);
}

Build CloudController::create_build(const std::string& package_guid) {
  return parse_build(s_.call("POST", "/v3/builds", {{"package", {{"guid", package_guid}}}}));
}

Build CloudController::build(const std::string& guid) { return parse_build(s_.call("GET", "/v3/builds/" + q(guid))); }

void CloudController::set_current_droplet(const std::string& app_guid, const std::string& droplet_guid) {
  s_.call("PATCH", "/v3/apps/" + q(app_guid) + "/relationships/current_droplet", to_one(droplet_guid));
}

}  // namespace stackato::client::api
