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
#include "push/events.hpp"
#include "push/plan.hpp"
#include "push/services.hpp"
#include "push/upload.hpp"
#include "resources.hpp"
#include "stackato/version.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

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

// Step "stage": a build of the package, its STG lines printed as they come. Returns the droplet.
std::string stage(Session& s, const api::App& app, const std::string& package) {
  api::CloudController cc(s);
  // From the app's newest line on, by the server's clock (the client's may be off).
  std::int64_t since = 0;
  try {
    auto newest = read_logs(s, app.guid, 0, 1, true);
    if (!newest.empty()) since = newest.back().timestamp_ns + 1;
  } catch (const ApiError&) {
  }
  std::set<std::pair<std::int64_t, std::string>> seen;  // lines at the window's edge come twice
  api::Build build = cc.create_build(package);
  emit(PushEvent::Staging, app.name);
  auto drain = [&] {
    for (;;) {
      auto lines = read_logs(s, app.guid, since, 1000);
      for (const auto& l : lines) {
        since = std::max(since, l.timestamp_ns);
        if (l.source != "STG" || !seen.emplace(l.timestamp_ns, l.text).second) continue;
        emit(PushEvent::StagingOutput, app.name, l.text);
      }
      if (lines.size() < 1000) return;
    }
  };
  for (int i = 0;; ++i) {
    try {
      drain();
    } catch (const ApiError&) {  // a log service that fails must not fail the push
    }
    build = cc.build(build.guid);
    if (build.state != "STAGING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(i < 20 ? 250 : 1000));
  }
  try {
    drain();
  } catch (const ApiError&) {
  }
  if (build.state != "STAGED")
    throw ApiError(422, "staging " + app.name + " failed: " + (build.error.empty() ? "staging failed" : build.error));
  return build.droplet_guid;
}

// Step "process": scale, command and health check of the web process; says what changed.
void apply_process(api::CloudController& cc, const api::App& app, const manifest::App& m, const PushFlags& flags, bool created) {
  api::Process web = cc.app_process(app.guid);
  ProcessPlan plan = plan_process(web, m, flags);
  for (const auto& w : plan.warnings) emit(PushEvent::Warning, app.name, w);
  if (!created)
    for (const auto& line : plan.changes) emit(PushEvent::Change, app.name, line);
  if (plan.scales()) cc.scale(web.guid, plan.scale);
  if (plan.command || plan.health_check) cc.update_process(web.guid, plan.command, plan.health_check);
}

// Step "env": the manifest's and --env's variables on an existing app.
void apply_env(api::CloudController& cc, const api::App& app, const manifest::App& m,
               const std::map<std::string, std::string>& env) {
  EnvPlan plan = plan_env(cc.environment_variables(app.guid), env, m);
  for (const auto& line : plan.lines) emit(PushEvent::Change, app.name, line);
  if (!plan.changes.empty()) cc.update_environment_variables(app.guid, plan.changes);
}

// Step "routes": maps what the plan wants; returns every URL the app has after it, and adds the
// routes it created to `new_routes` (removed again if a new app is rolled back).
std::vector<std::string> apply_routes(Session& s, const api::App& app, const manifest::App& m, const PushFlags& flags,
                                      std::vector<std::string>& new_routes) {
  api::CloudController cc(s);
  std::vector<std::string> current;
  for (const auto& r : cc.app_routes(app.guid)) current.push_back(r.url);
  std::string domain;
  if (wants_default_route(m, flags, !current.empty())) {
    auto d = cc.default_domain(organization_of(s));
    if (!d) throw ApiError(422, "the target has no domain to make a route in; use --no-route");
    domain = d->name;
  }
  std::vector<std::string> urls = plan_urls(m, flags, !current.empty(), domain);
  std::set<std::string> wanted;
  for (const auto& u : urls) {
    RouteSpec r = parse_url(s, u);
    wanted.insert(r.url());
    bool had_route = find_route(s, r).has_value();
    if (map_route(s, app, r)) {
      emit(PushEvent::MappingUrl, app.name, r.url());
      if (!had_route) new_routes.push_back(r.url());
    }
  }
  std::vector<std::string> out;
  for (const auto& url : current) {
    out.push_back(url);
    if (!urls.empty() && !wanted.count(url))
      emit(PushEvent::KeepingUrl, app.name, url);
  }
  for (const auto& u : wanted)
    if (std::find(out.begin(), out.end(), u) == out.end()) out.push_back(u);
  return out;
}

// Rolls `droplet` out with a deployment and follows it to its end; a deployment that does not
// end DEPLOYED is an error with the app's last lines (the server has put the previous droplet
// back: the old instances never stopped).
void deploy_droplet(Session& s, const api::App& app, const std::string& droplet, long timeout_s) {
  api::CloudController cc(s);
  api::Deployment d = cc.create_deployment(app.guid, droplet);
  emit(PushEvent::Deploying, app.name);
  // The server stops a new instance that is not healthy within the health check's timeout;
  // the margin covers the old instances' drain.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s + 60);
  for (int i = 0; !d.finished(); ++i) {
    if (std::chrono::steady_clock::now() > until)
      throw ApiError(504, "the deployment of '" + app.name + "' did not finish within " + std::to_string(timeout_s + 60) +
                              " s; it goes on on the target (deployment " + d.guid + ")");
    std::this_thread::sleep_for(std::chrono::milliseconds(i < 20 ? 250 : 1000));
    d = cc.deployment(d.guid);
  }
  if (d.deployed()) return;
  std::string reason = d.status_reason;
  std::transform(reason.begin(), reason.end(), reason.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string text = "'" + app.name + "' failed to deploy: the deployment was " + reason +
                     (d.error.empty() ? "" : " (" + d.error + ")") + "; the previous version serves on";
  for (const auto& l : last_lines(s, app.guid, 15)) text += "\n  " + l;
  throw ApiError(422, text);
}

// A failed first push leaves nothing behind (the original's rollback).
void roll_back(Session& s, const api::App& app, const std::vector<std::string>& new_routes) {
  emit(PushEvent::RolledBack, app.name);
  try {
    api::CloudController(s).delete_app(app.guid);
    cache_name(s, "app", app.name, false);
    for (const auto& url : new_routes) delete_route(s, parse_url(s, url));
  } catch (const std::exception& e) {
    emit(PushEvent::RollbackFailed, app.name, e.what());
  }
}

}  // namespace

void restage_app(Session& s, const api::App& app, Rollout rollout, long timeout_s) {
  api::CloudController cc(s);
  auto package = cc.newest_package(app.guid);
  if (!package) throw ApiError(422, "'" + app.name + "' has no uploaded package to stage again: push it first");
  std::string droplet = stage(s, app, package->guid);
  if (!app.started()) {
    cc.set_current_droplet(app.guid, droplet);
    return;
  }
  if (rollout == Rollout::Deployment) {
    deploy_droplet(s, app, droplet, timeout_s);
    return;
  }
  cc.set_current_droplet(app.guid, droplet);
  emit(PushEvent::Restarting, app.name);
  cc.app_action(app.guid, "restart");
  wait_running(s, app, timeout_s);
}

PushResult push_app(Session& s, manifest::Context& context, const manifest::Manifest& m, const manifest::App& app,
                    const PushFlags& flags, bool show_progress, Rollout rollout) {
  api::CloudController cc(s);
  std::string server_version;
  try {
    server_version = cc.server_version();
  } catch (const ApiError&) {
  }
  manifest::check_min_version(app, kVersion, server_version);
  std::map<std::string, std::string> env = manifest::resolve_env(app, flags.env, context);
  for (const auto& [k, v] : flags.env) env.emplace(k, v);
  // What cannot be uploaded (a FIFO would block the zip for ever) is said before anything is
  // created on the target.
  manifest::upload_files(app);

  // Step "app": find or create it.
  PushResult result;
  api::App a;
  if (auto found = find_app(s, app.name)) {
    a = *found;
    emit(PushEvent::UpdatingApp, app.name);
    apply_env(cc, a, app, env);
  } else {
    emit(PushEvent::CreatingApp, app.name);
    a = cc.create_app(app.name, space_of(s), env);
    result.created = true;
    cache_name(s, "app", app.name, true);
  }
  result.guid = a.guid;
  bool was_started = a.started();
  // An app that exists but was never staged is a first push that was cut short (kato or the
  // client killed during staging, so nothing rolled it back): this push finishes it, start too.
  bool unfinished = !result.created && !was_started && !cc.has_current_droplet(result.guid);
  if (unfinished) emit(PushEvent::FinishingFirstPush, app.name);
  bool start = !flags.no_start && (result.created || unfinished || was_started || flags.force_start);
  // A deployment sets the current droplet itself, and only once its instances run.
  bool rolling = rollout == Rollout::Deployment && start && was_started && !unfinished;
  std::vector<std::string> new_routes;
  std::string droplet;
  try {
    apply_process(cc, a, app, flags, result.created);
    result.urls = apply_routes(s, a, app, flags, new_routes);
    ensure_services(s, a, app.services);
    if (auto hook = app.hooks.find("pre-push"); hook != app.hooks.end())
      run_pre_push(hook->second, app.path, app.name, result.created ? "create" : "update");
    Uploaded up = upload_app(s, result.guid, app, manifest::upload_manifest(m, app), show_progress);
    droplet = stage(s, a, up.package_guid);
    if (!rolling) cc.set_current_droplet(result.guid, droplet);
  } catch (...) {
    if (result.created) roll_back(s, a, new_routes);
    throw;
  }

  // Step "start": a restart followed until the instances run, or a deployment.
  if (start) {
    long timeout = flags.start_timeout_s ? flags.start_timeout_s : app.timeout ? *app.timeout : 180;
    if (rolling) {
      deploy_droplet(s, a, droplet, timeout);
    } else {
      emit(was_started ? PushEvent::Restarting : PushEvent::Starting, app.name);
      cc.app_action(result.guid, "restart");
      wait_running(s, a, timeout);
    }
    for (const auto& u : result.urls) emit(PushEvent::Deployed, app.name, browser_url(s.target(), u));
    emit(PushEvent::Running, app.name);
  } else if (was_started) {
    cc.app_action(result.guid, "stop");
    emit(PushEvent::StoppedByNoStart, app.name);
  } else if (flags.no_start) {
    emit(PushEvent::StagedNotStarted, app.name);
  } else {
    emit(PushEvent::LeftStopped, app.name);
  }
  return result;
}

}  // namespace stackato::client
