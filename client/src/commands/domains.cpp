// stackato routes (the space's routes and their apps), stackato domains.

#include <iostream>
#include <map>
#include <memory>

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
    std::string space = space_of(s);
    std::map<std::string, std::string> names;  // app guid -> name
    for (const auto& a : s.list_all("/v3/apps?per_page=100&space_guids=" + space)) names[a["guid"]] = a["name"];
    json out = json::array();
    for (const auto& r : s.list_all("/v3/routes?per_page=100&space_guids=" + space)) {
      json apps = json::array();
      for (const auto& d : r["destinations"]) {
        std::string guid = d["app"]["guid"];
        apps.push_back(names.count(guid) ? names[guid] : guid);
      }
      out.push_back({{"url", r["url"]}, {"host", r["host"]}, {"path", r["path"]}, {"apps", apps}, {"guid", r["guid"]}});
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
    json list = s.list_all("/v3/domains?per_page=100");
    if (*domains_json) {
      json out = json::array();
      for (const auto& d : list) out.push_back({{"name", d["name"]}, {"guid", d["guid"]}, {"internal", d.value("internal", false)}});
      std::cout << out.dump(4) << '\n';
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : list) {
      bool shared = !d.contains("relationships") || !d["relationships"].contains("organization") ||
                    d["relationships"]["organization"]["data"].is_null();
      rows.push_back({d["name"], shared ? "shared" : "private"});
    }
    std::cout << render_table({"Name", "Type"}, rows);
  });
}

}  // namespace stackato::client
