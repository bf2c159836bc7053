#pragma once
// kato's in-place upgrade (`kato restart`, `kato patch install`): on SIGUSR2 a running kato execs
// the executable it was started from (by now maybe a patched one) without failing a request and
// without stopping an app or a database server, as nginx's binary upgrade does:
//   1. the new executable must run (`EXE --version`) before anything stops;
//   2. the server stops accepting; the kernel's listen backlog keeps new connections for the
//      new image, which accepts from the same socket;
//   3. requests in progress finish (http::Server::drain), builds end, broker work ends;
//   4. the runner hands its live instances over, still running (runner::Handover);
//   5. the takeover file names the socket, the data dir's lock and the instances (takeover.hpp);
//   6. kato's main thread, the one that forked the instances (runner/spawner.hpp), execs the new
//      executable with `start ... --takeover FILE`: same pid, same socket, same children.
// The new image adopts all that and writes kato.json with the next generation. What is cut: a
// WebSocket or tunnel still open after the drain's deadline, and remote commands with it.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace kato::http {
class Server;
}
namespace kato::stager {
class Stager;
}
namespace kato::brokers {
class Brokers;
}
namespace kato::runner {
class Runner;
class Spawner;
}  // namespace kato::runner

namespace kato::admin {

struct UpgradeParts {
  http::Server& server;
  stager::Stager& stager;
  brokers::Brokers& brokers;
  runner::Runner& runner;
  runner::Spawner& spawner;  // its thread execs
  std::filesystem::path data, exe;
  std::vector<std::string> start_args;  // `start` and its options, without --data and --takeover
  int lock_fd = -1;
  int generation = 0;  // this image's
  std::chrono::seconds deadline{30};  // for requests, WebSockets and builds in progress
};

enum class UpgradeOutcome {
  Refused,  // the new executable does not run: nothing was stopped, kato serves on
  Failed,   // the execve failed after the hand-over: kato must shut down
};

// Returns only when the upgrade did not happen; says why on stderr (kato.log).
UpgradeOutcome upgrade(const UpgradeParts& parts);

// The takeover file's place in the data dir.
std::filesystem::path takeover_file(const std::filesystem::path& data);

}  // namespace kato::admin
