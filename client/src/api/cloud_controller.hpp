#pragma once
// One typed call per Cloud Controller endpoint (cf CLI's api/cloudcontroller/ccv3), over a
// Session (target, token, TLS, refresh). Lists follow pagination to the end. Async answers (202)
// are followed to the job's end, so a call returns when its work is done; a FAILED job throws
// ApiError with the job's detail.
//
// Organizations, spaces, users, roles; apps, processes, routes, services and their listings; what
// push and releases call (packages.cpp). The rest of the client moves here (issue 16).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/model.hpp"
#include "session.hpp"

namespace stackato::client::api {

class CloudController {
 public:
  explicit CloudController(Session& session) : s_(session) {}

  // GET /v3/apps/:guid/droplets/current: whether the app has a droplet (404: none yet, as after
  // a first push that was cut short before its staging finished).
  bool has_current_droplet(const std::string& app_guid);

  // GET /v3/organizations[?names=]
  std::vector<Organization> organizations(const std::string& name = "");
  Organization organization(const std::string& guid);
  Organization create_organization(const std::string& name);
  Organization rename_organization(const std::string& guid, const std::string& name);
  void delete_organization(const std::string& guid);

  // GET /v3/spaces?organization_guids=[&names=]; every visible space when org_guid is "".
  std::vector<Space> spaces(const std::string& org_guid, const std::string& name = "");
  Space create_space(const std::string& org_guid, const std::string& name);
  Space rename_space(const std::string& guid, const std::string& name);
  void delete_space(const std::string& guid);
  // How many apps and service instances a space holds (one small request each).
  long count_apps(const std::string& space_guid);
  long count_service_instances(const std::string& space_guid);

  // GET /v3/users[?usernames=]
  std::vector<User> users(const std::string& username = "");
  User create_user(const std::string& username, const std::string& password);
  void delete_user(const std::string& guid);
  std::vector<User> space_users(const std::string& space_guid);
  std::vector<User> organization_users(const std::string& org_guid);

  struct RoleFilter {
    std::string user_guid, space_guid, org_guid, type;
  };
  std::vector<Role> roles(const RoleFilter& filter);
  // POST /v3/roles by username, as cf does (the user's guid may not be visible to the caller).
  Role create_space_role(const std::string& type, const std::string& username, const std::string& space_guid);
  Role create_org_role(const std::string& type, const std::string& username, const std::string& org_guid);
  void delete_role(const std::string& guid);

  // Apps, processes and their instances. Filters that take GUIDs are sent 100 at a time (a query
  // string has a length limit), so a listing costs a fixed number of requests per 100 apps.
  // GET /v3/apps?space_guids=[&names=]
  std::vector<App> apps(const std::string& space_guid, const std::string& name = "");
  // GET /v3/apps?guids=: the apps of a route, say, whatever their space.
  std::vector<App> apps_by_guid(const std::vector<std::string>& guids);
  // DELETE /v3/apps/:guid, its job followed.
  void delete_app(const std::string& app_guid);

  // Deployments. Whether the target has them at all: GET /v3/deployments answers (CF since
  // 2019, kato) or is a 404 (older or partial implementations).
  bool offers_deployments();
  // POST /v3/deployments, strategy rolling, of `droplet_guid` (which becomes the app's current
  // droplet).
  Deployment create_deployment(const std::string& app_guid, const std::string& droplet_guid);
  Deployment deployment(const std::string& guid);
  void cancel_deployment(const std::string& guid);

  // Pushing (api/packages.cpp). GET /v3/info's version ("" when the target gives none).
  std::string server_version();
  // GET /v3/info: name, version (null when none), description, as the target gives them.
  nlohmann::json info();
  // kato's exec WebSocket for an instance of the app's web process (stackato run, dbshell).
  static std::string exec_path(const std::string& app_guid, int instance);
  // GET /v3/apps/:guid
  App app(const std::string& guid);
  // The same, nothing for a 404 (an app deleted meanwhile).
  std::optional<App> app_if_any(const std::string& guid);
  // GET /v3/organization_quotas?organization_guids= and /v3/organizations/:guid/usage_summary:
  // nothing when the organization has no memory limit or the target lacks these endpoints.
  std::optional<MemoryQuota> organization_memory(const std::string& org_guid);
  // POST /v3/apps in a space, with its environment variables (none: none sent).
  App create_app(const std::string& name, const std::string& space_guid, const std::map<std::string, std::string>& env);
  // PATCH /v3/apps/:guid's name
  App rename_app(const std::string& guid, const std::string& name);
  // PATCH /v3/processes/:guid: what is set of command and health check (a {type, data} object).
  Process update_process(const std::string& guid, const std::optional<std::string>& command,
                         const std::optional<nlohmann::json>& health_check);
  // GET /v3/organizations/:guid/domains/default (nothing from an older server), else the first
  // domain the caller sees; nothing when there is none.
  std::optional<Domain> default_domain(const std::string& org_guid);
  // POST /v3/resource_matches: of these files ({checksum: {value}, size_in_bytes, path, mode}),
  // the (SHA-1, size) the server holds already. Up to 5000 a call, as CAPI takes them.
  std::vector<std::pair<std::string, std::uint64_t>> resource_matches(const nlohmann::json& resources);
  // POST /v3/packages (type bits) for an app; GET one.
  Package create_package(const std::string& app_guid);
  Package package(const std::string& guid);
  // GET /v3/apps/:guid/packages?states=READY&order_by=-created_at&per_page=1: the app's newest
  // uploaded package (what restage builds again, as cf restage picks it); nothing when none is.
  std::optional<Package> newest_package(const std::string& app_guid);
  // POST /v3/packages/:guid/upload: the form (resources, bits) streamed from disk.
  void upload_package(const std::string& guid, const std::vector<FormPart>& parts, const Progress& progress);
  // POST /v3/builds of a package; GET one.
  Build create_build(const std::string& package_guid);
  Build build(const std::string& guid);
  // PATCH /v3/apps/:guid/relationships/current_droplet
  void set_current_droplet(const std::string& app_guid, const std::string& droplet_guid);
  // GET /v3/apps/:guid/processes/:type
  Process app_process(const std::string& app_guid, const std::string& type = "web");
  // POST /v3/processes/:guid/actions/scale
  Process scale(const std::string& process_guid, const Scale& scale);
  // POST /v3/apps/:guid/actions/start|stop|restart: the app as it is after.
  App app_action(const std::string& app_guid, const std::string& action);
  // GET /v3/apps/:guid/environment_variables: the user's variables (values that are not strings
  // in their JSON text).
  std::map<std::string, std::string> environment_variables(const std::string& app_guid);
  // PATCH /v3/apps/:guid/environment_variables: a null value removes the variable.
  void update_environment_variables(const std::string& app_guid, const nlohmann::json& changes);
  // GET /v3/processes?space_guids=&types=: every process of a space in one listing.
  std::vector<Process> space_processes(const std::string& space_guid, const std::string& type = "");
  // GET /v3/processes/:guid/stats, for many processes at once: at most 8 in flight, answers in
  // the order asked.
  std::vector<std::vector<InstanceStats>> process_stats(const std::vector<std::string>& process_guids);
  // One process's: returned by value (a range-for over process_stats(...)[0] would dangle).
  std::vector<InstanceStats> instance_stats(const std::string& process_guid);

  // Routes and domains. GET /v3/routes?space_guids=
  std::vector<Route> space_routes(const std::string& space_guid);
  // GET /v3/apps/:guid/routes
  std::vector<Route> app_routes(const std::string& app_guid);
  std::vector<Domain> domains();
  // GET /v3/domains?names=
  std::optional<Domain> domain_named(const std::string& name);
  // GET /v3/routes?domain_guids=&hosts=&paths=, checked here too (some servers ignore an empty
  // paths=).
  std::optional<Route> find_route(const std::string& domain_guid, const std::string& host, const std::string& path);
  // POST /v3/routes (path "" for none)
  Route create_route(const std::string& space_guid, const std::string& domain_guid, const std::string& host,
                     const std::string& path);
  // DELETE /v3/routes/:guid, its job followed.
  void delete_route(const std::string& guid);
  // POST /v3/routes/:guid/destinations: the app's web process, on the default port.
  void add_destination(const std::string& route_guid, const std::string& app_guid);
  // DELETE /v3/routes/:guid/destinations/:destination_guid
  void remove_destination(const std::string& route_guid, const std::string& destination_guid);

  // Services (creating them: api/services.cpp). A service instance by name in a space, with its
  // offering's and plan's names (the listing's fields[]); nothing when there is none.
  struct NamedInstance {
    ServiceInstance instance;
    std::string offering, plan;  // "user-provided" has neither
  };
  std::optional<NamedInstance> service_instance_named(const std::string& space_guid, const std::string& name);
  ServiceInstance service_instance(const std::string& guid);
  // GET /v3/service_plans?service_offering_names=
  std::vector<ServicePlan> plans_of_offering(const std::string& offering);
  // POST /v3/service_instances. A managed one returns when its job is done; one that the broker
  // fails is deleted again and ApiError has the broker's detail (a refused POST, say a name
  // taken, deletes nothing). A user-provided one returns at once.
  void create_managed_instance(const std::string& name, const std::string& space_guid, const std::string& plan_guid,
                               const nlohmann::json& parameters, const std::vector<std::string>& tags);
  void create_user_provided_instance(const std::string& name, const std::string& space_guid,
                                     const nlohmann::json& credentials, const std::vector<std::string>& tags);
  // GET /v3/service_instances?space_guids=[&names=]
  std::vector<ServiceInstance> service_instances(const std::string& space_guid, const std::string& name = "");
  std::vector<ServiceOffering> service_offerings();
  std::vector<ServicePlan> service_plans();
  // GET /v3/service_credential_bindings?type=app&service_instance_guids=
  std::vector<Binding> app_bindings(const std::vector<std::string>& instance_guids);
  // GET /v3/service_credential_bindings?type=app&app_guids=&service_instance_guids=
  std::vector<Binding> app_bindings(const std::string& app_guid, const std::string& instance_guid);
  // POST /v3/service_credential_bindings (type app), its job followed when the broker is asked.
  void bind(const std::string& instance_guid, const std::string& app_guid);
  // DELETE /v3/service_credential_bindings/:guid, its job followed.
  void delete_binding(const std::string& guid);
  // DELETE /v3/service_instances/:guid and PATCH its name, jobs followed.
  void delete_service_instance(const std::string& guid);
  void rename_service_instance(const std::string& guid, const std::string& name);
  // The instances bound to an app: its bindings with include=service_instance, or, from a target
  // that does not include them, a second listing by GUID.
  std::vector<ServiceInstance> bound_instances(const std::string& app_guid);

 private:
  // GET of a list: every page's resources.
  nlohmann::json list(const std::string& path);
  // A call whose 202 names a job: wait for it (a 200 or 201 returns at once).
  void follow(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);
  long total(const std::string& path);
  Session& s_;
};

// UAA (the target's `uaa` link; kato is its own): PUT /Users/:guid/password.
void change_password(Session& session, const std::string& user_guid, const std::string& old_password,
                     const std::string& new_password);

}  // namespace stackato::client::api
