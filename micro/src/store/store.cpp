#include "store/store.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace kato::store {

namespace {

// Keeps each app's log bounded; trimmed every so many writes rather than on each.
constexpr int kLogsPerApp = 20000;

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s, i, v);
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(sqlite3_db_handle(s)));
  }
  std::string text(int col) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, col))) : std::string();
  }
  std::int64_t integer(int col) { return sqlite3_column_int64(s, col); }
};

}  // namespace

Store::Store(const std::filesystem::path& file) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    throw std::runtime_error("cannot open " + file.string() + ": " + sqlite3_errmsg(db_));
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec("CREATE TABLE IF NOT EXISTS resources ("
       " seq INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT NOT NULL UNIQUE, type TEXT NOT NULL, doc TEXT NOT NULL)");
  exec("CREATE INDEX IF NOT EXISTS resources_type ON resources(type, seq)");
  exec("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  exec("CREATE TABLE IF NOT EXISTS logs ("
       " id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, ts INTEGER NOT NULL, source TEXT NOT NULL,"
       " instance TEXT NOT NULL, err INTEGER NOT NULL, payload BLOB NOT NULL)");
  exec("CREATE INDEX IF NOT EXISTS logs_app_ts ON logs(app, ts)");
}

Store::~Store() { sqlite3_close_v2(db_); }

void Store::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("sqlite: " + msg);
  }
}

std::optional<json> Store::get(const std::string& type, const std::string& guid) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "SELECT doc FROM resources WHERE guid = ?1 AND type = ?2");
  st.bind(1, guid).bind(2, type);
  if (!st.step()) return std::nullopt;
  return json::parse(st.text(0));
}

std::vector<json> Store::list(const std::string& type) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "SELECT doc FROM resources WHERE type = ?1 ORDER BY seq");
  st.bind(1, type);
  std::vector<json> out;
  while (st.step()) out.push_back(json::parse(st.text(0)));
  return out;
}

void Store::put(const std::string& type, const json& doc) {
  std::lock_guard lock(mutex_);
  Stmt st(db_,
          "INSERT INTO resources (guid, type, doc) VALUES (?1, ?2, ?3) "
          "ON CONFLICT(guid) DO UPDATE SET doc = excluded.doc");
  st.bind(1, doc.at("guid").get<std::string>()).bind(2, type).bind(3, doc.dump());
  st.step();
  ++changes_;
}

bool Store::remove(const std::string& type, const std::string& guid) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "DELETE FROM resources WHERE guid = ?1 AND type = ?2");
  st.bind(1, guid).bind(2, type);
  st.step();
  ++changes_;
  return sqlite3_changes(db_) > 0;
}

std::optional<std::string> Store::setting(const std::string& key) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "SELECT value FROM settings WHERE key = ?1");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

void Store::set_setting(const std::string& key, const std::string& value) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  st.bind(1, key).bind(2, value);
  st.step();
}

void Store::append_log(const std::string& app, const LogLine& line) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "INSERT INTO logs (app, ts, source, instance, err, payload) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  st.bind(1, app).bind(2, line.timestamp_ns).bind(3, line.source_type).bind(4, line.instance)
      .bind(5, static_cast<std::int64_t>(line.error)).bind(6, line.payload);
  st.step();
  if (++log_writes_ % 1000 == 0) {
    Stmt trim(db_,
              "DELETE FROM logs WHERE app = ?1 AND id <= (SELECT id FROM logs WHERE app = ?1 "
              "ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    trim.bind(1, app).bind(2, static_cast<std::int64_t>(kLogsPerApp));
    trim.step();
  }
}

std::vector<LogLine> Store::read_logs(const std::string& app, std::int64_t start, std::int64_t end, std::size_t limit,
                                      bool descending) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, descending
                   ? "SELECT ts, source, instance, err, payload FROM logs WHERE app = ?1 AND ts >= ?2 AND ts < ?3 "
                     "ORDER BY ts DESC, id DESC LIMIT ?4"
                   : "SELECT ts, source, instance, err, payload FROM logs WHERE app = ?1 AND ts >= ?2 AND ts < ?3 "
                     "ORDER BY ts, id LIMIT ?4");
  st.bind(1, app).bind(2, start).bind(3, end).bind(4, static_cast<std::int64_t>(limit));
  std::vector<LogLine> out;
  while (st.step()) out.push_back({st.integer(0), st.text(1), st.text(2), st.integer(3) != 0, st.text(4)});
  return out;
}

void Store::drop_logs(const std::string& app) {
  std::lock_guard lock(mutex_);
  Stmt st(db_, "DELETE FROM logs WHERE app = ?1");
  st.bind(1, app);
  st.step();
}

void Store::transaction(const std::function<void()>& f) {
  std::lock_guard lock(mutex_);
  if (depth_ > 0) {  // nested: part of the outer one
    f();
    return;
  }
  exec("BEGIN IMMEDIATE");
  ++depth_;
  try {
    f();
  } catch (...) {
    --depth_;
    exec("ROLLBACK");
    throw;
  }
  --depth_;
  exec("COMMIT");
}

}  // namespace kato::store
