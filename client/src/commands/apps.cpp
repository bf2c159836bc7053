// stackato apps: the seed's table (Application, #, Health, URLS, Services; one row per URL).
//
// A fixed number of requests whatever the number of apps: the space's apps, its web processes,
// its routes, its service instances and their app bindings are one listing each (pages of 5000),
// and only the started apps' stats are asked for, concurrently.

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "resources.hpp"
#include "session.hpp"
#include "table.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

struct AppRow {
  std::string name, health;
  long instances = 0, running = 0;
  std::vector<std::string> urls, services;
};

// As the original: STOPPED, RUNNING when every instance runs, else the share running.
std::string health(const api::App& app, long instances, long running) {
  if (!app.started()) return "STOPPED";
  if (instances > 0 && running == instances) return "RUNNING";
  if (instances == 0) return "N/A";
  return std::to_string(running * 100 / instances) + "%";
}

void add_unique(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

std::vector<AppRow> app_rows(api::CloudController& cc, const std::string& space) {
  auto apps = cc.apps(space);
  std::map<std::string, api::Process> web;  // app guid -> its web process
  for (auto& p : cc.space_processes(space, "web")) web[p.app_guid] = p;
  // A stopped app has no instances to ask about.
  std::vector<std::string> asked, asked_for;
  for (const auto& a : apps)
    if (a.started() && web.count(a.guid) && web[a.guid].instances > 0) {
      asked.push_back(web[a.guid].guid);
      asked_for.push_back(a.guid);
    }
  std::map<std::string, long> running;
  auto stats = cc.process_stats(asked);
  for (std::size_t i = 0; i < stats.size(); ++i)
    for (const auto& st : stats[i]) running[asked_for[i]] += st.state == "RUNNING";
  std::map<std::string, std::vector<std::string>> urls, services;
  for (const auto& r : cc.space_routes(space))
    for (const auto& d : r.destinations) add_unique(urls[d.app_guid], r.url);
  std::map<std::string, std::string> instance_name;
  std::vector<std::string> instance_guids;
  for (const auto& si : cc.service_instances(space)) {
    instance_name[si.guid] = si.name;
    instance_guids.push_back(si.guid);
  }
  for (const auto& b : cc.app_bindings(instance_guids)) add_unique(services[b.app_guid], instance_name[b.instance_guid]);
  std::vector<AppRow> rows;
  for (const auto& a : apps) {
    long instances = web.count(a.guid) ? web[a.guid].instances : 0;
    rows.push_back({a.name, health(a, instances, running[a.guid]), instances, running[a.guid], urls[a.guid],
                    services[a.guid]});
  }
  return rows;
}

}  // namespace

void add_apps(CLI::App& app, Globals& globals) {
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("apps", "List the applications of the current space");
  cmd->add_flag("--json", *as_json, "Print JSON");
  cmd->callback([as_json, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    auto rows = app_rows(cc, space_of(s));
    std::vector<std::string> names;
    for (const auto& a : rows) names.push_back(a.name);
    cache_names(s, "app", names);
    if (*as_json) {
      json out = json::array();
      for (const auto& a : rows)
        out.push_back({{"name", a.name}, {"instances", a.instances}, {"running", a.running}, {"health", a.health},
                       {"urls", a.urls}, {"services", a.services}});
      std::cout << out.dump(4) << '\n';
      return;
    }
    std::vector<std::vector<std::string>> table;
    for (const auto& a : rows) {
      std::size_t lines = std::max<std::size_t>({1, a.urls.size(), a.services.size()});
      for (std::size_t i = 0; i < lines; ++i)
        table.push_back({i == 0 ? a.name : "", i == 0 ? std::to_string(a.instances) : "", i == 0 ? a.health : "",
                         i < a.urls.size() ? a.urls[i] : "", i < a.services.size() ? a.services[i] : ""});
    }
    std::cout << render_table({"Application", "#", "Health", "URLS", "Services"}, table);
  });
}

}  // namespace stackato::client
