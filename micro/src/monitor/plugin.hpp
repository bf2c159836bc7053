#pragma once
// Nagios plugin conventions (the Monitoring Plugins Development Guidelines): one line
// "KATO DISK OK - text | perfdata", exit 0/1/2/3 for OK/WARNING/CRITICAL/UNKNOWN, and threshold
// ranges "10" (alert outside 0..10), "10:" (below 10), "~:10" (above 10), "10:20" (outside),
// "@10:20" (inside).

#include <optional>
#include <stdexcept>
#include <string>

namespace kato::monitor {

enum class State { Ok = 0, Warning = 1, Critical = 2, Unknown = 3 };
const char* state_name(State s);
State worse(State a, State b);  // UNKNOWN ranks below CRITICAL, above WARNING (as check_multi)

struct Result {
  State state = State::Ok;
  std::string text;  // after "OK - "
  std::string perf;  // after "|", may be empty
};

// "KATO DISK OK - 61% free on /data | free=61%;20:;10:;0;100"
std::string line(const std::string& service, const Result& r);

struct BadThreshold : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

struct Range {
  std::optional<double> low, high;  // absent: unbounded (~ or nothing)
  bool inside = false;              // "@": alert inside instead of outside
  std::string text;                 // as given, for the perfdata
  bool alerts(double value) const;
};
// Throws BadThreshold naming the text for anything else.
Range parse_range(const std::string& text);

// The state of a value against warning and critical ranges (critical first).
State judge(double value, const std::optional<Range>& warn, const std::optional<Range>& crit);

}  // namespace kato::monitor
