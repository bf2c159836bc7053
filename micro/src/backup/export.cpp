#include "backup/export.hpp"

#include "backup/streams.hpp"

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "admin/state.hpp"
#include "brokers/brokers.hpp"
#include "brokers/supervisor.hpp"
#include "stackato/version.hpp"
#include "store/store.hpp"

namespace kato::backup {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

// A temporary file that goes away with the scope, however it is left.
struct TempFile {
  fs::path path;
  ~TempFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

// The credentials of each instance's bindings, by instance guid.
std::map<std::string, std::vector<json>> bindings_by_instance(store::Store& state) {
  std::map<std::string, std::vector<json>> out;
  for (const auto& b : state.list("binding")) out[b.value("_instance", "")].push_back(b.value("_credentials", json::object()));
  return out;
}

// One server's dumps as streams, one after another (a server is dumped as a backup script would
// dump it); the servers' sources are read at once (streams.hpp).
class ToolSource : public StreamSource {
 public:
  struct Job {
    std::string member;
    brokers::Dump dump;
    std::string what;  // for an error: "service instance x (mysql)"
  };
  explicit ToolSource(std::vector<Job> jobs) : jobs_(std::move(jobs)) {}
  ~ToolSource() override {
    if (tool_.pid > 0) {  // left by an error while its stream was read
      ::kill(tool_.pid, SIGKILL);
      brokers::wait_tool(tool_);
    }
  }

  bool next(std::string& name, int& fd) override {
    std::lock_guard lock(mu_);
    if (cancelled_ || at_ == jobs_.size()) return false;
    const Job& job = jobs_[at_];
    brokers::Env env(job.dump.env.begin(), job.dump.env.end());
    tool_ = brokers::spawn_tool(job.dump.argv, env, -1, -1);  // under the lock: cancel sees its pid
    name = job.member;
    fd = tool_.out;
    return true;
  }

  void finished() override {
    brokers::Streaming tool;
    {
      // The pid is forgotten before it is reaped: cancel never signals a reused pid.
      std::lock_guard lock(mu_);
      std::swap(tool, tool_);
    }
    auto r = brokers::wait_tool(tool);
    const Job& job = jobs_[at_++];
    if (r.status != 0)
      throw std::runtime_error(job.dump.argv.front() + " failed for " + job.what + " (exit " + std::to_string(r.status) +
                               "): " + r.output.substr(0, r.output.find('\n')));
  }

  void cancel() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    if (tool_.pid > 0) ::kill(tool_.pid, SIGKILL);
  }

 private:
  std::vector<Job> jobs_;
  std::size_t at_ = 0;  // the source's thread only
  std::mutex mu_;
  brokers::Streaming tool_;  // GUARDED_BY(mu_)
  bool cancelled_ = false;   // GUARDED_BY(mu_)
};

}  // namespace

void snapshot_database(const fs::path& from, const fs::path& to) {
  sqlite3 *src = nullptr, *dst = nullptr;
  auto close = [&] {
    if (src) sqlite3_close(src);
    if (dst) sqlite3_close(dst);
  };
  if (sqlite3_open_v2(from.c_str(), &src, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK ||
      sqlite3_open_v2(to.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string why = sqlite3_errmsg(src ? src : dst);
    close();
    throw std::runtime_error(from.string() + ": " + why);
  }
  sqlite3_busy_timeout(src, 10000);
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  int rc = SQLITE_OK;
  if (b) {
    // In steps, so that kato's writes go on in between (each step holds a read lock briefly).
    do {
      rc = sqlite3_backup_step(b, 256);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
  }
  std::string why = sqlite3_errmsg(dst);
  close();
  if (!b || rc != SQLITE_DONE) throw std::runtime_error("backing up " + from.string() + ": " + why);
}

ExportSummary export_data(const fs::path& data, int fd, const Progress& progress, Compression compression) {
  if (!fs::exists(data / "kato.db")) throw std::runtime_error(data.string() + " is not a kato data directory (no kato.db)");
  auto state = admin::read_state(data);
  bool running = admin::kato_running(data, state);
  ExportSummary summary;

  TempFile snapshot{data / ("export-" + std::to_string(::getpid()) + ".db")};
  snapshot_database(data / "kato.db", snapshot.path);
  store::Store db(snapshot.path);
  std::string domain = state ? state->domain : "";
  if (domain.empty())
    for (const auto& d : db.list("domain")) domain = d.value("name", "");
  summary.apps = db.list("app").size();

  json info = {{"format", kFormat}, {"kato_version", stackato::kVersion}, {"created", utc_now()}, {"domain", domain},
               {"node", hostname()}, {"apps", summary.apps}};
  Writer w(fd, progress, compression);
  w.add_bytes(kHeaderMember, info.dump(1) + "\n");
  w.add_file("state/kato.db", snapshot.path);
  w.add_tree("blobs", admin::real_place(data, "blobs"));

  // Servers answer while kato runs; for a stopped kato this process starts them (attach) and
  // stops them again (~Brokers).
  brokers::Brokers brokers(admin::real_place(data, "services"), running ? brokers::Brokers::Mode::attached : brokers::Brokers::Mode::owner);
  auto bindings = bindings_by_instance(db);
  std::map<std::string, bool> server_done;
  std::map<std::string, std::vector<ToolSource::Job>> dumps;  // by server: streamed below, the servers at once
  auto add = [&](const std::string& label, const std::string& member, const brokers::Dump& d, const std::string& what) {
    if (d.argv.empty())
      w.add_bytes(member, d.content);
    else
      dumps[label].push_back({member, d, what});
  };
  for (const auto& si : db.list("service_instance")) {
    if (si.value("type", "") != "managed" || !si.contains("_data")) continue;
    std::string label = si.value("_label", ""), guid = si.value("guid", "");
    brokers::Broker* broker = brokers.find(label);
    if (!broker) continue;
    std::string what = "service instance " + si.value("name", guid) + " (" + label + ")";
    // A stopped kato's volumes are not mounted and its servers not running: resume does both.
    running ? broker->attach() : broker->resume(si["_data"]);
    if (!server_done[label]) {
      server_done[label] = true;
      for (const auto& d : broker->backup_server()) add(label, "services/" + label + "/server/" + d.member, d, label + "'s server");
    }
    std::string prefix = "services/" + label + "/" + guid;
    for (const auto& d : broker->backup(si["_data"], bindings[guid])) add(label, prefix + "/" + d.member, d, what);
    if (fs::path files = broker->files_of(si["_data"]); !files.empty()) w.add_tree(prefix + "/files", files);
    ++summary.instances;
  }
  std::vector<std::unique_ptr<ToolSource>> sources;
  std::vector<StreamSource*> streams;
  for (auto& [label, jobs] : dumps) {
    sources.push_back(std::make_unique<ToolSource>(std::move(jobs)));
    streams.push_back(sources.back().get());
  }
  w.add_streams(streams);
  info["instances"] = summary.instances;
  w.finish(info);
  summary.bytes = w.bytes();
  return summary;
}

}  // namespace kato::backup
