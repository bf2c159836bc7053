// marketplace, services, service NAME, create-service, create-user-provided-service,
// bind-service, unbind-service, delete-service, rename-service.

#include <iostream>
#include <map>
#include <memory>
#include <random>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "push/services.hpp"
#include "resources.hpp"
#include "suggest.hpp"
#include "table.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

// The instance of that name in the current space; not found says so, with a suggestion.
api::ServiceInstance service_named(api::CloudController& cc, const std::string& space, const std::string& name) {
  auto found = cc.service_instances(space, name);
  if (!found.empty()) return found[0];
  std::vector<std::string> names;
  for (const auto& si : cc.service_instances(space)) names.push_back(si.name);
  std::string hint = closest(name, names);
  throw ApiError(404, "Service '" + name + "' not found" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
}

// The space's instances (or the one given) with type, plan and bound apps: the offerings and
// plans, the instances, their app bindings and the bound apps' names are one listing each.
json service_rows(api::CloudController& cc, const std::vector<api::ServiceInstance>& instances) {
  std::map<std::string, std::string> offering_name;
  for (const auto& o : cc.service_offerings()) offering_name[o.guid] = o.name;
  std::map<std::string, api::ServicePlan> plans;
  for (const auto& p : cc.service_plans()) plans[p.guid] = p;
  std::vector<std::string> guids;
  for (const auto& si : instances) guids.push_back(si.guid);
  auto bindings = cc.app_bindings(guids);
  std::vector<std::string> app_guids;
  for (const auto& b : bindings) app_guids.push_back(b.app_guid);
  std::map<std::string, std::string> app_name;
  for (const auto& a : cc.apps_by_guid(app_guids)) app_name[a.guid] = a.name;
  json out = json::array();
  for (const auto& si : instances) {
    std::string type = "user-provided", plan;
    if (si.type == "managed") {
      auto p = plans.find(si.plan_guid);
      plan = p == plans.end() ? "" : p->second.name;
      type = p == plans.end() || !offering_name.count(p->second.offering_guid) ? "?" : offering_name[p->second.offering_guid];
    }
    json apps = json::array();
    for (const auto& b : bindings)
      if (b.instance_guid == si.guid) apps.push_back(app_name.count(b.app_guid) ? app_name[b.app_guid] : b.app_guid);
    std::string state = si.operation.empty() ? "" : si.operation + " " + si.operation_state;
    out.push_back({{"name", si.name}, {"guid", si.guid}, {"type", type}, {"plan", plan}, {"apps", apps}, {"state", state}});
  }
  return out;
}

void restart_or_tell(Session& s, const api::App& app, bool restart) {
  if (!app.started()) return;
  if (!restart) {
    std::cerr << "Restart " << app.name << " for it to see the change (or use --restart)\n";
    return;
  }
  api::CloudController(s).app_action(app.guid, "restart");
  wait_running(s, app, 180);
  std::cerr << "Restarted " << app.name << "\n";
}


// --credentials: a JSON object, or k=v pairs (repeatable).
json parse_credentials(const std::vector<std::string>& items) {
  if (items.size() == 1 && !items[0].empty() && items[0][0] == '{') {
    json j = json::parse(items[0], nullptr, false);
    if (!j.is_object()) throw UsageError("--credentials is not a JSON object: " + items[0]);
    return j;
  }
  json out = json::object();
  for (const auto& kv : items) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--credentials '" + kv + "' is neither JSON nor KEY=VALUE");
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

}  // namespace

void add_services(CLI::App& app, Globals& globals) {
  auto market_json = std::make_shared<bool>(false);
  auto* market = app.add_subcommand("marketplace", "List the service types and plans the target offers");
  market->add_flag("--json", *market_json, "Print JSON");
  market->callback([market_json, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto plans = cc.service_plans();
    json out = json::array();
    for (const auto& o : cc.service_offerings()) {
      json names = json::array();
      for (const auto& p : plans)
        if (p.offering_guid == o.guid) names.push_back(p.name);
      out.push_back({{"type", o.name}, {"description", o.description}, {"plans", names}});
    }
    if (*market_json) {
      std::cout << out.dump(4) << '\n';
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& o : out) {
      std::string plans_text;
      for (const auto& p : o["plans"]) plans_text += (plans_text.empty() ? "" : ", ") + p.get<std::string>();
      rows.push_back({o["type"], plans_text, o["description"]});
    }
    rows.push_back({"user-provided", "-", "Credentials you give (create-user-provided-service)"});
    std::cout << render_table({"Type", "Plans", "Description"}, rows);
  });

  auto list_json = std::make_shared<bool>(false);
  auto* list = app.add_subcommand("services", "List the service instances of the current space and their apps");
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback([list_json, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    std::string space = space_of(s);
    auto instances = cc.service_instances(space);
    std::vector<std::string> names;
    for (const auto& si : instances) names.push_back(si.name);
    cache_names(s, "service", names);
    json rows_json = service_rows(cc, instances);
    if (*list_json) {
      std::cout << rows_json.dump(4) << '\n';
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : rows_json) {
      std::string apps;
      for (const auto& a : r["apps"]) apps += (apps.empty() ? "" : ", ") + a.get<std::string>();
      rows.push_back({r["name"], r["type"], r["plan"], apps, r["state"]});
    }
    std::cout << render_table({"Name", "Type", "Plan", "Applications", "Last operation"}, rows);
  });

  struct One {
    std::string name;
    bool json = false;
  };
  auto one = std::make_shared<One>();
  auto* show = app.add_subcommand("service", "Show one service instance (credentials only with --json, as bindings see them)");
  show->add_option("service", one->name, "Service")->required();
  show->add_flag("--json", one->json, "Print JSON");
  show->callback([one, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    json rows = service_rows(cc, {service_named(cc, space_of(s), one->name)});
    for (const auto& r : rows) {
      if (one->json) {
        std::cout << r.dump(4) << '\n';
        return;
      }
      std::string apps;
      for (const auto& a : r["apps"]) apps += (apps.empty() ? "" : ", ") + a.get<std::string>();
      std::cout << "Service: " << r["name"].get<std::string>() << "\nType:    " << r["type"].get<std::string>()
                << "\nPlan:    " << (r["plan"] == "" ? "-" : r["plan"].get<std::string>())
                << "\nApps:    " << (apps.empty() ? "-" : apps) << "\nState:   " << r["state"].get<std::string>() << "\n";
    }
  });

  struct Create {
    std::string type, name, app, plan;
    bool restart = false;
  };
  auto cr = std::make_shared<Create>();
  auto* create = app.add_subcommand("create-service", "Create a service instance (and bind it to APP)");
  create->add_option("type", cr->type, "Service type (see 'stackato marketplace')")->required();
  create->add_option("name", cr->name, "Instance name (default: TYPE-<4 hex digits>)");
  create->add_option("app", cr->app, "Application to bind it to");
  create->add_option("--plan", cr->plan, "Plan (default: 'default', else the type's first)");
  create->add_flag("--restart", cr->restart, "Restart APP so that it sees the service");
  create->callback([cr, &globals] {
    if (cr->type == "user-provided") throw UsageError("use create-user-provided-service for user-provided services");
    Session s(globals);
    manifest::Service svc;
    svc.type = cr->type;
    svc.name = cr->name.empty() ? cr->type + "-" + random_hex4() : cr->name;
    svc.plan = cr->plan;
    if (!cr->app.empty()) {
      api::App a = app_named(s, cr->app);
      ensure_services(s, a, {svc});
      restart_or_tell(s, a, cr->restart);
    } else {
      create_service(s, svc);
    }
    cache_name(s, "service", svc.name, true);
    std::cerr << "Created " << svc.type << " service " << svc.name << "\n";
  });

  struct Ups {
    std::string name;
    std::vector<std::string> credentials;
  };
  auto ups = std::make_shared<Ups>();
  auto* cups = app.add_subcommand("create-user-provided-service", "Create a service from credentials you give");
  cups->add_option("name", ups->name, "Instance name")->required();
  cups->add_option("--credentials", ups->credentials, "A JSON object, or KEY=VALUE (repeatable)")->required();
  cups->callback([ups, &globals] {
    Session s(globals);
    manifest::Service svc;
    svc.type = "user-provided";
    svc.name = ups->name;
    svc.credentials = parse_credentials(ups->credentials);
    create_service(s, svc);
    cache_name(s, "service", svc.name, true);
    std::cerr << "Created user-provided service " << svc.name << "\n";
  });

  struct Bind {
    std::string service, app;
    bool restart = false;
  };
  for (const char* verb : {"bind-service", "unbind-service"}) {
    auto b = std::make_shared<Bind>();
    std::string v = verb;
    bool bind = v == "bind-service";
    auto* cmd = app.add_subcommand(v, bind ? "Bind a service instance to an application" : "Unbind a service instance from an application");
    cmd->add_option("service", b->service, "Service")->required();
    cmd->add_option("app", b->app, "Application")->required();
    cmd->add_flag("--restart", b->restart, "Restart the app so that it sees the change");
    cmd->callback([b, bind, &globals] {
      Session s(globals);
      api::CloudController cc(s);
      auto si = service_named(cc, space_of(s), b->service);
      api::App a = app_named(s, b->app);
      auto found = cc.app_bindings(a.guid, si.guid);
      if (bind) {
        if (!found.empty()) throw ApiError(422, "Service " + b->service + " is already bound to " + b->app);
        cc.bind(si.guid, a.guid);
        std::cerr << "Bound " << b->service << " to " << b->app << "\n";
      } else {
        if (found.empty()) throw ApiError(422, "Service [" + b->service + "] is not bound to application [" + b->app + "]");
        cc.delete_binding(found[0].guid);
        std::cerr << "Unbound " << b->service << " from " << b->app << "\n";
      }
      restart_or_tell(s, a, b->restart);
    });
  }

  struct Delete {
    std::vector<std::string> services;
    bool unbind = false;
  };
  auto del = std::make_shared<Delete>();
  auto* delete_cmd = app.add_subcommand("delete-service", "Delete service instances and their data");
  delete_cmd->add_option("services", del->services, "Services")->required();
  delete_cmd->add_flag("--unbind", del->unbind, "Unbind them from their apps first");
  delete_cmd->callback([del, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    for (const auto& name : del->services) {
      auto si = service_named(cc, space_of(s), name);
      auto bindings = cc.app_bindings(std::vector<std::string>{si.guid});
      if (!bindings.empty() && !del->unbind)
        throw ApiError(422, "Service " + name + " is bound to " + std::to_string(bindings.size()) +
                                " app(s); unbind it first or use --unbind");
      for (const auto& b : bindings) cc.delete_binding(b.guid);
      cc.delete_service_instance(si.guid);
      cache_name(s, "service", name, false);
      std::cerr << "Deleted service " << name << "\n";
    }
  });

  auto ren = std::make_shared<std::pair<std::string, std::string>>();
  auto* rename = app.add_subcommand("rename-service", "Rename a service instance");
  rename->add_option("service", ren->first, "Service")->required();
  rename->add_option("new_name", ren->second, "New name")->required();
  rename->callback([ren, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto si = service_named(cc, space_of(s), ren->first);
    cc.rename_service_instance(si.guid, ren->second);
    cache_name(s, "service", ren->first, false);
    cache_name(s, "service", ren->second, true);
    std::cerr << "Renamed service " << ren->first << " to " << ren->second << "\n";
  });
}

}  // namespace stackato::client
