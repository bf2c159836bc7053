#pragma once
// The environment of an app's processes and hooks, as on Stackato: VCAP_APPLICATION,
// VCAP_SERVICES, STACKATO_SERVICES, DATABASE_URL, the user's variables, and the rest.

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model.hpp"
#include "runner/process.hpp"

namespace kato::store {
class Store;
}

namespace kato::runner {

// VCAP_SERVICES (keyed by label: "user-provided" or the offering), STACKATO_SERVICES (keyed by
// service name) and the *_URL variables for the app's bindings.
struct ServiceEnv {
  nlohmann::json vcap_services = nlohmann::json::object();
  nlohmann::json stackato_services = nlohmann::json::object();
  std::map<std::string, std::string> urls;  // DATABASE_URL, MYSQL_URL, POSTGRESQL_URL, REDIS_URL
};
ServiceEnv service_env(store::Store& store, const std::string& app_guid);

// VCAP_APPLICATION for an app, as /v3/apps/GUID/env and its processes see it.
nlohmann::json vcap_application(store::Store& store, const model::App& app, const std::string& api_url);

// For an app: the same at staging, in pre-running hooks and at run time.
Env app_env(store::Store& store, const model::App& app, const std::string& domain, const std::string& home);

// Runs a prepared command (Sandbox::prepare) with exactly `env`; each output line goes to
// `line(text, is_stderr)`. Returns the exit status (128+signal when killed). Kills the process
// group after `timeout_s`.
int run_shell(const sandbox::Launch& launch, const Env& env, int timeout_s,
              const std::function<void(const std::string&, bool)>& line);

// The directories of the filesystem services bound to the app: every sandbox of the app gets
// them writable.
std::vector<std::filesystem::path> volume_dirs(store::Store& store, const std::string& app_guid);

}  // namespace kato::runner
