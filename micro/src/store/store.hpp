#pragma once
// kato's state: one SQLite database (WAL) under the data dir. Resources are kept as the JSON
// documents the V3 API shows, keyed by guid and grouped by type; the set is small on one node,
// so lists are filtered in memory. Also settings (keys, hashes) and per-app logs.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;

namespace kato::store {

using json = nlohmann::json;

struct LogLine {
  std::int64_t timestamp_ns = 0;
  std::string source_type;  // APP/PROC/WEB, STG, RTR, API, ...
  std::string instance;
  bool error = false;  // stderr
  std::string payload;
};

class Store {
 public:
  explicit Store(const std::filesystem::path& file);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::optional<json> get(const std::string& type, const std::string& guid);
  std::vector<json> list(const std::string& type);  // in creation order
  void put(const std::string& type, const json& doc);  // insert or replace, by doc["guid"]
  bool remove(const std::string& type, const std::string& guid);

  std::optional<std::string> setting(const std::string& key);
  void set_setting(const std::string& key, const std::string& value);

  void append_log(const std::string& app_guid, const LogLine& line);
  // Newest first when descending; at most `limit`; timestamps in [start, end).
  std::vector<LogLine> read_logs(const std::string& app_guid, std::int64_t start, std::int64_t end,
                                 std::size_t limit, bool descending);
  void drop_logs(const std::string& app_guid);

  // Grows with every change to resources: caches (the router's routes) compare it.
  std::uint64_t changes() const { return changes_.load(); }

  // Runs f in one transaction (BEGIN IMMEDIATE .. COMMIT, ROLLBACK when f throws).
  void transaction(const std::function<void()>& f);

 private:
  void exec(const char* sql);
  sqlite3* db_ = nullptr;
  std::recursive_mutex mutex_;
  int depth_ = 0;
  std::uint64_t log_writes_ = 0;
  std::atomic<std::uint64_t> changes_{0};
};

}  // namespace kato::store
