#include "client_context.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "terminal.hpp"

namespace stackato::client {

namespace {
std::string canonical_target(std::string url) {
  if (url.find("://") == std::string::npos) url = "https://" + url;
  while (url.size() > 8 && url.back() == '/') url.pop_back();
  return url;
}

std::string config_dir() {
  if (const char* h = std::getenv("STACKATO_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.stackato/client";
}
}  // namespace

std::string current_target(const Globals& globals) {
  if (globals.target) return canonical_target(*globals.target);
  if (const char* env = std::getenv("STACKATO_TARGET"); env && *env) return canonical_target(env);
  std::ifstream saved(config_dir() + "/target");
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

void ClientContext::warn(const std::string& message) { std::cerr << message << '\n'; }

}  // namespace stackato::client
