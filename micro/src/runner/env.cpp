#include "runner/env.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <functional>

#include "model/model.hpp"
#include "store/store.hpp"

namespace kato::runner {

using json = nlohmann::json;

ServiceEnv service_env(store::Store& store, const std::string& app_guid) {
  model::Model m(store);
  ServiceEnv out;
  std::map<std::string, int> per_type;  // how many of each database type are bound
  std::map<std::string, std::string> uri_of_type;
  for (const auto& b : m.bindings_of(app_guid)) {
    auto si = m.service_instance(b.instance_guid);
    if (!si) continue;
    // Tags: the offering's (as CF gives them), then the instance's own.
    json tags = json::array();
    for (const auto& t : m.offering_tags(si->plan_guid)) tags.push_back(t);
    for (const auto& t : si->tags) tags.push_back(t);
    json entry = {{"label", si->label}, {"name", b.name.value_or(si->name)}, {"tags", tags},
                  {"instance_guid", si->guid}, {"instance_name", si->name}, {"binding_guid", b.guid},
                  {"binding_name", b.name ? json(*b.name) : json(nullptr)}, {"credentials", b.credentials},
                  {"syslog_drain_url", si->syslog_drain_url}, {"volume_mounts", json::array()}};
    if (!si->user_provided) {
      entry["plan"] = si->plan_name;
      entry["provider"] = nullptr;
    }
    out.vcap_services[si->label].push_back(entry);
    out.stackato_services[si->name] = b.credentials;
    if (b.credentials.contains("uri") && b.credentials["uri"].is_string()) {
      ++per_type[si->label];
      uri_of_type[si->label] = b.credentials["uri"];
    }
  }
  int databases = 0;
  std::string database_uri;
  for (const char* t : {"mysql", "postgresql"})
    if (per_type[t] > 0) {
      databases += per_type[t];
      database_uri = uri_of_type[t];
    }
  if (databases == 1) out.urls["DATABASE_URL"] = database_uri;
  for (const auto& [t, var] : std::map<std::string, std::string>{{"mysql", "MYSQL_URL"}, {"postgresql", "POSTGRESQL_URL"}, {"redis", "REDIS_URL"}})
    if (per_type[t] == 1) out.urls[var] = uri_of_type[t];
  return out;
}

json vcap_application(store::Store& store, const model::App& app, const std::string& api_url) {
  model::Model m(store);
  std::string space_name, org_name, org_guid;
  if (auto space = m.space(app.space_guid)) {
    space_name = space->name;
    org_guid = space->org_guid;
    if (auto org = m.organization(org_guid)) org_name = org->name;
  }
  long mem = 256, disk = 1024;
  if (auto web = m.web_process(app.guid)) {
    mem = web->memory_mb;
    disk = web->disk_mb;
  }
  json uris = json::array();
  for (const auto& r : m.routes_to(app.guid)) uris.push_back(r.url);
  return {{"cf_api", api_url}, {"limits", {{"fds", 16384}, {"mem", mem}, {"disk", disk}}},
          {"application_name", app.name}, {"application_id", app.guid}, {"application_uris", uris},
          {"uris", uris}, {"name", app.name}, {"space_name", space_name}, {"space_id", app.space_guid},
          {"organization_id", org_guid}, {"organization_name", org_name}, {"users", nullptr}};
}

Env app_env(store::Store& store, const model::App& app, const std::string& domain, const std::string& home) {
  Env env;
  env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  env["LANG"] = "C.UTF-8";
  env["HOME"] = home;
  env["STACKATO_APP_ROOT"] = home;
  env["STACKATO_DOCUMENT_ROOT"] = home;
  env["STACKATO_APP_NAME"] = app.name;
  env["VCAP_APP_HOST"] = "127.0.0.1";
  json vcap_app = vcap_application(store, app, "https://api." + domain);
  env["MEMORY_LIMIT"] = std::to_string(vcap_app["limits"]["mem"].get<long>()) + "m";
  env["VCAP_APPLICATION"] = vcap_app.dump();
  ServiceEnv services = service_env(store, app.guid);
  env["VCAP_SERVICES"] = services.vcap_services.dump();
  env["STACKATO_SERVICES"] = services.stackato_services.dump();
  for (const auto& [k, v] : services.urls) env[k] = v;
  for (const auto& [k, v] : app.env) env[k] = v;
  return env;
}

std::vector<std::filesystem::path> volume_dirs(store::Store& store, const std::string& app_guid) {
  model::Model m(store);
  std::vector<std::filesystem::path> out;
  for (const auto& b : m.bindings_of(app_guid)) {
    auto si = m.service_instance(b.instance_guid);
    if (!si || si->label != "filesystem") continue;
    if (b.credentials.contains("dir") && b.credentials["dir"].is_string())
      out.emplace_back(b.credentials["dir"].get<std::string>());
  }
  return out;
}

int run_shell(const sandbox::Launch& launch, const Env& env, int timeout_s,
              const std::function<void(const std::string&, bool)>& line) {
  Child child;
  try {
    child = spawn(launch, env, std::nullopt);
  } catch (const std::exception& e) {
    line(std::string("cannot run the hook: ") + e.what(), true);
    return 127;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  if (!read_lines(child.out, child.err, line, deadline)) {
    ::kill(-child.pid, SIGKILL);
    line("(killed after " + std::to_string(timeout_s) + " s)", true);
  }
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace kato::runner
