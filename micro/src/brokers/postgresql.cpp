// PostgreSQL: one cluster under <services>/postgresql, run as the `postgres` user when kato is
// root; local admin connections over a private Unix socket, apps over TCP on 127.0.0.1 with
// scram passwords. An instance is a database owned by a NOLOGIN role; each binding is a login
// role in it whose sessions act as the owner, so every binding sees the same tables.

#include <glob.h>
#include <unistd.h>

#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "brokers/common.hpp"
#include "brokers/supervisor.hpp"

namespace kato::brokers {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string pg_bin(const std::string& tool) {
  glob_t g{};
  std::string found;
  if (::glob(("/usr/lib/postgresql/*/bin/" + tool).c_str(), 0, nullptr, &g) == 0 && g.gl_pathc > 0)
    found = g.gl_pathv[g.gl_pathc - 1];  // the newest version
  ::globfree(&g);
  if (found.empty()) throw std::runtime_error("PostgreSQL is not installed (no " + tool + "); run scripts/setup.sh");
  return found;
}

class Postgres : public ServerBroker {
 public:
  explicit Postgres(const fs::path& services) : ServerBroker(services, "postgresql"), dir_(services / "postgresql") {}
  std::string label() const override { return "postgresql"; }
  std::string description() const override { return "PostgreSQL database"; }
  std::vector<std::string> tags() const override { return {"postgresql", "relational", "sql"}; }

  json provision(const std::string& id, const Plan&) override {
    start();
    std::string db = short_name('d', id), owner = db + "_owner";
    sql("CREATE ROLE " + owner + " NOLOGIN");
    try {
      sql("CREATE DATABASE " + db + " OWNER " + owner);
      sql("REVOKE ALL ON DATABASE " + db + " FROM PUBLIC");
    } catch (...) {
      try_sql("DROP DATABASE IF EXISTS " + db);
      try_sql("DROP ROLE IF EXISTS " + owner);
      throw;
    }
    return {{"database", db}, {"owner", owner}};
  }

  void deprovision(const json& data) override {
    start();
    std::string db = data.value("database", ""), owner = data.value("owner", "");
    if (db.empty()) return;
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db + "'");
    sql("DROP DATABASE IF EXISTS " + db);
    try_sql("DROP ROLE IF EXISTS " + owner);
  }

  json bind(const std::string& id, const json& data) override {
    start();
    std::string db = data["database"], owner = data["owner"], user = short_name('u', id), pw = random_password();
    sql("CREATE ROLE " + user + " LOGIN PASSWORD '" + pw + "' IN ROLE " + owner);
    sql("ALTER ROLE " + user + " SET role = " + owner);  // objects it creates belong to the instance
    sql("GRANT CONNECT, TEMPORARY ON DATABASE " + db + " TO " + user);
    return db_credentials("postgres", host(), port(), db, user, pw);
  }

  void unbind(const json& data, const json& credentials) override {
    start();
    std::string user = credentials.value("user", "");
    if (user.empty()) return;
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + user + "'");
    sql("REVOKE ALL ON DATABASE " + data.value("database", std::string("postgres")) + " FROM " + user);
    sql("DROP ROLE IF EXISTS " + user);
  }

  // pg_dump of the database with its CREATE and grants (one snapshot: writers go on); the
  // instance's roles as pg_dumpall writes them (their SCRAM verifiers), only those.
  std::vector<Dump> backup(const json& data, const std::vector<json>& credentials) override {
    std::set<std::string> ours = {data.value("owner", "")};
    for (const auto& c : credentials) ours.insert(c.value("user", ""));
    std::vector<std::string> argv = client(pg_bin("pg_dumpall"));
    argv.push_back("--roles-only");
    auto r = run_tool(argv, client_env(), "", {}, 120);
    if (r.status != 0) throw std::runtime_error("pg_dumpall: " + r.output.substr(0, 400));
    std::string roles;
    std::istringstream in(r.output);
    for (std::string line; std::getline(in, line);)
      if (names_only(line, ours)) roles += line + "\n";
    argv = client(pg_bin("pg_dump"));
    argv.insert(argv.end(), {"--create", "-d", data.value("database", "")});
    return {{"roles.sql", {}, {}, roles}, {"data.sql", argv, client_env(), ""}};
  }

  json restore(const std::string&, const json& data, const std::vector<json>& credentials, const fs::path& dir,
               const fs::path&) override {
    std::string db = data.value("database", ""), owner = data.value("owner", "");
    check_sql_name(db, "postgresql: the database");
    check_sql_name(owner, "postgresql: the owner role");
    for (const auto& c : credentials) check_sql_name(c.value("user", ""), "postgresql: the user");
    sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db + "'");
    sql("DROP DATABASE IF EXISTS " + db);
    for (const auto& c : credentials)
      if (!c.value("user", "").empty()) sql("DROP ROLE IF EXISTS " + c.value("user", ""));
    sql("DROP ROLE IF EXISTS " + owner);
    for (const char* member : {"roles.sql", "data.sql"}) {
      std::vector<std::string> argv = client("psql");
      argv.insert(argv.end(), {"-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres"});
      auto r = run_tool_from(argv, client_env(), dir / member);
      if (r.status != 0) throw std::runtime_error(std::string("postgresql: loading ") + member + ": " + r.output.substr(0, 400));
    }
    return data;
  }

  json rebind(const json& data, json credentials) override {
    return db_credentials("postgres", host(), port(), data.value("database", ""), credentials.value("user", ""),
                          credentials.value("password", ""));
  }

 private:
  // A statement of pg_dumpall --roles-only that concerns only the instance's roles: CREATE ROLE
  // and ALTER ROLE of one of them, GRANT of one of them to one of them. The cluster's other
  // roles (its superuser, other instances') stay out.
  static bool names_only(const std::string& line, const std::set<std::string>& ours) {
    std::istringstream words(line);
    std::string a, b, c, d, e;
    words >> a >> b >> c;
    auto role = [](std::string w) {
      while (!w.empty() && (w.back() == ';' || w.back() == ',')) w.pop_back();
      return w;
    };
    if ((a == "CREATE" || a == "ALTER") && b == "ROLE") return ours.count(role(c)) > 0;
    if (a == "GRANT") {
      words >> d;
      return ours.count(role(b)) > 0 && c == "TO" && ours.count(role(d)) > 0;
    }
    return false;
  }

  // The admin's connection for a client tool: the private socket as the cluster's superuser, or
  // an external server over TCP (its password in the environment).
  std::vector<std::string> client(const std::string& tool) {
    if (external_) return {tool, "-h", external_->host, "-p", std::to_string(port()), "-U", external_->user};
    return {tool, "-h", (dir_ / "socket").string(), "-p", std::to_string(port()), "-U", "kato"};
  }
  Env client_env() const { return external_ ? Env{{"PGPASSWORD", external_->password}} : Env{}; }

  unsigned short port() { return external_ ? external_->port : stable_port(dir_.parent_path(), "postgresql"); }
  unsigned short server_port() override { return port(); }
  // SSLRequest: the server answers S or N at once.
  std::string probe_hello() override { return std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8); }
  bool ping() override { return psql("SELECT 1").status == 0; }

  Server::Spec prepare() override {
    as_ = RunAs::find("postgres");
    as_.home = dir_;
    fs::create_directories(dir_ / "socket");
    for (const auto& d : {dir_, dir_ / "socket"}) {
      ::chown(d.c_str(), as_.uid, as_.gid);
      fs::permissions(d, fs::perms::owner_all);
    }
    if (!fs::exists(dir_ / "data" / "PG_VERSION")) {
      auto r = run_tool({pg_bin("initdb"), "-D", (dir_ / "data").string(), "-U", "kato", "--auth-local=trust",
                         "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"},
                        {}, "", as_, 120);
      if (r.status != 0) throw std::runtime_error("initdb failed: " + r.output.substr(0, 600));
    }
    Server::Spec spec{"postgresql",
                      {pg_bin("postgres"), "-D", (dir_ / "data").string(), "-p", std::to_string(port()), "-k",
                       (dir_ / "socket").string(), "-c", "listen_addresses=127.0.0.1"},
                      {}, as_, dir_ / "server.log", dir_ / "server.pid",
                      [this] { return ping(); }};
    return spec;
  }

  // Admin statements over the private socket, as the cluster's superuser (trust on the socket,
  // which only the server's account can reach); on stdin, never in argv (passwords).
  ToolResult psql(const std::string& statement) {
    if (external_)  // over TCP with the configured admin, the password in the environment
      return run_tool({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", external_->host, "-p", std::to_string(port()),
                       "-U", external_->user, "-d", "postgres", "-f", "-"},
                      {{"PGPASSWORD", external_->password}}, statement + ";\n", {}, 60);
    return run_tool({"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", (dir_ / "socket").string(), "-p",
                     std::to_string(port()), "-U", "kato", "-d", "postgres", "-f", "-"},
                    {}, statement + ";\n", {}, 60);
  }
  void sql(const std::string& statement) {
    auto r = psql(statement);
    if (r.status != 0) throw std::runtime_error("postgresql: " + r.output.substr(0, 400));
  }
  void try_sql(const std::string& statement) { psql(statement); }

  fs::path dir_;
};

}  // namespace

std::unique_ptr<Broker> make_postgresql(const fs::path& dir) { return std::make_unique<Postgres>(dir); }

}  // namespace kato::brokers
