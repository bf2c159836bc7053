// stackato apps: the seed's table (Application, #, Health, URLS, Services; one row per URL).

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "resources.hpp"
#include "session.hpp"
#include "table.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {


// As the original: STOPPED, RUNNING when every instance runs, else the share running.
std::string health(const json& app, long instances, long running) {
  if (app["state"] == "STOPPED") return "STOPPED";
  if (instances > 0 && running == instances) return "RUNNING";
  if (instances == 0) return "N/A";
  return std::to_string(running * 100 / instances) + "%";
}

}  // namespace

void add_apps(CLI::App& app, Globals& globals) {
  auto as_json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("apps", "List the applications of the current space");
  cmd->add_flag("--json", *as_json, "Print JSON");
  cmd->callback([as_json, &globals] {
    Session s(globals);
    std::string space = s.config().read().adjuncts.value(s.target(), json::object()).value("space", "");
    if (space.empty()) throw UsageError("no space chosen: use 'stackato login' or 'stackato switch-space'");
    json out = json::array();
    for (const auto& a : s.list_all("/v3/apps?per_page=100&order_by=name&space_guids=" + space)) {
      std::string guid = a["guid"];
      long instances = 0, running = 0;
      // Keep each answer in a variable: a range-for over call(...)["resources"] would iterate a
      // reference into a temporary that is already gone (C++20 does not extend its lifetime).
      json processes = s.call("GET", "/v3/apps/" + guid + "/processes");
      for (const auto& p : processes["resources"]) {
        if (p["type"] != "web") continue;
        instances = p["instances"];
        json stats = s.call("GET", "/v3/processes/" + p["guid"].get<std::string>() + "/stats");
        for (const auto& st : stats["resources"]) running += st["state"] == "RUNNING";
      }
      json urls = json::array(), services = json::array();
      for (const auto& r : s.list_all("/v3/apps/" + guid + "/routes")) urls.push_back(r["url"]);
      json bindings = s.call("GET", "/v3/service_credential_bindings?type=app&include=service_instance&app_guids=" + guid);
      if (bindings.contains("included"))
        for (const auto& si : bindings["included"].value("service_instances", json::array())) services.push_back(si["name"]);
      out.push_back({{"name", a["name"]}, {"instances", instances}, {"running", running},
                     {"health", health(a, instances, running)}, {"urls", urls}, {"services", services}});
    }
    std::vector<std::string> names;
    for (const auto& a : out) names.push_back(a["name"]);
    cache_names(s, "app", names);
    if (*as_json) {
      std::cout << out.dump(4) << '\n';
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : out) {
      std::size_t lines = std::max<std::size_t>({1, a["urls"].size(), a["services"].size()});
      for (std::size_t i = 0; i < lines; ++i)
        rows.push_back({i == 0 ? a["name"].get<std::string>() : "",
                        i == 0 ? std::to_string(a["instances"].get<long>()) : "",
                        i == 0 ? a["health"].get<std::string>() : "",
                        i < a["urls"].size() ? a["urls"][i].get<std::string>() : "",
                        i < a["services"].size() ? a["services"][i].get<std::string>() : ""});
    }
    std::cout << render_table({"Application", "#", "Health", "URLS", "Services"}, rows);
  });
}

}  // namespace stackato::client
