#pragma once
// Loading stackato.yml / manifest.yml: find, inherit, normalise, substitute, validate.
// No network and no I/O beyond reading files: everything that depends on the target comes in
// through Context (see context.hpp).

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stackato/manifest/context.hpp"

namespace stackato::manifest {

// A bad manifest. what() is one line: "FILE:LINE:COL: Manifest error: ..." (location when known).
class Error : public std::runtime_error {
 public:
  Error(std::string file, int line, int column, const std::string& message);
  const std::string& file() const { return file_; }
  int line() const { return line_; }      // 1-based; 0 when unknown
  int column() const { return column_; }  // 1-based; 0 when unknown

 private:
  std::string file_;
  int line_, column_;
};

struct Service {
  std::string name;
  std::string type;  // label; empty for a CF name-only entry (must already exist)
  std::string plan, provider, version;
  std::vector<std::string> tags;
  nlohmann::json parameters = nlohmann::json::object();
  nlohmann::json credentials = nlohmann::json::object();  // user-provided only
  bool cache = false;  // filesystem service named "<app>-cache": the app's staging cache
};

struct EnvVar {
  std::string name;
  std::optional<std::string> default_value;
  bool required = false, inherit = false, hidden = false;
  std::optional<std::string> prompt;
  std::vector<std::string> choices;
  std::string scope = "both";  // staging | runtime | both
};

struct App {
  std::string name;
  std::filesystem::path path;  // absolute
  std::optional<int> instances;
  std::optional<long> memory_mb, disk_mb;
  std::optional<std::vector<std::string>> urls;  // nullopt: the default route
  std::optional<std::string> buildpack, stack, docker_image, command, framework, runtime;
  std::optional<std::string> web_command;  // processes: web
  bool worker = false;                     // processes: {web: ~} or framework standalone
  std::vector<Service> services;
  std::vector<EnvVar> env;
  std::map<std::string, std::vector<std::string>> hooks;  // pre-push, pre-staging, ...
  std::vector<std::string> cron;
  std::optional<std::vector<std::string>> ignores;  // nullopt: the default list
  std::optional<std::string> min_client_version, min_server_version;
  std::optional<int> timeout;  // seconds the instances have to become healthy
  // health-check-type ("none" is the old name of "process"), -http-endpoint, -invocation-timeout
  std::optional<std::string> health_check_type, health_check_endpoint;
  std::optional<int> health_check_invocation_timeout;
  std::vector<std::string> depends_on;
  nlohmann::ordered_json json;  // the whole normalised definition (requirements, drain, ...)
};

struct Manifest {
  std::filesystem::path file;  // empty: no manifest found
  std::vector<App> apps;       // selected apps, in depends-on order
  nlohmann::ordered_json json; // {"applications": {name: def}, "properties": {...}}
};

struct LoadOptions {
  std::filesystem::path path = ".";          // --path: the application directory
  std::optional<std::filesystem::path> file; // --manifest
  std::optional<std::string> as_name;        // --as: rename the single selected app
  std::optional<std::string> name;           // app name from the command line: names a
                                             // stackato.yml that has no `name:`
};

// Finds and loads the manifest. Throws Error for a bad manifest. A missing manifest is not an
// error: the result has an empty file and no apps.
Manifest load(const LoadOptions& options, Context& context);

// The manifest file that load() would read, if any (stackato.yml in the dir, else manifest.yml
// there or in a parent directory).
std::optional<std::filesystem::path> find_manifest(const LoadOptions& options);

// The normalised manifest as YAML (the form `stackato manifest` prints).
std::string to_yaml(const nlohmann::ordered_json& value);

// The manifest that push puts at the zip root for the stager: one app, relative path.
std::string upload_manifest(const Manifest& manifest, const App& app);

// "version conflict for client: have X, need at least Y" when the app needs a newer version.
// server_version empty: the server check is skipped.
void check_min_version(const App& app, const std::string& client_version,
                       const std::string& server_version);

// Values of the app's env vars at push: default, then the environment (inherit), then
// --env overrides; prompts through the context when it is interactive.
std::map<std::string, std::string> resolve_env(const App& app,
                                               const std::map<std::string, std::string>& overrides,
                                               Context& context);

// Files (relative, sorted, '/'-separated) that push uploads: everything under app.path but what
// the ignore patterns (app.ignores, or the default list) exclude.
std::vector<std::string> upload_files(const App& app);

// Memory/disk sizes: "256" and "256M" are MB, "1G" and "1.5G" are GB. Throws std::invalid_argument.
long parse_memspec(const std::string& text);

// Tcl-style version comparison of dotted integers: <0, 0, >0.
int compare_versions(const std::string& a, const std::string& b);

}  // namespace stackato::manifest
