#pragma once
// The database servers kato runs for its brokers: started on first use under the data dir, as an
// unprivileged user when kato runs as root (PostgreSQL refuses root), restarted with back-off
// when they die, stopped with kato. A server left over from a kato killed with -9 is found by its
// pid file and stopped before a new one starts.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kato::brokers {

using Env = std::map<std::string, std::string>;

// The account servers and admin tools run as: "" (kato's own) unless kato is root.
struct RunAs {
  std::string user;  // e.g. "postgres"; empty: do not switch
  uid_t uid = 0;
  gid_t gid = 0;
  // The one directory of kato's data the account works in. kato's data dir is 0700 and stays
  // so: the process gets a private mount namespace in which this directory, and nothing else
  // of the data dir, is reachable (sandbox/mountns.hpp).
  std::filesystem::path home;
  static RunAs find(const std::string& preferred);
};

struct ToolResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};

// Runs a program (no shell) with `env` added to a minimal environment, stdin from `input`.
ToolResult run_tool(const std::vector<std::string>& argv, const Env& env, const std::string& input,
                    const RunAs& as = {}, int timeout_s = 60);

// A tool whose input or output is too large for a string (a dump, a restore): stdin from `in_fd`
// (-1: /dev/null), stdout to `out_fd`, or to a pipe whose read end is `out` when `out_fd` is -1.
// stderr is kept apart (in memory) for the error message. The caller reads `out` to its end,
// then calls wait_tool.
struct Streaming {
  pid_t pid = -1;
  int out = -1;  // the read end of stdout's pipe, owned by the caller until wait_tool
  int err = -1;  // stderr, a memfd
};
Streaming spawn_tool(const std::vector<std::string>& argv, const Env& env, int in_fd, int out_fd, const RunAs& as = {});
// Waits for the tool and closes its descriptors; `output` is what it wrote on stderr.
ToolResult wait_tool(Streaming& child);
// run_tool with stdin from a file (a dump to load), output as run_tool's.
ToolResult run_tool_from(const std::vector<std::string>& argv, const Env& env, const std::filesystem::path& input,
                         const RunAs& as = {});

class Server {
 public:
  struct Spec {
    std::string name;               // "postgresql"
    std::vector<std::string> argv;  // the server in the foreground
    Env env;
    RunAs as;
    std::filesystem::path log, pidfile;
    std::function<bool()> ready;    // answers (polled after start)
  };
  explicit Server(Spec spec);
  ~Server();
  // Starts it (once) and waits until ready; throws with the log's tail when it does not come up.
  void ensure_running(std::chrono::seconds timeout = std::chrono::seconds(60));
  void stop();
  std::string state();  // "not started", "running (pid N)", "restarting: ..."

 private:
  void launch();
  void watch();
  Spec spec_;
  std::mutex mu_;
  std::condition_variable cv_;
  pid_t pid_ = -1;
  bool wanted_ = false, stopping_ = false;
  std::string last_error_;
  std::thread watcher_;
};

// The last lines of a log file, for error messages.
std::string tail_of(const std::filesystem::path& file, std::size_t bytes = 600);

}  // namespace kato::brokers
