// Service offerings and plans (the marketplace), service instances and credential bindings;
// what managed instances need from the brokers is in brokered.cpp.

#include <set>

#include "controller/handlers.hpp"

namespace kato::controller {

namespace {

const std::initializer_list<std::string> kInstanceFields = {
    "names", "space_guids", "organization_guids", "type", "guids", "service_plan_guids", "service_plan_names",
    "label_selector", "fields[space]", "fields[space.organization]", "fields[service_plan]",
    "fields[service_plan.service_offering]", "fields[service_plan.service_offering.service_broker]"};

json present_instance(const Call& c, const json& si) {
  json out = public_view(si);
  std::string self = c.api + "/v3/service_instances/" + si["guid"].get<std::string>();
  out["relationships"] = {{"space", to_one(si["_space"])}};
  out["links"] = {{"self", link(self)}, {"space", link(c.api + "/v3/spaces/" + si["_space"].get<std::string>())},
                  {"service_credential_bindings", link(c.api + "/v3/service_credential_bindings?service_instance_guids=" + si["guid"].get<std::string>())}};
  if (si["type"] == "user-provided")
    out["links"]["credentials"] = link(self + "/credentials");
  else
    out["relationships"]["service_plan"] = to_one(si.value("_plan", std::string()));
  return out;
}

json present_offering(const Call& c, const json& o) {
  json out = public_view(o);
  std::string self = c.api + "/v3/service_offerings/" + o["guid"].get<std::string>();
  out["relationships"] = {{"service_broker", {{"data", {{"guid", "kato-brokers"}}}}}};
  out["links"] = {{"self", link(self)}, {"service_plans", link(c.api + "/v3/service_plans?service_offering_guids=" + o["guid"].get<std::string>())}};
  return out;
}

json present_plan(const Call& c, const json& p) {
  json out = public_view(p);
  out["relationships"] = {{"service_offering", to_one(p.value("_offering", std::string()))}};
  out["links"] = {{"self", link(c.api + "/v3/service_plans/" + p["guid"].get<std::string>())},
                  {"service_offering", link(c.api + "/v3/service_offerings/" + p.value("_offering", std::string()))}};
  return out;
}

json present_binding(const Call& c, const json& b) {
  json out = public_view(b);
  std::string self = c.api + "/v3/service_credential_bindings/" + b["guid"].get<std::string>();
  out["relationships"] = {{"app", to_one(b["_app"])}, {"service_instance", to_one(b["_instance"])}};
  out["links"] = {{"self", link(self)}, {"details", link(self + "/details")},
                  {"service_instance", link(c.api + "/v3/service_instances/" + b["_instance"].get<std::string>())},
                  {"app", link(c.api + "/v3/apps/" + b["_app"].get<std::string>())}};
  return out;
}

json operation(const std::string& type, const std::string& state, const std::string& now) {
  return {{"type", type}, {"state", state}, {"description", ""}, {"created_at", now}, {"updated_at", now}};
}

void check_tags_and_credentials(const json& body) {
  if (body.contains("tags")) {
    if (!body["tags"].is_array()) throw unprocessable("Tags must be a list of strings");
    for (const auto& t : body["tags"])
      if (!t.is_string()) throw unprocessable("Tags must be a list of strings");
  }
  if (body.contains("credentials") && !body["credentials"].is_object()) throw unprocessable("Credentials must be an object");
}

}  // namespace

void Controller::Impl::add_service_routes() {
  // The marketplace: filled by the service brokers.
  add("GET", "/v3/service_offerings", signed_in, [this](Call& c) {
    c.allow_query({"names", "available", "service_broker_guids", "service_broker_names", "space_guids",
                   "organization_guids", "fields[service_broker]", "label_selector"});
    auto offerings = store.list("service_offering");
    filter_in(offerings, c, "names", "/name");
    return paginate(c, offerings, "/v3/service_offerings", Visible::All, [&](const json& o) { return present_offering(c, o); });
  });
  add("GET", "/v3/service_offerings/:guid", signed_in, [this](Call& c) {
    c.allow_query({"fields[service_broker]"});
    return http::Response::json(200, present_offering(c, find("service_offering", c.param(0), "Service offering")));
  });
  add("GET", "/v3/service_plans/:guid", signed_in, [this](Call& c) {
    c.allow_query({"include", "fields[service_offering.service_broker]"});
    return http::Response::json(200, present_plan(c, find("service_plan", c.param(0), "Service plan")));
  });
  add("GET", "/v3/service_plans", signed_in, [this](Call& c) {
    c.allow_query({"names", "service_offering_names", "service_offering_guids", "service_broker_names",
                   "service_broker_guids", "include", "available", "space_guids", "organization_guids",
                   "fields[service_offering.service_broker]", "label_selector"});
    auto plans = store.list("service_plan");
    filter_in(plans, c, "names", "/name");
    filter_in(plans, c, "service_offering_names", "/_offering_name");
    filter_in(plans, c, "service_offering_guids", "/_offering");
    return paginate(c, plans, "/v3/service_plans", Visible::All, [&](const json& p) { return present_plan(c, p); });
  });

  add("GET", "/v3/service_instances", signed_in, [this](Call& c) {
    c.allow_query(kInstanceFields);
    auto list = store.list("service_instance");
    filter_in(list, c, "names", "/name");
    filter_in(list, c, "space_guids", "/_space");
    filter_in(list, c, "type", "/type");
    filter_in(list, c, "guids", "/guid");
    auto res = paginate(c, list, "/v3/service_instances", Visible::Space, [&](const json& si) { return present_instance(c, si); });
    // fields[service_plan] and fields[service_plan.service_offering]: the plans and offerings of
    // the listed instances in `included` (the cf CLI and our client read type and plan there).
    if (c.query("fields[service_plan]") || c.query("fields[service_plan.service_offering]")) {
      json body = json::parse(res.body);
      json plans = json::array(), offerings = json::array();
      std::set<std::string> seen;
      for (const auto& si : body["resources"]) {
        if (!si["relationships"].contains("service_plan")) continue;
        std::string pg = si["relationships"]["service_plan"]["data"].value("guid", "");
        auto plan = store.get("service_plan", pg);
        if (!plan || !seen.insert(pg).second) continue;
        plans.push_back({{"guid", pg}, {"name", (*plan)["name"]},
                         {"relationships", {{"service_offering", to_one((*plan).value("_offering", std::string()))}}}});
        if (auto o = store.get("service_offering", (*plan).value("_offering", std::string())); o && seen.insert((*o)["guid"]).second)
          offerings.push_back({{"guid", (*o)["guid"]}, {"name", (*o)["name"]}});
      }
      body["included"] = {{"service_plans", plans}, {"service_offerings", offerings}};
      res.body = body.dump();
    }
    return res;
  });
  add("GET", "/v3/service_instances/:guid", read(On::ServiceInstance), [this](Call& c) {
    c.allow_query({"fields[space]", "fields[space.organization]", "fields[service_plan]",
                   "fields[service_plan.service_offering]", "fields[service_plan.service_offering.service_broker]"});
    return http::Response::json(200, present_instance(c, find("service_instance", c.param(0), "Service instance")));
  });
  add("GET", "/v3/service_instances/:guid/credentials", secrets(On::ServiceInstance), [this](Call& c) {
    c.allow_query({});
    json si = find("service_instance", c.param(0), "Service instance");
    if (si["type"] != "user-provided") throw not_found("Service instance");
    return http::Response::json(200, si["_credentials"]);
  });

  add("POST", "/v3/service_instances", write_in(On::Space, "/relationships/space/data/guid"), [this](Call& c) {
    json body = c.body({"type", "name", "relationships", "credentials", "tags", "syslog_drain_url",
                        "route_service_url", "parameters", "metadata"});
    std::string type = body.value("type", "");
    if (type != "user-provided" && type != "managed") throw unprocessable("Type must be one of 'managed', 'user-provided'");
    if (!body.contains("name") || !body["name"].is_string() || body["name"].get<std::string>().empty())
      throw unprocessable("Name must be a non-empty string");
    std::string name = body["name"], space = to_one_guid(body, "space", "space");
    if (!store.get("space", space)) throw unprocessable("Invalid space. Ensure that the space exists and you have access to it.");
    check_tags_and_credentials(body);
    if (type == "managed") return create_managed(c, body, name, space);
    json si;
    store.transaction([&] {
      for (const auto& other : store.list("service_instance"))
        if (other["name"] == name && other["_space"] == space)
          throw unprocessable("The service instance name is taken: " + name, 60002, "CF-ServiceInstanceNameTaken");
      std::string now = now_iso();
      si = {{"guid", auth::new_guid()}, {"name", name}, {"type", "user-provided"},
            {"tags", body.value("tags", json::array())},
            {"syslog_drain_url", body.value("syslog_drain_url", json(nullptr))},
            {"route_service_url", body.value("route_service_url", json(nullptr))},
            {"last_operation", operation("create", "succeeded", now)}, {"created_at", now}, {"updated_at", now},
            {"metadata", body.value("metadata", metadata())}, {"_space", space},
            {"_credentials", body.value("credentials", json::object())}};
      store.put("service_instance", si);
    });
    return http::Response::json(201, present_instance(c, si));
  });

  add("PATCH", "/v3/service_instances/:guid", write(On::ServiceInstance), [this](Call& c) {
    json body = c.body({"name", "tags", "credentials", "syslog_drain_url", "route_service_url", "metadata"});
    check_tags_and_credentials(body);
    json si;
    store.transaction([&] {
      si = find("service_instance", c.param(0), "Service instance");
      if (si["type"] != "user-provided") throw unprocessable("Managed service instances cannot be updated yet");
      if (body.contains("name")) {
        if (!body["name"].is_string() || body["name"].get<std::string>().empty()) throw unprocessable("Name must be a non-empty string");
        for (const auto& other : store.list("service_instance"))
          if (other["name"] == body["name"] && other["_space"] == si["_space"] && other["guid"] != si["guid"])
            throw unprocessable("The service instance name is taken: " + body["name"].get<std::string>(), 60002,
                                "CF-ServiceInstanceNameTaken");
        si["name"] = body["name"];
      }
      if (body.contains("tags")) si["tags"] = body["tags"];
      if (body.contains("credentials")) {
        si["_credentials"] = body["credentials"];
        // Bindings of a user-provided instance carry its current credentials.
        for (auto b : store.list("binding"))
          if (b["_instance"] == si["guid"]) {
            b["_credentials"] = body["credentials"];
            store.put("binding", b);
          }
      }
      for (const char* k : {"syslog_drain_url", "route_service_url", "metadata"})
        if (body.contains(k)) si[k] = body[k];
      std::string now = now_iso();
      si["last_operation"] = operation("update", "succeeded", now);
      si["updated_at"] = now;
      store.put("service_instance", si);
    });
    return http::Response::json(200, present_instance(c, si));
  });

  add("DELETE", "/v3/service_instances/:guid", write(On::ServiceInstance), [this](Call& c) {
    c.allow_query({"purge"});
    json found = find("service_instance", c.param(0), "Service instance");
    if (found["type"] == "managed") return delete_managed(c, found);
    store.transaction([&] {
      for (const auto& b : store.list("binding"))
        if (b["_instance"] == c.param(0)) store.remove("binding", b["guid"]);
      store.remove("service_instance", c.param(0));
    });
    return http::Response::empty(204);
  });

  // Credential bindings
  add("POST", "/v3/service_credential_bindings", write_in(On::App, "/relationships/app/data/guid"), [this](Call& c) {
    json body = c.body({"type", "name", "relationships", "parameters", "metadata"});
    if (body.value("type", "") != "app") throw unprocessable("Type must be 'app'; service keys need a managed service");
    std::string instance = to_one_guid(body, "service_instance", "service_instance"), app_guid = to_one_guid(body, "app", "app");
    if (body.contains("name") && !body["name"].is_null() && !body["name"].is_string()) throw unprocessable("Name must be a string");
    json binding;
    std::string binding_guid = auth::new_guid();
    json managed_credentials;  // a user made by the broker, outside the store's transaction
    // The instance must be in the app's space before the broker makes anything for it (an
    // instance of a space the caller cannot see must not get a user made in its database).
    if (auto si = store.get("service_instance", instance), app = store.get("app", app_guid); si && app) {
      if ((*app)["_space"] != (*si)["_space"]) throw unprocessable("The service instance and the app are in different spaces");
    } else if (!si) {
      throw unprocessable("The service instance could not be found: " + instance);
    }
    if (auto si = store.get("service_instance", instance); si && (*si)["type"] == "managed") {
      for (const auto& b : store.list("binding"))
        if (b["_app"] == app_guid && b["_instance"] == instance)
          throw unprocessable("The app is already bound to the service instance", 90003, "CF-ServiceBindingAppServiceTaken");
      managed_credentials = bind_managed(*si, binding_guid);
    }
    store.transaction([&] {
      auto si = store.get("service_instance", instance);
      if (!si) throw unprocessable("The service instance could not be found: " + instance);
      auto app = store.get("app", app_guid);
      if (!app) throw unprocessable("The app could not be found: " + app_guid);
      if ((*app)["_space"] != (*si)["_space"]) throw unprocessable("The service instance and the app are in different spaces");
      if ((*si)["type"] == "user-provided" && body.contains("parameters"))
        throw unprocessable("Binding parameters are not supported for user-provided service instances");
      for (const auto& b : store.list("binding"))
        if (b["_app"] == app_guid && b["_instance"] == instance)
          throw unprocessable("The app is already bound to the service instance", 90003, "CF-ServiceBindingAppServiceTaken");
      std::string now = now_iso();
      binding = {{"guid", binding_guid}, {"type", "app"}, {"name", body.value("name", json(nullptr))},
                 {"last_operation", operation("create", "succeeded", now)}, {"created_at", now}, {"updated_at", now},
                 {"metadata", body.value("metadata", metadata())}, {"_app", app_guid}, {"_instance", instance},
                 {"_credentials", managed_credentials.is_null() ? (*si).value("_credentials", json::object()) : managed_credentials}};
      store.put("binding", binding);
    });
    return http::Response::json(201, present_binding(c, binding));
  });
  add("GET", "/v3/service_credential_bindings", signed_in, [this](Call& c) {
    c.allow_query({"app_guids", "service_instance_guids", "type", "include", "names", "guids", "label_selector",
                   "app_names", "service_instance_names"});
    auto list = store.list("binding");
    filter_in(list, c, "app_guids", "/_app");
    filter_in(list, c, "service_instance_guids", "/_instance");
    filter_in(list, c, "type", "/type");
    filter_in(list, c, "guids", "/guid");
    auto res = paginate(c, list, "/v3/service_credential_bindings", Visible::App, [&](const json& b) { return present_binding(c, b); });
    if (auto inc = c.query("include")) {
      json body = json::parse(res.body);
      json included = json::object();
      for (const auto& what : c.query_list("include")) {
        if (what != "app" && what != "service_instance") throw bad_query("Invalid include: " + what);
        json items = json::array();
        for (const auto& b : body["resources"]) {
          std::string g = b["relationships"][what]["data"]["guid"];
          if (what == "app") {
            if (auto a = store.get("app", g)) items.push_back(public_view(*a));
          } else if (auto si = store.get("service_instance", g)) {
            items.push_back(present_instance(c, *si));
          }
        }
        included[what == "app" ? "apps" : "service_instances"] = items;
      }
      body["included"] = included;
      res.body = body.dump();
    }
    return res;
  });
  add("GET", "/v3/service_credential_bindings/:guid", read(On::Binding), [this](Call& c) {
    c.allow_query({"include"});
    return http::Response::json(200, present_binding(c, find("binding", c.param(0), "Service credential binding")));
  });
  add("GET", "/v3/service_credential_bindings/:guid/details", secrets(On::Binding), [this](Call& c) {
    c.allow_query({});
    json b = find("binding", c.param(0), "Service credential binding");
    auto si = store.get("service_instance", b["_instance"]);
    return http::Response::json(200, {{"credentials", b["_credentials"]},
                                      {"syslog_drain_url", si ? (*si).value("syslog_drain_url", json(nullptr)) : json(nullptr)},
                                      {"volume_mounts", json::array()}});
  });
  add("DELETE", "/v3/service_credential_bindings/:guid", write(On::Binding), [this](Call& c) {
    c.allow_query({});
    json b = find("binding", c.param(0), "Service credential binding");
    unbind_managed(b);
    if (!store.remove("binding", c.param(0))) throw not_found("Service credential binding");
    return http::Response::empty(204);
  });
}

}  // namespace kato::controller
