// Apps, their environment, processes and current droplet.

#include "controller/handlers.hpp"
#include "runner/env.hpp"
#include "runner/runner.hpp"

namespace kato::controller {

namespace {

json present_app(const Call& c, const json& a) {
  json out = public_view(a);
  std::string self = c.api + "/v3/apps/" + a["guid"].get<std::string>();
  out["relationships"] = {{"space", to_one(a["_space"])}};
  out["links"] = {{"self", link(self)},
                  {"space", link(c.api + "/v3/spaces/" + a["_space"].get<std::string>())},
                  {"processes", link(self + "/processes")},
                  {"packages", link(self + "/packages")},
                  {"environment_variables", link(self + "/environment_variables")},
                  {"current_droplet", link(self + "/droplets/current")},
                  {"droplets", link(self + "/droplets")},
                  {"tasks", link(self + "/tasks")},
                  {"start", link(self + "/actions/start", "POST")},
                  {"stop", link(self + "/actions/stop", "POST")},
                  {"revisions", link(self + "/revisions")},
                  {"deployed_revisions", link(self + "/revisions/deployed")},
                  {"features", link(self + "/features")}};
  return out;
}

json present_process(const Call& c, const json& p) {
  json out = public_view(p);
  std::string self = c.api + "/v3/processes/" + p["guid"].get<std::string>();
  out["relationships"] = {{"app", to_one(p["_app"])}, {"revision", {{"data", nullptr}}}};
  out["links"] = {{"self", link(self)},
                  {"scale", link(self + "/actions/scale", "POST")},
                  {"app", link(c.api + "/v3/apps/" + p["_app"].get<std::string>())},
                  {"space", link(c.api + "/v3/spaces/" + p.value("_space", std::string()))},
                  {"stats", link(self + "/stats")}};
  return out;
}

// A process in a list: CAPI hides commands there (they may hold secrets); GET of one shows it.
json present_listed_process(const Call& c, const json& p) {
  json out = present_process(c, p);
  if (!out["command"].is_null()) out["command"] = "[PRIVATE DATA HIDDEN IN LISTS]";
  return out;
}

void check_env(const json& vars, bool allow_null) {
  if (!vars.is_object()) throw unprocessable("Environment variables must be an object");
  for (const auto& [k, v] : vars.items()) {
    if (k.rfind("VCAP_", 0) == 0) throw unprocessable("Environment variable names cannot start with VCAP_");
    if (k == "PORT") throw unprocessable("Environment variable names cannot be PORT");
    if (k.empty()) throw unprocessable("Environment variable names cannot be empty");
    if (!(v.is_string() || (allow_null && v.is_null())))
      throw unprocessable("Environment variable values must be strings: " + k);
  }
}

}  // namespace

void Controller::Impl::add_app_routes() {
  add("GET", "/v3/apps", signed_in, [this](Call& c) {
    c.allow_query({"names", "guids", "space_guids", "organization_guids", "stacks", "include", "label_selector",
                   "lifecycle_type"});
    if (c.query("include")) throw bad_query("include is not supported on apps");
    auto apps = store.list("app");
    filter_in(apps, c, "names", "/name");
    filter_in(apps, c, "guids", "/guid");
    filter_in(apps, c, "space_guids", "/_space");
    return paginate(c, apps, "/v3/apps", Visible::Space, [&](const json& a) { return present_app(c, a); });
  });

  add("POST", "/v3/apps", write_in(On::Space, "/relationships/space/data/guid"), [this](Call& c) {
    json body = c.body({"name", "relationships", "environment_variables", "lifecycle", "metadata"});
    if (!body.contains("name") || !body["name"].is_string() || body["name"].get<std::string>().empty())
      throw unprocessable("Name must be a non-empty string");
    std::string name = body["name"], space = to_one_guid(body, "space", "Space");
    if (!store.get("space", space)) throw unprocessable("Invalid space. Ensure that the space exists and you have access to it.");
    json env = body.value("environment_variables", json::object());
    check_env(env, false);
    json created;
    store.transaction([&] {
      for (const auto& a : store.list("app"))
        if (a["name"] == name && a["_space"] == space)
          throw unprocessable("App with the name '" + name + "' already exists.", 10016, "CF-UniquenessError");
      std::string now = now_iso(), guid = auth::new_guid();
      json lifecycle = {{"type", "buildpack"}, {"data", {{"buildpacks", json::array()}, {"stack", "cflinuxfs4"}}}};
      if (body.contains("lifecycle") && body["lifecycle"].is_object()) lifecycle.update(body["lifecycle"]);
      created = {{"guid", guid}, {"name", name}, {"state", "STOPPED"}, {"created_at", now}, {"updated_at", now},
                 {"lifecycle", lifecycle}, {"metadata", body.value("metadata", metadata())},
                 {"_space", space}, {"_env", env}, {"_droplet", ""}};
      store.put("app", created);
      // CC gives every new app a web process at once.
      store.put("process", {{"guid", auth::new_guid()}, {"type", "web"}, {"command", nullptr}, {"instances", 1},
                            {"memory_in_mb", config.default_memory_mb}, {"disk_in_mb", config.default_disk_mb},
                            {"log_rate_limit_in_bytes_per_second", -1},
                            {"health_check", {{"type", "port"}, {"data", {{"timeout", nullptr}, {"invocation_timeout", nullptr}, {"interval", nullptr}}}}},
                            {"readiness_health_check", {{"type", "process"}, {"data", {{"invocation_timeout", nullptr}, {"interval", nullptr}}}}},
                            {"version", auth::new_guid()}, {"created_at", now}, {"updated_at", now},
                            {"metadata", metadata()}, {"_app", guid}, {"_space", space}});
    });
    event(c, created["guid"], "Created app " + name);
    return http::Response::json(201, present_app(c, created));
  });

  add("GET", "/v3/apps/:guid", read(On::App), [this](Call& c) {
    c.allow_query({"include"});
    return http::Response::json(200, present_app(c, find("app", c.param(0), "App")));
  });

  add("PATCH", "/v3/apps/:guid", write(On::App), [this](Call& c) {
    json body = c.body({"name", "lifecycle", "metadata"});
    json app;
    store.transaction([&] {
      app = find("app", c.param(0), "App");
      if (body.contains("name")) {
        if (!body["name"].is_string() || body["name"].get<std::string>().empty())
          throw unprocessable("Name must be a non-empty string");
        for (const auto& a : store.list("app"))
          if (a["name"] == body["name"] && a["_space"] == app["_space"] && a["guid"] != app["guid"])
            throw unprocessable("App with the name '" + body["name"].get<std::string>() + "' already exists.", 10016,
                                "CF-UniquenessError");
        app["name"] = body["name"];
      }
      if (body.contains("lifecycle")) {
        if (!body["lifecycle"].is_object() || !body["lifecycle"].contains("data"))
          throw unprocessable("Lifecycle data must be an object");
        if (body["lifecycle"].value("type", app["lifecycle"]["type"].get<std::string>()) != app["lifecycle"]["type"])
          throw unprocessable("Lifecycle type cannot be changed");
        app["lifecycle"]["data"].update(body["lifecycle"]["data"]);
      }
      if (body.contains("metadata")) app["metadata"] = body["metadata"];
      app["updated_at"] = now_iso();
      store.put("app", app);
    });
    return http::Response::json(200, present_app(c, app));
  });

  add("DELETE", "/v3/apps/:guid", write(On::App), [this](Call& c) {
    c.allow_query({});
    std::string guid = c.param(0);
    delete_app(guid);
    return done_job(c, "app.delete", guid);
  });

  auto set_state = [this](const std::string& guid, const std::string& state, bool need_droplet, bool apply = true) {
    json app;
    store.transaction([&] {
      app = find("app", guid, "App");
      if (need_droplet && app["_droplet"].get<std::string>().empty())
        throw unprocessable("Assign a droplet before starting this app.");
      app["state"] = state;
      app["updated_at"] = now_iso();
      store.put("app", app);
    });
    if (apply) reconcile(guid);
    return app;
  };
  add("POST", "/v3/apps/:guid/actions/start", write(On::App), [this, set_state](Call& c) {
    json app = set_state(c.param(0), "STARTED", true);
    event(c, c.param(0), "Started app");
    return http::Response::json(200, present_app(c, app));
  });
  add("POST", "/v3/apps/:guid/actions/stop", write(On::App), [this, set_state](Call& c) {
    json app = set_state(c.param(0), "STOPPED", false);
    event(c, c.param(0), "Stopped app");
    return http::Response::json(200, present_app(c, app));
  });
  add("POST", "/v3/apps/:guid/actions/restart", write(On::App), [this, set_state](Call& c) {
    json app = set_state(c.param(0), "STARTED", true, false);
    if (backends.runner) backends.runner->restart(c.param(0));
    event(c, c.param(0), "Restarted app");
    return http::Response::json(200, present_app(c, app));
  });

  add("GET", "/v3/apps/:guid/environment_variables", secrets(On::App), [this](Call& c) {
    c.allow_query({});
    json app = find("app", c.param(0), "App");
    return http::Response::json(200, {{"var", app["_env"]},
                                      {"links", {{"self", link(c.api + "/v3/apps/" + c.param(0) + "/environment_variables")},
                                                 {"app", link(c.api + "/v3/apps/" + c.param(0))}}}});
  });
  add("PATCH", "/v3/apps/:guid/environment_variables", write(On::App), [this](Call& c) {
    json body = c.body({"var"});
    if (!body.contains("var")) throw unprocessable("Var must be an object");
    check_env(body["var"], true);
    json app;
    store.transaction([&] {
      app = find("app", c.param(0), "App");
      for (const auto& [k, v] : body["var"].items()) {
        if (v.is_null())
          app["_env"].erase(k);
        else
          app["_env"][k] = v;
      }
      app["updated_at"] = now_iso();
      store.put("app", app);
    });
    std::string names;  // names only: values may be secrets
    for (const auto& [k, v] : body["var"].items()) names += (names.empty() ? "" : ", ") + k;
    event(c, c.param(0), "Updated environment variables: " + names);
    return http::Response::json(200, {{"var", app["_env"]},
                                      {"links", {{"self", link(c.api + "/v3/apps/" + c.param(0) + "/environment_variables")},
                                                 {"app", link(c.api + "/v3/apps/" + c.param(0))}}}});
  });
  add("GET", "/v3/apps/:guid/env", secrets(On::App), [this](Call& c) {
    c.allow_query({});
    json app = find("app", c.param(0), "App");
    json vcap_app = runner::vcap_application(store, model::parse_app(app), c.api);
    return http::Response::json(200, {{"environment_variables", app["_env"]},
                                      {"staging_env_json", json::object()},
                                      {"running_env_json", json::object()},
                                      {"system_env_json", {{"VCAP_SERVICES", runner::service_env(store, app["guid"]).vcap_services}}},
                                      {"application_env_json", {{"VCAP_APPLICATION", vcap_app}}}});
  });

  // Processes
  add("GET", "/v3/apps/:guid/processes", read(On::App), [this](Call& c) {
    c.allow_query({"types", "guids"});
    find("app", c.param(0), "App");
    auto ps = store.list("process");
    std::erase_if(ps, [&](const json& p) { return p["_app"] != c.param(0); });
    filter_in(ps, c, "types", "/type");
    filter_in(ps, c, "guids", "/guid");
    return paginate(c, ps, "/v3/apps/" + c.param(0) + "/processes", Visible::App,
                    [&](const json& p) { return present_listed_process(c, p); });
  });
  // Every process the caller sees, as CAPI lists them: how `stackato apps` gets the web
  // processes of a whole space in one request instead of one per app.
  add("GET", "/v3/processes", signed_in, [this](Call& c) {
    c.allow_query({"types", "guids", "app_guids", "space_guids"});
    auto ps = store.list("process");
    filter_in(ps, c, "types", "/type");
    filter_in(ps, c, "guids", "/guid");
    filter_in(ps, c, "app_guids", "/_app");
    filter_in(ps, c, "space_guids", "/_space");
    return paginate(c, ps, "/v3/processes", Visible::App,
                    [&](const json& p) { return present_listed_process(c, p); });
  });
  auto process_of = [this](const std::string& app, const std::string& type) {
    find("app", app, "App");
    for (const auto& p : store.list("process"))
      if (p["_app"] == app && p["type"] == type) return p;
    throw not_found("Process");
  };
  add("GET", "/v3/apps/:guid/processes/:type", read(On::App), [process_of](Call& c) {
    c.allow_query({});
    return http::Response::json(200, present_process(c, process_of(c.param(0), c.param(1))));
  });
  add("GET", "/v3/processes/:guid", read(On::Process), [this](Call& c) {
    c.allow_query({});
    return http::Response::json(200, present_process(c, find("process", c.param(0), "Process")));
  });

  auto scale = [this](Call& c, json process) {
    json body = c.body({"instances", "memory_in_mb", "disk_in_mb", "log_rate_limit_in_bytes_per_second"});
    auto number = [&](const char* key, long min) {
      if (!body.contains(key)) return;
      if (!body[key].is_number_integer() || body[key].get<long>() < min)
        throw unprocessable(std::string(key) + " must be an integer >= " + std::to_string(min));
      process[key] = body[key];
    };
    number("instances", 0);
    number("memory_in_mb", 1);
    number("disk_in_mb", 1);
    number("log_rate_limit_in_bytes_per_second", -1);
    process["updated_at"] = now_iso();
    store.put("process", process);
    reconcile(process["_app"]);  // instance count changes at once; memory and disk at restart
    event(c, process["_app"], "Scaled " + process["type"].get<std::string>() + ": " + body.dump());
    return http::Response::json(202, present_process(c, process));
  };
  add("POST", "/v3/processes/:guid/actions/scale", write(On::Process),
      [this, scale](Call& c) { return scale(c, find("process", c.param(0), "Process")); });
  add("POST", "/v3/apps/:guid/processes/:type/actions/scale", write(On::App),
      [scale, process_of](Call& c) { return scale(c, process_of(c.param(0), c.param(1))); });

  add("PATCH", "/v3/processes/:guid", write(On::Process), [this](Call& c) {
    json body = c.body({"command", "health_check", "readiness_health_check", "metadata"});
    json p = find("process", c.param(0), "Process");
    if (body.contains("command")) {
      if (!body["command"].is_null() && !body["command"].is_string()) throw unprocessable("Command must be a string");
      p["command"] = body["command"];
    }
    if (body.contains("health_check")) {
      const json& hc = body["health_check"];
      std::string type = hc.value("type", p["health_check"]["type"].get<std::string>());
      if (type == "none") type = "process";
      if (type != "port" && type != "process" && type != "http")
        throw unprocessable("Health check type must be \"port\", \"process\", or \"http\"");
      json data = hc.value("data", json::object());
      for (const auto& [k, v] : data.items()) {
        if (k == "endpoint") {
          if (!v.is_string() || v.get<std::string>().empty() || v.get<std::string>()[0] != '/')
            throw unprocessable("Health check endpoint must be a valid URI path");
        } else if (k == "timeout" || k == "invocation_timeout" || k == "interval") {
          if (!v.is_null() && (!v.is_number_integer() || v.get<long>() < 1))
            throw unprocessable("Health check " + k + " must be an integer >= 1");
        } else {
          throw unprocessable("Unknown field(s): 'health_check.data." + k + "'");
        }
      }
      if (data.contains("endpoint") && type != "http")
        throw unprocessable("Health check type must be \"http\" to set a health check HTTP endpoint");
      p["health_check"]["type"] = type;
      p["health_check"]["data"].update(data);
    }
    if (body.contains("readiness_health_check")) p["readiness_health_check"] = body["readiness_health_check"];
    if (body.contains("metadata")) p["metadata"] = body["metadata"];
    p["updated_at"] = now_iso();
    store.put("process", p);
    return http::Response::json(200, present_process(c, p));
  });

  auto stats = [this](const json& p) {
    if (backends.runner) return http::Response::json(200, {{"resources", backends.runner->stats(model::parse_process(p))}});
    json resources = json::array();
    for (long i = 0; i < p["instances"].get<long>(); ++i)
      resources.push_back({{"type", p["type"]}, {"index", i}, {"state", "DOWN"}, {"routable", nullptr},
                           {"usage", json::object()}, {"host", ""}, {"instance_ports", json::array()},
                           {"uptime", 0}, {"mem_quota", p["memory_in_mb"].get<long>() * 1024 * 1024},
                           {"disk_quota", p["disk_in_mb"].get<long>() * 1024 * 1024}, {"fds_quota", 16384},
                           {"isolation_segment", nullptr}, {"details", nullptr}});
    return http::Response::json(200, {{"resources", resources}});
  };
  add("GET", "/v3/processes/:guid/stats", read(On::Process), [this, stats](Call& c) {
    c.allow_query({});
    return stats(find("process", c.param(0), "Process"));
  });
  add("GET", "/v3/apps/:guid/processes/:type/stats", read(On::App), [stats, process_of](Call& c) {
    c.allow_query({});
    return stats(process_of(c.param(0), c.param(1)));
  });

  // Droplets
  add("GET", "/v3/apps/:guid/droplets/current", read(On::App), [this](Call& c) {
    c.allow_query({});
    json app = find("app", c.param(0), "App");
    if (app["_droplet"].get<std::string>().empty()) throw not_found("Droplet");
    return http::Response::json(200, public_view(find("droplet", app["_droplet"], "Droplet")));
  });
  add("GET", "/v3/droplets/:guid", read(On::Droplet), [this](Call& c) {
    c.allow_query({});
    return http::Response::json(200, public_view(find("droplet", c.param(0), "Droplet")));
  });
  add("PATCH", "/v3/apps/:guid/relationships/current_droplet", write(On::App), [this](Call& c) {
    json body = c.body({"data"});
    std::string droplet;
    try {
      droplet = body.at("data").at("guid").get<std::string>();
    } catch (const json::exception&) {
      throw unprocessable("Current droplet must be a to-one relationship");
    }
    store.transaction([&] {
      json app = find("app", c.param(0), "App");
      auto d = store.get("droplet", droplet);
      if (!d || (*d)["_app"] != app["guid"]) throw unprocessable("Unable to assign current droplet. Ensure the droplet exists and belongs to this app.");
      app["_droplet"] = droplet;
      app["updated_at"] = now_iso();
      store.put("app", app);
    });
    // Running instances keep their droplet until a restart, as on CC.
    event(c, c.param(0), "Assigned droplet " + droplet);
    std::string self = c.api + "/v3/apps/" + c.param(0) + "/relationships/current_droplet";
    return http::Response::json(200, {{"data", {{"guid", droplet}}},
                                      {"links", {{"self", link(self)}, {"related", link(c.api + "/v3/apps/" + c.param(0) + "/droplets/current")}}}});
  });
}

}  // namespace kato::controller
