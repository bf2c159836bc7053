// stackato tunnel [SERVICE] [CLIENT]: a local port carried over WebSocket to a service, and
// optionally a database client run against it (password in its environment, never in argv).

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "cli.hpp"
#include "resources.hpp"
#include "stackato/tunnel/listener.hpp"
#include "suggest.hpp"
#include "table.hpp"
#include "terminal.hpp"
#include "tunnel_helper.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

struct Args {
  std::string service, client, bind = "127.0.0.1", output;
  int port = 10000;
  bool allow_http = false;
};

// The clients each type can launch, and the Debian package that has them.
const std::map<std::string, std::vector<std::string>> kClients = {
    {"mysql", {"mysql", "mysqldump"}}, {"postgresql", {"psql", "pg_dump"}}, {"redis", {"redis-cli"}}};
const std::map<std::string, std::string> kPackage = {{"mysql", "mariadb-client"}, {"mysqldump", "mariadb-client"},
                                                     {"psql", "postgresql-client"}, {"pg_dump", "postgresql-client"},
                                                     {"redis-cli", "redis-tools"}};

// A service's type: its offering's name ("user-provided" for one that lives outside).
std::string service_type(api::CloudController& cc, const std::string& space, const std::string& name) {
  auto found = cc.service_instance_named(space, name);
  if (!found) throw ApiError(404, "Service '" + name + "' not found");
  return found->offering;
}

bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= p.size();) {
    auto colon = p.find(':', start);
    std::string dir = p.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (!dir.empty() && ::access((dir + "/" + program).c_str(), X_OK) == 0) return true;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return false;
}

std::string str(const json& v) { return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump(); }

// Runs the client against the local port; returns its exit status.
int launch(const std::string& client, const json& c, unsigned short port, const std::string& output) {
  std::string user = str(c.value("user", c.value("username", json()))), db = str(c.value("name", json()));
  std::string pw = str(c.value("password", json())), p = std::to_string(port);
  std::vector<std::string> argv;
  std::string env_name;
  if (client == "mysql" || client == "mysqldump") {
    argv = {client, "--protocol=TCP", "--host=127.0.0.1", "--port=" + p, "--user=" + user};
    // As `dbexport` on the instance makes them: consistent, and binary-safe as text.
    if (client == "mysqldump") argv.insert(argv.end(), {"--single-transaction", "--hex-blob"});
    if (client == "mysqldump" && !output.empty()) argv.push_back("--result-file=" + output);
    argv.push_back(db);
    env_name = "MYSQL_PWD";
  } else if (client == "psql" || client == "pg_dump") {
    argv = {client, "-h", "127.0.0.1", "-p", p, "-U", user};
    if (client == "pg_dump") argv.insert(argv.end(), {"--no-owner", "--no-privileges"});
    if (client == "pg_dump" && !output.empty()) argv.insert(argv.end(), {"-f", output});
    argv.push_back(db);
    env_name = "PGPASSWORD";
  } else {
    argv = {client, "-h", "127.0.0.1", "-p", p, "--user", user, "-n", db};
    env_name = "REDISCLI_AUTH";
  }
  // Built before fork: the listener's thread is running, so the child must not allocate.
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e)
    if (std::string(*e).rfind(env_name + "=", 0) != 0) envs.push_back(*e);
  envs.push_back(env_name + "=" + pw);
  std::vector<char*> args, envp;
  for (auto& x : argv) args.push_back(x.data());
  args.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot start " + client);
  if (pid == 0) {
    ::execvpe(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  // Ctrl-C belongs to the client (psql cancels a query with it), not to us.
  auto old_int = std::signal(SIGINT, SIG_IGN);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::signal(SIGINT, old_int);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_tunnel(const Args& a, const Globals& globals) {
  Session s(globals);
  if (s.target().rfind("http://", 0) == 0 && !a.allow_http)
    throw UsageError("the target is plain http: the tunnel would carry the database's traffic unencrypted; add --allow-http to accept that");
  // The service: named, or the only one that can be tunnelled.
  api::CloudController cc(s);
  std::string space = space_of(s);
  auto instances = cc.service_instances(space);
  std::string name = a.service;
  if (name.empty()) {
    std::vector<std::string> names;
    for (const auto& si : instances)
      if (si.type == "managed") names.push_back(si.name);
    if (names.size() != 1)
      throw UsageError(names.empty() ? "no service to tunnel to; create one with 'stackato create-service'"
                                     : "more than one service; say which: stackato tunnel SERVICE");
    name = names[0];
  }
  std::optional<api::ServiceInstance> si;
  std::vector<std::string> all;
  for (const auto& i : instances) {
    all.push_back(i.name);
    if (i.name == name) si = i;
  }
  if (!si) {
    std::string hint = closest(name, all);
    throw ApiError(404, "Service '" + name + "' not found" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  if (si->type == "user-provided")
    throw UsageError("'" + name + "' is a user-provided service: it lives outside the platform, connect to it directly");
  std::string type = service_type(cc, space, name);
  if (!kClients.count(type)) throw UsageError("'" + name + "' is a " + type + " service; tunnels reach mysql, postgresql and redis");
  if (!a.client.empty() && a.client != "none") {
    const auto& ok = kClients.at(type);
    if (std::find(ok.begin(), ok.end(), a.client) == ok.end()) {
      std::string list = "none";
      for (const auto& c : ok) list += ", " + c;
      throw UsageError("'" + a.client + "' is not a client for a " + type + " service; choose one of: " + list);
    }
    if (!on_path(a.client)) throw UsageError("'" + a.client + "' not found; install " + kPackage.at(a.client));
  }

  TunnelHelper h = ensure_tunnel_helper(s, name);
  std::cerr << "Getting tunnel url: OK, at " << h.url << "\n";
  auto info = helper_get(s, h, "/services/" + name);
  if (!info) throw ApiError(502, "the tunnel helper does not know " + name);
  json c = (*info)["credentials"];
  std::cerr << "Getting remote connection info: OK\n";
  // On stdout for `none` (what the user connects with); on stderr when a client runs, whose
  // output (a dump) may be going to stdout.
  (a.client.empty() || a.client == "none" ? std::cout : std::cerr)
      << "Service connection info:\n"
      << render_table({"Key", "Value"}, {{"username", str(c.value("user", c.value("username", json())))},
                                         {"password", str(c.value("password", json()))},
                                         {"name", str(c.value("name", json()))}});

  tunnel::ListenerOptions lo;
  lo.bind = a.bind;
  lo.port = a.port;
  lo.url = h.url;
  lo.path = "/tunnel/" + name;
  lo.secret = h.secret;
  lo.cafile = s.cafile();  // the session's TLS options (STACKATO_SKIP_SSL_VALIDATION was missed here)
  lo.skip_ssl_validation = s.skip_ssl_validation();
  lo.log = [](const std::string& line) { std::cerr << "tunnel: " << line << "\n"; };
  tunnel::Listener listener(lo);
  std::cerr << "Starting tunnel to " << name << " on port " << listener.port() << ".\n";

  std::string client = a.client;
  if (client.empty()) {
    if (!globals.non_interactive && stdin_is_tty()) {
      std::vector<std::string> menu = {"none"};
      for (const auto& c2 : kClients.at(type)) menu.push_back(c2);
      client = ask_menu("Which client would you like to start? ", menu);
    } else {
      client = "none";
    }
  }
  if (client == "none") {
    std::cerr << "Open another shell to run command-line clients or use a UI tool to connect using the displayed\n"
                 "information. Press Ctrl-C to exit...\n";
    if (type == "mysql")
      std::cerr << "  e.g. mysql --protocol=TCP --host=localhost --port=" << listener.port() << " --user=" << str(c.value("user", json()))
                << " -p " << str(c.value("name", json())) << "\n";
    listener.run();
    return 0;
  }
  if (!on_path(client)) throw UsageError("'" + client + "' not found; install " + kPackage.at(client));
  std::string output = a.output;
  if (client == "mysqldump" || client == "pg_dump") {
    if (output.empty() && !globals.non_interactive && stdin_is_tty()) output = ask_line("Output file (empty: standard output): ", false);
  }
  std::thread carrier([&listener] { listener.run(); });
  int rc = launch(client, c, listener.port(), output);
  listener.stop();
  carrier.join();
  return rc;
}

}  // namespace

int tunnel_with_client(const Globals& globals, const std::string& service, const std::string& client,
                       const std::string& output) {
  Args a;
  a.service = service;
  a.client = client;
  a.output = output;
  a.port = 0;
  return run_tunnel(a, globals);
}

std::string tunnel_client_for(Session& s, const std::string& service, bool dump) {
  api::CloudController cc(s);
  std::string type = service_type(cc, space_of(s), service);
  if (type == "mysql") return dump ? "mysqldump" : "mysql";
  if (type == "postgresql") return dump ? "pg_dump" : "psql";
  if (type == "redis" && !dump) return "redis-cli";
  throw UsageError("a " + type + " service has no local " + std::string(dump ? "dump" : "shell") + " client");
}

void add_tunnel(CLI::App& app, Globals& globals) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("tunnel", "Open a local port to a database service (and run a client on it)");
  cmd->add_option("service", a->service, "Service (default: the only one)");
  cmd->add_option("client", a->client, "none, or a client: mysql, mysqldump, psql, pg_dump, redis-cli");
  cmd->add_option("--port", a->port, "Local port (default 10000, else the next free; 0: any)")->check(CLI::Range(0, 65535));
  cmd->add_option("--bind", a->bind, "Local address to listen on (default 127.0.0.1)");
  cmd->add_option("--output", a->output, "Dump file for mysqldump and pg_dump");
  cmd->add_flag("--allow-http", a->allow_http, "Allow a plain-http target (the traffic is not encrypted)");
  cmd->callback([a, &globals] {
    int rc = run_tunnel(*a, globals);
    if (rc != 0) throw ExitCode{rc};
  });
}

}  // namespace stackato::client
