// stackato run [-a APP] [--instance N] [-t] [--] CMD..., stackato dbshell [APP] [SERVICE]:
// commands in an app instance, streams in and out, the remote exit status as ours.

#include <unistd.h>

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "client_context.hpp"
#include "remote.hpp"
#include "resources.hpp"
#include "stackato/manifest/manifest.hpp"
#include "terminal.hpp"

namespace stackato::client {

namespace {

// The app of the manifest in the current directory (the seed: "may be omitted").
std::string manifest_app(const Globals& globals) {
  manifest::OfflineContext context(current_target(globals));  // only the name is wanted: no warnings
  manifest::LoadOptions load;
  auto m = manifest::load(load, context);
  if (m.apps.empty())
    throw UsageError("no application given and no stackato.yml or manifest.yml here to take it from");
  return m.apps.front().name;
}

std::string quote(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,@") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The app's one bound database (dbshell without SERVICE), with the original's messages.
std::string only_database(Session& s, const api::App& app, const std::string& name) {
  std::vector<std::string> dbs;
  for (const auto& si : api::CloudController(s).bound_instances(app.guid))
    if (si.type == "managed") dbs.push_back(si.name);
  if (dbs.size() == 1) return dbs[0];
  if (dbs.empty()) throw UsageError("no database service is bound to application [" + name + "]");
  std::string all;
  for (const auto& n : dbs) all += (all.empty() ? "" : ", ") + n;
  throw UsageError("More than one service found; you must specify the service name (one of: " + all + ")");
}

[[noreturn]] void finish(int rc) {
  std::cout.flush();
  std::cerr.flush();
  ::_exit(rc);  // the stdin reader may still be blocked in read(2): do not wait for it
}

}  // namespace

void add_run(CLI::App& app, Globals& globals) {
  struct Args {
    std::string app;
    int instance = 0;
    bool tty = false, no_tty = false;
    std::vector<std::string> words;
  };
  auto a = std::make_shared<Args>();
  auto* run = app.add_subcommand("run", "Run a command in an app instance (stdin, stdout, stderr and exit status carried)");
  run->add_option("-a,--app", a->app, "Application (default: the first word if it names an app, else the manifest's)");
  run->add_option("--instance", a->instance, "Instance index (default 0)")->check(CLI::NonNegativeNumber);
  run->add_flag("-t,--tty", a->tty, "Use a pty (the default when stdin and stdout are terminals)");
  run->add_flag("-T,--no-tty", a->no_tty, "Never use a pty");
  // Everything from the first word that is not run's own option on is the command, verbatim.
  run->prefix_command();
  run->fallthrough(false);  // the command's own options must not reach the global parser
  run->footer("Usage: stackato run [-a APP] [--instance N] [-t] [--] CMD [ARG...]");
  run->callback([a, run, &globals] {
    std::vector<std::string> words = run->remaining();
    if (!words.empty() && words.front() == "--") words.erase(words.begin());
    if (words.empty()) throw UsageError("run needs a command: stackato run [-a APP] CMD [ARG...]");
    Session s(globals);
    std::string name = a->app;
    if (name.empty() && words.size() >= 2 && find_app(s, words[0])) {
      name = words[0];
      words.erase(words.begin());
    }
    if (!words.empty() && words.front() == "--") words.erase(words.begin());  // run APP -- CMD
    if (words.empty()) throw UsageError("run needs a command: stackato run [-a APP] CMD [ARG...]");
    if (name.empty()) name = manifest_app(globals);
    RemoteCommand rc;
    rc.app_guid = app_named(s, name).guid;
    rc.instance = a->instance;
    for (const auto& w : words) rc.command += (rc.command.empty() ? "" : " ") + quote(w);
    rc.tty = !a->no_tty && (a->tty || (::isatty(0) && ::isatty(1)));
    finish(run_remote(s, rc));
  });

  auto d = std::make_shared<std::vector<std::string>>();
  auto local = std::make_shared<bool>(false);
  auto* dbshell = app.add_subcommand("dbshell", "A database shell in an app instance; with stdin redirected, an import");
  dbshell->add_option("args", *d, "[APP] [SERVICE]")->expected(0, 2);
  dbshell->add_flag("--local", *local, "Run the local client through a tunnel instead (targets without kato's exec endpoint)");
  dbshell->callback([d, local, &globals] {
    Session s(globals);
    std::string name, service;
    if (d->size() == 2) {
      name = (*d)[0];
      service = (*d)[1];
    } else if (d->size() == 1) {
      if (find_app(s, (*d)[0]))
        name = (*d)[0];
      else
        service = (*d)[0];
    }
    if (name.empty()) name = manifest_app(globals);
    if (*local) {
      if (service.empty()) service = only_database(s, app_named(s, name), name);
      std::cerr << "Using a tunnel and the local client (--local)\n";
      finish(tunnel_with_client(globals, service, tunnel_client_for(s, service, false), ""));
    }
    RemoteCommand rc;
    rc.app_guid = app_named(s, name).guid;
    rc.command = "dbshell" + (service.empty() ? "" : " " + quote(service));
    rc.tty = ::isatty(0) && ::isatty(1);
    finish(run_remote(s, rc));
  });
}

// stackato dbexport SERVICE: a dump made here, with the local mysqldump or pg_dump, through a
// tunnel: for targets without kato's exec endpoint (`stackato run APP dbexport SERVICE` is the
// remote way).
void add_dbexport(CLI::App& app, Globals& globals) {
  auto a = std::make_shared<std::pair<std::string, std::string>>();
  auto* cmd = app.add_subcommand("dbexport", "Dump a database service here, through a tunnel and the local mysqldump or pg_dump");
  cmd->add_option("service", a->first, "Service")->required();
  cmd->add_option("--output", a->second, "Dump file (default: standard output)");
  cmd->add_flag("--local")->description("Accepted: this dump is always made locally");
  cmd->callback([a, &globals] {
    Session s(globals);
    std::string client = tunnel_client_for(s, a->first, true);
    std::cerr << "Dumping " << a->first << " with the local " << client << " through a tunnel\n";
    finish(tunnel_with_client(globals, a->first, client, a->second));
  });
}

}  // namespace stackato::client
