// Redis: one server under <services>/redis with a password for its admin (default) user, run as
// the `redis` user when kato is root. An instance is a database index; each binding an ACL user
// with its own password (all keys, no admin commands). Users are saved in an ACL file.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

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
    return {{"db", allocate(0)}};
  }

  void deprovision(const json& data) override {
    start();
    int db = data.value("db", 0);
    if (db <= 0) return;
    cli({"-n", std::to_string(db), "FLUSHDB"});
    release(db);
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

  // The server's RDB snapshot, taken as a replica would (redis-cli --rdb); an instance is a
  // database in it. Its users as ACL rules with their password hashes.
  std::vector<Dump> backup_server() override {
    std::vector<std::string> argv = cli_base();
    argv.insert(argv.end(), {"--rdb", "-"});
    return {{"dump.rdb", argv, {{"REDISCLI_AUTH", admin_password()}}, ""}};
  }

  std::vector<Dump> backup(const json& data, const std::vector<json>& credentials) override {
    std::set<std::string> ours;
    for (const auto& c : credentials) ours.insert(c.value("user", ""));
    auto r = cli({"ACL", "LIST"});
    if (r.status != 0) throw std::runtime_error("redis: " + r.output.substr(0, 400));
    std::string acl;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);) {
      std::istringstream words(line);
      std::string kw, user;
      if (words >> kw >> user && kw == "user" && ours.count(user)) acl += "ACL SETUSER " + line.substr(5) + "\n";
    }
    return {{"users.acl", {}, {}, acl}, {"db", {}, {}, std::to_string(data.value("db", 0)) + "\n"}};
  }

  // The snapshot is served by a server of its own (a Unix socket in the staging directory, no
  // port), from which MIGRATE copies the instance's keys into a database of this server: the
  // same index when it is free here.
  json restore(const std::string&, const json& data, const std::vector<json>&, const fs::path& dir,
               const fs::path& server_dir) override {
    int from = data.value("db", 0), to = allocate(from);
    try {
      std::string from_s = std::to_string(from), to_s = std::to_string(to);
      fs::path sock = snapshot_server(server_dir);
      cli({"-n", to_s, "FLUSHDB"});
      auto keys = run_tool({"redis-cli", "-s", sock.string(), "-n", from_s, "--scan"}, {}, "", {}, 600);
      if (keys.status != 0) throw std::runtime_error("redis: reading the snapshot: " + keys.output.substr(0, 400));
      std::string batch, commands;
      int in_batch = 0;
      std::istringstream in(keys.output);
      auto flush = [&] {
        if (in_batch == 0) return;
        commands += "MIGRATE 127.0.0.1 " + std::to_string(port()) + " \"\" " + to_s + " 60000 COPY REPLACE AUTH2 default " +
                    quoted(admin_password()) + " KEYS" + batch + "\n";
        batch.clear();
        in_batch = 0;
      };
      for (std::string key; std::getline(in, key);) {
        batch.push_back(' ');
        batch.append(quoted(key));
        if (++in_batch == 500) flush();
      }
      flush();
      auto moved = run_tool({"redis-cli", "-s", sock.string(), "-n", from_s}, {}, commands, {}, 3600);
      if (moved.status != 0 || moved.output.find("ERR") != std::string::npos)
        throw std::runtime_error("redis: copying the keys: " + moved.output.substr(0, 400));
      std::string there = cli({"-n", from_s, "DBSIZE"}, sock).output, here = cli({"-n", to_s, "DBSIZE"}).output;
      if (there != here)
        throw std::runtime_error("redis: database " + from_s + " has " + there.substr(0, there.find('\n')) +
                                 " keys in the export, " + here.substr(0, here.find('\n')) + " after the copy");
      std::ifstream acl(dir / "users.acl");
      std::stringstream rules;
      rules << acl.rdbuf();
      cli_stdin(rules.str() + acl_save());
    } catch (...) {
      release(to);
      throw;
    }
    return {{"db", to}};
  }

  json rebind(const json& data, json credentials) override {
    return db_credentials("redis", host(), port(), std::to_string(data.value("db", 0)), credentials.value("user", ""),
                          credentials.value("password", ""));
  }

  void stop() override {
    ServerBroker::stop();
    if (snapshot_pid_ > 0) {
      ::kill(snapshot_pid_, SIGKILL);
      ::waitpid(snapshot_pid_, nullptr, 0);
      snapshot_pid_ = -1;
    }
  }
  ~Redis() override { stop(); }

 private:
  // A key or password as redis-cli reads it from a line: in double quotes, bytes it would
  // take otherwise as \xHH.
  static std::string quoted(const std::string& s) {
    static const char* hex = "0123456789abcdef";
    std::string out(1, '"');
    out.reserve(s.size() + 2);
    for (unsigned char ch : s) {
      if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
        out.push_back(static_cast<char>(ch));
      } else {
        out.append("\\x");
        out.push_back(hex[ch >> 4]);
        out.push_back(hex[ch & 15]);
      }
    }
    out.push_back('"');
    return out;
  }

  std::set<int> used_dbs() {
    std::set<int> used;
    if (std::ifstream in(dir_ / "dbs.json"); in) {
      json j = json::parse(in, nullptr, false);
      if (j.is_array())
        for (const auto& n : j) used.insert(n.get<int>());
    }
    return used;
  }
  int allocate(int preferred) {
    std::lock_guard lock(alloc_mu_);
    std::set<int> used = used_dbs();
    int db = preferred > 0 && !used.count(preferred) ? preferred : 0;
    for (int d = 1; db == 0 && d < kDatabases; ++d)
      if (!used.count(d)) db = d;
    if (db == 0) throw std::runtime_error("redis: all " + std::to_string(kDatabases - 1) + " databases are in use");
    used.insert(db);
    save(used);
    return db;
  }
  void release(int db) {
    std::lock_guard lock(alloc_mu_);
    std::set<int> used = used_dbs();
    used.erase(db);
    save(used);
  }

  fs::path snapshot_server(const fs::path& server_dir) {
    fs::path sock = server_dir / "snapshot.sock";
    if (snapshot_pid_ > 0) return sock;
    int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    Streaming child = spawn_tool({"redis-server", "--port", "0", "--unixsocket", sock.string(), "--unixsocketperm", "700",
                                  "--dir", server_dir.string(), "--dbfilename", "dump.rdb", "--databases",
                                  std::to_string(kDatabases), "--save", "", "--appendonly", "no"},
                                 {}, -1, null);
    ::close(null);
    snapshot_pid_ = child.pid;
    ::close(child.err);
    for (int i = 0; i < 600; ++i) {
      if (run_tool({"redis-cli", "-s", sock.string(), "PING"}, {}, "", {}, 5).output.find("PONG") != std::string::npos)
        return sock;
      int status = 0;
      if (::waitpid(snapshot_pid_, &status, WNOHANG) == snapshot_pid_) {
        snapshot_pid_ = -1;
        break;
      }
      ::usleep(100000);
    }
    throw std::runtime_error("redis: the exported snapshot does not load");
  }

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
      fs::create_directories(dir_);
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

  ToolResult cli(const std::vector<std::string>& args, const fs::path& socket = {}) {
    std::vector<std::string> argv = socket.empty() ? cli_base() : std::vector<std::string>{"redis-cli", "-s", socket.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    // (The import's snapshot server, on its private socket, has no password.)
    return run_tool(argv, socket.empty() ? Env{{"REDISCLI_AUTH", admin_password()}} : Env{}, "", {}, 30);
  }
  void cli_stdin(const std::string& commands) {
    auto r = run_tool(cli_base(), {{"REDISCLI_AUTH", admin_password()}},
                      commands, {}, 30);
    if (r.status != 0 || r.output.find("ERR") != std::string::npos) throw std::runtime_error("redis: " + r.output.substr(0, 400));
  }

  fs::path dir_;
  std::mutex alloc_mu_;
  pid_t snapshot_pid_ = -1;
};

}  // namespace

std::unique_ptr<Broker> make_redis(const fs::path& dir) { return std::make_unique<Redis>(dir); }

}  // namespace kato::brokers
