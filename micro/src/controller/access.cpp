#include "controller/access.hpp"

#include "model/model.hpp"
#include "store/store.hpp"

namespace kato::controller {

using json = nlohmann::json;

bool Caller::sees_space(const std::string& space, const std::string& org) const {
  if (admin || space_roles.count(space)) return true;
  auto it = org_roles.find(org);
  return it != org_roles.end() && it->second.count("organization_manager");
}

bool Caller::develops(const std::string& space) const {
  if (admin) return true;
  auto it = space_roles.find(space);
  return it != space_roles.end() && it->second.count("space_developer");
}

bool Caller::manages_org(const std::string& org) const {
  if (admin) return true;
  auto it = org_roles.find(org);
  return it != org_roles.end() && it->second.count("organization_manager");
}

bool Caller::manages_space(const std::string& space, const std::string& org) const {
  if (manages_org(org)) return true;
  auto it = space_roles.find(space);
  return it != space_roles.end() && it->second.count("space_manager");
}

std::optional<Caller> load_caller(store::Store& store, const std::string& user_guid) {
  model::Model m(store);
  auto user = m.user(user_guid);
  if (!user) return std::nullopt;
  Caller c;
  c.guid = user_guid;
  c.name = user->name;
  c.admin = user->admin;
  for (const auto& r : m.roles_of(user_guid)) {
    if (!r.space_guid.empty()) c.space_roles[r.space_guid].insert(r.type);
    if (!r.org_guid.empty()) c.org_roles[r.org_guid].insert(r.type);
  }
  for (const auto& [org, roles] : c.org_roles) c.orgs_seen.insert(org);
  for (const auto& [space, roles] : c.space_roles)
    if (auto s = m.space(space)) c.orgs_seen.insert(s->org_guid);
  return c;
}

namespace {

std::optional<Place> place_of_app(store::Store& store, const std::string& app_guid) {
  auto app = store.get("app", app_guid);
  if (!app) return std::nullopt;
  return place_of(store, On::Space, app->value("_space", ""));
}

}  // namespace

std::optional<Place> place_of(store::Store& store, On on, const std::string& guid) {
  auto via = [&](const char* type, const char* field, On next) -> std::optional<Place> {
    auto doc = store.get(type, guid);
    if (!doc) return std::nullopt;
    return next == On::App ? place_of_app(store, doc->value(field, "")) : place_of(store, next, doc->value(field, ""));
  };
  switch (on) {
    case On::Nothing: return Place{};
    case On::Org:
      if (!store.get("organization", guid)) return std::nullopt;
      return Place{"", guid};
    case On::Space: {
      auto s = store.get("space", guid);
      if (!s) return std::nullopt;
      return Place{guid, s->value("_org", "")};
    }
    case On::App: return place_of_app(store, guid);
    case On::Process: return via("process", "_app", On::App);
    case On::Route: return via("route", "_space", On::Space);
    case On::Package: return via("package", "_app", On::App);
    case On::Build: return via("build", "_app", On::App);
    case On::Droplet: return via("droplet", "_app", On::App);
    case On::Deployment: return via("deployment", "_app", On::App);
    case On::ServiceInstance: return via("service_instance", "_space", On::Space);
    case On::Binding: return via("binding", "_app", On::App);
    // Users are seen through the roles they hold (Visible::TheUser).
    case On::User: return store.get("user", guid) ? std::optional<Place>(Place{}) : std::nullopt;
    case On::Role: {
      auto r = store.get("role", guid);
      if (!r) return std::nullopt;
      if (auto space = r->value("_space", std::string()); !space.empty()) {
        auto in = place_of(store, On::Space, space);
        return in ? in : std::optional<Place>(Place{});
      }
      return Place{"", r->value("_org", "")};
    }
  }
  return std::nullopt;
}

std::string kind_name(On on) {
  switch (on) {
    case On::Nothing: return "Resource";
    case On::Org: return "Organization";
    case On::Space: return "Space";
    case On::App: return "App";
    case On::Process: return "Process";
    case On::Route: return "Route";
    case On::Package: return "Package";
    case On::Build: return "Build";
    case On::Droplet: return "Droplet";
    case On::Deployment: return "Deployment";
    case On::ServiceInstance: return "Service instance";
    case On::Binding: return "Service credential binding";
    case On::User: return "User";
    case On::Role: return "Role";
  }
  return "Resource";
}

}  // namespace kato::controller
