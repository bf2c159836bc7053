#pragma once
// What a running kato tells the admin commands: data-dir/kato.json.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kato::admin {

struct State {
  long pid = 0;
  unsigned short port = 0;
  std::string domain, api, ca;
  std::string memory;   // how app memory limits are enforced
  std::string sandbox;  // what apps run in (Sandbox::describe)
  // How to start this kato again (kato restart, kato patch install): its executable, and the
  // arguments of `start` with the port it bound; whether systemd runs it (then systemctl does).
  std::string exe;
  std::vector<std::string> restart_args;
  bool systemd = false;
  // In-place upgrades (admin/upgrade.hpp): whether this kato takes SIGUSR2 as one (an older
  // kato would die of it), and how many images it has had: each upgrade adds one.
  bool upgrades_in_place = false;
  int generation = 0;
};

void write_state(const std::filesystem::path& data, const State& state);
std::optional<State> read_state(const std::filesystem::path& data);
// Where a part of the data dir ("services", "blobs", "instances") really is: the target of the
// link `kato relocate` left in its place, so that kato, an export and an import work on real
// paths (mount namespaces and bind mounts are given those).
std::filesystem::path real_place(const std::filesystem::path& data, const std::string& part);

// The command that starts the kato of `state` again as a daemon: its executable and the
// arguments it was started with (its port among them), without --foreground (a foreground kato
// belonged to another terminal), with --domain replaced by `domain` when that is given.
std::vector<std::string> start_command(const std::filesystem::path& data, const State& state, const std::string& domain = "");
// Runs a program (no shell) and waits for it; its exit status (1 when it cannot run). With
// `quiet`, its stdout goes to /dev/null (kato start's banner inside another command).
int run_program(const std::vector<std::string>& args, bool quiet = false);

// Whether the kato of `state` runs: it holds the data dir's lock (a killed kato lets go of it as
// it dies, before it is reaped; a reused pid never has it).
bool kato_running(const std::filesystem::path& data, const std::optional<State>& state);

}  // namespace kato::admin
