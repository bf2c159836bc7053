// Redis: one server under <services>/redis with a password for its admin (default) user, run as
// the `redis` user when kato is root. An instance is a database index; each binding an ACL user
// with its own password (all keys, no admin commands). Users are saved in an ACL file.

#include <unistd.h>

#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>

#include "brokers/common.hpp"
#include "brokers/supervisor.hpp"

namespace kato::brokers {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr int kDatabases = 64;

class Redis : public ServerBroker {
 public:
  explicit Redis(const fs::path& services) : ServerBroker(services, "redis"), dir_(services / "redis") {}
  std::string label() const override { return "redis"; }
  std::string description() const override { return "Redis key-value store"; }
  std::vector<std::string> tags() const override { return {"redis", "key-value"}; }

  json provision(const std::string&, const Plan&) override {
    start();
    std::lock_guard lock(alloc_mu_);
    std::set<int> used;
    if (std::ifstream in(dir_ / "dbs.json"); in) {
      json j = json::parse(in, nullptr, false);
      if (j.is_array())
        for (const auto& n : j) used.insert(n.get<int>());
    }
    for (int db = 1; db < kDatabases; ++db)  // 0 is left to the admin
      if (!used.count(db)) {
        used.insert(db);
        save(used);
        return {{"db", db}};
      }
    throw std::runtime_error("redis: all " + std::to_string(kDatabases - 1) + " databases are in use");
  }

  void deprovision(const json& data) override {
    start();
    int db = data.value("db", 0);
    if (db <= 0) return;
    cli({"-n", std::to_string(db), "FLUSHDB"});
    std::lock_guard lock(alloc_mu_);
    std::set<int> used;
    if (std::ifstream in(dir_ / "dbs.json"); in) {
      json j = json::parse(in, nullptr, false);
      if (j.is_array())
        for (const auto& n : j) used.insert(n.get<int>());
    }
    used.erase(db);
    save(used);
  }

  json bind(const std::string& id, const json& data) override {
    start();
    std::string user = short_name('u', id), pw = random_password();
    int db = data["db"];
    // ACL rules go through stdin like the SQL of the other brokers: the password stays out of argv.
    cli_stdin("ACL SETUSER " + user + " on >" + pw + " ~* &* +@all -@admin\n" + acl_save());
    json c = db_credentials("redis", host(), port(), std::to_string(db), user, pw);
    return c;
  }

  void unbind(const json&, const json& credentials) override {
    start();
    std::string user = credentials.value("user", "");
    if (!user.empty()) cli_stdin("ACL DELUSER " + user + "\n" + acl_save());
  }

 private:
  unsigned short port() { return external_ ? external_->port : stable_port(dir_.parent_path(), "redis"); }
  unsigned short server_port() override { return port(); }
  std::string probe_hello() override { return "PING\r\n"; }
  bool ping() override { return cli({"PING"}).output.find("PONG") != std::string::npos; }

  void save(const std::set<int>& used) {
    json j(used);
    std::ofstream(dir_ / "dbs.json") << j.dump() << "\n";
  }

  std::string admin_password() {
    if (external_) return external_->password;
    fs::path file = dir_ / "admin-password";
    std::string pw;
    if (std::ifstream in(file); in) std::getline(in, pw);
    if (pw.empty()) {
      pw = random_password();
      std::ofstream(file) << pw << "\n";
      fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    }
    return pw;
  }

  Server::Spec prepare() override {
    as_ = RunAs::find("redis");
    as_.home = dir_;
    fs::create_directories(dir_ / "data");
    fs::path acl = dir_ / "data" / "users.acl";
    // The admin's password lives in the ACL file, not in the server's argv.
    std::string pw = admin_password();
    std::string rules;
    if (std::ifstream in(acl); in)
      for (std::string line; std::getline(in, line);)
        if (line.rfind("user default ", 0) != 0) rules += line + "\n";
    {
      std::ofstream out(acl);
      out << "user default on >" << pw << " ~* &* +@all\n" << rules;
    }
    fs::permissions(acl, fs::perms::owner_read | fs::perms::owner_write);
    fs::permissions(dir_, fs::perms::owner_all);
    for (const auto& p : {dir_, dir_ / "data", acl}) ::chown(p.c_str(), as_.uid, as_.gid);
    Server::Spec spec{"redis",
                      {"redis-server", "--port", std::to_string(port()), "--bind", "127.0.0.1", "--dir",
                       (dir_ / "data").string(), "--daemonize", "no", "--aclfile", acl.string(), "--databases",
                       std::to_string(kDatabases), "--save", "60 1", "--appendonly", "yes"},
                      {}, as_, dir_ / "server.log", dir_ / "server.pid",
                      [this] { return ping(); }};
    return spec;
  }

  // Our own server keeps its users in its ACL file; an external one is configured by its owner.
  std::string acl_save() const { return external_ ? "" : "ACL SAVE\n"; }

  std::vector<std::string> cli_base() {
    std::vector<std::string> argv = {"redis-cli", "-h", host(), "-p", std::to_string(port())};
    if (external_ && !external_->user.empty()) argv.insert(argv.end(), {"--user", external_->user});
    return argv;
  }

  ToolResult cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv = cli_base();
    argv.insert(argv.end(), args.begin(), args.end());
    return run_tool(argv, {{"REDISCLI_AUTH", admin_password()}}, "", {}, 30);
  }
  void cli_stdin(const std::string& commands) {
    auto r = run_tool(cli_base(), {{"REDISCLI_AUTH", admin_password()}},
                      commands, {}, 30);
    if (r.status != 0 || r.output.find("ERR") != std::string::npos) throw std::runtime_error("redis: " + r.output.substr(0, 400));
  }

  fs::path dir_;
  std::mutex alloc_mu_;
};

}  // namespace

std::unique_ptr<Broker> make_redis(const fs::path& dir) { return std::make_unique<Redis>(dir); }

}  // namespace kato::brokers
