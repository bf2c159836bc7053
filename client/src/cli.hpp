#pragma once
// The command tree. Each command lives in commands/ and registers itself with add_*().

#include <optional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

namespace stackato::client {

// Options that every command understands.
struct Globals {
  std::optional<std::string> target;  // --target: this command only, never saved
  bool non_interactive = false;       // -n
  std::string color = "auto";         // --color auto|always|never
};

// A mistake in what the user typed: exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Exit codes: 0 success, 1 failure at run time (server, network), 2 bad input (flags, manifest).
int run(int argc, char** argv);

void add_help(CLI::App& app);
void add_manifest(CLI::App& app, Globals& globals);

}  // namespace stackato::client
