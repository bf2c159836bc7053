// stackato orgs, stackato spaces

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "resources.hpp"
#include "session.hpp"
#include "terminal.hpp"
#include "table.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {
// A list of named resources, the current one marked: a table, or JSON.
template <class T>
void print_named(const std::vector<T>& list, const std::string& current, bool as_json) {
  if (as_json) {
    json out = json::array();
    for (const auto& item : list) out.push_back({{"name", item.name}, {"guid", item.guid}, {"current", item.guid == current}});
    std::cout << out.dump(4) << '\n';
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : list) rows.push_back({item.guid == current ? "x" : "", item.name});
  std::cout << render_table({"", "Name"}, rows);
}
}  // namespace

void add_orgs(CLI::App& app, Globals& globals) {
  auto as_json = std::make_shared<bool>(false);
  auto* orgs = app.add_subcommand("orgs", "List the organizations you can see");
  orgs->add_flag("--json", *as_json, "Print JSON");
  orgs->callback([as_json, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    print_named(cc.organizations(), organization_of(s), *as_json);
  });

  auto spaces_json = std::make_shared<bool>(false);
  auto* spaces = app.add_subcommand("spaces", "List the spaces of the current organization");
  spaces->add_flag("--json", *spaces_json, "Print JSON");
  spaces->callback([spaces_json, &globals] {
    Session s(globals);
    json adj = s.config().read().adjuncts.value(s.target(), json::object());
    std::string org = adj.value("organization", "");
    if (org.empty()) throw UsageError("no organization chosen: use 'stackato login' or 'stackato switch-org'");
    api::CloudController cc(s);
    print_named(cc.spaces(org), adj.value("space", ""), *spaces_json);
  });

  // switch-org ORG [SPACE] and switch-space SPACE: the target's current org and space.
  auto org_args = std::make_shared<std::pair<std::string, std::string>>();
  auto* switch_org = app.add_subcommand("switch-org", "Make ORG (and a space in it) current for the target");
  switch_org->add_option("org", org_args->first, "Organization")->required();
  switch_org->add_option("space", org_args->second, "Space (default: the only one, or a menu)");
  switch_org->callback([org_args, &globals] {
    Session s(globals);
    bool interactive = !globals.non_interactive && stdin_is_tty();
    api::CloudController cc(s);
    api::Organization org = choose_org(cc, org_args->first, interactive);
    save_org_space(s, org, choose_space(cc, org, org_args->second, interactive));
  });

  auto space_arg = std::make_shared<std::string>();
  auto* switch_space = app.add_subcommand("switch-space", "Make SPACE of the current organization current");
  switch_space->add_option("space", *space_arg, "Space")->required();
  switch_space->callback([space_arg, &globals] {
    Session s(globals);
    api::CloudController cc(s);
    api::Organization org = current_org(s, cc);
    save_org_space(s, org, choose_space(cc, org, *space_arg, false));
  });
}

}  // namespace stackato::client
