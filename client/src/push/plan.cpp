#include "push/plan.hpp"

#include <string_view>

#include "resources.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

// What of a health check counts: its type, the timeouts that are set, the endpoint of an http check.
json essential(const json& hc) {
  json out = {{"type", hc.is_object() ? hc.value("type", "port") : "port"}, {"data", json::object()}};
  json data = hc.is_object() ? hc.value("data", json::object()) : json::object();
  if (!data.is_object()) return out;
  for (const char* k : {"timeout", "invocation_timeout", "endpoint"})
    if (data.contains(k) && !data[k].is_null() && (std::string_view(k) != "endpoint" || out["type"] == "http"))
      out["data"][k] = data[k];
  return out;
}

// Shown values of env vars: hidden ones never appear.
std::string shown(const manifest::App& app, const std::string& name, const std::string& value) {
  for (const auto& v : app.env)
    if (v.name == name && v.hidden) return "(hidden)";
  return "'" + value + "'";
}

}  // namespace

std::optional<json> plan_health_check(const json& current, const manifest::App& app, std::vector<std::string>& warnings) {
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
      warnings.push_back("health-check-http-endpoint is ignored: the health check type is " + want["type"].get<std::string>());
  }
  if (want == now) return std::nullopt;
  return want;
}

ProcessPlan plan_process(const api::Process& web, const manifest::App& app, const PushFlags& flags) {
  ProcessPlan plan;
  // given < 0: not asked for
  auto want = [&](std::optional<long>& field, long now, long given, const char* label) {
    if (given < 0 || given == now) return;
    field = given;
    plan.changes.push_back(std::string("Changing ") + label + ": " + std::to_string(now) + " -> " + std::to_string(given));
  };
  want(plan.scale.instances, web.instances, flags.instances ? *flags.instances : app.instances.value_or(-1), "instances");
  want(plan.scale.memory_in_mb, web.memory_in_mb, flags.memory_mb ? *flags.memory_mb : app.memory_mb.value_or(-1), "memory (MB)");
  want(plan.scale.disk_in_mb, web.disk_in_mb, flags.disk_mb ? *flags.disk_mb : app.disk_mb.value_or(-1), "disk (MB)");
  std::optional<std::string> command = app.web_command ? app.web_command : app.command;
  if (command && web.command != *command) {
    plan.command = *command;
    plan.changes.push_back("Changing command: '" + *command + "'");
  }
  json current = web.health_check.is_object() ? web.health_check : json::object();
  if (auto hc = plan_health_check(current, app, plan.warnings)) {
    plan.health_check = *hc;
    plan.changes.push_back("Changing health check: " + describe_health(current) + " -> " + describe_health(*hc));
  }
  return plan;
}

EnvPlan plan_env(const std::map<std::string, std::string>& current, const std::map<std::string, std::string>& wanted,
                 const manifest::App& app) {
  EnvPlan plan;
  for (const auto& [k, v] : wanted) {
    auto it = current.find(k);
    if (it != current.end() && it->second == v) continue;
    plan.lines.push_back((it != current.end() ? "Changing env " : "Setting env ") + k + " = " + shown(app, k, v));
    plan.changes[k] = v;
  }
  return plan;
}

bool wants_default_route(const manifest::App& app, const PushFlags& flags, bool has_routes) {
  return !flags.no_route && !app.worker && flags.urls.empty() && !app.urls && !has_routes;
}

std::vector<std::string> plan_urls(const manifest::App& app, const PushFlags& flags, bool has_routes,
                                   const std::string& default_domain) {
  if (wants_default_route(app, flags, has_routes)) return {app.name + "." + default_domain};
  if (flags.no_route || app.worker) return {};
  if (!flags.urls.empty()) return flags.urls;
  return app.urls ? *app.urls : std::vector<std::string>{};
}

}  // namespace stackato::client
