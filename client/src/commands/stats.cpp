// stackato stats APP (cpu, memory, disk per instance), stackato instances APP (state, uptime).

#include <iostream>
#include <memory>
#include <optional>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "resources.hpp"
#include "table.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

std::string bytes(const std::optional<long>& v) {
  if (!v) return "-";
  double b = static_cast<double>(*v);
  char buf[32];
  if (b >= 1 << 30)
    std::snprintf(buf, sizeof buf, "%.1fG", b / (1 << 30));
  else
    std::snprintf(buf, sizeof buf, "%.1fM", b / (1 << 20));
  return buf;
}

std::string duration(const std::optional<long>& v) {
  if (!v) return "-";
  long s = *v;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%ldd:%02ldh:%02ldm:%02lds", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
  return buf;
}

template <class T>
json or_null(const std::optional<T>& v) { return v ? json(*v) : json(); }

// The app's web process's instances (CAPI's stats: null where an instance has nothing yet).
std::vector<api::InstanceStats> instance_stats(Session& s, const std::string& app) {
  api::CloudController cc(s);
  api::Process web = cc.app_process(app_named(s, app).guid);
  auto stats = cc.process_stats({web.guid});
  return stats[0];
}

// --json keeps CAPI's field names, so scripts written against `cf curl` read it the same way.
json to_json(const std::vector<api::InstanceStats>& stats) {
  json out = json::array();
  for (const auto& st : stats)
    out.push_back({{"index", st.index},
                   {"state", st.state},
                   {"usage", {{"cpu", or_null(st.cpu)}, {"mem", or_null(st.mem)}, {"disk", or_null(st.disk)}}},
                   {"mem_quota", or_null(st.mem_quota)},
                   {"disk_quota", or_null(st.disk_quota)},
                   {"uptime", or_null(st.uptime)},
                   {"details", st.details.empty() ? json() : json(st.details)}});
  return out;
}

}  // namespace

void add_stats(CLI::App& app, Globals& globals) {
  for (const char* name : {"stats", "instances"}) {
    auto args = std::make_shared<std::pair<std::string, bool>>("", false);
    std::string n = name;
    auto* cmd = app.add_subcommand(n, n == "stats" ? "Show cpu, memory and disk use of each instance"
                                                   : "List an application's instances, their state and uptime");
    cmd->add_option("app", args->first, "Application")->required();
    cmd->add_flag("--json", args->second, "Print JSON");
    cmd->callback([args, n, &globals] {
      Session s(globals);
      auto stats = instance_stats(s, args->first);
      if (args->second) {
        std::cout << to_json(stats).dump(4) << '\n';
        return;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& st : stats) {
        std::string index = std::to_string(st.index);
        if (n == "stats") {
          char cpu[16] = "-";
          if (st.cpu) std::snprintf(cpu, sizeof cpu, "%.1f%%", *st.cpu * 100);
          rows.push_back({index, st.state, cpu, bytes(st.mem) + " (" + bytes(st.mem_quota) + ")",
                          bytes(st.disk) + " (" + bytes(st.disk_quota) + ")", duration(st.uptime)});
        } else {
          rows.push_back({index, st.state, duration(st.uptime)});
        }
      }
      if (n == "stats")
        std::cout << render_table({"Instance", "State", "CPU", "Memory (limit)", "Disk (limit)", "Uptime"}, rows);
      else
        std::cout << render_table({"#", "State", "Uptime"}, rows);
    });
  }
}

}  // namespace stackato::client
