// stackato push [NAME]: create or update the manifest's apps, upload, stage, start.

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "client_context.hpp"
#include "push/deploy.hpp"
#include "push/release.hpp"
#include "session.hpp"
#include "stackato/manifest/manifest.hpp"
#include "terminal.hpp"

namespace stackato::client {

namespace {

struct Options {
  std::string name, as, path = ".", manifest, mem, disk;
  std::optional<int> instances;
  std::vector<std::string> urls, env;
  bool no_route = false, no_start = false, force_start = false, reset = false;
  bool zero_downtime = false, keep_previous = false;
  std::string smoke_test, strategy;
  long drain_s = 5;
  long timeout_s = 0;
};

long memspec(const std::string& text, const char* flag) {
  try {
    return manifest::parse_memspec(text);
  } catch (const std::exception&) {
    throw UsageError(std::string(flag) + " '" + text + "' is not a size (e.g. 256M, 1G)");
  }
}

// The apps to push: the manifest's selection, NAME picking one of several or renaming the only
// one (as the seed's `stackato push customertracker2` does), or NAME alone without a manifest.
manifest::Manifest load_apps(const Options& o, ClientContext& context) {
  manifest::LoadOptions load;
  load.path = o.path;
  if (!o.manifest.empty()) load.file = o.manifest;
  if (!o.as.empty()) load.as_name = o.as;
  if (!o.name.empty()) load.name = o.name;
  manifest::Manifest m;
  try {
    m = manifest::load(load, context);
  } catch (const manifest::Error&) {
    // NAME is not in the manifest: fine when the manifest has a single app, which NAME renames.
    if (o.name.empty() || !o.as.empty()) throw;
    manifest::LoadOptions plain = load;
    plain.name.reset();
    if (manifest::load(plain, context).apps.size() != 1) throw;  // the original error
    plain.as_name = o.name;
    return manifest::load(plain, context);
  }
  if (m.file.empty()) {
    std::string name = !o.as.empty() ? o.as : o.name;
    if (name.empty())
      throw UsageError("no stackato.yml or manifest.yml in '" + o.path + "'; give the app's name: stackato push NAME");
    manifest::App app;
    app.name = name;
    app.path = std::filesystem::absolute(o.path).lexically_normal();
    app.json = {{"name", name}};
    m.apps.push_back(std::move(app));
    return m;
  }
  if (!o.name.empty() && o.as.empty()) {
    if (m.apps.size() == 1 && m.apps[0].name != o.name) {
      load.as_name = o.name;
      return manifest::load(load, context);
    }
    std::erase_if(m.apps, [&](const manifest::App& a) { return a.name != o.name; });
    if (m.apps.empty()) throw UsageError("the manifest " + m.file.string() + " has no application named '" + o.name + "'");
  }
  if (m.apps.empty()) throw UsageError("the manifest " + m.file.string() + " selects no application");
  // --path with a --manifest kept elsewhere: the directory pushed is --path, as in the original.
  auto dir = std::filesystem::absolute(o.path).lexically_normal();
  if (!o.manifest.empty() && m.apps.size() == 1 && std::filesystem::is_directory(dir) &&
      dir != std::filesystem::absolute(m.file).parent_path().lexically_normal())
    m.apps[0].path = dir;
  return m;
}

void run_push(const Options& o, const Globals& globals) {
  if (o.reset)
    std::cerr << "Note: --reset is the default here: push always applies the manifest's changes and says what changed\n";
  PushFlags flags;
  flags.instances = o.instances;
  if (!o.mem.empty()) flags.memory_mb = memspec(o.mem, "--mem");
  if (!o.disk.empty()) flags.disk_mb = memspec(o.disk, "--disk");
  flags.urls = o.urls;
  flags.no_route = o.no_route;
  flags.no_start = o.no_start;
  flags.force_start = o.force_start;
  flags.start_timeout_s = o.timeout_s;
  for (const auto& kv : o.env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--env '" + kv + "' is not NAME=VALUE");
    flags.env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (flags.no_route && !flags.urls.empty()) throw UsageError("--no-route and --url exclude each other");

  Session s(globals);
  ClientContext context(globals);
  try {
    s.token();  // logged in: the target's service types and domains check the manifest
    context.attach(&s);
  } catch (const ApiError&) {
  }
  manifest::Manifest m = load_apps(o, context);
  if (!m.file.empty()) std::cerr << "Using manifest file \"" << m.file.filename().string() << "\"\n";
  if (m.apps.size() > 1 && (flags.instances || flags.memory_mb || flags.disk_mb || !flags.urls.empty()))
    throw UsageError("--instances, --mem, --disk and --url apply to one app; this manifest pushes " +
                     std::to_string(m.apps.size()));
  ReleaseOptions release{o.smoke_test, o.drain_s, o.keep_previous, o.strategy};
  for (const auto& app : m.apps) {
    if (o.zero_downtime)
      push_zero_downtime(s, context, m, app, flags, release, stderr_is_tty());
    else
      push_app(s, context, m, app, flags, stderr_is_tty());
  }
}

}  // namespace

void add_push(CLI::App& app, Globals& globals) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("push", "Create or update applications from the manifest, upload, stage and start them");
  cmd->add_option("app", o->name, "Application (one of the manifest's, or a new name for its only app)");
  cmd->add_option("--as", o->as, "Name to give the application");
  cmd->add_option("--path", o->path, "Application directory (default: current directory)");
  cmd->add_option("--manifest", o->manifest, "Manifest file to use instead of searching");
  cmd->add_option("--instances", o->instances, "Number of instances")->check(CLI::NonNegativeNumber);
  cmd->add_option("--mem", o->mem, "Memory per instance (e.g. 256M, 1G)");
  cmd->add_option("--disk", o->disk, "Disk per instance (e.g. 1G)");
  cmd->add_option("--url", o->urls, "URL to map (repeatable); replaces the manifest's");
  cmd->add_flag("--no-route,--no-routes,--no-urls", o->no_route, "Map no URL");
  cmd->add_option("--env", o->env, "Environment variable NAME=VALUE (repeatable)");
  cmd->add_flag("--no-start,--nostart", o->no_start, "Do not start the application");
  cmd->add_flag("--force-start", o->force_start, "Start the application even if it was stopped");
  cmd->add_flag("--reset", o->reset, "Accepted for the original client's scripts; changes are always applied");
  cmd->add_option("--timeout", o->timeout_s, "Seconds to wait for the instances to run (default: manifest, else 180)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--zero-downtime", o->zero_downtime, "Release beside the running version and move its routes without dropping a request");
  cmd->add_option("--smoke-test", o->smoke_test, "With --zero-downtime: a command that must exit 0 against $STACKATO_SMOKE_URL before traffic moves");
  cmd->add_option("--drain", o->drain_s, "With --zero-downtime: seconds between unmapping the old version and stopping it (default 5)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--keep-previous", o->keep_previous, "With --zero-downtime: keep the old version stopped as NAME-previous (for rollback)");
  cmd->add_option("--strategy", o->strategy,
                  "How --zero-downtime releases (implies it): rolling, a deployment in which the app keeps its GUID "
                  "(the default where the target offers deployments), or swap, a second app that takes over the routes "
                  "(the default with --smoke-test or --keep-previous)")
      ->check(CLI::IsMember({"rolling", "swap"}));
  cmd->callback([o, &globals] {
    if (!o->strategy.empty()) o->zero_downtime = true;  // as cf push --strategy rolling
    if (o->strategy == "rolling" && (!o->smoke_test.empty() || o->keep_previous))
      throw UsageError("--smoke-test and --keep-previous need --strategy swap (a second app to test or keep)");
    if (!o->zero_downtime && (!o->smoke_test.empty() || o->keep_previous))
      throw UsageError("--smoke-test and --keep-previous need --zero-downtime");
    if (o->zero_downtime && o->no_start) throw UsageError("--zero-downtime and --no-start exclude each other");
    run_push(*o, globals);
  });

  auto rb = std::make_shared<std::pair<std::string, long>>("", 5);
  auto* roll = app.add_subcommand("rollback", "Move APP's routes back to APP-previous (kept by push --zero-downtime --keep-previous)");
  roll->add_option("app", rb->first, "Application")->required();
  roll->add_option("--drain", rb->second, "Seconds between unmapping the current version and stopping it (default 5)");
  roll->callback([rb, &globals] {
    Session s(globals);
    rollback(s, rb->first, rb->second);
  });
}

}  // namespace stackato::client
