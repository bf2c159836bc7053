// stackato stats APP (cpu, memory, disk per instance), stackato instances APP (state, uptime).

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "resources.hpp"
#include "table.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

std::string bytes(const json& v) {
  if (!v.is_number()) return "-";
  double b = v.get<double>();
  char buf[32];
  if (b >= 1 << 30)
    std::snprintf(buf, sizeof buf, "%.1fG", b / (1 << 30));
  else
    std::snprintf(buf, sizeof buf, "%.1fM", b / (1 << 20));
  return buf;
}

std::string duration(const json& v) {
  if (!v.is_number()) return "-";
  long s = v.get<long>();
  char buf[48];
  std::snprintf(buf, sizeof buf, "%ldd:%02ldh:%02ldm:%02lds", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
  return buf;
}

json instance_stats(Session& s, const std::string& app) {
  json a = app_named(s, app);
  json web = web_process(s, a["guid"]);
  return s.call("GET", "/v3/processes/" + web["guid"].get<std::string>() + "/stats")["resources"];
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
      json stats = instance_stats(s, args->first);
      if (args->second) {
        std::cout << stats.dump(4) << '\n';
        return;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& st : stats) {
        const json& u = st.value("usage", json::object());
        std::string index = std::to_string(st.value("index", 0L));
        if (n == "stats") {
          char cpu[16] = "-";
          if (u.contains("cpu") && u["cpu"].is_number()) std::snprintf(cpu, sizeof cpu, "%.1f%%", u["cpu"].get<double>() * 100);
          rows.push_back({index, st.value("state", ""), cpu, bytes(u.value("mem", json())) + " (" + bytes(st.value("mem_quota", json())) + ")",
                          bytes(u.value("disk", json())) + " (" + bytes(st.value("disk_quota", json())) + ")",
                          duration(st.value("uptime", json()))});
        } else {
          rows.push_back({index, st.value("state", ""), duration(st.value("uptime", json()))});
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
