#pragma once
// The Cloud Controller (V3 API), the UAA-compatible token endpoint and log-cache, for requests
// to api.<domain>.

#include <memory>
#include <string>
#include <vector>

#include "auth/tokens.hpp"
#include "http/message.hpp"
#include "store/store.hpp"

namespace kato::blobs {
class Blobs;
}
namespace kato::stager {
class Stager;
}
namespace kato::runner {
class Runner;
}
namespace kato::metrics {
class Metrics;
}
namespace kato::brokers {
class Brokers;
}

namespace kato::controller {

// The parts of kato the API drives.
struct Backends {
  blobs::Blobs* blobs = nullptr;
  stager::Stager* stager = nullptr;
  runner::Runner* runner = nullptr;
  brokers::Brokers* brokers = nullptr;
  metrics::Metrics* metrics = nullptr;
};

struct Config {
  std::string domain = "localhost";
  long default_memory_mb = 256;
  long default_disk_mb = 1024;
  std::string data_dir;       // its filesystem's free space, for /metrics
  std::string metrics_token;  // what a Prometheus scraper sends instead of an admin's token
};

class Controller {
 public:
  Controller(store::Store& store, auth::Tokens& tokens, Config config, Backends backends);
  ~Controller();
  http::Response handle(http::Request& request);

  // Every endpoint and who may call it, in registration order: for tests and the docs' table.
  struct Endpoint {
    std::string method, path, need, on;
  };
  std::vector<Endpoint> endpoints() const;

  // First start: the admin user, an org, a space and the shared domain (idempotent).
  static void bootstrap(store::Store& store, const Config& config, const std::string& admin_user,
                        const std::string& admin_password);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kato::controller
