#pragma once
// The sandbox every app instance, staging hook and remote command runs in: bubblewrap (Debian's
// `bubblewrap`, the runtime Flatpak uses) with a user namespace that maps the process to uid
// 2000 inside, as Cloud Foundry's `vcap`, and to an unprivileged uid outside (kSandboxUid
// when kato is root, never root nor kato's uid); its own pid, mount, ipc, uts and cgroup
// namespaces; no capabilities; no_new_privs; the seccomp filter of seccomp.hpp; the host file
// system read-only, a private /tmp and /dev, the policy's directories writable, and kato's data
// dir (with every other instance, the service servers' data, the state database and keys)
// absent. The network stays the host's: the router and the service servers are on loopback.
//
// Why bubblewrap rather than crun: the same namespaces, seccomp and uid mapping from one exec
// with its options on the command line, no OCI bundle to write per start, and it keeps kato's
// memory cgroup (the child joins it before exec); docs/kato.md has the measurements.
//
// Use: Sandbox::make() once at start (probe() proves it works here), prepare() before each
// fork, exec() in the child. Thread-safe: every member is const after make().

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sandbox/mountns.hpp"

namespace kato::sandbox {

// Outside uid and gid of sandboxed processes when kato runs as root: far above the ranges
// distributions hand out to users (and to systemd's dynamic and container users).
constexpr uid_t kSandboxUid = 2000000000;
// Inside: Cloud Foundry's vcap.
constexpr uid_t kInsideUid = 2000;

struct Bind {
  std::filesystem::path path;
  bool writable = true;
};

// What a sandboxed command sees besides the read-only host.
struct Policy {
  std::filesystem::path workdir;  // its working directory, inside one of the binds
  std::vector<Bind> binds;
  // SIGKILL when the kato thread that started it ends, and so when kato dies (kill -9 too):
  // hooks and remote commands, whose threads wait for them, and instances, which the runner
  // starts from a thread that outlives its graceful stop (runner.cpp's spawner).
  bool die_with_parent = false;
};

// Everything the child needs, made before fork (the child of a threaded process must not
// allocate).
struct Launch {
  std::vector<std::string> args;
  std::vector<char*> argv;
  std::string workdir;  // without a sandbox: where the shell starts (bwrap has --chdir)
  Exposure exposure;  // root only: what to show before dropping privileges
  bool drop = false;  // switch to uid/gid before exec
  uid_t uid = 0;
  gid_t gid = 0;
  const std::string* seccomp = nullptr;  // BPF for --seccomp 3; null without a sandbox
  bool die_with_parent = false;  // Policy's, set in the child after the uid changes (which clear it)
  pid_t parent = 0;              // kato's pid, to notice a parent that died before the setting
};

class Sandbox {
 public:
  // No sandbox: commands run as kato's own user (kato start --no-sandbox).
  static Sandbox none();
  // bubblewrap, hiding `hidden` (kato's data dir, relocated parts of it). Throws
  // std::runtime_error when bwrap is missing or the seccomp filter cannot be built.
  static Sandbox bubblewrap(std::vector<std::filesystem::path> hidden, uid_t uid = kSandboxUid);

  // Runs `true` in a sandbox once; throws std::runtime_error with bwrap's own reason when this
  // machine cannot make one (no user namespaces, say).
  void probe() const;

  bool enabled() const { return enabled_; }
  // One line for `kato status`.
  std::string describe() const;

  // /bin/sh -c script under the policy (plain /bin/sh in policy.workdir without a sandbox).
  Launch prepare(const Policy& policy, const std::string& script) const;

  // Gives a directory tree to the sandbox's uid (kato as root; no link is followed), so that
  // the app may write in it. Nothing to do otherwise.
  void hand_over(const std::filesystem::path& dir) const;

 private:
  bool enabled_ = false;
  bool root_ = false;
  std::string bwrap_, version_;
  std::vector<std::filesystem::path> hidden_;
  uid_t uid_ = kSandboxUid;
  std::string seccomp_;
};

// In the child, after stdio, limits and the memory cgroup: shows the policy's directories,
// loads the filter, drops privileges and execs. Never returns: on failure it writes the reason
// to stderr and exits with 126. Only system calls, no allocation.
[[noreturn]] void exec(const Launch& launch, char* const envp[]);

}  // namespace kato::sandbox
