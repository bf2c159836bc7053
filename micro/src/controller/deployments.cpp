// Deployments (POST /v3/deployments, strategy rolling): the app's new droplet rolled out beside
// the running instances, which stop only once the new ones run (runner::Runner::deploy). The app
// keeps its GUID, routes, bindings and logs; `push --zero-downtime` uses it where the target
// offers it.

#include "controller/handlers.hpp"
#include "runner/runner.hpp"

namespace kato::controller {

namespace {

json present_deployment(const Call& c, const json& d) {
  json out = public_view(d);
  std::string self = c.api + "/v3/deployments/" + d["guid"].get<std::string>();
  out["relationships"] = {{"app", to_one(d["_app"])}};
  out["links"] = {{"self", link(self)},
                  {"app", link(c.api + "/v3/apps/" + d["_app"].get<std::string>())},
                  {"cancel", link(self + "/actions/cancel", "POST")}};
  return out;
}

void set_status(json& d, const std::string& value, const std::string& reason, const std::string& error = "") {
  std::string now = now_iso();
  d["status"] = {{"value", value}, {"reason", reason}, {"details", {{"last_status_change", now}}}};
  if (!error.empty()) d["status"]["details"]["error"] = error;
  d["updated_at"] = now;
}

// The options kato can honour; the others are refused by name rather than ignored.
json check_options(const json& body) {
  json options = {{"max_in_flight", 1}};
  if (!body.contains("options")) return options;
  const json& o = body["options"];
  if (!o.is_object()) throw unprocessable("Options must be an object");
  for (const auto& [k, v] : o.items()) {
    if (k != "max_in_flight") throw unprocessable("Options " + k + " is not supported by kato (only max_in_flight)");
    if (!v.is_number_integer() || v.get<long>() < 1) throw unprocessable("Options max_in_flight must be an integer greater than 0");
    options[k] = v;
  }
  return options;
}

}  // namespace

void Controller::Impl::add_deployment_routes() {
  add("POST", "/v3/deployments", write_in(On::App, "/relationships/app/data/guid"), [this](Call& c) {
    json body = c.body({"droplet", "revision", "strategy", "options", "relationships", "metadata"});
    std::string app_guid = to_one_guid(body, "app", "App");
    if (body.contains("revision")) throw unprocessable("kato keeps no revisions: deploy a droplet");
    std::string strategy = body.value("strategy", json("rolling")).is_string() ? body.value("strategy", "rolling") : "";
    if (strategy != "rolling") throw unprocessable("Strategy must be rolling (kato deploys with the rolling strategy only)");
    json options = check_options(body);
    json d;
    bool started = false;
    store.transaction([&] {
      json app = find("app", app_guid, "App");
      std::string previous = app["_droplet"], droplet = previous;
      if (body.contains("droplet")) {
        const json& dr = body["droplet"];
        if (!dr.is_object() || !dr.contains("guid") || !dr["guid"].is_string()) throw unprocessable("Droplet must be an object with a guid");
        droplet = dr["guid"];
        auto found = store.get("droplet", droplet);
        if (!found || (*found)["_app"] != app_guid)
          throw unprocessable("Unable to assign current droplet. Ensure the droplet exists and belongs to this app.");
      }
      if (droplet.empty()) throw unprocessable("Assign a droplet before deploying this app.");
      // A deployment still rolling for this app gives way to this one.
      for (auto other : store.list("deployment"))
        if (other["_app"] == app_guid && other["status"]["value"] == "ACTIVE") {
          set_status(other, "FINALIZED", "SUPERSEDED");
          store.put("deployment", other);
        }
      started = app["state"] == "STARTED";
      std::string now = now_iso();
      d = {{"guid", auth::new_guid()}, {"strategy", "rolling"}, {"options", options},
           {"droplet", {{"guid", droplet}}}, {"previous_droplet", {{"guid", previous.empty() ? json(nullptr) : json(previous)}}},
           {"new_processes", json::array()}, {"revision", nullptr}, {"created_at", now},
           {"metadata", metadata()}, {"_app", app_guid}, {"_space", app["_space"]}};
      // A stopped app has nothing to roll: it starts on the droplet, and the deployment is done.
      set_status(d, started ? "ACTIVE" : "FINALIZED", started ? "DEPLOYING" : "DEPLOYED");
      store.put("deployment", d);
      app["_droplet"] = droplet;
      app["state"] = "STARTED";
      app["updated_at"] = now;
      store.put("app", app);
    });
    event(c, app_guid, "Deployment " + d["guid"].get<std::string>() + " of droplet " + d["droplet"]["guid"].get<std::string>());
    if (!started) {
      reconcile(app_guid);
    } else if (backends.runner) {
      std::string guid = d["guid"];
      backends.runner->deploy(app_guid, [this, guid, app_guid](bool ok, const std::string& why) { finish_deployment(guid, ok, why); });
    }
    return http::Response::json(201, present_deployment(c, d));
  });

  add("GET", "/v3/deployments/:guid", read(On::Deployment), [this](Call& c) {
    c.allow_query({});
    return http::Response::json(200, present_deployment(c, find("deployment", c.param(0), "Deployment")));
  });

  add("GET", "/v3/deployments", signed_in, [this](Call& c) {
    c.allow_query({"app_guids", "states", "status_reasons", "status_values"});
    auto ds = store.list("deployment");
    filter_in(ds, c, "app_guids", "/_app");
    filter_in(ds, c, "status_values", "/status/value");
    filter_in(ds, c, "status_reasons", "/status/reason");
    return paginate(c, ds, "/v3/deployments", Visible::App, [&](const json& d) { return present_deployment(c, d); });
  });

  add("POST", "/v3/deployments/:guid/actions/cancel", write(On::Deployment), [this](Call& c) {
    json d = find("deployment", c.param(0), "Deployment");
    if (d["status"]["value"] != "ACTIVE")
      throw unprocessable("Cannot cancel a " + d["status"]["reason"].get<std::string>() + " deployment", 390016,
                          "CF-DeploymentNotCancelable");
    store.transaction([&] {
      d = find("deployment", c.param(0), "Deployment");
      set_status(d, "ACTIVE", "CANCELING");
      store.put("deployment", d);
    });
    if (backends.runner) backends.runner->cancel_deployment(d["_app"]);
    event(c, d["_app"], "Canceled deployment " + c.param(0));
    return http::Response::json(200, json::object());
  });
}

// The runner's verdict. A rolled-back deployment puts the previous droplet back as the app's
// current one, so that a restart runs what serves now.
void Controller::Impl::finish_deployment(const std::string& guid, bool ok, const std::string& why) {
  store.transaction([&] {
    auto d = store.get("deployment", guid);
    if (!d || (*d)["status"]["value"] != "ACTIVE") return;  // superseded meanwhile
    set_status(*d, "FINALIZED", ok ? "DEPLOYED" : "CANCELED", why);
    store.put("deployment", *d);
    const json& previous = (*d)["previous_droplet"]["guid"];
    if (ok || !previous.is_string()) return;
    if (auto app = store.get("app", (*d)["_app"]); app && (*app)["_droplet"] == (*d)["droplet"]["guid"]) {
      (*app)["_droplet"] = previous;
      store.put("app", *app);
    }
  });
}

// At start: a deployment a stopped kato left ACTIVE is over; its app starts on its current
// droplet like every app.
void Controller::Impl::finalize_interrupted_deployments() {
  store.transaction([&] {
    for (auto d : store.list("deployment"))
      if (d["status"]["value"] == "ACTIVE") {
        set_status(d, "FINALIZED", "DEPLOYED");
        store.put("deployment", d);
      }
  });
}

}  // namespace kato::controller
