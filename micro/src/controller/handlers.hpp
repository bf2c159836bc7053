#pragma once
// The handlers behind Controller, one file per resource family. Internal to controller/.

#include <functional>
#include <regex>
#include <vector>

#include "controller/api.hpp"
#include "controller/controller.hpp"

namespace kato::controller {

// Presenters shared between files: the CAPI shape of a stored document.
json present_org(const Call& c, const json& org);      // orgs.cpp
json present_space(const Call& c, const json& space);  // orgs.cpp
json present_user(const Call& c, const json& user);    // users.cpp

struct Controller::Impl {
  store::Store& store;
  auth::Tokens& tokens;
  Config config;
  Backends backends;

  using Handler = std::function<http::Response(Call&)>;
  struct Route {
    std::string method, path;
    std::regex pattern;
    Access access;  // who may call it (access.hpp), checked by handle() before the handler runs
    Handler handler;
  };
  std::vector<Route> routes;

  Impl(store::Store& s, auth::Tokens& t, Config c, Backends b);
  // Registers an endpoint; there is no way to register one without its Access.
  void add(const char* method, const char* pattern, Access access, Handler h);
  http::Response handle(http::Request& req);
  // The one place authorization happens: the token, the caller's roles, the target's place.
  void authorize(const Route& r, Call& c);
  bool sees_user(const Caller& who, const std::string& user_guid);

  // root.cpp: /, /v3, /v3/info, /oauth/token, /login, log-cache
  void add_root_routes();
  // orgs.cpp: organizations, spaces, domains
  void add_org_routes();
  // apps.cpp: apps, env, processes, stats, droplets
  void add_app_routes();
  // routes.cpp: routes and destinations
  void add_route_routes();
  // jobs.cpp
  void add_job_routes();
  // users.cpp: users, roles, UAA's password change
  void add_user_routes();
  // metrics.cpp: GET /metrics for Prometheus
  void add_metrics_routes();
  // spaces.cpp: creating, renaming and deleting organizations and spaces; their users
  void add_space_routes();
  void delete_app(const std::string& guid);
  http::Response delete_space(Call& c, const std::string& space_guid);
  // packages.cpp: packages, upload, resource matches, builds
  void add_package_routes();
  // deployments.cpp: rolling deployments (runner::Runner::deploy)
  void add_deployment_routes();
  void finish_deployment(const std::string& guid, bool ok, const std::string& why);
  void finalize_interrupted_deployments();
  // services.cpp: offerings, plans, service instances, credential bindings
  void add_service_routes();
  // brokered.cpp: the marketplace from the brokers; managed instances and their bindings
  void register_offerings();
  // Blocks until the servers of the app's managed services answer (the stager, before hooks).
  void wait_for_services(const std::string& app_guid);
  http::Response create_managed(Call& c, const json& body, const std::string& name, const std::string& space);
  http::Response delete_managed(Call& c, const json& si);
  json bind_managed(const json& si, const std::string& binding_guid);
  void unbind_managed(const json& binding);
  // Runs `work` (its error, "" for none) on the brokers' worker after what is queued there (now,
  // without brokers), then finishes the job: 202 with the job's Location.
  http::Response queue_job(const Call& c, const std::string& job, std::function<std::string()> work);
  void remove_with_roles(const std::string& type, const char* field, const std::string& guid);
  // A job in progress, finished later by finish_job.
  std::string start_job(const std::string& operation, const std::string& resource_guid);
  void finish_job(const std::string& guid, const std::string& error);

  // An API event in the app's log (source API), e.g. "Started app by admin".
  void event(const Call& c, const std::string& app_guid, const std::string& text);

  // Tell the runner that an app's desired state may have changed.
  void reconcile(const std::string& app_guid);

  // Shared lookups; each throws not_found with the CLI's detail text.
  json find(const std::string& type, const std::string& guid, const std::string& what);
  // A finished job for work done at once (deletes): 202 + Location.
  http::Response done_job(const Call& c, const std::string& operation, const std::string& resource_guid);
  json present_job(const Call& c, const json& job);
};

}  // namespace kato::controller
