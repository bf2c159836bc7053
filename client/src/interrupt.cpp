#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace stackato::client {

namespace {

// Fixed slots: the handler may only touch memory that needs no allocation and no lock.
constexpr int kSlots = 16;
struct Slot {
  std::atomic<bool> used{false};
  char path[4096];
};
Slot slots[kSlots];

void on_signal(int sig) {
  for (auto& s : slots)
    if (s.used.load()) ::unlink(s.path);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

void remove_on_interrupt(const std::filesystem::path& path) {
  const std::string& p = path.native();
  if (p.size() >= sizeof(Slot::path)) return;
  for (auto& s : slots) {
    if (s.used.load()) continue;
    std::memcpy(s.path, p.c_str(), p.size() + 1);
    s.used.store(true);
    return;
  }
}

void forget_on_interrupt(const std::filesystem::path& path) {
  for (auto& s : slots)
    if (s.used.load() && path.native() == s.path) s.used.store(false);
}

}  // namespace stackato::client
