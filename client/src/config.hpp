#pragma once
// The client's files in $STACKATO_HOME (default ~/.stackato/client), as the original client
// kept them: `target` (the current target URL), `token` ({target: "bearer JWT"}) and `token2`
// ({target: {refresh, organization, space, ...}}), plus `names`, the completion cache. The directory is 0700 and files are created
// 0600; every change is a read-modify-write under an exclusive lock, written to a temp file and
// renamed, so two shells working at once never corrupt a file or mix up targets.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace stackato::client {

struct ConfigFiles {
  std::string target;                                 // "" when never set
  nlohmann::json tokens = nlohmann::json::object();   // target -> "bearer JWT"
  nlohmann::json adjuncts = nlohmann::json::object(); // target -> {refresh, organization, space, ...}
  nlohmann::json names = nlohmann::json::object();    // `names`: target -> {app: [...], service: [...]},
                                                      // what shell completion offers (a cache)
};

class Config {
 public:
  explicit Config(std::filesystem::path dir);
  static std::filesystem::path default_dir();  // $STACKATO_HOME, else ~/.stackato/client

  // A consistent snapshot (taken under the lock).
  ConfigFiles read() const;
  // Read, change and write back under the lock; only files whose content changed are written.
  void update(const std::function<void(ConfigFiles&)>& change) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

// A file created 0600 and replaced atomically (temp file + rename): journals, caches.
void write_private_file(const std::filesystem::path& path, const std::string& text);

}  // namespace stackato::client
