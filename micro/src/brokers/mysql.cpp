// MySQL (MariaDB): one server under <services>/mysql, run as the `mysql` user when kato is root.
// Admin connections use the server's private socket with unix_socket authentication (the OS
// account that installed the data dir); apps connect over TCP to 127.0.0.1. An instance is a
// database; each binding a user with all privileges on it.

#include <pwd.h>
#include <unistd.h>

#include <mutex>
#include <stdexcept>

#include "brokers/common.hpp"
#include "brokers/supervisor.hpp"

namespace kato::brokers {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

class MySql : public ServerBroker {
 public:
  explicit MySql(const fs::path& services) : ServerBroker(services, "mysql"), dir_(services / "mysql") {}
  std::string label() const override { return "mysql"; }
  std::string description() const override { return "MySQL database (MariaDB)"; }
  std::vector<std::string> tags() const override { return {"mysql", "relational", "sql"}; }

  json provision(const std::string& id, const Plan&) override {
    start();
    std::string db = short_name('d', id);
    sql("CREATE DATABASE `" + db + "` CHARACTER SET utf8mb4");
    return {{"database", db}};
  }

  void deprovision(const json& data) override {
    start();
    std::string db = data.value("database", "");
    if (!db.empty()) sql("DROP DATABASE IF EXISTS `" + db + "`");
  }

  json bind(const std::string& id, const json& data) override {
    start();
    std::string db = data["database"], user = short_name('u', id), pw = random_password();
    sql("CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + pw + "'");
    try {
      sql("GRANT ALL PRIVILEGES ON `" + db + "`.* TO '" + user + "'@'%'");
    } catch (...) {
      mysql("DROP USER IF EXISTS '" + user + "'@'%'");
      throw;
    }
    return db_credentials("mysql", host(), port(), db, user, pw);
  }

  void unbind(const json&, const json& credentials) override {
    start();
    std::string user = credentials.value("user", "");
    if (!user.empty()) sql("DROP USER IF EXISTS '" + user + "'@'%'");
  }

  // mariadb-dump in one transaction (InnoDB tables stay writable), with the database's CREATE;
  // the bindings' users as the server shows them (their password hashes, their grants).
  std::vector<Dump> backup(const json& data, const std::vector<json>& credentials) override {
    std::string users;
    for (const auto& c : credentials) {
      std::string user = c.value("user", "");
      if (user.empty()) continue;
      auto r = mysql("SHOW CREATE USER '" + user + "'@'%'; SHOW GRANTS FOR '" + user + "'@'%'", {"--skip-column-names", "--raw"});
      if (r.status != 0) throw std::runtime_error("mysql: " + r.output.substr(0, 400));
      for (std::size_t at = 0; at < r.output.size();) {
        std::size_t end = r.output.find('\n', at);
        if (end == std::string::npos) end = r.output.size();
        if (end > at) users += r.output.substr(at, end - at) + ";\n";
        at = end + 1;
      }
    }
    std::vector<std::string> argv = client("mariadb-dump");
    argv.insert(argv.end(), {"--single-transaction", "--routines", "--triggers", "--events", "--hex-blob",
                             "--databases", data.value("database", "")});
    return {{"data.sql", argv, client_env(), ""}, {"users.sql", {}, {}, users}};
  }

  json restore(const std::string&, const json& data, const std::vector<json>& credentials, const fs::path& dir,
               const fs::path&) override {
    std::string db = data.value("database", "");
    check_sql_name(db, "mysql: the database");
    for (const auto& c : credentials) check_sql_name(c.value("user", ""), "mysql: the user");
    sql("DROP DATABASE IF EXISTS `" + db + "`");
    for (const auto& c : credentials)
      if (!c.value("user", "").empty()) sql("DROP USER IF EXISTS '" + c.value("user", "") + "'@'%'");
    for (const char* member : {"data.sql", "users.sql"}) {
      auto r = run_tool_from(client("mysql"), client_env(), dir / member);
      if (r.status != 0) throw std::runtime_error(std::string("mysql: loading ") + member + ": " + r.output.substr(0, 400));
    }
    return data;
  }

  json rebind(const json& data, json credentials) override {
    return db_credentials("mysql", host(), port(), data.value("database", ""), credentials.value("user", ""),
                          credentials.value("password", ""));
  }

 private:
  // The admin's connection for a client tool (mysql, mariadb-dump): the private socket as the
  // data dir's OS account, or an external server over TCP (its password in the environment).
  std::vector<std::string> client(const std::string& tool) {
    if (external_)
      return {tool, "--no-defaults", "--protocol=TCP", "-h", external_->host, "-P", std::to_string(port()), "-u", external_->user};
    std::string admin = "root";
    if (::geteuid() != 0)
      if (passwd* pw = ::getpwuid(::geteuid())) admin = pw->pw_name;
    return {tool, "--no-defaults", "--protocol=socket", "--socket=" + socket().string(), "-u", admin};
  }
  Env client_env() const { return external_ ? Env{{"MYSQL_PWD", external_->password}} : Env{}; }

  unsigned short port() { return external_ ? external_->port : stable_port(dir_.parent_path(), "mysql"); }
  unsigned short server_port() override { return port(); }
  bool ping() override { return mysql("SELECT 1").status == 0; }
  fs::path socket() const { return dir_ / "run" / "mysqld.sock"; }

  Server::Spec prepare() override {
    as_ = RunAs::find("mysql");
    as_.home = dir_;
    fs::create_directories(dir_ / "run");
    for (const auto& d : {dir_, dir_ / "run"}) {
      ::chown(d.c_str(), as_.uid, as_.gid);
      fs::permissions(d, fs::perms::owner_all);
    }
    if (!fs::exists(dir_ / "data" / "mysql")) {
      auto r = run_tool({"mariadb-install-db", "--no-defaults", "--datadir=" + (dir_ / "data").string(),
                         "--auth-root-authentication-method=socket", "--skip-test-db"},
                        {}, "", as_, 180);
      if (r.status != 0) throw std::runtime_error("mariadb-install-db failed: " + r.output.substr(0, 600));
    }
    Server::Spec spec{"mysql",
                      {"mariadbd", "--no-defaults", "--datadir=" + (dir_ / "data").string(),
                       "--socket=" + socket().string(), "--port=" + std::to_string(port()),
                       "--bind-address=127.0.0.1", "--skip-name-resolve",
                       "--pid-file=" + (dir_ / "run" / "mysqld.pid").string()},
                      {}, as_, dir_ / "server.log", dir_ / "server.pid",
                      [this] { return ping(); }};
    return spec;
  }

  // As the OS account that owns the data dir (unix_socket authentication): root when kato is
  // root, else kato's own user. Statements on stdin, never in argv.
  ToolResult mysql(const std::string& statement, const std::vector<std::string>& options = {}) {
    std::vector<std::string> argv = client("mysql");
    argv.push_back("--batch");
    argv.insert(argv.end(), options.begin(), options.end());
    return run_tool(argv, client_env(), statement + ";\n", {}, 60);
  }
  void sql(const std::string& statement) {
    auto r = mysql(statement);
    if (r.status != 0) throw std::runtime_error("mysql: " + r.output.substr(0, 400));
  }

  fs::path dir_;
};

}  // namespace

std::unique_ptr<Broker> make_mysql(const fs::path& dir) { return std::make_unique<MySql>(dir); }

}  // namespace kato::brokers
