// Service instances found by name and created (push's services step, create-service).

#include "api/cloud_controller.hpp"
#include "api/request.hpp"
#include "resources.hpp"

namespace stackato::client::api {

using json = nlohmann::json;

namespace {
// The name of an included resource by GUID ("" when the target did not include it).
std::string included_name(const json& included, const char* kind, const std::string& guid) {
  if (!included.is_object() || !included.contains(kind) || !included[kind].is_array()) return "";
  for (const auto& r : included[kind])
    if (r.is_object() && r.value("guid", "") == guid) return r.value("name", "");
  return "";
}

// The GUID a resource's to-one relationship names ("" for none).
std::string related_guid(const json& r, const char* name) {
  const json* d = nullptr;
  if (r.is_object() && r.contains("relationships") && r["relationships"].contains(name)) d = &r["relationships"][name];
  if (!d || !d->is_object() || !d->contains("data") || !(*d)["data"].is_object()) return "";
  return (*d)["data"].value("guid", "");
}
}  // namespace

std::optional<CloudController::NamedInstance> CloudController::service_instance_named(const std::string& space_guid,
                                                                                       const std::string& name) {
  json found = s_.call("GET", "/v3/service_instances?names=" + q(name) + "&space_guids=" + q(space_guid) +
                                  "&fields[service_plan]=guid,name,relationships.service_offering"
                                  "&fields[service_plan.service_offering]=guid,name");
  if (!found.is_object() || !found.contains("resources") || !found["resources"].is_array() || found["resources"].empty())
    return std::nullopt;
  NamedInstance out{parse_service_instance(found["resources"][0]), "", ""};
  if (out.instance.type == "user-provided") {
    out.offering = "user-provided";
    return out;
  }
  const json included = found.value("included", json::object());
  out.plan = included_name(included, "service_plans", out.instance.plan_guid);
  if (included.is_object() && included.contains("service_plans") && included["service_plans"].is_array())
    for (const auto& p : included["service_plans"])
      if (p.is_object() && p.value("guid", "") == out.instance.plan_guid)
        out.offering = included_name(included, "service_offerings", related_guid(p, "service_offering"));
  return out;
}

ServiceInstance CloudController::service_instance(const std::string& guid) {
  return parse_service_instance(s_.call("GET", "/v3/service_instances/" + q(guid)));
}

std::vector<ServicePlan> CloudController::plans_of_offering(const std::string& offering) {
  std::vector<ServicePlan> out;
  for (const auto& p : list("/v3/service_plans?per_page=5000&service_offering_names=" + q(offering))) out.push_back(parse_service_plan(p));
  return out;
}

void CloudController::create_managed_instance(const std::string& name, const std::string& space_guid,
                                              const std::string& plan_guid, const json& parameters,
                                              const std::vector<std::string>& tags) {
  json body = {{"type", "managed"}, {"name", name},
               {"relationships", {{"space", to_one(space_guid)}, {"service_plan", to_one(plan_guid)}}}};
  if (!tags.empty()) body["tags"] = tags;
  if (parameters.is_object() && !parameters.empty()) body["parameters"] = parameters;
  std::string job;
  s_.call("POST", "/v3/service_instances", body, &job);  // refused (a name taken): nothing was made
  if (job.empty()) return;
  try {
    wait_job(s_, job);
  } catch (const ApiError&) {  // made, then failed at the broker: not left for the user to find
    if (auto made = service_instance_named(space_guid, name)) delete_service_instance(made->instance.guid);
    throw;
  }
}

void CloudController::create_user_provided_instance(const std::string& name, const std::string& space_guid,
                                                    const json& credentials, const std::vector<std::string>& tags) {
  json body = {{"type", "user-provided"}, {"name", name}, {"relationships", {{"space", to_one(space_guid)}}},
               {"credentials", credentials}};
  if (!tags.empty()) body["tags"] = tags;
  s_.call("POST", "/v3/service_instances", body);
}

}  // namespace stackato::client::api
