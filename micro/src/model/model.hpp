#pragma once
// kato's typed model over the store: what the runner, router, stager and exec read. The store
// keeps V3-shaped JSON documents (fields starting with `_` are kato's own); this file and
// model.cpp are the one place outside the controller that knows those fields' names, and
// schema.hpp is where their versions and migrations live.
//
// Contract: every parse_* takes a stored document and returns a value with the documented
// defaults for what is absent (older data dirs lack newer fields); it never throws for a
// missing field, only for a document that is not an object (a corrupt store).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kato::store {
class Store;
}

namespace kato::model {

using json = nlohmann::json;

struct Organization {
  std::string guid, name;
};

struct Space {
  std::string guid, name, org_guid;
};

struct App {
  std::string guid, name, space_guid;
  std::string state;         // STARTED or STOPPED
  std::string droplet_guid;  // the current droplet, "" before the first staging
  std::map<std::string, std::string> env;  // the user's environment_variables
  bool runnable() const { return state == "STARTED" && !droplet_guid.empty(); }
};

struct HealthCheck {
  std::string type = "port";  // port, http or process
  std::string endpoint = "/";
  std::optional<int> timeout_s;  // the start timeout; the runner's default when absent
  int invocation_timeout_s = 1;
};

struct Process {
  std::string guid, app_guid, type;
  long instances = 1, memory_mb = 256, disk_mb = 1024;
  std::optional<std::string> command;  // the droplet's process type when absent
  HealthCheck health;
};

struct Droplet {
  std::string guid;
  std::map<std::string, std::string> process_types;
  std::vector<std::string> pre_running;  // the manifest's pre-running hooks, "-" for tolerant
};

struct Destination {
  std::string app_guid, process_type = "web";
};

struct Route {
  std::string guid, host, path, url, space_guid, domain_guid;
  std::vector<Destination> destinations;
};

struct Domain {
  std::string guid, name;
};

struct ServiceInstance {
  std::string guid, name;
  bool user_provided = true;
  std::string label;  // the broker's offering (mysql, postgresql, redis, filesystem), "user-provided"
  std::string plan_guid, plan_name;
  json tags = json::array();
  json syslog_drain_url = nullptr;
};

struct Binding {
  std::string guid, app_guid, instance_guid;
  std::optional<std::string> name;
  json credentials = json::object();
};

struct User {
  std::string guid, name;
  bool admin = true;  // the first user (made at kato's first start) has no flag: it is the admin
};

// A role in a space or in an organization (one of the two guids is set).
struct Role {
  std::string guid, type, user_guid, space_guid, org_guid;
};

Organization parse_organization(const json& doc);
Space parse_space(const json& doc);
App parse_app(const json& doc);
Process parse_process(const json& doc);
Droplet parse_droplet(const json& doc);
Route parse_route(const json& doc);
Domain parse_domain(const json& doc);
ServiceInstance parse_service_instance(const json& doc);
Binding parse_binding(const json& doc);
User parse_user(const json& doc);
Role parse_role(const json& doc);

// Typed reads. Each is one or two store reads; none holds a lock of its own, so callers must
// not hold a hot lock across them (the store's SQLite work is slow next to a map lookup).
class Model {
 public:
  explicit Model(store::Store& store) : store_(store) {}
  std::optional<App> app(const std::string& guid);
  std::optional<Space> space(const std::string& guid);
  std::optional<Organization> organization(const std::string& guid);
  std::optional<Process> process(const std::string& guid);
  std::optional<Process> web_process(const std::string& app_guid);
  std::optional<Droplet> droplet(const std::string& guid);
  std::vector<Route> routes();
  std::vector<Route> routes_to(const std::string& app_guid);
  std::vector<Domain> domains();
  std::vector<Binding> bindings_of(const std::string& app_guid);
  std::optional<ServiceInstance> service_instance(const std::string& guid);
  // The tags of the offering of a plan (VCAP_SERVICES lists them before the instance's own).
  std::vector<std::string> offering_tags(const std::string& plan_guid);
  std::optional<User> user(const std::string& guid);
  std::vector<Role> roles_of(const std::string& user_guid);

 private:
  store::Store& store_;
};

}  // namespace kato::model
