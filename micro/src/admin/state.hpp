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
// Whether the kato of `state` runs: it holds the data dir's lock (a killed kato lets go of it as
// it dies, before it is reaped; a reused pid never has it).
bool kato_running(const std::filesystem::path& data, const std::optional<State>& state);

}  // namespace kato::admin
