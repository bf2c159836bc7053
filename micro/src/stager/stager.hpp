#pragma once
// Turns an uploaded package into a droplet: unpack (safely), add matched resources, run the
// manifest's pre-staging and post-staging hooks, find the start command. Runs builds on its
// own threads; output goes to the app's log as STG.

#include <memory>
#include <string>

namespace kato::store {
class Store;
}
namespace kato::blobs {
class Blobs;
}

namespace kato::stager {

class Stager {
 public:
  Stager(store::Store& store, blobs::Blobs& blobs, std::string domain);
  ~Stager();  // waits for running builds
  void stage(const std::string& build_guid);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kato::stager
