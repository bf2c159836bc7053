// stackato scale APP [-i N|+N|-N] [-m MEM] [-d DISK]: memory and disk need a restart, done here.

#include <iostream>
#include <memory>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "resources.hpp"
#include "stackato/manifest/manifest.hpp"

namespace stackato::client {

using json = nlohmann::json;

void add_scale(CLI::App& app, Globals& globals) {
  struct Args {
    std::string app, instances, mem, disk;
    long wait_s = 120;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("scale", "Change an application's instances, memory or disk");
  cmd->add_option("app", a->app, "Application")->required();
  cmd->add_option("-i,--instances", a->instances, "Instances: N, +N or -N");
  cmd->add_option("-m,--mem", a->mem, "Memory per instance (e.g. 256M, 1G); restarts the app");
  cmd->add_option("-d,--disk", a->disk, "Disk per instance (e.g. 1G); restarts the app");
  cmd->add_option("--wait", a->wait_s, "Seconds to wait for RUNNING after a restart (default 120)");
  cmd->callback([a, &globals] {
    if (a->instances.empty() && a->mem.empty() && a->disk.empty())
      throw UsageError("scale needs at least one of -i, -m and -d");
    auto size = [](const std::string& text, const char* flag) {
      try {
        return manifest::parse_memspec(text);
      } catch (const std::exception&) {
        throw UsageError(std::string(flag) + " '" + text + "' is not a size (e.g. 256M, 1G)");
      }
    };
    Session s(globals);
    api::CloudController cc(s);
    api::App app = app_named(s, a->app);
    api::Process web = cc.app_process(app.guid);
    api::Scale want;
    if (!a->instances.empty()) {
      long n = 0;
      std::size_t used = 0;
      try {
        n = std::stol(a->instances, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != a->instances.size()) throw UsageError("--instances '" + a->instances + "' is not N, +N or -N");
      bool relative = a->instances[0] == '+' || a->instances[0] == '-';
      long target = relative ? web.instances + n : n;
      if (target < 0) throw UsageError("--instances " + a->instances + " would leave fewer than 0 instances");
      want.instances = target;
    }
    if (!a->mem.empty()) want.memory_in_mb = size(a->mem, "--mem");
    if (!a->disk.empty()) want.disk_in_mb = size(a->disk, "--disk");
    cc.scale(web.guid, want);
    auto said = [&](const char* what, long before, const std::optional<long>& after) {
      if (after) std::cerr << "Scaled " << a->app << " " << what << ": " << before << " -> " << *after << "\n";
    };
    said("instances", web.instances, want.instances);
    said("memory_in_mb", web.memory_in_mb, want.memory_in_mb);
    said("disk_in_mb", web.disk_in_mb, want.disk_in_mb);
    bool limits = (want.memory_in_mb && *want.memory_in_mb != web.memory_in_mb) ||
                  (want.disk_in_mb && *want.disk_in_mb != web.disk_in_mb);
    if (limits && app.started()) {  // new limits apply to new instances only
      std::cerr << "Restarting " << a->app << " for the new limits\n";
      cc.app_action(app.guid, "restart");
      wait_running(s, app, a->wait_s);
    }
  });
}

}  // namespace stackato::client
