// stackato start APP, stop APP, restart APP

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "cli.hpp"
#include "session.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

// The app's last log lines (log-cache), oldest first, for telling why a start failed.
std::vector<std::string> last_lines(Session& s, const std::string& guid, int n) {
  std::vector<std::string> out;
  try {
    json read = s.call("GET", "/api/v1/read/" + guid + "?envelope_types=LOG&descending=true&limit=" + std::to_string(n));
    for (const auto& e : read["envelopes"]["batch"]) {
      auto text = base64url_decode(e["log"].value("payload", ""));
      out.insert(out.begin(), e["tags"].value("source_type", "") + " " + text.value_or(""));
    }
  } catch (const std::exception& e) {  // the reason matters more than the lines
    out.push_back(std::string("(could not read the log: ") + e.what() + ")");
  }
  return out;
}

// Until every web instance runs (done), all crashed (failed), or the timeout.
void wait_running(Session& s, const json& app, long timeout_s) {
  std::string guid = app["guid"];
  json processes = s.call("GET", "/v3/apps/" + guid + "/processes?types=web");
  if (processes["resources"].empty()) return;
  std::string proc = processes["resources"][0]["guid"];
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    json stats = s.call("GET", "/v3/processes/" + proc + "/stats");
    long running = 0, crashed = 0, total = 0;
    for (const auto& st : stats["resources"]) {
      ++total;
      running += st["state"] == "RUNNING";
      crashed += st["state"] == "CRASHED";
    }
    if (total == 0 || running == total) return;
    if (crashed == total) {
      std::string why = "every instance crashed";
      for (const auto& l : last_lines(s, guid, 15)) why += "\n  " + l;
      throw ApiError(500, "'" + app["name"].get<std::string>() + "' failed to start: " + why);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::string why = "not every instance is RUNNING after " + std::to_string(timeout_s) + " s";
  for (const auto& l : last_lines(s, guid, 15)) why += "\n  " + l;
  throw ApiError(504, "'" + app["name"].get<std::string>() + "': " + why);
}

}  // namespace

void add_lifecycle(CLI::App& app, Globals& globals) {
  struct Args {
    std::string app;
    long wait_s = 120;
  };
  for (const char* verb : {"start", "stop", "restart"}) {
    auto args = std::make_shared<Args>();
    std::string v = verb;
    auto* cmd = app.add_subcommand(v, v == "stop" ? "Stop an application"
                                                  : "S" + v.substr(1) + " an application and wait until it runs");
    cmd->add_option("app", args->app, "Application")->required();
    if (v != "stop") cmd->add_option("--wait", args->wait_s, "Seconds to wait for RUNNING (default 120)");
    cmd->callback([args, v, &globals] {
      Session s(globals);
      json a = app_named(s, args->app);
      s.call("POST", "/v3/apps/" + a["guid"].get<std::string>() + "/actions/" + v);
      if (v != "stop") wait_running(s, a, args->wait_s);
      std::cerr << (v == "stop" ? "Stopped " : v == "start" ? "Started " : "Restarted ") << args->app << "\n";
    });
  }
}

}  // namespace stackato::client
