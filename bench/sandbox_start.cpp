// Start-up cost of kato's sandbox: the time from fork to the exit of a command, through the same
// code kato uses (Sandbox::prepare, runner::spawn), with and without bubblewrap, taking turns
// so that a noisy neighbour slows both alike. Prints medians in ms and the overhead.
// Usage: bench_sandbox_start [ROUNDS] [COMMAND]   (default 200, "exec true")
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "runner/process.hpp"
#include "sandbox/sandbox.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double once(const kato::sandbox::Launch& l) {
  auto t0 = Clock::now();
  auto child = kato::runner::spawn(l, {{"PATH", "/usr/bin:/bin"}}, std::nullopt);
  kato::runner::read_lines(child.out, child.err, [](const std::string&, bool) {});
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "the command failed (status %d)\n", status);
    std::exit(1);
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 200;
  std::string command = argc > 2 ? argv[2] : "exec true";
  char tmpl[] = "/tmp/bench-sandbox-XXXXXX";
  fs::path data = ::mkdtemp(tmpl);
  fs::path app = data / "instances" / "app" / "0" / "app";
  fs::create_directories(app);
  fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace);
  auto plain = kato::sandbox::Sandbox::none();
  auto bwrap = kato::sandbox::Sandbox::bubblewrap({data});
  bwrap.hand_over(app);
  kato::sandbox::Policy policy{app, {{app, true}}};
  auto lp = plain.prepare(policy, command), lb = bwrap.prepare(policy, command);
  std::vector<double> a, b;
  for (int i = 0; i < rounds; ++i) {
    a.push_back(once(lp));
    b.push_back(once(lb));
  }
  double ma = median(a), mb = median(b);
  std::printf("command: %s; %d rounds, taking turns\n", command.c_str(), rounds);
  std::printf("no sandbox   median %.2f ms\n", ma);
  std::printf("bubblewrap   median %.2f ms  (%s)\n", mb, bwrap.describe().c_str());
  std::printf("overhead     %.2f ms per start\n", mb - ma);
  fs::remove_all(data);
}
