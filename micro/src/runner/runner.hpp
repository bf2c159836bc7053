#pragma once
// Runs app instances as child processes: one process group and one directory per instance.
// The desired state lives in the store (app STARTED, current droplet, web instances); the runner
// makes the machine match it and reports what runs.

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model.hpp"

#include "runner/spawner.hpp"
#include "sandbox/sandbox.hpp"

namespace kato::store {
class Store;
}
namespace kato::blobs {
class Blobs;
}

namespace kato::runner {

// How instance memory is limited: `Auto` a memory cgroup where kato can make one, else
// RLIMIT_AS; `Cgroup` a memory cgroup or kato does not start; `Rlimit` RLIMIT_AS only.
enum class MemoryLimits { Auto, Cgroup, Rlimit };

// An instance handed from one kato image to the next by an in-place upgrade (admin/upgrade.hpp):
// it keeps running, and the new image adopts it instead of starting it again.
struct Handover {
  std::string app, process_guid, droplet;
  int index = 0;
  pid_t pgid = 0;             // a child of kato's main thread, which survives the execve
  unsigned short port = 0;
  int out = -1, err = -1;     // its stdout and stderr pipes, kept open across the execve
  bool running = false;       // passed its health check (else it is checked again)
  std::int64_t since_ms = 0;  // when it entered that state, Unix milliseconds
  long memory_mb = 0;
  int crashes = 0;
  std::string slot;           // its directory's name under the app's (empty: the index)
};

class Runner {
 public:
  // Throws std::runtime_error when `limits` is Cgroup and no memory cgroup is writable.
  // Instances run in `sandbox` (sandbox/sandbox.hpp) and are forked by `spawner`'s thread.
  // `adopted`: instances the previous image handed over; they are kept, not killed as orphans.
  Runner(store::Store& store, blobs::Blobs& blobs, std::string domain, std::filesystem::path root, Spawner& spawner,
         MemoryLimits limits = MemoryLimits::Auto, sandbox::Sandbox sandbox = sandbox::Sandbox::none(),
         std::vector<Handover> adopted = {});
  ~Runner();  // stops every instance

  // Make the app's instances match its desired state (start, stop, scale, new droplet).
  // Queued for the runner's own thread: stopping waits for drains, which must never hold up
  // the io thread that serves the very requests being drained.
  void reconcile(const std::string& app_guid);
  // Stop and start every instance of the app (restart action); queued likewise.
  void restart(const std::string& app_guid);
  // A rolling deployment (POST /v3/deployments) to the app's current droplet: new instances
  // start beside the running ones, and once every one of them is RUNNING the old ones drain and
  // stop. If a new one crashes or is not healthy in time, or cancel_deployment() comes first,
  // the new ones stop and the old ones serve on. `deployed(ok, why)` is called at the end, on a
  // runner thread, without the runner's lock. An app with nothing running simply starts.
  void deploy(const std::string& app_guid, std::function<void(bool ok, const std::string& why)> deployed);
  void cancel_deployment(const std::string& app_guid);
  // Stops every instance at once (SIGTERM to all, then the grace period); for shutdown.
  void stop_all();
  // For an in-place upgrade: stops the runner's own threads (queued reconciles are dropped: the
  // next image reconciles every app at start), waits for launches in progress, and returns the
  // live instances, still running. Afterwards only stop_all() (if the execve fails) or the
  // destructor may be called.
  std::vector<Handover> hand_over();

  // For monitoring: per app with instances, how many run and how many crashed now, and the
  // crashes since kato started. Only map lookups under the lock.
  struct Census {
    std::string app;
    long running = 0, crashed = 0, restarts = 0;
  };
  std::vector<Census> census();

  // V3 stats entries for a process, one per desired instance.
  nlohmann::json stats(const model::Process& process);
  // How instance memory limits are enforced: "cgroup v2 (DIR)", "cgroup v1 (DIR)" or RLIMIT_AS.
  std::string memory_limits() const;
  // Ports of the app's RUNNING instances of a process type, for the router.
  // The ports of the app's RUNNING instances of `type`, appended to `out` (no allocation once
  // `out` has grown: the router asks on every request).
  void ports(const std::string& app_guid, const std::string& type, std::vector<unsigned short>& out);

  // Asked before an instance is stopped: requests the router still has in flight to a port.
  void set_inflight(std::function<int(unsigned short)> inflight);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kato::runner
