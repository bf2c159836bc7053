#pragma once
// What a push changes, decided before anything is sent (cf CLI's push plan): from the manifest,
// the command line and what the target has now. Pure functions, unit-tested beside
// (plan_test.cpp); push/deploy.cpp carries them out step by step.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/model.hpp"
#include "push/deploy.hpp"
#include "stackato/manifest/manifest.hpp"

namespace stackato::client {

// The web process: a scale (only what changes), a command and a health check to set (only when
// they differ), and a line per change for an existing app ("Changing instances: 1 -> 2").
struct ProcessPlan {
  api::Scale scale;
  std::optional<std::string> command;
  std::optional<nlohmann::json> health_check;
  std::vector<std::string> changes, warnings;
  bool scales() const { return scale.instances || scale.memory_in_mb || scale.disk_in_mb; }
};
ProcessPlan plan_process(const api::Process& web, const manifest::App& app, const PushFlags& flags);

// The health check the manifest asks for, or nothing when the process has it already. Parts the
// manifest leaves out keep what the server has (cf's additive manifests); a worker gets the
// process check; an endpoint only goes with an http check (else a warning).
std::optional<nlohmann::json> plan_health_check(const nlohmann::json& current, const manifest::App& app,
                                                std::vector<std::string>& warnings);

// Environment variables: new ones set, changed ones updated, the others kept (the original's
// preserve mode). A line per change, hidden values never shown.
struct EnvPlan {
  nlohmann::json changes = nlohmann::json::object();  // for update_environment_variables
  std::vector<std::string> lines;
};
EnvPlan plan_env(const std::map<std::string, std::string>& current, const std::map<std::string, std::string>& wanted,
                 const manifest::App& app);

// The URLs to map: --url, else the manifest's, else the default route for an app that has none
// (an existing app keeps the routes it has, as cf push does); none for --no-route or a worker.
// Whether the plan maps the default route (NAME.DOMAIN): only then is a domain looked up.
bool wants_default_route(const manifest::App& app, const PushFlags& flags, bool has_routes);
std::vector<std::string> plan_urls(const manifest::App& app, const PushFlags& flags, bool has_routes,
                                   const std::string& default_domain);

}  // namespace stackato::client
