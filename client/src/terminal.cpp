#include "terminal.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <stdexcept>

namespace stackato::client {

bool stdin_is_tty() { return isatty(STDIN_FILENO) == 1; }
bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

namespace {
// Restores the terminal even when reading throws.
struct EchoOff {
  termios saved{};
  bool active = false;
  EchoOff() {
    if (tcgetattr(STDIN_FILENO, &saved) != 0) return;
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  }
};
}  // namespace

std::string ask_line(const std::string& prompt, bool hidden) {
  std::cerr << prompt << std::flush;
  std::string line;
  bool ok;
  if (hidden) {
    EchoOff guard;
    ok = static_cast<bool>(std::getline(std::cin, line));
    std::cerr << '\n';
  } else {
    ok = static_cast<bool>(std::getline(std::cin, line));
  }
  if (!ok) throw std::runtime_error("no answer: end of input");
  return line;
}

std::string ask_menu(const std::string& prompt, const std::vector<std::string>& choices) {
  for (std::size_t i = 0; i < choices.size(); ++i) std::cerr << (i + 1) << ". " << choices[i] << '\n';
  for (;;) {
    std::string answer = ask_line(prompt, false);
    for (const auto& c : choices)
      if (answer == c) return c;
    try {
      std::size_t n = std::stoul(answer);
      if (n >= 1 && n <= choices.size()) return choices[n - 1];
    } catch (const std::exception&) {
    }
    std::cerr << "Please choose 1 to " << choices.size() << ".\n";
  }
}

}  // namespace stackato::client
