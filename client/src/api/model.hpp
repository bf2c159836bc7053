#pragma once
// Typed V3 resources, parsed from what a Cloud Controller answers (kato, CF, Korifi). Parsing
// takes the fields the client uses and tolerates everything else: unknown fields, null where a
// field may be absent, relationships with `data: null`. A field the client needs that is missing
// or of the wrong type is a ShapeError naming the resource and the field, never a JSON library's
// message.
//
// Layers, as in the cf CLI: commands/ parse flags and render; api/ speaks HTTP and returns these.
// Commands do not build "/v3/..." paths or read JSON fields by name for what is here.

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace stackato::client::api {

// The target answered with a shape the client cannot use: exit 1, one line.
struct ShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Organization {
  std::string guid, name;
  bool suspended = false;
};

struct Space {
  std::string guid, name, org_guid;
};

struct User {
  std::string guid;
  std::string username;  // presentation_name when username is null (a UAA client, not a person)
  std::string origin;    // "uaa", an identity provider, or "" for clients
};

// A role of a user in a space or an organization (one of the two guids is set).
struct Role {
  std::string guid, type, user_guid, space_guid, org_guid;
  bool in_space() const { return !space_guid.empty(); }
};

// Apps and what the client shows of them. The states are CAPI's: STARTED or STOPPED.
struct App {
  std::string guid, name, state, space_guid, created_at, updated_at;
  bool started() const { return state == "STARTED"; }
};

struct Process {
  std::string guid, type, app_guid;
  std::optional<std::string> command;  // null: the droplet's start command; lists hide it
  long instances = 0, memory_in_mb = 0, disk_in_mb = 0;
  nlohmann::json health_check;  // as answered: {"type": ..., "data": {...}}
};

// One instance in GET /v3/processes/:guid/stats. CAPI answers null where a starting or crashed
// instance has nothing yet (mem_quota, host, instance_ports, usage fields): those are nullopt.
struct InstanceStats {
  long index = 0;
  std::string state, details;
  std::optional<double> cpu;
  std::optional<long> mem, disk, mem_quota, disk_quota, uptime;
};

struct Destination {
  std::string guid, app_guid, process_type;
};

struct Route {
  std::string guid, url, host, path, domain_guid, space_guid;
  std::vector<Destination> destinations;
};

struct Domain {
  std::string guid, name, org_guid;  // org_guid "": shared with every organization
  bool internal = false;
  bool shared() const { return org_guid.empty(); }
};

struct ServiceInstance {
  std::string guid, name, type, space_guid, plan_guid;  // type "managed" or "user-provided"
  std::string operation, operation_state;               // last_operation: "create", "succeeded"
  std::string operation_description;                    // the broker's words, when it failed
  bool usable() const { return operation_state.empty() || operation_state == "succeeded"; }
  bool failed() const { return operation_state == "failed"; }
};

struct ServiceOffering {
  std::string guid, name, description;
};

struct ServicePlan {
  std::string guid, name, description, offering_guid;
};

// A service credential binding: type "app" (app_guid set) or "key" (a service key).
struct Binding {
  std::string guid, name, type, app_guid, instance_guid;
};

// A deployment (strategy rolling): ACTIVE while it rolls (reason DEPLOYING, CANCELING), then
// FINALIZED with reason DEPLOYED, CANCELED or SUPERSEDED; `error` says why it did not deploy.
struct Deployment {
  std::string guid, app_guid, status_value, status_reason, error, droplet_guid, previous_droplet_guid;
  bool finished() const { return status_value == "FINALIZED"; }
  bool deployed() const { return finished() && status_reason == "DEPLOYED"; }
};

// A package of app bits: AWAITING_UPLOAD, PROCESSING_UPLOAD, READY, FAILED, EXPIRED.
struct Package {
  std::string guid, state, error;
};

// A build of a package: STAGING, then STAGED (with its droplet) or FAILED (with an error).
struct Build {
  std::string guid, state, error, droplet_guid;
};

// A droplet: STAGED (or AWAITING_UPLOAD, PROCESSING_UPLOAD, COPYING, FAILED, EXPIRED), and the
// start command of each process type its build found.
struct Droplet {
  std::string guid, state;
  std::map<std::string, std::string> process_types;
};

// An organization's memory quota for apps and what its started instances use of it.
struct MemoryQuota {
  long limit_mb = 0, used_mb = 0;
};

// What `scale` changes; what is not set stays.
struct Scale {
  std::optional<long> instances, memory_in_mb, disk_in_mb;
};

App parse_app(const nlohmann::json& j);
Deployment parse_deployment(const nlohmann::json& j);
Package parse_package(const nlohmann::json& j);
Build parse_build(const nlohmann::json& j);
Droplet parse_droplet(const nlohmann::json& j);
Process parse_process(const nlohmann::json& j);
InstanceStats parse_instance_stats(const nlohmann::json& j);
Route parse_route(const nlohmann::json& j);
Domain parse_domain(const nlohmann::json& j);
ServiceInstance parse_service_instance(const nlohmann::json& j);
ServiceOffering parse_service_offering(const nlohmann::json& j);
ServicePlan parse_service_plan(const nlohmann::json& j);
Binding parse_binding(const nlohmann::json& j);

Organization parse_organization(const nlohmann::json& j);
Space parse_space(const nlohmann::json& j);
User parse_user(const nlohmann::json& j);
Role parse_role(const nlohmann::json& j);

// The role types, as CAPI names them, and the names cf's commands take (OrgManager,
// SpaceDeveloper, ...). Both are accepted; anything else is a UsageError listing the choices.
const std::vector<std::string>& org_role_types();
const std::vector<std::string>& space_role_types();
std::string org_role_type(const std::string& typed);
std::string space_role_type(const std::string& typed);
// "SpaceDeveloper" for "space_developer": how cf prints a role.
std::string role_title(const std::string& type);

}  // namespace stackato::client::api
