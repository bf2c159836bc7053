#pragma once
// The staging cache, as on Stackato: when the app is bound to a filesystem service named
// "<app>-cache", the stager copies the cache directory it keeps there into the build before the
// hooks run (STACKATO_CACHE_DIR; pip and npm use it too) and copies it back after a successful
// build, so the next push skips the work. An app larger than the service's limit cannot use it.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "model/model.hpp"

#include "runner/process.hpp"

namespace kato::store {
class Store;
}

namespace kato::stager {

class StagingCache {
 public:
  // The app's "<name>-cache" filesystem binding, if it has one.
  static std::optional<StagingCache> find(store::Store& store, const model::App& app);
  // Throws std::runtime_error naming the limit when app_dir is larger than the service.
  void check_fits(const std::filesystem::path& app_dir) const;
  // Copies the kept cache into `work` (created empty the first time) and points the hooks at it.
  // Copies a tree (from/. into to/, links kept as links); returns "" or why it failed. The
  // stager's copies run in the app's sandbox: the kept cache lies on a volume the app writes
  // at run time, and a copy by kato itself could be led along links swapped in meanwhile.
  using Copy = std::function<std::string(const std::filesystem::path& from, const std::filesystem::path& to)>;
  void restore(const std::filesystem::path& work, runner::Env& env, const std::function<void(const std::string&)>& log,
               const Copy& copy) const;
  // Replaces the kept cache with `work`; a failure only costs the next build its head start.
  void save(const std::filesystem::path& work, const std::function<void(const std::string&)>& log, const Copy& copy) const;

 private:
  std::string name_;
  std::filesystem::path kept_;  // <service dir>/staging-cache
  long limit_mb_ = 0;
};

}  // namespace kato::stager
