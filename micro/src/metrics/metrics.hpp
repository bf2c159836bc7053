#pragma once
// What kato counts for Prometheus (GET /metrics): the router's requests per app by status class
// with a latency histogram, staging durations, token endpoint failures. What describes the
// present (instances wanted and running, service servers up, disk free) is not kept here: its
// owners report it at scrape time (Snapshot). Series and the text format are prometheus-cpp's
// (Debian's prometheus-cpp-dev).
//
// Thread safety: every method may be called from any thread (prometheus-cpp's families lock).

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kato::metrics {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One request the router answered for an app (its guid), with its status and duration.
  void request(const std::string& app_guid, unsigned status, double seconds);
  // One staging, and whether it succeeded.
  void staged(double seconds, bool ok);
  // A refused password or refresh token at /oauth/token.
  void token_failure();

  struct App {
    std::string guid, name, space;
    long wanted = 0, running = 0, crashed = 0, restarts = 0;
  };
  struct Service {
    std::string name;       // mysql, postgresql, redis
    bool started = false;   // servers start on first use
    bool up = false;        // answered a probe just now
  };
  struct Snapshot {
    std::vector<App> apps;
    std::vector<Service> services;
    std::filesystem::path data;  // its filesystem's free space
  };
  // The text exposition format, counters and the snapshot's gauges.
  std::string render(const Snapshot& now);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kato::metrics
