#pragma once
// V3 lookups and steps that several commands share: the current space, apps by name, routes
// from "host.domain/path", jobs and app start-up followed to the end.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/cloud_controller.hpp"
#include "session.hpp"

namespace stackato::client {

// By name, exactly; not found says so, with a suggestion (exit 1).
api::Organization org_named(api::CloudController& cc, const std::string& name);
api::Space space_named(api::CloudController& cc, const api::Organization& org, const std::string& name);
api::User user_named(api::CloudController& cc, const std::string& name);
// The current organization (chosen at login or with switch-org); a UsageError when there is none.
api::Organization current_org(Session& s, api::CloudController& cc);
// A yes/no question on a terminal; true without asking when -n or no terminal.
bool confirmed(const Globals& globals, const std::string& question);

// The current space's guid (chosen at login); a UsageError when there is none.
std::string space_of(Session& s);
// The current organization's guid (chosen at login); "" when there is none.
std::string organization_of(Session& s);
// The app of that name in the current space, if any.
std::optional<api::App> find_app(Session& s, const std::string& name);
// The app of that name in the current space; not found says so, with a suggestion.
api::App app_named(Session& s, const std::string& name);
// The organization (space of `org`) named `wanted`; else the only one; else a menu on a terminal
// (`interactive`), or a usage error naming the flag.
api::Organization choose_org(api::CloudController& cc, const std::string& wanted, bool interactive);
api::Space choose_space(api::CloudController& cc, const api::Organization& org, const std::string& wanted, bool interactive);
// Makes them the target's current ones (config), and says so.
void save_org_space(Session& s, const api::Organization& org, const api::Space& space);

// "host.domain/path" split at the first dot, as the original client did; the domain must exist.
struct RouteSpec {
  std::string host, domain_guid, domain, path;
  std::string url() const { return host + "." + domain + path; }
};
RouteSpec parse_url(Session& s, std::string url);
std::optional<api::Route> find_route(Session& s, const RouteSpec& r);
// Finds or creates the route and adds the app as a destination (no-op when already there).
// True when the app was not mapped before.
bool map_route(Session& s, const api::App& app, const RouteSpec& r);
// Removes the app's destinations from the route.
enum class Unmapped { NoRoute, NotMapped, Done };
Unmapped unmap_route(Session& s, const std::string& app_guid, const RouteSpec& r);
// Deletes the route, if it exists.
void delete_route(Session& s, const RouteSpec& r);

// The completion cache (`names`): the target's whole list of a kind ("app", "service"), or one
// name added or removed. Never fails a command.
void cache_names(Session& s, const std::string& kind, const std::vector<std::string>& names);
void cache_name(Session& s, const std::string& kind, const std::string& name, bool present);

// Four random hex digits, for generated names (TYPE-xxxx services, temporary routes).
std::string random_hex4();

// Follows an async job (Location of a 202) until COMPLETE; FAILED throws its detail.
void wait_job(Session& s, const std::string& location);
// Until every web instance runs, or throws with the crash reason and the last log lines.
void wait_running(Session& s, const api::App& app, long timeout_s);
// A process's health check for people: "http /health (invocation timeout 5 s, start timeout 90 s)".
std::string describe_health(const nlohmann::json& health_check);

}  // namespace stackato::client
