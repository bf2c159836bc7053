#include "push/services.hpp"

#include <iostream>
#include <chrono>
#include <optional>
#include <thread>

#include "api/cloud_controller.hpp"
#include "push/events.hpp"
#include "resources.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

// An instance still being created is waited for; one whose creation failed says why.
api::ServiceInstance settled(api::CloudController& cc, const std::string& name, api::ServiceInstance instance) {
  for (int i = 0; i < 600; ++i) {
    if (instance.usable()) return instance;
    if (instance.failed())
      throw ApiError(422, "service " + name + " is unusable: its " + (instance.operation.empty() ? "create" : instance.operation) +
                              " failed (" + instance.operation_description + "); delete it with 'stackato delete-service " + name + "'");
    std::this_thread::sleep_for(std::chrono::milliseconds(i < 20 ? 250 : 1000));
    instance = cc.service_instance(instance.guid);
  }
  throw ApiError(504, "service " + name + " is still being created");
}

// The plan for a type: the named plan, else "default", else the only/first plan.
std::string plan_for(api::CloudController& cc, const manifest::Service& svc) {
  auto plans = cc.plans_of_offering(svc.type);
  if (plans.empty()) throw ApiError(422, "Unknown service type '" + svc.type + "' for service '" + svc.name + "' (see 'stackato marketplace')");
  std::string want = svc.plan.empty() ? "default" : svc.plan;
  std::string all;
  for (const auto& p : plans) {
    if (p.name == want) return p.guid;
    all += (all.empty() ? "" : ", ") + p.name;
  }
  if (!svc.plan.empty()) throw ApiError(422, "Unknown plan '" + svc.plan + "' for a " + svc.type + " service; plans: " + all);
  return plans.front().guid;
}

}  // namespace

json create_service(Session& s, const manifest::Service& svc) {
  api::CloudController cc(s);
  std::string space = space_of(s);
  emit(PushEvent::CreatingService, "", svc.type + " service " + svc.name);
  if (svc.type == "user-provided") {
    cc.create_user_provided_instance(svc.name, space, svc.credentials, svc.tags);
  } else {
    cc.create_managed_instance(svc.name, space, plan_for(cc, svc), svc.parameters, svc.tags);
  }
  auto e = cc.service_instance_named(space, svc.name);
  if (!e) throw ApiError(500, "service " + svc.name + " was not created");
  return {{"guid", e->instance.guid}, {"name", e->instance.name}, {"type", e->instance.type}};
}

bool ensure_services(Session& s, const api::App& app, const std::vector<manifest::Service>& services) {
  api::CloudController cc(s);
  bool bound_any = false;
  std::string app_guid = app.guid, space = space_of(s);
  for (const auto& svc : services) {
    std::string instance;
    if (auto e = cc.service_instance_named(space, svc.name)) {
      // The original's conflict message; a CF name-only entry (no type) takes what exists.
      if (!svc.type.empty() && e->offering != svc.type)
        throw ApiError(422, "The application's request for a " + svc.type + " service \"" + svc.name +
                                "\" conflicts with a " + (e->offering.empty() ? "different" : e->offering) + " service of the same name");
      if (!svc.plan.empty() && e->offering != "user-provided" && e->plan != svc.plan)
        throw ApiError(422, "The application's request for plan '" + svc.plan + "' of service \"" + svc.name +
                                "\" conflicts with its plan '" + e->plan + "'");
      instance = settled(cc, svc.name, e->instance).guid;
    } else {
      if (svc.type.empty())
        throw ApiError(404, "Service '" + svc.name + "' does not exist; give its type in the manifest to create it");
      instance = create_service(s, svc)["guid"];
    }
    if (!cc.app_bindings(app_guid, instance).empty()) continue;
    emit(PushEvent::BindingService, app.name, svc.name);
    cc.bind(instance, app_guid);
    bound_any = true;
  }
  return bound_any;
}

}  // namespace stackato::client
