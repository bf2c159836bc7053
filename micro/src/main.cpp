// kato: the single-node micro cloud. Thin: options in, admin commands out.

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "admin/admin.hpp"
#include "backup/commands.hpp"
#include "backup/relocate.hpp"
#include "manpage.hpp"
#include "monitor/checks.hpp"
#include "monitor/nagios.hpp"
#include "patch/commands.hpp"
#include "stackato/version.hpp"

namespace {

stackato::docs::ManPage kato_man_page() {
  return {"kato",
          "8",
          std::string("kato ") + stackato::kVersion,
          "a single-node micro cloud that speaks the Cloud Foundry V3 API",
          {{"Environment",
            {"KATO_DATA: the data directory, like --data. Without either, kato uses ~/.kato, or the kato "
             "service's /var/lib/kato when ~/.kato does not exist and it does, so that 'sudo kato status' and "
             "'kato check' find the service.",
             "KATO_ADMIN_PASSWORD: the first start's admin password when --admin-password-file is not given.",
             "KATO_THREADS: the number of I/O threads (default: one per core)."}},
           {"Exit status",
            {"0 on success, 1 on failure, 2 for bad arguments. 'kato check' follows the Nagios plugin "
             "conventions: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."}},
           {"Files",
            {"/var/lib/kato: the data directory of the kato service (kato.service), owned by root, mode 0700.",
             "/lib/systemd/system/kato.service: runs 'kato start --foreground' with that data directory; "
             "'systemctl enable --now kato' starts it now and at boot.",
             "/usr/share/doc/kato/: kato.md (running and securing kato), operations.md (monitoring), "
             "services.md (data services)."}}},
          {"stackato(1)", "systemctl(1)", "bwrap(1)"}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kato: a single-node micro cloud that speaks the Cloud Foundry V3 API", "kato"};
  app.set_version_flag("-v,--version", std::string("kato ") + stackato::kVersion);
  app.require_subcommand(1);
  // Global options anywhere on the line: `kato start --data D` as well as `kato --data D start`.
  app.fallthrough();
  std::string data = kato::admin::default_data_dir().string();
  app.add_option("--data", data,
                 "Data directory (default: $KATO_DATA, else ~/.kato, else the service's /var/lib/kato when only it exists)");

  kato::admin::StartOptions start;
  auto* s = app.add_subcommand("start", "Start kato (first start creates the data dir, CA, admin user)");
  s->add_option("--port", start.port, "HTTPS (and plain HTTP) port; 0 picks a free one")->default_val(8443);
  s->add_option("--listen", start.listen, "Address to listen on")->default_val("127.0.0.1");
  s->add_option("--domain", start.domain, "Shared domain; apps get NAME.DOMAIN")->default_val("localhost");
  s->add_flag("--foreground", start.foreground, "Stay in the foreground");
  // Never the password itself on the command line: every user can read argv (ps).
  std::string password_file;
  s->add_option("--admin-password-file", password_file,
                "First start only: a file holding the admin password (its first line; - for stdin); "
                "else KATO_ADMIN_PASSWORD, else one is generated");
  s->add_option("--token-ttl", start.token_ttl, "Access token lifetime in seconds")->default_val(3600);
  s->add_option("--memory-limits", start.memory_limits,
                "How app memory is limited: auto (a memory cgroup where kato can make one, else RLIMIT_AS), "
                "cgroup (or do not start), rlimit")
      ->check(CLI::IsMember({"auto", "cgroup", "rlimit"}))
      ->default_val("auto");
  s->add_flag("--no-sandbox", start.no_sandbox,
              "Run apps, hooks and remote commands without a sandbox, as kato's own user (they can then read kato's data)");
  // Given by an in-place upgrade's execve only (admin/upgrade.hpp): hidden from the help.
  s->add_option("--takeover", start.takeover, "")->group("");
  auto* stop = app.add_subcommand("stop", "Stop kato");
  auto* status = app.add_subcommand("status", "Show each role and its state");
  auto* info = app.add_subcommand("info", "Show the API URL, CA file and login");
  std::string user_name;
  std::vector<std::string> user_spaces;
  long quota_mb = 0;
  auto* set_quota = app.add_subcommand("set-quota", "Set the organization's memory quota");
  set_quota->add_option("--memory", quota_mb, "Total memory of started instances, in MB (0: no quota)")->required();
  auto* add_user = app.add_subcommand("add-user", "Add a user who is not an admin (password on stdin)");
  add_user->add_option("name", user_name, "User name")->required();
  add_user->add_option("--space", user_spaces, "A space the user develops in: the space_developer role (repeatable)");
  std::vector<std::string> user_audits;
  add_user->add_option("--auditor", user_audits, "A space the user may only look at: the space_auditor role (repeatable)");

  // Monitoring: Nagios plugin conventions (monitor/plugin.hpp).
  kato::monitor::CheckOptions check_options;
  std::string check_name;
  auto* check = app.add_subcommand("check", "A Nagios check of kato: disk, load, api, router, services, apps or all");
  check->add_option("name", check_name, "disk, load, api, router, services, apps or all")->required();
  check->add_option("-w,--warning", check_options.warning,
                    "Warning threshold: disk, free percent below (20); load, one or three ranges (2 per core); "
                    "api and router, seconds (1)");
  check->add_option("-c,--critical", check_options.critical,
                    "Critical threshold: disk (10), load (4 per core), api and router (5)");
  kato::monitor::NagiosOptions nagios;
  auto* nagios_cmd = app.add_subcommand("nagios-config", "Print Nagios 4 host, service and command definitions for kato");
  nagios_cmd->add_option("--host", nagios.host, "host_name")->default_val("kato");
  nagios_cmd->add_option("--address", nagios.address, "The host's address")->default_val("127.0.0.1");
  nagios_cmd->add_option("--via", nagios.via, "How Nagios reaches kato check: ssh (check_by_ssh) or nrpe")
      ->check(CLI::IsMember({"ssh", "nrpe"}))
      ->default_val("ssh");
  nagios_cmd->add_option("--ssh-user", nagios.ssh_user, "The user check_by_ssh logs in as")->default_val("nagios");

  // Patches (patch/commands.hpp): the seed's `kato patch status|install`, and the maintainer's
  // keygen and make.
  kato::patch::PatchOptions patch_options;
  std::string patch_key, patch_out, patch_arg;
  auto* patch_cmd = app.add_subcommand("patch", "Signed in-place updates: status, install, revert; keygen, make, trust, feed");
  patch_cmd->require_subcommand(1);
  patch_cmd->add_option("--feed", patch_options.feed, "Where patches come from: a directory or an https:// URL (default: 'kato patch feed')");
  patch_cmd->add_option("--cafile", patch_options.cafile, "CA bundle to verify an https:// feed with (default: the system's)");
  auto* p_status = patch_cmd->add_subcommand("status", "List the updates available, those installed, and roles waiting for a restart");
  p_status->add_flag("--json", patch_options.json, "As JSON");
  auto* p_install = patch_cmd->add_subcommand("install", "Verify and install updates (all available, or those named), then restart the roles they affect");
  p_install->add_option("name", patch_options.names, "Patches to install (default: all available)");
  p_install->add_flag("--no-restart", patch_options.no_restart, "Do not restart the affected roles; 'kato status' says which wait");
  p_install->add_flag("--only-this-node", patch_options.only_this_node, "Only this node (kato is one node: always so)");
  auto* p_revert = patch_cmd->add_subcommand("revert", "Put back what an installed patch replaced, then restart the roles it affects");
  p_revert->add_option("name", patch_options.names, "Patches to revert")->required();
  p_revert->add_flag("--no-restart", patch_options.no_restart, "Do not restart the affected roles");
  auto* p_keygen = patch_cmd->add_subcommand("keygen", "Make an Ed25519 key pair for signing patches: KEYFILE and KEYFILE.pub");
  p_keygen->add_option("keyfile", patch_key, "Where to write the private key (0600); the public key goes beside it as .pub")->required();
  auto* p_make = patch_cmd->add_subcommand("make", "Build a signed bundle from DIR (DIR/patch.json and the files it names)");
  p_make->add_option("--key", patch_key, "The private key to sign with")->required();
  p_make->add_option("--out", patch_out, "The bundle to write (a .tar.gz; an index of its directory is kept beside it)")->required();
  p_make->add_option("dir", patch_arg, "The directory holding patch.json and the payload")->required();
  auto* p_trust = patch_cmd->add_subcommand("trust", "Accept patches signed by this public key");
  p_trust->add_option("keyfile", patch_arg, "A public key (KEYFILE.pub from 'kato patch keygen')")->required();
  auto* p_feed = patch_cmd->add_subcommand("feed", "Show or set the default feed: a directory or an https:// URL");
  p_feed->add_option("feed", patch_arg, "The directory or URL");
  std::string restart_role;
  auto* restart = app.add_subcommand("restart", "Restart kato in place, e.g. after 'kato patch install --no-restart': the same process execs its executable; "
                                     "apps, service servers and the listening socket are kept, and no request fails");
  restart->add_option("role", restart_role, "controller, router, stager, runner, brokers or helpers (helpers need no restart)");

  // Backup, restore and moving the data (backup/): the seed's kato data export|import and
  // kato relocate.
  auto* data_cmd = app.add_subcommand("data", "Export all of kato (apps, droplets, users, services' data) to one archive, or import one");
  data_cmd->require_subcommand(1);
  kato::backup::ExportCommand export_cmd;
  auto* d_export = data_cmd->add_subcommand("export", "Write an archive of this kato while it serves (FILE, default kato-export-YYYYMMDD-HHMMSS.tgz; - for stdout)");
  d_export->add_option("file", export_cmd.file, "The archive to write (written beside it first, renamed when complete); - for stdout");
  d_export->add_option("--keep", export_cmd.keep, "After a successful export, delete older exports of FILE's name pattern beyond the N newest")
      ->check(CLI::PositiveNumber);
  d_export->add_option("--compress", export_cmd.compress,
                       "gzip, zstd (faster) or none; default by FILE's name: .tar.zst zstd, .tar none, else gzip")
      ->check(CLI::IsMember({"gzip", "zstd", "none"}));
  bool only_this_node = false;
  d_export->add_flag("--only-this-node", only_this_node, "This node only (kato is one node: always so)");
  d_export->add_flag("--cluster", export_cmd.cluster, "The whole cluster (kato is one node: the same as --only-this-node)");
  kato::backup::ImportCommand import_cmd;
  auto* d_import = data_cmd->add_subcommand("import", "Import an archive (FILE, - for stdin) or a running kato's export (https://api.HOST:PORT) into this kato");
  d_import->add_option("source", import_cmd.source, "The archive, - for stdin, or a running kato's API URL")->required();
  d_import->add_option("--domain", import_cmd.options.domain, "The imported apps' shared domain (default: this kato's); routes under the old one move to it");
  d_import->add_flag("--force", import_cmd.options.force, "Replace the apps and services of a kato that already has some");
  d_import->add_flag("--restage", import_cmd.options.restage, "Restage every app after the import (apps that wrote credentials at staging need it)");
  d_import->add_option("--password-file", import_cmd.password_file, "From a running kato: a file holding its admin password (default: read from stdin)");
  d_import->add_option("--cafile", import_cmd.cafile, "From a running kato: the CA bundle to verify its certificate with (default: the system's)");
  d_import->add_flag("--only-this-node", only_this_node, "Into this node only (kato is one node: always so)");
  d_import->add_flag("--cluster", import_cmd.cluster, "Into the whole cluster (kato is one node: the same as --only-this-node)");
  std::string relocate_part, relocate_dir;
  auto* relocate = app.add_subcommand("relocate", "Move services, droplets or containers to DIR (kato stopped): for a bigger or faster disk");
  relocate->add_option("part", relocate_part, "services (the data services' files), droplets (packages and droplets) or containers (the apps' instances)")
      ->required()
      ->check(CLI::IsMember({"services", "droplets", "containers"}));
  relocate->add_option("dir", relocate_dir, "The new place: a directory that does not exist or is empty")->required();

  // Hidden: the build writes kato.8 with it (completions/README.md).
  auto* man = app.add_subcommand("manpage", "Print the kato(8) man page")->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // A plugin's bad arguments are UNKNOWN (3), on one line, as Nagios reads them.
    if (check->parsed() && e.get_exit_code() != 0) {
      std::cout << "KATO UNKNOWN - " << e.what() << "\n";
      return 3;
    }
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (man->parsed()) {
      std::cout << stackato::docs::render_man(app, kato_man_page());
      return 0;
    }
    patch_options.data = data;
    if (p_status->parsed()) return kato::patch::status_command(patch_options);
    if (p_install->parsed()) return kato::patch::install_command(patch_options);
    if (p_revert->parsed()) return kato::patch::revert_command(patch_options);
    if (p_keygen->parsed()) return kato::patch::keygen_command(patch_key);
    if (p_make->parsed()) return kato::patch::make_command(patch_key, patch_out, patch_arg);
    if (p_trust->parsed()) return kato::patch::trust_command(data, patch_arg);
    if (p_feed->parsed()) return kato::patch::feed_command(data, patch_arg);
    if (restart->parsed()) return kato::patch::restart_command(data, restart_role);
    if (s->parsed()) {
      start.data = data;
      if (!password_file.empty()) {
        std::ifstream file;
        if (password_file != "-") file.open(password_file);
        std::istream& in = password_file == "-" ? std::cin : file;
        std::string line;
        if ((password_file != "-" && !file) || !std::getline(in, line) || line.empty()) {
          std::cerr << "kato: --admin-password-file: cannot read a password from " << password_file << "\n";
          return 2;
        }
        start.admin_password = line;
      }
      return kato::admin::start(start);
    }
    // Absolute: the tools an export or import runs work from "/".
    if (d_export->parsed()) {
      export_cmd.data = std::filesystem::absolute(data);
      return kato::backup::export_command(export_cmd);
    }
    if (d_import->parsed()) {
      import_cmd.options.data = std::filesystem::absolute(data);
      return kato::backup::import_command(import_cmd);
    }
    if (relocate->parsed()) return kato::backup::relocate_command(std::filesystem::absolute(data), relocate_part, relocate_dir);
    if (stop->parsed()) return kato::admin::stop(data);
    if (status->parsed()) return kato::admin::status(data);
    if (info->parsed()) return kato::admin::info(data);
    if (set_quota->parsed()) return kato::admin::set_quota(data, quota_mb);
    if (add_user->parsed()) return kato::admin::add_user(data, user_name, user_spaces, user_audits);
    if (check->parsed()) {
      check_options.data = data;
      return kato::monitor::run_check(check_name, check_options);
    }
    if (nagios_cmd->parsed()) {
      // The data dir only when it is not the default, so that the config stays short.
      if (data != kato::admin::default_data_dir().string()) nagios.data = data;
      std::cout << kato::monitor::nagios_config(nagios);
      return 0;
    }
  } catch (const std::filesystem::filesystem_error& e) {
    // The path and the system's reason, not the library's "filesystem error: cannot ..." text.
    std::cerr << "kato: " << e.path1().string() << ": " << e.code().message() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "kato: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
