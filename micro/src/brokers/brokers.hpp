#pragma once
// Service brokers: PostgreSQL, MySQL (MariaDB), Redis and filesystem instances on one machine.
// Each managed instance gets its own database (Redis: db index; filesystem: a size-limited
// volume), each binding its own user and random password. The servers are started on first
// use under <data>/services and supervised (supervisor.hpp).

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kato::brokers {

// One member of an instance's backup (backup/): the stdout of a tool the engine backs up with
// while it serves (`argv`, with `env`: passwords there, never in argv), or, for what is small
// and computed (users and their password hashes), `content`.
struct Dump {
  std::string member;  // e.g. "data.sql"
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string content;
};

struct Plan {
  std::string name, description;
  long size_mb = 0;  // filesystem: the volume's size
};

class Broker {
 public:
  virtual ~Broker() = default;
  virtual std::string label() const = 0;  // the offering's name and VCAP_SERVICES key
  virtual std::string description() const = 0;
  virtual std::vector<std::string> tags() const = 0;
  virtual std::vector<Plan> plans() const { return {{"default", "One database on kato's shared server", 0}}; }
  // Creates the instance; returns what it needs later (kept, private, with the instance).
  // Leaves nothing behind when it throws.
  virtual nlohmann::json provision(const std::string& id, const Plan& plan) = 0;
  virtual void deprovision(const nlohmann::json& data) = 0;
  // Credentials for one binding (a user of its own); unbind removes that user.
  virtual nlohmann::json bind(const std::string& id, const nlohmann::json& data) = 0;
  virtual void unbind(const nlohmann::json& data, const nlohmann::json& credentials) = 0;
  // After a kato restart, for each existing instance (filesystem: mount again).
  virtual void resume(const nlohmann::json& /*data*/) {}
  virtual std::string state() = 0;

  // Backup and restore (backup/export.hpp, backup/import.hpp). `credentials` are those of the
  // instance's bindings: their users are part of it.
  // What to dump for one instance; files_of names a directory taken as it is instead (filesystem).
  virtual std::vector<Dump> backup(const nlohmann::json& /*data*/, const std::vector<nlohmann::json>& /*credentials*/) { return {}; }
  virtual std::filesystem::path files_of(const nlohmann::json& /*data*/) { return {}; }
  // Once per export, members for the whole server (Redis: its RDB snapshot), under <label>/.
  virtual std::vector<Dump> backup_server() { return {}; }
  // Makes instance `id` anew on this kato from the staged members of its backup (`dir`, and
  // `server_dir` for backup_server's), with the same users and passwords, and returns its data.
  // A leftover of the same instance (an import killed before, or --force) is replaced.
  virtual nlohmann::json restore(const std::string& /*id*/, const nlohmann::json& data, const std::vector<nlohmann::json>& /*credentials*/,
                                 const std::filesystem::path& /*dir*/, const std::filesystem::path& /*server_dir*/) { return data; }
  // A binding's credentials as they are on this kato: the server's host and port, and what of
  // `data` they name (the database, the directory).
  virtual nlohmann::json rebind(const nlohmann::json& /*data*/, nlohmann::json credentials) { return credentials; }
  // Restore uses a server another process (the running kato) may have started: only when it
  // does not answer is one started, by this process (and stopped by stop()).
  virtual void attach() {}
  // The end of an attached use: what attach() started stops; the running kato's stays.
  virtual void detach() { stop(); }
  virtual void stop() {}
  // For monitoring: whether its server was started (servers start on first use), and whether
  // it answers a probe within 2 s now. Brokers without a server are always both.
  virtual bool started() { return true; }
  virtual bool answers() { return true; }
};

class Brokers {
 public:
  // The running kato's: servers left over from a kato killed with -9 are stopped first. A
  // backup or an import beside a running kato makes them `attached`: its servers stay.
  enum class Mode { owner, attached };
  explicit Brokers(const std::filesystem::path& dir, Mode mode = Mode::owner);  // <data>/services
  ~Brokers();
  Broker* find(const std::string& label);
  std::vector<Broker*> all();
  // Broker work (provision, deprovision) runs on one worker thread, in order.
  void submit(std::function<void()> work);
  // Waits for submitted work, then stops the servers.
  void stop_all();
  // Waits until no work is queued or running (an in-place upgrade, once no request can submit
  // more); the servers keep running.
  void wait_idle();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kato::brokers
