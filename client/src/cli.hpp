#pragma once
// The command tree. Each command lives in commands/ and registers itself with add_*().

#include <optional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace stackato::client {

class Session;

// Options that every command understands.
struct Globals {
  std::optional<std::string> target;  // --target: this command only, never saved
  bool non_interactive = false;       // -n
  std::string color = "auto";         // --color auto|always|never
  std::string cafile;                 // --cafile: CA bundle to trust (kept per target by `target`)
  bool skip_ssl_validation = false;   // --skip-ssl-validation
  bool trace = false;                 // --trace: HTTP on stderr, secrets redacted
  long timeout_s = 60;                // --timeout, per request
};

// A mistake in what the user typed: exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A local client program (mysql, psql, mysqldump, ...) run against SERVICE through a tunnel on
// a free port; returns its exit status. For dbshell --local and dbexport.
int tunnel_with_client(const Globals& globals, const std::string& service, const std::string& client,
                       const std::string& output);

// A command's own exit status (tunnel and run pass their client's on), without a message.
struct ExitCode {
  int code;
};

// Exit codes: 0 success, 1 failure at run time (server, network), 2 bad input (flags, manifest).
int run(int argc, char** argv);

void add_help(CLI::App& app);
void add_manifest(CLI::App& app, Globals& globals);
void add_target(CLI::App& app, Globals& globals);
void add_login(CLI::App& app, Globals& globals);
void add_orgs(CLI::App& app, Globals& globals);
void add_org_admin(CLI::App& app, Globals& globals);
void add_users(CLI::App& app, Globals& globals);
void add_apps(CLI::App& app, Globals& globals);
void add_routes(CLI::App& app, Globals& globals);
void add_lifecycle(CLI::App& app, Globals& globals);
void add_push(CLI::App& app, Globals& globals);
void add_info(CLI::App& app, Globals& globals);
void add_scale(CLI::App& app, Globals& globals);
void add_env(CLI::App& app, Globals& globals);
void add_logs(CLI::App& app, Globals& globals);
void add_stats(CLI::App& app, Globals& globals);
void add_domains(CLI::App& app, Globals& globals);
void add_curl(CLI::App& app, Globals& globals);
void add_completion(CLI::App& app, Globals& globals);
void add_services(CLI::App& app, Globals& globals);
void add_tunnel(CLI::App& app, Globals& globals);
void add_run(CLI::App& app, Globals& globals);
void add_dbexport(CLI::App& app, Globals& globals);
// The local client for a service: mysql/psql/redis-cli, or with dump mysqldump/pg_dump.
std::string tunnel_client_for(Session& s, const std::string& service, bool dump);

}  // namespace stackato::client
