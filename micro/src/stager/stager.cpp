#include "stager/stager.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "auth/tokens.hpp"
#include "blobs/blobs.hpp"
#include "blobs/zip.hpp"
#include "runner/env.hpp"
#include "stager/cache.hpp"
#include "metrics/metrics.hpp"
#include "model/model.hpp"
#include "store/store.hpp"

namespace kato::stager {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int kHookTimeoutS = 15 * 60;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Copies a file of the resource cache into the tree at `path`.
void copy_into(blobs::Tree& tree, const std::string& path, unsigned mode, const fs::path& from) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw std::runtime_error("resource missing from the cache: " + path);
  int out = -1;
  try {
    out = tree.create(path, mode);
  } catch (...) {
    ::close(in);
    throw;
  }
  char buf[65536];
  ssize_t n;
  bool ok = true;
  while ((n = ::read(in, buf, sizeof buf)) > 0)
    if (::write(out, buf, static_cast<std::size_t>(n)) != n) {
      ok = false;
      break;
    }
  ::close(in);
  ::close(out);
  if (!ok || n < 0) throw std::runtime_error("cannot copy the resource " + path);
}

struct Failure : std::runtime_error {
  std::string reason;  // StagingError, NoAppDetectedError, ...
  Failure(std::string r, const std::string& msg) : std::runtime_error(msg), reason(std::move(r)) {}
};

// What the client's compiled manifest at the zip root says about the app.
struct Plan {
  std::vector<std::string> pre_staging, post_staging, pre_running;
  std::string command;
  bool worker = false;
};

std::vector<std::string> list_of(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) out.push_back(n.Scalar());
  if (n.IsSequence())
    for (const auto& i : n) out.push_back(i.Scalar());
  return out;
}

Plan read_plan(const fs::path& app_dir) {
  Plan plan;
  fs::path manifest = app_dir / "manifest.yml";
  if (fs::exists(manifest)) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(manifest.string());
    } catch (const YAML::Exception& e) {
      throw Failure("StagingError", std::string("manifest.yml at the app root: ") + e.what());
    }
    YAML::Node app = root["applications"];
    if (app && app.IsSequence() && app.size() > 0) app = app[0];
    else if (app && app.IsMap() && app.size() > 0) app = app.begin()->second;
    if (app && app.IsMap()) {
      if (app["command"] && app["command"].IsScalar()) plan.command = app["command"].Scalar();
      YAML::Node st = app["stackato"];
      if (st && st.IsMap()) {
        YAML::Node hooks = st["hooks"];
        if (hooks && hooks.IsMap()) {
          plan.pre_staging = list_of(hooks["pre-staging"]);
          plan.post_staging = list_of(hooks["post-staging"]);
          plan.pre_running = list_of(hooks["pre-running"]);
        }
        YAML::Node procs = st["processes"];
        if (procs && procs.IsMap() && procs["web"]) {
          if (procs["web"].IsNull() || procs["web"].Scalar().empty())
            plan.worker = true;
          else
            plan.command = procs["web"].Scalar();
        }
      }
    }
  }
  if (plan.command.empty() && fs::exists(app_dir / "Procfile")) {
    std::ifstream in(app_dir / "Procfile");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("web:", 0) == 0) {
        plan.command = line.substr(4);
        plan.command.erase(0, plan.command.find_first_not_of(" \t"));
        while (!plan.command.empty() && (plan.command.back() == '\r' || plan.command.back() == ' ')) plan.command.pop_back();
      }
  }
  return plan;
}

}  // namespace

struct Stager::Impl {
  Impl(store::Store& s, blobs::Blobs& b, std::string d, sandbox::Sandbox sb)
      : store(s), blobs(b), domain(std::move(d)), sandbox(std::move(sb)) {}
  store::Store& store;
  blobs::Blobs& blobs;
  std::string domain;
  sandbox::Sandbox sandbox;
  metrics::Metrics* metrics = nullptr;
  std::function<void(const std::string&)> services_ready;
  std::mutex mutex;
  std::condition_variable idle;
  int running = 0;  // builds in progress; the destructor waits for them

  void log(const std::string& app, const std::string& text, bool err) {
    store.append_log(app, {now_ns(), "STG", "0", err, text});
  }

  // What a build's hooks and copies see: the build's directory and the app's volumes.
  sandbox::Policy policy(const std::string& app_guid, const fs::path& work, const fs::path& dir) {
    sandbox::Policy p{dir, {{work, true}}, true};
    for (const auto& v : runner::volume_dirs(store, app_guid)) p.binds.push_back({v, true});
    return p;
  }

  static std::string quoted(const fs::path& p) {
    std::string out = "'";
    for (char c : p.string()) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
  }

  // The staging cache's copies, as the app (see StagingCache::Copy).
  StagingCache::Copy copier(const std::string& app_guid, const fs::path& work, const runner::Env& env) {
    return [this, app_guid, work, env](const fs::path& from, const fs::path& to) -> std::string {
      std::string last;
      int rc = runner::run_shell(sandbox.prepare(policy(app_guid, work, work), "cp -a -- " + quoted(from / ".") + " " + quoted(to)),
                                 env, kHookTimeoutS, [&](const std::string& l, bool) { last = l; });
      return rc == 0 ? "" : (last.empty() ? "cp exited with " + std::to_string(rc) : last);
    };
  }

  void run_hooks(const std::string& app_guid, const std::string& kind, const std::vector<std::string>& hooks,
                 const fs::path& work, const fs::path& dir, const runner::Env& env) {
    for (const auto& hook : hooks) {
      // A leading '-' lets a hook fail without failing the build, as on Stackato.
      bool tolerant = !hook.empty() && hook[0] == '-';
      std::string command = tolerant ? hook.substr(1) : hook;
      log(app_guid, "-----> " + kind + ": " + command, false);
      std::string last;
      int rc = runner::run_shell(sandbox.prepare(policy(app_guid, work, dir), command), env, kHookTimeoutS,
                                 [&](const std::string& l, bool e) {
        log(app_guid, "       " + l, e);
        if (!l.empty()) last = l;
      });
      if (rc != 0 && !tolerant)
        throw Failure("StagingError", kind + " hook '" + command + "' failed with exit code " + std::to_string(rc) +
                                          (last.empty() ? "" : ": " + last));
    }
  }

  void build(const std::string& build_guid) {
    auto b = store.get("build", build_guid);
    if (!b) return;
    json build = *b;
    std::string app_guid = build["_app"];
    auto started = std::chrono::steady_clock::now();
    fs::path work = blobs.droplet(build_guid + ".staging");
    std::string droplet_guid = auth::new_guid();
    try {
      auto app = model::Model(store).app(app_guid);
      if (!app) throw Failure("StagingError", "the app was deleted while staging");
      std::string pkg = build["package"]["guid"];
      fs::remove_all(work);
      fs::path app_dir = work / "app";
      log(app_guid, "Staging " + app->name + " (build " + build_guid + ")", false);
      if (fs::file_size(blobs.package_zip(pkg)) > 0) blobs::unpack(blobs.package_zip(pkg), app_dir);
      fs::create_directories(app_dir);
      // Matched resources go in the way zip entries do: never through a link the zip planted.
      blobs::Tree tree(app_dir);
      std::ifstream matches(blobs.package_matches(pkg));
      for (const auto& r : json::parse(matches)) {
        std::string path = r["path"].get<std::string>();
        std::string mode = r.value("mode", "644");
        unsigned bits = static_cast<unsigned>(std::stoul(mode.empty() ? "644" : mode, nullptr, 8)) & 07777;
        copy_into(tree, fs::path(path).lexically_normal().generic_string(), bits, blobs.resource(r["checksum"]["value"]));
      }
      Plan plan = read_plan(app_dir);
      sandbox.hand_over(work);
      runner::Env env = runner::app_env(store, *app, domain, app_dir.string());
      auto cache = StagingCache::find(store, *app);
      auto note = [&](const std::string& text) { log(app_guid, "-----> " + text, false); };
      if (cache) {
        try {
          cache->check_fits(app_dir);
        } catch (const std::runtime_error& e) {
          throw Failure("StagingError", e.what());
        }
        fs::create_directories(work / "cache");
        sandbox.hand_over(work / "cache");
        cache->restore(work / "cache", env, note, copier(app_guid, work, env));
      }
      if (services_ready && !(plan.pre_staging.empty() && plan.post_staging.empty())) services_ready(app_guid);
      run_hooks(app_guid, "pre-staging", plan.pre_staging, work, app_dir, env);
      if (plan.command.empty() && !plan.worker)
        throw Failure("NoAppDetectedError", "no start command: set 'command' in stackato.yml, 'processes: web:', or a Procfile 'web:' line");
      if (plan.command.empty())
        throw Failure("NoAppDetectedError", "a worker ('processes: web: ~') needs a 'command'");
      run_hooks(app_guid, "post-staging", plan.post_staging, work, app_dir, env);
      if (cache) {
        cache->save(work / "cache", note, copier(app_guid, work, env));
        fs::remove_all(work / "cache");  // not part of the droplet
      }

      fs::rename(work, blobs.droplet(droplet_guid));
      std::string now = now_iso();
      json droplet = {{"guid", droplet_guid}, {"state", "STAGED"}, {"error", nullptr},
                      {"lifecycle", {{"type", "buildpack"}, {"data", json::object()}}},
                      {"execution_metadata", ""}, {"process_types", {{"web", plan.command}}},
                      {"checksum", {{"type", "sha256"}, {"value", store.get("package", pkg).value_or(json::object())["data"]["checksum"]["value"]}}},
                      {"buildpacks", json::array()}, {"stack", "cflinuxfs4"}, {"image", nullptr},
                      {"created_at", now}, {"updated_at", now},
                      {"metadata", {{"labels", json::object()}, {"annotations", json::object()}}},
                      {"_app", app_guid}, {"_pre_running", plan.pre_running}, {"_worker", plan.worker}};
      store.put("droplet", droplet);
      build["state"] = "STAGED";
      build["droplet"] = {{"guid", droplet_guid}};
      log(app_guid, "Staging complete: droplet " + droplet_guid, false);
    } catch (const Failure& f) {
      build["state"] = "FAILED";
      build["error"] = f.reason + " - " + f.what();
      log(app_guid, "Staging failed: " + build["error"].get<std::string>(), true);
    } catch (const std::exception& e) {
      build["state"] = "FAILED";
      build["error"] = std::string("StagingError - ") + e.what();
      log(app_guid, "Staging failed: " + build["error"].get<std::string>(), true);
    }
    std::error_code ec;
    fs::remove_all(work, ec);
    build["updated_at"] = now_iso();
    store.put("build", build);
    if (metrics)
      metrics->staged(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                      build["state"] == "STAGED");
  }
};

void Stager::set_metrics(metrics::Metrics* metrics) { impl_->metrics = metrics; }
void Stager::set_services_ready(std::function<void(const std::string&)> wait) { impl_->services_ready = std::move(wait); }

Stager::Stager(store::Store& store, blobs::Blobs& blobs, std::string domain, sandbox::Sandbox sandbox)
    : impl_(std::make_unique<Impl>(store, blobs, std::move(domain), std::move(sandbox))) {
  // Builds left STAGING by a crash cannot finish any more: they fail, and their working
  // directories go (no build runs before this constructor returns). Their hooks died with the
  // kato that ran them (Policy::die_with_parent).
  for (auto b : store.list("build"))
    if (b["state"] == "STAGING") {
      b["state"] = "FAILED";
      b["error"] = "StagingError - kato restarted during staging";
      b["updated_at"] = now_iso();
      store.put("build", b);
      impl_->log(b.value("_app", ""), "Staging failed: " + b["error"].get<std::string>(), true);
    }
  std::error_code ec;
  fs::path droplets = blobs.droplet("x").parent_path();
  for (auto it = fs::directory_iterator(droplets, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->path().extension() == ".staging") {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
    }
}

Stager::~Stager() {
  std::unique_lock lock(impl_->mutex);
  impl_->idle.wait(lock, [&] { return impl_->running == 0; });
}

bool Stager::wait_idle(std::chrono::seconds limit) {
  std::unique_lock lock(impl_->mutex);
  return impl_->idle.wait_for(lock, limit, [&] { return impl_->running == 0; });
}

void Stager::stage(const std::string& build_guid) {
  {
    std::lock_guard lock(impl_->mutex);
    ++impl_->running;
  }
  // One thread per build keeps the API responsive; builds are few and finish on their own.
  std::thread([impl = impl_.get(), build_guid] {
    impl->build(build_guid);
    std::lock_guard lock(impl->mutex);
    --impl->running;
    impl->idle.notify_all();
  }).detach();
}

}  // namespace kato::stager
