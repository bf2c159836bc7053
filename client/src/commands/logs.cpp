// stackato logs APP [--follow] [--num N] [--source S] [--instance N] [--json] [--no-timestamps]

#include <fnmatch.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "cli.hpp"
#include "logs.hpp"
#include "resources.hpp"

namespace stackato::client {

using json = nlohmann::json;

void add_logs(CLI::App& app, Globals& globals) {
  struct Args {
    std::string app, source, instance;
    int num = -1;
    bool follow = false, json = false, no_timestamps = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("logs", "Show an application's log (staging, app output, router, API events)");
  cmd->add_option("app", a->app, "Application")->required();
  cmd->add_flag("-f,--follow,--tail", a->follow, "Keep printing new lines until Ctrl-C");
  cmd->add_option("--num", a->num, "Number of recent lines (default 100, or 10 with --follow)")->check(CLI::Range(0, 1000));
  cmd->add_option("--source", a->source, "Only lines of this source (glob: APP, STG, RTR, API, CELL)");
  cmd->add_option("--instance", a->instance, "Only lines of this instance");
  cmd->add_flag("--json", a->json, "One JSON object per line");
  cmd->add_flag("--no-timestamps", a->no_timestamps, "Leave out the timestamps");
  cmd->callback([a, &globals] {
    Session s(globals);
    std::string guid = app_named(s, a->app).guid;
    auto keep = [&](const LogLine& l) {
      // "APP" also means APP/PROC/WEB: a source matches by itself or by its first segment.
      return (a->source.empty() || fnmatch(a->source.c_str(), l.source.c_str(), 0) == 0 ||
              fnmatch((a->source + "/*").c_str(), l.source.c_str(), 0) == 0) &&
             (a->instance.empty() || l.instance == a->instance);
    };
    auto print = [&](const LogLine& l) {
      if (!keep(l)) return;
      if (a->json)
        std::cout << json{{"timestamp", l.timestamp_ns}, {"source", l.source}, {"instance", l.instance},
                          {"text", l.text}, {"stream", l.error ? "stderr" : "stdout"}}
                         .dump()
                  << '\n';
      else
        std::cout << format_line(l, !a->no_timestamps) << '\n';
    };
    int num = a->num >= 0 ? a->num : a->follow ? 10 : 100;
    std::int64_t since = 0;
    if (num > 0)
      for (const auto& l : read_logs(s, guid, 0, num, true)) {
        print(l);
        since = l.timestamp_ns + 1;
      }
    std::cout << std::flush;
    if (!a->follow) return;
    if (since == 0) since = follow_cursor(read_logs(s, guid, 0, 1, true));
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      for (;;) {
        auto lines = read_logs(s, guid, since, 1000);
        for (const auto& l : lines) {
          print(l);
          since = l.timestamp_ns + 1;
        }
        if (lines.size() < 1000) break;
      }
      std::cout << std::flush;
      if (!std::cout) return;  // the reader went away (| head)
    }
  });
}

}  // namespace stackato::client
