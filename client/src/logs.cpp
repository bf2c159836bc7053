#include "logs.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace stackato::client {

using json = nlohmann::json;

std::int64_t follow_cursor(const std::vector<LogLine>& newest) {
  std::int64_t cursor = 0;
  for (const auto& l : newest) cursor = std::max(cursor, l.timestamp_ns + 1);
  return cursor;
}

namespace {
std::string log_cache(Session& s) {
  const json& links = s.root()["links"];
  if (links.contains("log_cache") && links["log_cache"].is_object()) return links["log_cache"].value("href", s.target());
  return s.target();
}
}  // namespace

std::vector<LogLine> read_logs(Session& s, const std::string& app_guid, std::int64_t start_ns, int limit, bool newest) {
  json read = s.call("GET", log_cache(s) + "/api/v1/read/" + app_guid + "?envelope_types=LOG&limit=" +
                                std::to_string(limit) + "&start_time=" + std::to_string(start_ns) +
                                (newest ? "&descending=true" : ""));
  std::vector<LogLine> out;
  for (const auto& e : read["envelopes"]["batch"]) {
    if (!e.contains("log")) continue;
    LogLine l;
    try {
      l.timestamp_ns = std::stoll(e.value("timestamp", "0"));
    } catch (const std::exception&) {
    }
    l.source = e.value("tags", json::object()).value("source_type", "");
    l.instance = e.value("instance_id", "");
    l.text = base64url_decode(e["log"].value("payload", "")).value_or("");
    while (!l.text.empty() && (l.text.back() == '\n' || l.text.back() == '\r')) l.text.pop_back();
    l.error = e["log"].value("type", "") == "ERR";
    out.push_back(std::move(l));
  }
  if (newest) std::reverse(out.begin(), out.end());
  return out;
}

std::string format_line(const LogLine& line, bool timestamps) {
  std::string out;
  if (timestamps) {
    std::time_t t = static_cast<std::time_t>(line.timestamp_ns / 1000000000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    out = buf;
  }
  out += line.source;
  if (!line.instance.empty() && (line.source.rfind("APP", 0) == 0 || line.source == "CELL")) out += "/" + line.instance;
  return out + " " + line.text;
}

std::vector<std::string> last_lines(Session& s, const std::string& app_guid, int n) {
  std::vector<std::string> out;
  try {
    for (const auto& l : read_logs(s, app_guid, 0, n, true)) out.push_back(format_line(l, false));
  } catch (const std::exception& e) {  // the reason matters more than the lines
    out.push_back(std::string("(could not read the log: ") + e.what() + ")");
  }
  return out;
}

}  // namespace stackato::client
