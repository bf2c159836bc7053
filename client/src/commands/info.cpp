// stackato info (the target and who is logged in), stackato app NAME (one app in detail).

#include <iostream>
#include <memory>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "resources.hpp"
#include "table.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

// One app in detail: its web process, that process's stats (when started), routes and services.
json app_details(api::CloudController& cc, const api::App& a) {
  api::Process web = cc.app_process(a.guid);
  long running = 0;
  if (a.started() && web.instances > 0) {
    auto stats = cc.process_stats({web.guid});  // kept: a range-for over a temporary's [0] dangles
    for (const auto& st : stats[0]) running += st.state == "RUNNING";
  }
  json urls = json::array(), services = json::array();
  for (const auto& r : cc.app_routes(a.guid)) urls.push_back(r.url);
  for (const auto& si : cc.bound_instances(a.guid)) services.push_back(si.name);
  return {{"name", a.name},
          {"guid", a.guid},
          {"state", a.state},
          {"instances", web.instances},
          {"running", running},
          {"memory_in_mb", web.memory_in_mb},
          {"disk_in_mb", web.disk_in_mb},
          {"command", web.command ? json(*web.command) : json()},
          {"health_check", web.health_check},
          {"urls", urls},
          {"services", services},
          {"created_at", a.created_at},
          {"updated_at", a.updated_at}};
}

}  // namespace

void add_info(CLI::App& app, Globals& globals) {
  auto as_json = std::make_shared<bool>(false);
  auto* info = app.add_subcommand("info", "Show the target, its API version and who is logged in");
  info->add_flag("--json", *as_json, "Print JSON");
  info->callback([as_json, &globals] {
    Session s(globals);
    const json& root = s.root();
    json v3 = api::CloudController(s).info();
    json adj = s.config().read().adjuncts.value(s.target(), json::object());
    json out = {{"target", s.target()},
                {"name", v3.value("name", "")},
                {"version", v3.value("version", json(nullptr))},
                {"description", v3.value("description", "")},
                {"api_version", root["links"].value("cloud_controller_v3", json::object()).value("meta", json::object()).value("version", "")},
                {"user", adj.value("user", "")},
                {"organization", adj.value("organization_name", "")},
                {"space", adj.value("space_name", "")}};
    if (*as_json) {
      std::cout << out.dump(4) << '\n';
      return;
    }
    auto str = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.is_null() ? std::string() : v.dump(); };
    std::cout << str(out["name"]) << (out["description"] != "" ? ": " + str(out["description"]) : "") << "\n"
              << "Target:       " << s.target() << " (API v" << str(out["api_version"]) << ")\n"
              << "Version:      " << str(out["version"]) << "\n"
              << "User:         " << str(out["user"]) << "\n"
              << "Organization: " << str(out["organization"]) << "\n"
              << "Space:        " << str(out["space"]) << "\n";
  });

  struct AppArgs {
    std::string name;
    bool json = false;
  };
  auto args = std::make_shared<AppArgs>();
  auto* one = app.add_subcommand("app", "Show one application: state, instances, limits, URLs, services");
  one->add_option("app", args->name, "Application")->required();
  one->add_flag("--json", args->json, "Print JSON");
  one->callback([args, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    json d = app_details(cc, app_named(s, args->name));
    if (args->json) {
      std::cout << d.dump(4) << '\n';
      return;
    }
    auto join = [](const json& list) {
      std::string out;
      for (const auto& x : list) out += (out.empty() ? "" : ", ") + x.get<std::string>();
      return out.empty() ? std::string("-") : out;
    };
    std::cout << "Application: " << d["name"].get<std::string>() << "\n"
              << "State:       " << d["state"].get<std::string>() << "\n"
              << "Instances:   " << d["running"].get<long>() << "/" << d["instances"].get<long>() << " running\n"
              << "Memory:      " << d["memory_in_mb"].get<long>() << "M\n"
              << "Disk:        " << d["disk_in_mb"].get<long>() << "M\n"
              << "Command:     " << (d["command"].is_string() ? d["command"].get<std::string>() : "-") << "\n"
              << "Health:      " << describe_health(d["health_check"]) << "\n"
              << "URLs:        " << join(d["urls"]) << "\n"
              << "Services:    " << join(d["services"]) << "\n"
              << "Created:     " << d["created_at"].get<std::string>() << "\n";
  });
}

}  // namespace stackato::client
