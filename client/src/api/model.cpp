#include "api/model.hpp"

#include <algorithm>
#include <cctype>

#include "cli.hpp"

namespace stackato::client::api {

using json = nlohmann::json;

namespace {

// The string at `pointer`; "" when it is absent or null and not required.
std::string text(const json& j, const char* resource, const char* pointer, bool required) {
  json::json_pointer p(pointer);
  if (j.is_object() && j.contains(p) && j[p].is_string()) return j[p].get<std::string>();
  bool present_and_wrong = j.is_object() && j.contains(p) && !j[p].is_null();
  if (required || present_and_wrong)
    throw ShapeError(std::string("the ") + resource + " in the target's answer has no usable '" + (pointer + 1) +
                     "' (" + (present_and_wrong ? std::string("a ") + j[p].type_name() : "missing") + ")");
  return "";
}

// A to-one relationship's guid: "" for `data: null` or no relationship.
std::string related(const json& j, const char* resource, const char* name) {
  return text(j, resource, (std::string("/relationships/") + name + "/data/guid").c_str(), false);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::erase(s, '_');
  return s;
}

std::string pick(const std::string& typed, const std::vector<std::string>& types, const char* what) {
  // "SpaceDeveloper", "space_developer", "spacedeveloper"; cf's "OrgManager" for
  // organization_manager and "BillingManager" for organization_billing_manager.
  std::string want = lower(typed);
  for (const auto& t : types) {
    std::string plain = lower(t);
    std::string org_short = plain.rfind("organization", 0) == 0 ? "org" + plain.substr(12) : plain;
    std::string billing = plain == "organizationbillingmanager" ? "billingmanager" : plain;
    if (want == plain || want == org_short || want == billing) return t;
  }
  std::string choices;
  for (const auto& t : types) choices += (choices.empty() ? "" : ", ") + role_title(t);
  throw UsageError("unknown " + std::string(what) + " role '" + typed + "': one of " + choices);
}

}  // namespace

Organization parse_organization(const json& j) {
  Organization o{text(j, "organization", "/guid", true), text(j, "organization", "/name", true), false};
  if (j.is_object() && j.contains("suspended") && j["suspended"].is_boolean()) o.suspended = j["suspended"];
  return o;
}

Space parse_space(const json& j) {
  return {text(j, "space", "/guid", true), text(j, "space", "/name", true), related(j, "space", "organization")};
}

User parse_user(const json& j) {
  User u{text(j, "user", "/guid", true), text(j, "user", "/username", false), text(j, "user", "/origin", false)};
  if (u.username.empty()) u.username = text(j, "user", "/presentation_name", false);
  if (u.username.empty()) u.username = u.guid;
  return u;
}

Role parse_role(const json& j) {
  Role r{text(j, "role", "/guid", true), text(j, "role", "/type", true), related(j, "role", "user"),
         related(j, "role", "space"), related(j, "role", "organization")};
  if (r.user_guid.empty()) throw ShapeError("the role in the target's answer names no user");
  return r;
}

const std::vector<std::string>& org_role_types() {
  static const std::vector<std::string> types = {"organization_user", "organization_manager", "organization_auditor",
                                                 "organization_billing_manager"};
  return types;
}

const std::vector<std::string>& space_role_types() {
  static const std::vector<std::string> types = {"space_developer", "space_manager", "space_auditor",
                                                 "space_supporter"};
  return types;
}

std::string org_role_type(const std::string& typed) { return pick(typed, org_role_types(), "organization"); }
std::string space_role_type(const std::string& typed) { return pick(typed, space_role_types(), "space"); }

std::string role_title(const std::string& type) {
  if (type == "organization_billing_manager") return "BillingManager";
  std::string t = type.rfind("organization_", 0) == 0 ? "org_" + type.substr(13) : type;
  std::string out;
  bool up = true;
  for (char c : t) {
    if (c == '_') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

namespace {

// A number at `key` when it is one; nullopt when absent or null; a ShapeError when something else.
template <class T>
std::optional<T> number(const json& j, const char* resource, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_number()) throw ShapeError(std::string("the ") + resource + " in the target's answer has no usable '" + key +
                                            "' (a " + j[key].type_name() + ")");
  return j[key].get<T>();
}

}  // namespace

App parse_app(const json& j) {
  return {text(j, "app", "/guid", true),        text(j, "app", "/name", true),
          text(j, "app", "/state", true),       related(j, "app", "space"),
          text(j, "app", "/created_at", false), text(j, "app", "/updated_at", false)};
}

Deployment parse_deployment(const json& j) {
  Deployment d;
  d.guid = text(j, "deployment", "/guid", true);
  d.app_guid = related(j, "deployment", "app");
  d.status_value = text(j, "deployment", "/status/value", true);
  d.status_reason = text(j, "deployment", "/status/reason", false);
  d.error = text(j, "deployment", "/status/details/error", false);
  d.droplet_guid = text(j, "deployment", "/droplet/guid", false);
  d.previous_droplet_guid = text(j, "deployment", "/previous_droplet/guid", false);
  return d;
}

Package parse_package(const json& j) {
  return {text(j, "package", "/guid", true), text(j, "package", "/state", true), text(j, "package", "/data/error", false)};
}

Build parse_build(const json& j) {
  return {text(j, "build", "/guid", true), text(j, "build", "/state", true), text(j, "build", "/error", false),
          text(j, "build", "/droplet/guid", false)};
}

Droplet parse_droplet(const json& j) {
  Droplet d{text(j, "droplet", "/guid", true), text(j, "droplet", "/state", true), {}};
  if (j.contains("process_types") && j["process_types"].is_object())
    for (const auto& [type, command] : j["process_types"].items())
      if (command.is_string()) d.process_types[type] = command.get<std::string>();
  return d;
}

Process parse_process(const json& j) {
  Process p;
  p.guid = text(j, "process", "/guid", true);
  p.type = text(j, "process", "/type", true);
  p.app_guid = related(j, "process", "app");
  if (auto c = text(j, "process", "/command", false); !c.empty()) p.command = c;
  p.instances = number<long>(j, "process", "instances").value_or(0);
  p.memory_in_mb = number<long>(j, "process", "memory_in_mb").value_or(0);
  p.disk_in_mb = number<long>(j, "process", "disk_in_mb").value_or(0);
  if (j.contains("health_check") && j["health_check"].is_object()) p.health_check = j["health_check"];
  return p;
}

InstanceStats parse_instance_stats(const json& j) {
  InstanceStats s;
  s.index = number<long>(j, "instance", "index").value_or(0);
  s.state = text(j, "instance", "/state", true);
  s.details = text(j, "instance", "/details", false);
  const json usage = j.is_object() && j.contains("usage") && j["usage"].is_object() ? j["usage"] : json::object();
  s.cpu = number<double>(usage, "instance's usage", "cpu");
  s.mem = number<long>(usage, "instance's usage", "mem");
  s.disk = number<long>(usage, "instance's usage", "disk");
  s.mem_quota = number<long>(j, "instance", "mem_quota");
  s.disk_quota = number<long>(j, "instance", "disk_quota");
  s.uptime = number<long>(j, "instance", "uptime");
  return s;
}

Route parse_route(const json& j) {
  Route r{text(j, "route", "/guid", true), text(j, "route", "/url", true), text(j, "route", "/host", false),
          text(j, "route", "/path", false), related(j, "route", "domain"), related(j, "route", "space"), {}};
  if (j.contains("destinations") && j["destinations"].is_array())
    for (const auto& d : j["destinations"])
      r.destinations.push_back({text(d, "route destination", "/guid", true), text(d, "route destination", "/app/guid", true),
                                text(d, "route destination", "/app/process/type", false)});
  return r;
}

Domain parse_domain(const json& j) {
  Domain d{text(j, "domain", "/guid", true), text(j, "domain", "/name", true), related(j, "domain", "organization"), false};
  if (j.contains("internal") && j["internal"].is_boolean()) d.internal = j["internal"];
  return d;
}

ServiceInstance parse_service_instance(const json& j) {
  ServiceInstance si{text(j, "service instance", "/guid", true), text(j, "service instance", "/name", true),
                     text(j, "service instance", "/type", true), related(j, "service instance", "space"),
                     related(j, "service instance", "service_plan"), "", "", ""};
  if (j.contains("last_operation") && j["last_operation"].is_object()) {
    si.operation = text(j["last_operation"], "service instance's last operation", "/type", false);
    si.operation_state = text(j["last_operation"], "service instance's last operation", "/state", false);
    si.operation_description = text(j["last_operation"], "service instance's last operation", "/description", false);
  }
  return si;
}

ServiceOffering parse_service_offering(const json& j) {
  return {text(j, "service offering", "/guid", true), text(j, "service offering", "/name", true),
          text(j, "service offering", "/description", false)};
}

ServicePlan parse_service_plan(const json& j) {
  return {text(j, "service plan", "/guid", true), text(j, "service plan", "/name", true),
          text(j, "service plan", "/description", false), related(j, "service plan", "service_offering")};
}

Binding parse_binding(const json& j) {
  return {text(j, "service binding", "/guid", true), text(j, "service binding", "/name", false),
          text(j, "service binding", "/type", true), related(j, "service binding", "app"),
          related(j, "service binding", "service_instance")};
}

}  // namespace stackato::client::api
