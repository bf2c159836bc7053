#include "push/release.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "logs.hpp"
#include "push/events.hpp"
#include "resources.hpp"

namespace stackato::client {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The steps, in order; a journal at or after "mapped" means the new version already serves.
const std::vector<std::string> kSteps = {"started", "new-running", "mapped", "unmapped", "old-retired", "renamed"};
int step_index(const std::string& step) {
  auto it = std::find(kSteps.begin(), kSteps.end(), step);
  return it == kSteps.end() ? -1 : static_cast<int>(it - kSteps.begin());
}

struct Journal {
  fs::path file;
  json j = json::object();
  void save(const std::string& step) {
    j["step"] = step;
    fs::create_directories(file.parent_path());
    write_private_file(file, j.dump(2) + "\n");
    // The end-to-end test kills the client right after a given step, as kill -9 would.
    if (const char* die = std::getenv("STACKATO_TEST_DIE_AFTER"); die && step == die) ::raise(SIGKILL);
  }
  void done() {
    std::error_code ec;
    fs::remove(file, ec);
  }
};

fs::path journal_path(Session& s, const std::string& name) {
  std::string key = s.target();
  for (auto& c : key)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s.config().dir() / "releases" / (key + "__" + name + ".json");
}

std::optional<api::App> app_by_guid(Session& s, const std::string& guid) { return api::CloudController(s).app_if_any(guid); }

std::vector<std::string> urls_of(Session& s, const std::string& guid) {
  std::vector<std::string> out;
  for (const auto& r : api::CloudController(s).app_routes(guid)) out.push_back(r.url);
  return out;
}

void unmap(Session& s, const std::string& app_guid, const std::string& url) {
  unmap_route(s, app_guid, parse_url(s, url));  // a route already gone or unmapped is what was wanted
}

void delete_route(Session& s, const std::string& url) {
  if (!url.empty()) stackato::client::delete_route(s, parse_url(s, url));
}

void delete_app(Session& s, const std::string& guid) { api::CloudController(s).delete_app(guid); }

void rename_app(Session& s, const std::string& guid, const std::string& name) { api::CloudController(s).rename_app(guid, name); }

bool all_running(Session& s, const api::App& app) {
  if (!app.started()) return false;
  api::CloudController cc(s);
  auto stats = cc.instance_stats(cc.app_process(app.guid).guid);
  for (const auto& st : stats)
    if (st.state != "RUNNING") return false;
  return !stats.empty();
}

// Not yet serving: the new app and its temporary route go; the old app was never touched.
void undo(Session& s, Journal& jr) {
  std::string new_name = jr.j.value("new_name", "");
  if (auto a = app_by_guid(s, jr.j.value("new_guid", ""))) {
    delete_app(s, a->guid);
  } else if (auto b = find_app(s, new_name)) {
    delete_app(s, b->guid);
  }
  delete_route(s, jr.j.value("temp_route", ""));
  jr.done();
  emit(PushEvent::Step, jr.j.value("app", ""),
       "Undone: deleted " + new_name + " and its temporary route; " + jr.j.value("app", "") + " is unchanged");
}

// Serving already (or about to): finish every remaining step. Each is safe to repeat.
void forward(Session& s, Journal& jr) {
  const json& j = jr.j;
  std::string name = j["app"], new_guid = j["new_guid"], old_guid = j.value("old_guid", "");
  int at = step_index(j["step"]);
  auto fresh = app_by_guid(s, new_guid);
  if (!fresh) throw ApiError(500, "the journal's new app is gone; nothing to finish (see " + jr.file.string() + ")");
  if (at < step_index("mapped")) {
    for (const auto& url : j["routes"]) map_route(s, *fresh, parse_url(s, url));
    emit(PushEvent::Step, name, "Mapped " + std::to_string(j["routes"].size()) + " route(s) to the new version");
    jr.save("mapped");
  }
  if (at < step_index("unmapped")) {
    if (app_by_guid(s, old_guid))
      for (const auto& url : j["routes"]) unmap(s, old_guid, url);
    emit(PushEvent::Step, name, "Unmapped them from the old version; draining " + std::to_string(j.value("drain_s", 5L)) + " s");
    jr.save("unmapped");
    std::this_thread::sleep_for(std::chrono::seconds(j.value("drain_s", 5L)));
  }
  if (at < step_index("old-retired")) {
    if (auto old = app_by_guid(s, old_guid)) {
      api::CloudController(s).app_action(old_guid, "stop");
      if (j.value("keep_previous", false)) {
        if (auto prev = find_app(s, name + "-previous"); prev && prev->guid != old_guid) delete_app(s, prev->guid);
        rename_app(s, old_guid, name + "-previous");
        emit(PushEvent::Step, name, "Stopped the old version and kept it as " + name + "-previous");
      } else {
        delete_app(s, old_guid);
        emit(PushEvent::Step, name, "Deleted the old version");
      }
    }
    jr.save("old-retired");
  }
  if (at < step_index("renamed")) {
    if (fresh->name != name) rename_app(s, new_guid, name);
    jr.save("renamed");
  }
  delete_route(s, j.value("temp_route", ""));
  cache_name(s, "app", j.value("new_name", ""), false);
  jr.done();
  emit(PushEvent::Step, name, name + " is the new version; temporary route " + j.value("temp_route", "") + " deleted");
}

int run_smoke_test(const std::string& command, const std::string& url) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("STACKATO_SMOKE_URL", url.c_str(), 1);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Room in the organization's memory quota for the second copy; targets without quotas (or
// without these endpoints) pass.
void check_quota(Session& s, long needed_mb) {
  std::string org = organization_of(s);
  if (org.empty()) return;
  auto quota = api::CloudController(s).organization_memory(org);
  if (!quota || quota->used_mb + needed_mb <= quota->limit_mb) return;
  throw ApiError(422, "a zero-downtime release runs a second copy for a while: it needs " + std::to_string(needed_mb) +
                          " MB more, and the organization's quota of " + std::to_string(quota->limit_mb) + " MB has " +
                          std::to_string(std::max(0L, quota->limit_mb - quota->used_mb)) +
                          " MB left (nothing was changed; raise the quota or use a plain push)");
}

}  // namespace

void push_zero_downtime(Session& s, manifest::Context& context, const manifest::Manifest& m, const manifest::App& app,
                        const PushFlags& flags, const ReleaseOptions& options, bool show_progress) {
  Journal jr{journal_path(s, app.name)};
  if (std::ifstream in(jr.file); in) {
    jr.j = json::parse(in, nullptr, false);
    if (jr.j.is_object() && jr.j.contains("step")) {
      emit(PushEvent::Step, app.name,
           "Resuming the interrupted release of " + app.name + " (last step: " + jr.j["step"].get<std::string>() + ")");
      if (step_index(jr.j["step"]) >= step_index("new-running") && jr.j.contains("new_guid")) {
        forward(s, jr);
        return;
      }
      undo(s, jr);  // then release afresh, below
    }
    jr.j = json::object();
  }

  auto old = find_app(s, app.name);
  if (!old || !all_running(s, *old)) {
    emit(PushEvent::Step, app.name,
         (old ? app.name + " is not running" : app.name + " does not exist yet") +
             ": a zero-downtime release needs a live app; doing a plain push");
    push_app(s, context, m, app, flags, show_progress);
    return;
  }
  std::string old_guid = old->guid, new_name = app.name + "-new";
  bool rolling = options.strategy == "rolling";
  if (options.strategy.empty() && options.smoke_test.empty() && !options.keep_previous)
    rolling = api::CloudController(s).offers_deployments();
  if (rolling) {
    if (options.strategy == "rolling" && !api::CloudController(s).offers_deployments())
      throw ApiError(422, "the target offers no deployments (GET /v3/deployments is a 404): use --strategy swap");
    // The new instances run beside the old ones for a while: room for a second copy.
    api::Process web = api::CloudController(s).app_process(old_guid);
    long instances = flags.instances ? *flags.instances : app.instances ? *app.instances : web.instances;
    long memory = flags.memory_mb ? *flags.memory_mb : app.memory_mb ? *app.memory_mb : web.memory_in_mb;
    check_quota(s, instances * memory);
    emit(PushEvent::Step, app.name,
         "Releasing " + app.name + " without downtime: a rolling deployment (the app keeps its GUID, routes and bindings)");
    push_app(s, context, m, app, flags, show_progress, Rollout::Deployment);
    return;
  }
  if (auto leftover = find_app(s, new_name)) {
    emit(PushEvent::Step, app.name, "Deleting " + new_name + ", left over by an earlier release without a journal");
    delete_app(s, leftover->guid);
  }
  api::CloudController cc(s);
  json routes = urls_of(s, old_guid);
  auto domain = cc.default_domain(organization_of(s));
  if (!domain) throw ApiError(422, "the target has no domain for the new version's temporary route");
  std::string temp_route = app.name + "-new-" + random_hex4() + "." + domain->name;

  // The new version: the same services (manifest's and those bound now), env, scale; only a
  // temporary route.
  manifest::App next = app;
  next.name = new_name;
  next.urls = std::vector<std::string>{temp_route};
  for (const auto& si : cc.bound_instances(old_guid)) {
    bool listed = false;
    for (const auto& svc : next.services) listed |= svc.name == si.name;
    if (!listed) {
      manifest::Service svc;
      svc.name = si.name;
      next.services.push_back(svc);
    }
  }
  PushFlags f = flags;
  f.force_start = true;
  f.no_start = false;
  for (const auto& [k, v] : cc.environment_variables(old_guid)) f.env.emplace(k, v);  // the manifest and --env win
  api::Process web = cc.app_process(old_guid);
  if (!f.instances && !app.instances) f.instances = static_cast<int>(web.instances);
  if (!f.memory_mb && !app.memory_mb) f.memory_mb = web.memory_in_mb;
  if (!f.disk_mb && !app.disk_mb) f.disk_mb = web.disk_in_mb;

  long instances = f.instances ? *f.instances : app.instances ? *app.instances : web.instances;
  long memory = f.memory_mb ? *f.memory_mb : app.memory_mb ? *app.memory_mb : web.memory_in_mb;
  check_quota(s, instances * memory);

  jr.j = {{"app", app.name},          {"new_name", new_name},       {"old_guid", old_guid},
          {"routes", routes},         {"temp_route", temp_route},   {"drain_s", options.drain_s},
          {"keep_previous", options.keep_previous}};
  jr.save("started");
  emit(PushEvent::Step, app.name,
       "Releasing " + app.name + " without downtime: the new version starts as " + new_name + " at " + temp_route);
  try {
    PushResult r = push_app(s, context, m, next, f, show_progress);
    jr.j["new_guid"] = r.guid;
    if (!options.smoke_test.empty()) {
      std::string url = s.target().substr(0, s.target().find("://")) + "://" + temp_route;
      auto colon = s.target().rfind(':');
      if (colon != std::string::npos && colon > s.target().find("://") + 2) url += s.target().substr(colon);
      emit(PushEvent::Step, app.name, "Smoke test: " + options.smoke_test + " (STACKATO_SMOKE_URL=" + url + ")");
      int rc = run_smoke_test(options.smoke_test, url);
      if (rc != 0) {
        std::string why = "the smoke test failed with exit status " + std::to_string(rc);
        for (const auto& l : last_lines(s, r.guid, 10)) why += "\n  " + l;
        throw ApiError(422, why);
      }
    }
    jr.save("new-running");
  } catch (const std::exception& e) {
    emit(PushEvent::Step, app.name, std::string("Release aborted before traffic moved: ") + e.what());
    if (jr.j.contains("new_guid") || find_app(s, new_name)) undo(s, jr);
    else {
      delete_route(s, temp_route);
      jr.done();
    }
    throw;
  }
  forward(s, jr);
}

void rollback(Session& s, const std::string& name, long drain_s) {
  api::App cur = app_named(s, name);
  auto prev = find_app(s, name + "-previous");
  if (!prev) throw ApiError(404, "no " + name + "-previous to roll back to (push --zero-downtime --keep-previous keeps one)");
  std::string prev_guid = prev->guid, cur_guid = cur.guid;
  if (!prev->started()) {
    emit(PushEvent::Step, name, "Starting " + name + "-previous");
    api::CloudController(s).app_action(prev_guid, "start");
  }
  wait_running(s, *prev, 180);  // healthy before it gets any traffic
  auto routes = urls_of(s, cur_guid);
  for (const auto& url : routes) map_route(s, *prev, parse_url(s, url));
  for (const auto& url : routes) unmap(s, cur_guid, url);
  emit(PushEvent::Step, name, "Moved " + std::to_string(routes.size()) + " route(s) back; draining " + std::to_string(drain_s) + " s");
  std::this_thread::sleep_for(std::chrono::seconds(drain_s));
  api::CloudController(s).app_action(cur_guid, "stop");
  rename_app(s, cur_guid, name + "-rollback-" + random_hex4());
  rename_app(s, prev_guid, name);
  rename_app(s, cur_guid, name + "-previous");
  emit(PushEvent::Step, name, name + " is the previous version again; the rolled-back one is stopped as " + name + "-previous");
}

}  // namespace stackato::client
