// stackato start APP, stop APP, restart APP, restage APP

#include <iostream>
#include <memory>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "push/deploy.hpp"
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

  // As cf restage: a new build of the newest package (a binding or variable added since reaches
  // the staging hooks and the droplet), then a restart, or a rolling deployment when asked.
  auto args = std::make_shared<Args>();
  auto strategy = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("restage", "Stage an application again from its uploaded bits, then restart it");
  cmd->add_option("app", args->app, "Application")->required();
  cmd->add_option("--strategy", *strategy, "rolling: new instances start beside the running ones (a deployment); "
                                           "default: a restart")
      ->check(CLI::IsMember({"rolling"}));
  cmd->add_option("--wait", args->wait_s, "Seconds to wait for RUNNING (default 120)");
  cmd->callback([args, strategy, &globals] {
    Session s(globals);
    api::App a = app_named(s, args->app);
    api::CloudController cc(s);
    if (!strategy->empty() && !cc.offers_deployments())
      throw ApiError(422, "the target offers no deployments (GET /v3/deployments is a 404): restage without --strategy");
    restage_app(s, a, strategy->empty() ? Rollout::Restart : Rollout::Deployment, args->wait_s);
    std::cerr << "Restaged " << args->app << "\n";
  });
}

}  // namespace stackato::client
