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

}  // namespace stackato::client::api
