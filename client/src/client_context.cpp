#include "client_context.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "api/cloud_controller.hpp"
#include "config.hpp"
#include "session.hpp"
#include "terminal.hpp"

namespace stackato::client {

std::string current_target(const Globals& globals) {
  if (globals.target) return canonical_target(*globals.target);
  if (const char* env = std::getenv("STACKATO_TARGET"); env && *env) return canonical_target(env);
  std::ifstream saved(Config::default_dir() / "target");
  std::string line;
  if (saved && std::getline(saved, line) && !line.empty()) return canonical_target(line);
  return "https://api.stackato.local";
}

ClientContext::ClientContext(const Globals& globals)
    : OfflineContext(current_target(globals)), globals_(globals) {}

bool ClientContext::interactive() { return !globals_.non_interactive && stdin_is_tty(); }

std::string ClientContext::ask(const std::string& prompt, bool hidden) { return ask_line(prompt, hidden); }

std::string ClientContext::choose(const std::string& prompt, const std::vector<std::string>& choices) {
  return ask_menu(prompt, choices);
}

std::optional<std::vector<std::string>> ClientContext::service_types() {
  if (!session_) return std::nullopt;
  if (!types_) try {
      std::vector<std::string> names = {"user-provided"};
      for (const auto& o : api::CloudController(*session_).service_offerings()) names.push_back(o.name);
      types_ = names;
    } catch (const std::exception&) {  // not logged in, or no marketplace: the built-in list
      return std::nullopt;
    }
  return types_;
}

std::optional<std::vector<std::string>> ClientContext::space_domains() {
  if (!session_) return std::nullopt;
  if (!domains_) try {
      std::vector<std::string> names;
      for (const auto& d : api::CloudController(*session_).domains()) names.push_back(d.name);
      domains_ = names;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  return domains_;
}

void ClientContext::warn(const std::string& message) {
  if (warned_.insert(message).second) std::cerr << message << '\n';  // push may load twice
}

}  // namespace stackato::client
