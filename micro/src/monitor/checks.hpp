#pragma once
// `kato check NAME`: kato's health for Nagios (through NRPE or check_by_ssh) in the plugin
// conventions of plugin.hpp. Each check reads what it needs from the data dir (kato.json, the
// CA, the scrape token) and asks the running kato over loopback; none changes anything.
//
//   disk      free space of the data dir's filesystem, in percent   -w 20 -c 10 (free below)
//   load      the load averages, as check_load                      -w 1-,5-,15-min -c ...
//   api       GET /v3/info answers 200, and how fast                -w 1 -c 5 (seconds)
//   router    an unknown host gets the router's 404, and how fast   -w 1 -c 5 (seconds)
//   services  every started service server answers its probe        (CRITICAL when one does not)
//   apps      every started app runs all its wanted instances       (WARNING when fewer)
//   all       each of the above; the worst state, every perfdata

#include <filesystem>
#include <string>
#include <vector>

#include "monitor/plugin.hpp"

namespace kato::monitor {

struct CheckOptions {
  std::filesystem::path data;
  std::string warning, critical;  // as typed; "" for the check's default
};

const std::vector<std::string>& check_names();
// The check's one line on stdout; returns its exit code. UNKNOWN (3) for what cannot be
// judged: kato not running, an unreadable data dir, a bad threshold.
int run_check(const std::string& name, const CheckOptions& options);
// The same as a Result, for `all` and tests.
Result check(const std::string& name, const CheckOptions& options);

// kato_x{a="b"} 1 lines of the Prometheus text format: name, labels, value.
struct Sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  std::string label(const std::string& key) const;
};
std::vector<Sample> parse_samples(const std::string& text);

}  // namespace kato::monitor
