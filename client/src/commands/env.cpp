// stackato env APP, set-env APP NAME VALUE, unset-env APP NAME: the app's own variables.

#include <iostream>
#include <memory>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "resources.hpp"
#include "table.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

void changed(Session& s, const api::App& app, bool restart, long wait_s) {
  if (!app.started()) return;
  if (!restart) {
    std::cerr << "Restart " << app.name << " for the change to take effect (or use --restart)\n";
    return;
  }
  api::CloudController(s).app_action(app.guid, "restart");
  wait_running(s, app, wait_s);
  std::cerr << "Restarted " << app.name << "\n";
}

}  // namespace

void add_env(CLI::App& app, Globals& globals) {
  struct Args {
    std::string app, name, value;
    bool json = false, restart = false;
    long wait_s = 120;
  };
  auto list = std::make_shared<Args>();
  auto* env = app.add_subcommand("env", "List an application's environment variables");
  env->add_option("app", list->app, "Application")->required();
  env->add_flag("--json", list->json, "Print JSON");
  env->callback([list, &globals] {
    Session s(globals);
    api::App a = app_named(s, list->app);
    auto vars = api::CloudController(s).environment_variables(a.guid);
    if (list->json) {
      std::cout << json(vars).dump(4) << '\n';
      return;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, v] : vars) rows.push_back({k, v});
    std::cout << render_table({"Variable", "Value"}, rows);
  });

  auto set = std::make_shared<Args>();
  auto* set_env = app.add_subcommand("set-env", "Set an environment variable of an application");
  set_env->add_option("app", set->app, "Application")->required();
  set_env->add_option("name", set->name, "Variable")->required();
  set_env->add_option("value", set->value, "Value")->required();
  set_env->add_flag("--restart", set->restart, "Restart the app so that it sees the change");
  set_env->callback([set, &globals] {
    Session s(globals);
    api::App a = app_named(s, set->app);
    api::CloudController(s).update_environment_variables(a.guid, {{set->name, set->value}});
    std::cerr << "Set " << set->name << " for " << set->app << "\n";
    changed(s, a, set->restart, set->wait_s);
  });

  auto unset = std::make_shared<Args>();
  auto* unset_env = app.add_subcommand("unset-env", "Remove an environment variable of an application");
  unset_env->add_option("app", unset->app, "Application")->required();
  unset_env->add_option("name", unset->name, "Variable")->required();
  unset_env->add_flag("--restart", unset->restart, "Restart the app so that it sees the change");
  unset_env->callback([unset, &globals] {
    Session s(globals);
    api::App a = app_named(s, unset->app);
    api::CloudController cc(s);
    if (!cc.environment_variables(a.guid).count(unset->name))
      throw ApiError(404, "Variable " + unset->name + " is not set for " + unset->app);
    cc.update_environment_variables(a.guid, {{unset->name, nullptr}});
    std::cerr << "Removed " << unset->name << " from " << unset->app << "\n";
    changed(s, a, unset->restart, unset->wait_s);
  });
}

}  // namespace stackato::client
