// stackato orgs, stackato spaces

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "session.hpp"
#include "table.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {
// A list of named resources, the current one marked: a table, or JSON.
void print_named(const json& list, const std::string& current, bool as_json) {
  if (as_json) {
    json out = json::array();
    for (const auto& item : list)
      out.push_back({{"name", item["name"]}, {"guid", item["guid"]}, {"current", item["guid"] == current}});
    std::cout << out.dump(4) << '\n';
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : list) rows.push_back({item["guid"] == current ? "x" : "", item["name"]});
  std::cout << render_table({"", "Name"}, rows);
}
}  // namespace

void add_orgs(CLI::App& app, Globals& globals) {
  auto as_json = std::make_shared<bool>(false);
  auto* orgs = app.add_subcommand("orgs", "List the organizations you can see");
  orgs->add_flag("--json", *as_json, "Print JSON");
  orgs->callback([as_json, &globals] {
    Session s(globals);
    json list = s.list_all("/v3/organizations?per_page=100");
    print_named(list, s.config().read().adjuncts.value(s.target(), json::object()).value("organization", ""), *as_json);
  });

  auto spaces_json = std::make_shared<bool>(false);
  auto* spaces = app.add_subcommand("spaces", "List the spaces of the current organization");
  spaces->add_flag("--json", *spaces_json, "Print JSON");
  spaces->callback([spaces_json, &globals] {
    Session s(globals);
    json adj = s.config().read().adjuncts.value(s.target(), json::object());
    std::string org = adj.value("organization", "");
    if (org.empty()) throw UsageError("no organization chosen: use 'stackato login' or 'stackato switch-org'");
    json list = s.list_all("/v3/spaces?per_page=100&organization_guids=" + org);
    print_named(list, adj.value("space", ""), *spaces_json);
  });
}

}  // namespace stackato::client
