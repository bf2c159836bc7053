#pragma once
// Runs app instances as child processes: one process group and one directory per instance.
// The desired state lives in the store (app STARTED, current droplet, web instances); the runner
// makes the machine match it and reports what runs.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model.hpp"

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

class Runner {
 public:
  // Throws std::runtime_error when `limits` is Cgroup and no memory cgroup is writable.
  // Instances run in `sandbox` (sandbox/sandbox.hpp).
  Runner(store::Store& store, blobs::Blobs& blobs, std::string domain, std::filesystem::path root,
         MemoryLimits limits = MemoryLimits::Auto, sandbox::Sandbox sandbox = sandbox::Sandbox::none());
  ~Runner();  // stops every instance

  // Make the app's instances match its desired state (start, stop, scale, new droplet).
  // Queued for the runner's own thread: stopping waits for drains, which must never hold up
  // the io thread that serves the very requests being drained.
  void reconcile(const std::string& app_guid);
  // Stop and start every instance of the app (restart action); queued likewise.
  void restart(const std::string& app_guid);
  // Stops every instance at once (SIGTERM to all, then the grace period); for shutdown.
  void stop_all();

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
