// stackato start APP, stop APP, restart APP

#include <iostream>
#include <memory>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "resources.hpp"

namespace stackato::client {

using json = nlohmann::json;

void add_lifecycle(CLI::App& app, Globals& globals) {
  struct Args {
    std::string app;
    long wait_s = 120;
  };
  for (const char* verb : {"start", "stop", "restart"}) {
    auto args = std::make_shared<Args>();
    std::string v = verb;
    auto* cmd = app.add_subcommand(v, v == "stop"    ? "Stop an application"
                                      : v == "start" ? "Start an application and wait until it runs"
                                                     : "Restart an application and wait until it runs");
    cmd->add_option("app", args->app, "Application")->required();
    if (v != "stop") cmd->add_option("--wait", args->wait_s, "Seconds to wait for RUNNING (default 120)");
    cmd->callback([args, v, &globals] {
      Session s(globals);
      api::App a = app_named(s, args->app);
      api::CloudController(s).app_action(a.guid, v);
      if (v != "stop") wait_running(s, a, args->wait_s);
      std::cerr << (v == "stop" ? "Stopped " : v == "start" ? "Started " : "Restarted ") << args->app << "\n";
    });
  }
}

}  // namespace stackato::client
