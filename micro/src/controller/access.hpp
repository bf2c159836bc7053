#pragma once
// Who may call what: every endpoint declares an Access when it is registered
// (Controller::Impl::add, which takes no route without one), and Controller::Impl::handle checks
// it in one place before the handler runs. Lists filter what the caller may see in one place
// too: paginate() takes how to find each item's space (Visible).
//
// The model is Cloud Foundry's: an admin (cloud_controller.admin) may do everything; otherwise
// a user's roles in a space or organization decide. A resource the caller may not see is a 404
// (its existence does not leak); one the caller sees but may not change is a 403.
//
//   role                   sees                         reads env, credentials   changes
//   admin                  everything                   yes                      everything
//   space_developer        its space                    yes                      its space's apps, routes, services
//   space_manager          its space                    no                       its space's name and roles
//   space_auditor          its space                    no                       nothing
//   organization_manager   its org and all its spaces   no                       its org's name, spaces and roles
//   organization_user      its org                      no                       nothing

#include <map>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace kato::store {
class Store;
}

namespace kato::controller {

enum class Need {
  Public,   // no token: discovery, the token endpoint
  Signed,   // any valid token: the marketplace, domains, jobs, and lists (filtered)
  Read,     // see the target
  Secrets,  // read its environment or credentials
  Write,    // change it
  Manage,   // manage it: a space's manager or its org's manager; an org's manager
  ManageOrg,  // an org manager of the target's organization (create or delete a space)
  Self,     // the target user itself (its password), or an admin
  Scrape,   // kato's scrape token (<data>/metrics-token), or an admin's token: GET /metrics
  Admin,    // an admin only
};

// What the target is: the kind of the first path parameter (or of the guid at `body`).
enum class On { Nothing, Org, Space, App, Process, Route, Package, Build, Droplet, Deployment, ServiceInstance, Binding, User, Role };

struct Access {
  Need need;
  On on = On::Nothing;
  const char* body = nullptr;  // JSON pointer to the target's guid in the body (creates)
  // A second target when the body does not name the first (a role is given in a space or in
  // an organization).
  On alt_on = On::Nothing;
  const char* alt_body = nullptr;
};

inline constexpr Access anyone{Need::Public};
inline constexpr Access signed_in{Need::Signed};
inline constexpr Access admin_only{Need::Admin};
constexpr Access read(On on) { return {Need::Read, on}; }
constexpr Access secrets(On on) { return {Need::Secrets, on}; }
constexpr Access write(On on) { return {Need::Write, on}; }
// A create: the caller must be able to change the resource named in the body.
constexpr Access write_in(On on, const char* pointer) { return {Need::Write, on, pointer}; }
constexpr Access manage(On on) { return {Need::Manage, on}; }

// How a list finds an item's space, for filtering it (paginate).
enum class Visible {
  All,
  Space,     // the item's _space
  App,       // the item's _app
  TheSpace,  // the item is a space
  TheOrg,    // the item is an organization
  TheUser,   // a user: itself, or one holding a role where the caller sees
  Role,      // a role: the caller's own, or in a space or org the caller sees
};

// The roles of a signed-in user, loaded once per request.
struct Caller {
  std::string guid, name;
  bool admin = false;
  std::map<std::string, std::set<std::string>> space_roles;  // space guid -> roles
  std::map<std::string, std::set<std::string>> org_roles;    // org guid -> roles
  std::set<std::string> orgs_seen;                           // orgs of any role, spaces' included

  bool sees_org(const std::string& org) const { return admin || orgs_seen.count(org); }
  bool sees_space(const std::string& space, const std::string& org) const;
  bool develops(const std::string& space) const;
  bool manages_org(const std::string& org) const;
  // A space_manager of the space, or an organization_manager of its org.
  bool manages_space(const std::string& space, const std::string& org) const;
};

// The caller's roles: the user's `_admin` flag and its role documents (the space membership
// older katos kept on the user becomes roles at start: Controller::bootstrap). nullopt: the
// user is gone.
std::optional<Caller> load_caller(store::Store& store, const std::string& user_guid);

// Where a resource lives: its space (empty for an organization) and organization. nullopt when
// it does not exist. A role lives where it is given; a user lives nowhere (Place{}).
struct Place {
  std::string space, org;
};
std::optional<Place> place_of(store::Store& store, On on, const std::string& guid);

// What a 404 or 422 calls the kind ("App", "Service instance").
std::string kind_name(On on);

}  // namespace kato::controller
