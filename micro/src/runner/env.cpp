#include "runner/env.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <functional>

#include "store/store.hpp"

namespace kato::runner {

using json = nlohmann::json;

ServiceEnv service_env(store::Store& store, const std::string& app_guid) {
  ServiceEnv out;
  std::map<std::string, int> per_type;  // how many of each database type are bound
  std::map<std::string, std::string> uri_of_type;
  for (const auto& b : store.list("binding")) {
    if (b["_app"] != app_guid) continue;
    auto si = store.get("service_instance", b["_instance"]);
    if (!si) continue;
    std::string label = (*si)["type"] == "user-provided" ? "user-provided" : (*si).value("_label", std::string("user-provided"));
    json creds = b.value("_credentials", json::object());
    std::string name = b["name"].is_string() ? b["name"].get<std::string>() : (*si)["name"].get<std::string>();
    // Tags: the offering's (as CF gives them), then the instance's own.
    json tags = json::array();
    if (auto plan = store.get("service_plan", (*si).value("_plan", std::string())))
      if (auto offering = store.get("service_offering", (*plan).value("_offering", std::string())))
        for (const auto& t : (*offering).value("tags", json::array())) tags.push_back(t);
    for (const auto& t : (*si).value("tags", json::array())) tags.push_back(t);
    json entry = {{"label", label}, {"name", name}, {"tags", tags}, {"instance_guid", (*si)["guid"]},
                  {"instance_name", (*si)["name"]}, {"binding_guid", b["guid"]}, {"binding_name", b["name"]},
                  {"credentials", creds}, {"syslog_drain_url", (*si).value("syslog_drain_url", json(nullptr))},
                  {"volume_mounts", json::array()}};
    if (label != "user-provided") {
      entry["plan"] = (*si).value("_plan_name", std::string("default"));
      entry["provider"] = nullptr;
    }
    out.vcap_services[label].push_back(entry);
    out.stackato_services[(*si)["name"].get<std::string>()] = creds;
    if (creds.contains("uri") && creds["uri"].is_string()) {
      ++per_type[label];
      uri_of_type[label] = creds["uri"];
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

json vcap_application(store::Store& store, const json& app, const std::string& api_url) {
  std::string space_name, org_name, org_guid;
  if (auto space = store.get("space", app["_space"])) {
    space_name = (*space)["name"];
    org_guid = (*space)["_org"];
    if (auto org = store.get("organization", org_guid)) org_name = (*org)["name"];
  }
  long mem = 256, disk = 1024;
  for (const auto& p : store.list("process"))
    if (p["_app"] == app["guid"] && p["type"] == "web") {
      mem = p["memory_in_mb"];
      disk = p["disk_in_mb"];
    }
  json uris = json::array();
  for (const auto& r : store.list("route"))
    for (const auto& d : r["destinations"])
      if (d["app"]["guid"] == app["guid"]) {
        uris.push_back(r["url"]);
        break;
      }
  return {{"cf_api", api_url}, {"limits", {{"fds", 16384}, {"mem", mem}, {"disk", disk}}},
          {"application_name", app["name"]}, {"application_id", app["guid"]}, {"application_uris", uris},
          {"uris", uris}, {"name", app["name"]}, {"space_name", space_name}, {"space_id", app["_space"]},
          {"organization_id", org_guid}, {"organization_name", org_name}, {"users", nullptr}};
}

Env app_env(store::Store& store, const json& app, const std::string& domain, const std::string& home) {
  Env env;
  env["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  env["LANG"] = "C.UTF-8";
  env["HOME"] = home;
  env["STACKATO_APP_ROOT"] = home;
  env["STACKATO_DOCUMENT_ROOT"] = home;
  env["STACKATO_APP_NAME"] = app["name"];
  env["VCAP_APP_HOST"] = "127.0.0.1";
  json vcap_app = vcap_application(store, app, "https://api." + domain);
  env["MEMORY_LIMIT"] = std::to_string(vcap_app["limits"]["mem"].get<long>()) + "m";
  env["VCAP_APPLICATION"] = vcap_app.dump();
  ServiceEnv services = service_env(store, app["guid"]);
  env["VCAP_SERVICES"] = services.vcap_services.dump();
  env["STACKATO_SERVICES"] = services.stackato_services.dump();
  for (const auto& [k, v] : services.urls) env[k] = v;
  for (const auto& [k, v] : app["_env"].items()) env[k] = v.get<std::string>();
  return env;
}

std::vector<std::filesystem::path> volume_dirs(store::Store& store, const std::string& app_guid) {
  std::vector<std::filesystem::path> out;
  for (const auto& b : store.list("binding")) {
    if (b["_app"] != app_guid) continue;
    auto si = store.get("service_instance", b["_instance"]);
    if (!si || (*si).value("_label", std::string()) != "filesystem") continue;
    const json creds = b.value("_credentials", json::object());
    if (creds.contains("dir") && creds["dir"].is_string()) out.emplace_back(creds["dir"].get<std::string>());
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
