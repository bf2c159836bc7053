#include "push/services.hpp"

#include <iostream>
#include <chrono>
#include <optional>
#include <thread>

#include "resources.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

struct Existing {
  json instance;
  std::string type, plan;  // offering and plan names; "user-provided" has no plan
};

std::optional<Existing> existing(Session& s, const std::string& name);

// An instance still being created is waited for; one whose creation failed says why.
json settled(Session& s, const std::string& name, json instance) {
  for (int i = 0; i < 600; ++i) {
    const json& op = instance.value("last_operation", json::object());
    std::string state = op.is_object() ? op.value("state", "succeeded") : "succeeded";
    if (state == "succeeded") return instance;
    if (state == "failed")
      throw ApiError(422, "service " + name + " is unusable: its " + op.value("type", std::string("create")) + " failed (" +
                              op.value("description", std::string()) + "); delete it with 'stackato delete-service " + name + "'");
    std::this_thread::sleep_for(std::chrono::milliseconds(i < 20 ? 250 : 1000));
    instance = s.call("GET", "/v3/service_instances/" + instance["guid"].get<std::string>());
  }
  throw ApiError(504, "service " + name + " is still being created");
}

std::optional<Existing> existing(Session& s, const std::string& name) {
  json found = s.call("GET", "/v3/service_instances?names=" + url_escape(name) + "&space_guids=" + space_of(s) +
                                 "&fields[service_plan]=guid,name&fields[service_plan.service_offering]=guid,name");
  if (found["resources"].empty()) return std::nullopt;
  Existing e{found["resources"][0], "", ""};
  if (e.instance["type"] == "user-provided") {
    e.type = "user-provided";
    return e;
  }
  const json& inc = found.value("included", json::object());
  std::string plan_guid = e.instance["relationships"]["service_plan"]["data"].value("guid", "");
  for (const auto& p : inc.value("service_plans", json::array()))
    if (p["guid"] == plan_guid) {
      e.plan = p["name"];
      std::string offering = p["relationships"]["service_offering"]["data"].value("guid", "");
      for (const auto& o : inc.value("service_offerings", json::array()))
        if (o["guid"] == offering) e.type = o["name"];
    }
  return e;
}

// The plan guid for a type: the named plan, else "default", else the only/first plan.
std::string plan_for(Session& s, const manifest::Service& svc) {
  json plans = s.list_all("/v3/service_plans?per_page=100&service_offering_names=" + url_escape(svc.type));
  if (plans.empty()) throw ApiError(422, "Unknown service type '" + svc.type + "' for service '" + svc.name + "' (see 'stackato marketplace')");
  std::string want = svc.plan.empty() ? "default" : svc.plan;
  std::vector<std::string> names;
  for (const auto& p : plans) {
    if (p["name"] == want) return p["guid"];
    names.push_back(p["name"]);
  }
  if (!svc.plan.empty()) {
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    throw ApiError(422, "Unknown plan '" + svc.plan + "' for a " + svc.type + " service; plans: " + all);
  }
  return plans[0]["guid"];
}

}  // namespace

json create_service(Session& s, const manifest::Service& svc) {
  json body = {{"name", svc.name}, {"relationships", {{"space", {{"data", {{"guid", space_of(s)}}}}}}}};
  if (!svc.tags.empty()) body["tags"] = svc.tags;
  if (svc.type == "user-provided") {
    body["type"] = "user-provided";
    body["credentials"] = svc.credentials;
  } else {
    body["type"] = "managed";
    body["relationships"]["service_plan"] = {{"data", {{"guid", plan_for(s, svc)}}}};
    if (!svc.parameters.empty()) body["parameters"] = svc.parameters;
  }
  std::cerr << "Creating " << svc.type << " service " << svc.name << "\n";
  std::string job;
  json created = s.call("POST", "/v3/service_instances", body, &job);
  if (!job.empty()) {  // managed: 202 and a job; the instance is usable once it completes
    try {
      wait_job(s, job);
    } catch (const ApiError&) {  // a failed instance we made is not left for the user to find
      if (auto e = existing(s, svc.name)) {
        std::string del;
        s.call("DELETE", "/v3/service_instances/" + e->instance["guid"].get<std::string>(), nullptr, &del);
        if (!del.empty()) wait_job(s, del);
      }
      throw;
    }
  }
  auto e = existing(s, svc.name);
  if (!e) throw ApiError(500, "service " + svc.name + " was not created");
  return e->instance;
}


bool ensure_services(Session& s, const json& app, const std::vector<manifest::Service>& services) {
  bool bound_any = false;
  std::string app_guid = app["guid"];
  for (const auto& svc : services) {
    json instance;
    if (auto e = existing(s, svc.name)) {
      // The original's conflict message; a CF name-only entry (no type) takes what exists.
      if (!svc.type.empty() && e->type != svc.type)
        throw ApiError(422, "The application's request for a " + svc.type + " service \"" + svc.name +
                                "\" conflicts with a " + (e->type.empty() ? "different" : e->type) + " service of the same name");
      if (!svc.plan.empty() && e->type != "user-provided" && e->plan != svc.plan)
        throw ApiError(422, "The application's request for plan '" + svc.plan + "' of service \"" + svc.name +
                                "\" conflicts with its plan '" + e->plan + "'");
      instance = settled(s, svc.name, e->instance);
    } else {
      if (svc.type.empty())
        throw ApiError(404, "Service '" + svc.name + "' does not exist; give its type in the manifest to create it");
      instance = create_service(s, svc);
    }
    std::string si = instance["guid"];
    json bindings = s.call("GET", "/v3/service_credential_bindings?type=app&app_guids=" + app_guid + "&service_instance_guids=" + si);
    if (!bindings["resources"].empty()) continue;
    std::cerr << "Binding " << svc.name << " to " << app["name"].get<std::string>() << "\n";
    std::string job;
    s.call("POST", "/v3/service_credential_bindings",
           {{"type", "app"}, {"relationships", {{"service_instance", {{"data", {{"guid", si}}}}}, {"app", {{"data", {{"guid", app_guid}}}}}}}},
           &job);
    if (!job.empty()) wait_job(s, job);
    bound_any = true;
  }
  return bound_any;
}

}  // namespace stackato::client
