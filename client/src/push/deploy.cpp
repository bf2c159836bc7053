#include "push/deploy.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <iostream>
#include <set>
#include <string_view>
#include <thread>

#include "api/cloud_controller.hpp"
#include "logs.hpp"
#include "push/hooks.hpp"
#include "push/services.hpp"
#include "push/upload.hpp"
#include "resources.hpp"
#include "stackato/version.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

std::string default_domain(Session& s) {
  std::string org = s.config().read().adjuncts.value(s.target(), json::object()).value("organization", "");
  if (!org.empty()) {
    try {
      return s.call("GET", "/v3/organizations/" + org + "/domains/default")["name"];
    } catch (const ApiError&) {  // older servers: the first shared domain below
    }
  }
  json domains = s.call("GET", "/v3/domains");
  if (domains["resources"].empty()) throw ApiError(422, "the target has no domain to make a route in; use --no-route");
  return domains["resources"][0]["name"];
}

// How a browser reaches the route: the target's scheme, and its port when it has one (kato
// serves apps and API on one port).
std::string browser_url(const std::string& target, const std::string& route) {
  auto scheme_end = target.find("://");
  std::string scheme = target.substr(0, scheme_end);
  std::string hostport = target.substr(scheme_end + 3);
  hostport = hostport.substr(0, hostport.find('/'));
  auto colon = hostport.rfind(':');
  std::string port = colon == std::string::npos ? "" : hostport.substr(colon);
  auto slash = route.find('/');
  std::string host = route.substr(0, slash), path = slash == std::string::npos ? "/" : route.substr(slash);
  return scheme + "://" + host + port + path;
}

// Shown values of env vars: hidden ones never appear.
std::string shown(const manifest::App& app, const std::string& name, const std::string& value) {
  for (const auto& v : app.env)
    if (v.name == name && v.hidden) return "(hidden)";
  return "'" + value + "'";
}

// Stages the package; STG lines are printed as they come. Returns the droplet guid.
std::string stage(Session& s, const json& app, const std::string& package) {
  std::string guid = app["guid"];
  // From the app's newest line on, by the server's clock (the client's may be off).
  std::int64_t since = 0;
  try {
    auto newest = read_logs(s, guid, 0, 1, true);
    if (!newest.empty()) since = newest.back().timestamp_ns + 1;
  } catch (const ApiError&) {
  }
  std::set<std::pair<std::int64_t, std::string>> seen;  // lines at the window's edge come twice
  json build = s.call("POST", "/v3/builds", {{"package", {{"guid", package}}}});
  std::string build_guid = build["guid"];
  std::cerr << "Staging " << app["name"].get<std::string>() << "\n";
  auto drain = [&] {
    for (;;) {
      auto lines = read_logs(s, guid, since, 1000);
      for (const auto& l : lines) {
        since = std::max(since, l.timestamp_ns);
        if (l.source != "STG" || !seen.emplace(l.timestamp_ns, l.text).second) continue;
        std::cout << "  " << l.text << "\n";
      }
      std::cout << std::flush;
      if (lines.size() < 1000) return;
    }
  };
  for (int i = 0;; ++i) {
    try {
      drain();
    } catch (const ApiError&) {  // a log service that fails must not fail the push
    }
    build = s.call("GET", "/v3/builds/" + build_guid);
    if (build["state"] != "STAGING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(i < 20 ? 250 : 1000));
  }
  try {
    drain();
  } catch (const ApiError&) {
  }
  if (build["state"] != "STAGED") {
    std::string error = build["error"].is_string() ? build["error"].get<std::string>() : "staging failed";
    throw ApiError(422, "staging " + app["name"].get<std::string>() + " failed: " + error);
  }
  return build["droplet"]["guid"];
}

// What of a health check counts: its type, the timeouts that are set, the endpoint of an http check.
json essential(const json& hc) {
  json out = {{"type", hc.value("type", "port")}, {"data", json::object()}};
  json data = hc.value("data", json::object());
  if (!data.is_object()) return out;
  for (const char* k : {"timeout", "invocation_timeout", "endpoint"})
    if (data.contains(k) && !data[k].is_null() && (std::string_view(k) != "endpoint" || out["type"] == "http"))
      out["data"][k] = data[k];
  return out;
}

// The health check the manifest asks for, or nothing when the process has it already. Parts the
// manifest leaves out keep what the server has (cf's additive manifests); a worker gets the
// process check; `timeout` is also how long the instances have to become healthy, as on CF.
std::optional<json> health_check(const json& current, const manifest::App& app) {
  json now = essential(current);
  json want = now;
  if (app.health_check_type) want["type"] = *app.health_check_type;
  else if (app.worker) want["type"] = "process";
  json& data = want["data"];
  if (app.timeout) data["timeout"] = *app.timeout;
  if (app.health_check_invocation_timeout) data["invocation_timeout"] = *app.health_check_invocation_timeout;
  if (want["type"] == "http") {
    if (app.health_check_endpoint) data["endpoint"] = *app.health_check_endpoint;
    else if (!data.contains("endpoint")) data["endpoint"] = "/";
  } else {
    data.erase("endpoint");
    if (app.health_check_endpoint)
      std::cerr << "Warning: health-check-http-endpoint is ignored: the health check type is " << want["type"].get<std::string>() << "\n";
  }
  if (want == now) return std::nullopt;
  return want;
}

// Scale and command of the web process; prints what changed on an update.
void apply_process(Session& s, const json& a, const manifest::App& app, const PushFlags& flags, bool created) {
  json web = web_process(s, a["guid"]);
  json scale = json::object();
  auto want = [&](const char* field, long value, const char* label) {  // value < 0: not given
    if (value < 0 || web[field] == value) return;
    scale[field] = value;
    if (!created) std::cerr << "Changing " << label << ": " << web[field].dump() << " -> " << value << "\n";
  };
  want("instances", flags.instances ? *flags.instances : app.instances.value_or(-1), "instances");
  want("memory_in_mb", flags.memory_mb ? *flags.memory_mb : app.memory_mb.value_or(-1), "memory (MB)");
  want("disk_in_mb", flags.disk_mb ? *flags.disk_mb : app.disk_mb.value_or(-1), "disk (MB)");
  if (!scale.empty()) s.call("POST", "/v3/processes/" + web["guid"].get<std::string>() + "/actions/scale", scale);
  json patch = json::object();
  std::optional<std::string> command = app.web_command ? app.web_command : app.command;
  if (command && web["command"] != *command) {
    patch["command"] = *command;
    if (!created) std::cerr << "Changing command: '" << *command << "'\n";
  }
  json current = web.value("health_check", json::object());
  if (!current.is_object()) current = json::object();
  if (auto hc = health_check(current, app)) {
    patch["health_check"] = *hc;
    if (!created) std::cerr << "Changing health check: " << describe_health(current) << " -> " << describe_health(*hc) << "\n";
  }
  if (!patch.empty()) s.call("PATCH", "/v3/processes/" + web["guid"].get<std::string>(), patch);
}

// Variables of the manifest and --env: new ones set, changed ones updated, others kept
// (preserve mode, as the original).
void apply_env(Session& s, const json& a, const manifest::App& app, const std::map<std::string, std::string>& env) {
  json current = s.call("GET", "/v3/apps/" + a["guid"].get<std::string>() + "/environment_variables");
  const json& var = current.value("var", json::object());
  json patch = json::object();
  for (const auto& [k, v] : env) {
    if (var.contains(k) && var[k] == v) continue;
    std::cerr << (var.contains(k) ? "Changing env " : "Setting env ") << k << " = " << shown(app, k, v) << "\n";
    patch[k] = v;
  }
  if (!patch.empty()) s.call("PATCH", "/v3/apps/" + a["guid"].get<std::string>() + "/environment_variables", {{"var", patch}});
}

// Rolls `droplet` out with a deployment and follows it to its end; a deployment that does not
// end DEPLOYED is an error with the app's last lines (the server has put the previous droplet
// back: the old instances never stopped).
void deploy_droplet(Session& s, const json& a, const std::string& droplet, long timeout_s) {
  api::CloudController cc(s);
  std::string name = a["name"];
  api::Deployment d = cc.create_deployment(a["guid"], droplet);
  std::cerr << "Deploying " << name << " (rolling): new instances start beside the running ones\n";
  // The server stops a new instance that is not healthy within the health check's timeout;
  // the margin covers the old instances' drain.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s + 60);
  for (int i = 0; !d.finished(); ++i) {
    if (std::chrono::steady_clock::now() > until)
      throw ApiError(504, "the deployment of '" + name + "' did not finish within " + std::to_string(timeout_s + 60) +
                              " s; it goes on on the target (deployment " + d.guid + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(i < 20 ? 250 : 1000));
    d = cc.deployment(d.guid);
  }
  if (d.deployed()) return;
  std::string reason = d.status_reason;
  std::transform(reason.begin(), reason.end(), reason.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string text = "'" + name + "' failed to deploy: the deployment was " + reason +
                     (d.error.empty() ? "" : " (" + d.error + ")") + "; the previous version serves on";
  for (const auto& l : last_lines(s, a["guid"], 15)) text += "\n  " + l;
  throw ApiError(422, text);
}

}  // namespace

PushResult push_app(Session& s, manifest::Context& context, const manifest::Manifest& m, const manifest::App& app,
                    const PushFlags& flags, bool show_progress, Rollout rollout) {
  std::string server_version;
  try {
    json info = s.call("GET", "/v3/info");
    if (info["version"].is_string()) server_version = info["version"];
  } catch (const ApiError&) {
  }
  manifest::check_min_version(app, kVersion, server_version);
  std::map<std::string, std::string> env = manifest::resolve_env(app, flags.env, context);
  for (const auto& [k, v] : flags.env) env.emplace(k, v);
  // What cannot be uploaded (a FIFO would block the zip for ever) is said before anything is
  // created on the target.
  manifest::upload_files(app);

  PushResult result;
  json a;
  if (auto found = find_app(s, app.name)) {
    a = *found;
    std::cerr << "Updating application " << app.name << "\n";
    apply_env(s, a, app, env);
  } else {
    json body = {{"name", app.name}, {"relationships", {{"space", {{"data", {{"guid", space_of(s)}}}}}}}};
    if (!env.empty()) body["environment_variables"] = env;
    std::cerr << "Creating application " << app.name << "\n";
    a = s.call("POST", "/v3/apps", body);
    result.created = true;
    cache_name(s, "app", app.name, true);
  }
  result.guid = a["guid"];
  bool was_started = a["state"] == "STARTED";
  // An app that exists but was never staged is a first push that was cut short (kato or the
  // client killed during staging, so nothing rolled it back): this push finishes it, start too.
  bool unfinished = !result.created && !was_started && !api::CloudController(s).has_current_droplet(result.guid);
  if (unfinished) std::cerr << app.name << " was never staged: finishing its first push\n";
  std::vector<std::string> new_routes;  // removed again if a new app is rolled back
  bool start = !flags.no_start && (result.created || unfinished || was_started || flags.force_start);
  // A deployment sets the current droplet itself, and only once its instances run.
  bool rolling = rollout == Rollout::Deployment && start && was_started && !unfinished;
  std::string droplet;

  try {
    apply_process(s, a, app, flags, result.created);

    // Routes: --url, else the manifest's, else the default route for a new app (an existing
    // app keeps the routes it has, as cf push does).
    json current = s.list_all("/v3/apps/" + result.guid + "/routes");
    std::vector<std::string> urls;
    if (!flags.no_route && !app.worker) {
      if (!flags.urls.empty())
        urls = flags.urls;
      else if (app.urls)
        urls = *app.urls;
      else if (current.empty())
        urls = {app.name + "." + default_domain(s)};
    }
    std::set<std::string> wanted;
    for (const auto& u : urls) {
      RouteSpec r = parse_url(s, u);
      wanted.insert(r.url());
      bool had_route = find_route(s, r).has_value();
      if (map_route(s, a, r)) {
        std::cerr << "Mapping URL " << r.url() << "\n";
        if (!had_route) new_routes.push_back(r.url());
      }
    }
    for (const auto& r : current) {
      std::string url = r["url"];
      result.urls.push_back(url);
      if (!urls.empty() && !wanted.count(url))
        std::cerr << "Keeping URL " << url << " (not in the manifest; 'stackato unmap' removes it)\n";
    }
    for (const auto& u : wanted)
      if (std::find(result.urls.begin(), result.urls.end(), u) == result.urls.end()) result.urls.push_back(u);

    ensure_services(s, a, app.services);

    if (auto hook = app.hooks.find("pre-push"); hook != app.hooks.end())
      run_pre_push(hook->second, app.path, app.name, result.created ? "create" : "update");

    Uploaded up = upload_app(s, result.guid, app, manifest::upload_manifest(m, app), show_progress);
    droplet = stage(s, a, up.package_guid);
    if (!rolling) s.call("PATCH", "/v3/apps/" + result.guid + "/relationships/current_droplet", {{"data", {{"guid", droplet}}}});
  } catch (...) {
    if (result.created) {  // the original's rollback: a failed first push leaves nothing behind
      std::cerr << "Reminder: " << app.name << " was created by this push, which failed: forced the rollback\n";
      try {
        api::CloudController(s).delete_app(result.guid);
        cache_name(s, "app", app.name, false);
        for (const auto& url : new_routes)
          delete_route(s, parse_url(s, url));
      } catch (const std::exception& e) {
        std::cerr << "Could not delete " << app.name << ": " << e.what() << "\n";
      }
    }
    throw;
  }

  if (start) {
    long timeout = flags.start_timeout_s ? flags.start_timeout_s : app.timeout ? *app.timeout : 180;
    if (rolling) {
      deploy_droplet(s, a, droplet, timeout);
    } else {
      std::cerr << (was_started ? "Restarting " : "Starting ") << app.name << "\n";
      s.call("POST", "/v3/apps/" + result.guid + "/actions/restart");
      wait_running(s, a, timeout);
    }
    for (const auto& u : result.urls) std::cerr << browser_url(s.target(), u) << " deployed\n";
    std::cerr << app.name << " is RUNNING\n";
  } else if (was_started) {
    s.call("POST", "/v3/apps/" + result.guid + "/actions/stop");
    std::cerr << app.name << " was stopped (--no-start)\n";
  } else if (flags.no_start) {
    std::cerr << app.name << " is staged and not started (--no-start)\n";
  } else {
    std::cerr << app.name << " was not automatically started because it was STOPPED (use --force-start)\n";
  }
  return result;
}

}  // namespace stackato::client
