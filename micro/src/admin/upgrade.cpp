#include "admin/upgrade.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>

#include "admin/takeover.hpp"
#include "brokers/brokers.hpp"
#include "brokers/supervisor.hpp"
#include "http/server.hpp"
#include "runner/runner.hpp"
#include "runner/spawner.hpp"
#include "stager/stager.hpp"

extern char** environ;

namespace kato::admin {

namespace fs = std::filesystem;

namespace {

void say(const std::string& line) { std::cerr << "kato: upgrade: " << line << std::endl; }

// A new executable that cannot even print its version must not replace a serving kato.
std::string try_new_executable(const fs::path& exe) {
  if (::access(exe.c_str(), X_OK) != 0) return exe.string() + ": " + std::strerror(errno);
  auto r = brokers::run_tool({exe.string(), "--version"}, {}, "", {}, 20);
  if (r.status != 0 || r.output.rfind("kato ", 0) != 0)
    return exe.string() + " --version failed (status " + std::to_string(r.status) + "): " + r.output.substr(0, 200);
  return {};
}

}  // namespace

fs::path takeover_file(const fs::path& data) { return data / "takeover.json"; }

UpgradeOutcome upgrade(const UpgradeParts& p) {
  if (auto why = try_new_executable(p.exe); !why.empty()) {
    say("refused, kato serves on: " + why);
    return UpgradeOutcome::Refused;
  }
  say("to " + p.exe.string() + ": draining");
  p.server.pause();
  std::size_t cut = p.server.drain(std::chrono::milliseconds(1500), p.deadline);
  if (!p.stager.wait_idle(p.deadline)) say("a build still runs after " + std::to_string(p.deadline.count()) + " s; it fails");
  p.brokers.wait_idle();
  Takeover t;
  t.listen_fd = p.server.listen_fd();
  t.lock_fd = p.lock_fd;
  t.generation = p.generation;
  t.instances = p.runner.hand_over();
  say("drained (" + std::to_string(cut) + " long connections cut); " + std::to_string(t.instances.size()) +
      " instances kept running; exec");
  std::vector<std::string> args = {p.exe.string(), "--data", p.data.string()};
  args.insert(args.end(), p.start_args.begin(), p.start_args.end());
  args.push_back("--takeover");
  args.push_back(takeover_file(p.data).string());
  std::string failure;
  try {
    write_takeover(takeover_file(p.data), t);
    p.spawner.call([&] {
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execve(argv[0], argv.data(), environ);
      throw std::runtime_error(std::string("execve: ") + std::strerror(errno));
    });
  } catch (const std::exception& e) {
    failure = e.what();
  }
  say("failed after the hand-over (" + failure + "); kato stops");
  std::error_code ec;
  fs::remove(takeover_file(p.data), ec);
  return UpgradeOutcome::Failed;
}

}  // namespace kato::admin
