// stackato routes (the space's routes and their apps), stackato domains.

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "resources.hpp"
#include "table.hpp"

namespace stackato::client {

using json = nlohmann::json;

void add_domains(CLI::App& app, Globals& globals) {
  auto routes_json = std::make_shared<bool>(false);
  auto* routes = app.add_subcommand("routes", "List the routes of the current space and their apps");
  routes->add_flag("--json", *routes_json, "Print JSON");
  routes->callback([routes_json, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto routes = cc.space_routes(space_of(s));
    // The destinations' apps by GUID, one listing: a route may lead to an app of another space.
    std::vector<std::string> guids;
    for (const auto& r : routes)
      for (const auto& d : r.destinations) guids.push_back(d.app_guid);
    std::map<std::string, std::string> names;  // app guid -> name
    for (const auto& a : cc.apps_by_guid(guids)) names[a.guid] = a.name;
    json out = json::array();
    for (const auto& r : routes) {
      json apps = json::array();
      for (const auto& d : r.destinations) {
        std::string name = names.count(d.app_guid) ? names[d.app_guid] : d.app_guid;
        if (std::find(apps.begin(), apps.end(), name) == apps.end()) apps.push_back(name);
      }
      out.push_back({{"url", r.url}, {"host", r.host}, {"path", r.path}, {"apps", apps}, {"guid", r.guid}});
    }
    if (*routes_json) {
      std::cout << out.dump(4) << '\n';
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : out) {
      std::string apps;
      for (const auto& a : r["apps"]) apps += (apps.empty() ? "" : ", ") + a.get<std::string>();
      rows.push_back({r["url"], apps});
    }
    std::cout << render_table({"URL", "Applications"}, rows);
  });

  auto domains_json = std::make_shared<bool>(false);
  auto* domains = app.add_subcommand("domains", "List the domains available for routes");
  domains->add_flag("--json", *domains_json, "Print JSON");
  domains->callback([domains_json, &globals] {
    Session s(globals);
    auto list = api::CloudController(s).domains();
    if (*domains_json) {
      json out = json::array();
      for (const auto& d : list) out.push_back({{"name", d.name}, {"guid", d.guid}, {"internal", d.internal}});
      std::cout << out.dump(4) << '\n';
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : list) rows.push_back({d.name, d.shared() ? "shared" : "private"});
    std::cout << render_table({"Name", "Type"}, rows);
  });
}

}  // namespace stackato::client
