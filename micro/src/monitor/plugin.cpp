#include "monitor/plugin.hpp"

#include <charconv>

namespace kato::monitor {

const char* state_name(State s) {
  switch (s) {
    case State::Ok: return "OK";
    case State::Warning: return "WARNING";
    case State::Critical: return "CRITICAL";
    case State::Unknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

State worse(State a, State b) {
  auto rank = [](State s) { return s == State::Critical ? 3 : s == State::Unknown ? 2 : s == State::Warning ? 1 : 0; };
  return rank(a) >= rank(b) ? a : b;
}

std::string line(const std::string& service, const Result& r) {
  std::string out = service + " " + state_name(r.state) + " - " + r.text;
  if (!r.perf.empty()) out += " | " + r.perf;
  return out;
}

namespace {

std::optional<double> number(const std::string& text, const std::string& whole) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw BadThreshold("not a threshold range: '" + whole + "' (a number, N:, ~:N, N:M or @N:M)");
  return v;
}

}  // namespace

Range parse_range(const std::string& text) {
  Range r;
  r.text = text;
  std::string t = text;
  if (!t.empty() && t[0] == '@') {
    r.inside = true;
    t = t.substr(1);
  }
  if (t.empty()) throw BadThreshold("not a threshold range: '" + text + "' (a number, N:, ~:N, N:M or @N:M)");
  auto colon = t.find(':');
  if (colon == std::string::npos) {  // "10": 0..10
    r.low = 0;
    r.high = number(t, text);
    return r;
  }
  std::string low = t.substr(0, colon), high = t.substr(colon + 1);
  if (low != "~") r.low = low.empty() ? 0 : *number(low, text);
  if (!high.empty()) r.high = number(high, text);
  if (r.low && r.high && *r.low > *r.high) throw BadThreshold("threshold range '" + text + "' ends below its start");
  return r;
}

bool Range::alerts(double v) const {
  bool outside = (low && v < *low) || (high && v > *high);
  return inside ? !outside : outside;
}

State judge(double value, const std::optional<Range>& warn, const std::optional<Range>& crit) {
  if (crit && crit->alerts(value)) return State::Critical;
  if (warn && warn->alerts(value)) return State::Warning;
  return State::Ok;
}

}  // namespace kato::monitor
