#pragma once
// An app's log through the log-cache read API (the root's `log_cache` link; same host on kato):
// read a window, the last lines for error messages, and the printed form of a line.

#include <cstdint>
#include <string>
#include <vector>

#include "session.hpp"

namespace stackato::client {

struct LogLine {
  std::int64_t timestamp_ns = 0;
  std::string source;    // APP, STG, RTR, API, CELL, ...
  std::string instance;  // instance index, "" when none
  std::string text;
  bool error = false;    // written to stderr
};

// Lines with timestamps >= start_ns, oldest first: the first `limit` of them, or with newest the
// last `limit`.
std::vector<LogLine> read_logs(Session& s, const std::string& app_guid, std::int64_t start_ns, int limit,
                               bool newest = false);
// "2026-11-25T15:04:05Z APP/0 text", as `logs` prints a line.
std::string format_line(const LogLine& line, bool timestamps = true);
// The app's last n lines, formatted, for telling why a start failed (never throws).
std::vector<std::string> last_lines(Session& s, const std::string& app_guid, int n);
// Where following starts, from the server's newest line (read_logs(..., 0, 1, true)): just after
// it, or from the beginning when there is none. Never the client's clock: lines logged while the
// client started up would be lost, and against a server whose clock differs, lines would be lost
// or repeated.
std::int64_t follow_cursor(const std::vector<LogLine>& newest);

}  // namespace stackato::client
