#pragma once
// Turns an uploaded package into a droplet: unpack (safely), add matched resources, run the
// manifest's pre-staging and post-staging hooks, find the start command. Runs builds on its
// own threads; output goes to the app's log as STG. Hooks and the staging cache's copies run in
// the app's sandbox, with the build's directory and the app's volumes writable.

#include <functional>
#include <memory>
#include <chrono>
#include <string>

#include "sandbox/sandbox.hpp"

namespace kato::store {
class Store;
}
namespace kato::blobs {
class Blobs;
}

namespace kato::metrics {
class Metrics;
}

namespace kato::stager {

class Stager {
 public:
  Stager(store::Store& store, blobs::Blobs& blobs, std::string domain,
         sandbox::Sandbox sandbox = sandbox::Sandbox::none());
  ~Stager();  // waits for running builds
  // Counts each staging's duration and outcome (for /metrics); set before the first build.
  void set_metrics(metrics::Metrics* metrics);
  // Called with the app's guid before a build's hooks run, to wait until the servers of the
  // services it is bound to answer: after a restart they come up in the background, and a hook
  // (customertracker's preload) must find its database. Set before the first build.
  void set_services_ready(std::function<void(const std::string& app_guid)> wait);
  void stage(const std::string& build_guid);
  // Waits up to `limit` for the builds in progress to end (an in-place upgrade lets them finish:
  // their hooks would die with the image). Returns whether none is left.
  bool wait_idle(std::chrono::seconds limit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kato::stager
