#pragma once
// What kato keeps about patches in its data dir, and applying and reverting them:
//
//   patches/trusted/FINGERPRINT.pub   keys whose bundles are accepted (kato patch trust)
//   patches/feed                      the default feed: a directory or an https:// URL
//   patches/installed.json            installed patches, in order, with their backups
//   patches/pending.json              roles that wait for a restart (install --no-restart)
//   patches/backup/NAME/N             what file N of patch NAME replaced
//   patches/overlay/helpers/NAME      patched helpers, put over the built-in ones at each start
//
// Files are replaced by writing beside the target, fsync and rename, so a reader (a running
// remote command, the kernel loading the executable) sees the old file or the new one whole.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "patch/bundle.hpp"

namespace kato::patch {

class PatchState {
 public:
  explicit PatchState(std::filesystem::path data);

  // Copies a public key into trusted/; returns its fingerprint. Throws KeyError for a file that
  // is no Ed25519 public key.
  std::string trust(const std::filesystem::path& public_key);
  std::vector<std::string> trusted() const;  // their PEMs

  std::string feed() const;  // "" when none was set
  void set_feed(const std::string& feed);

  // {"NAME": {"description", "severity", "roles", "installed_at", "files": [{"target", "backup"}]}}
  nlohmann::json installed() const;
  std::vector<std::string> pending() const;  // roles waiting for a restart
  void add_pending(const std::vector<std::string>& roles);

  // Installs a verified bundle: every file backed up, then replaced; a failure part way puts
  // back what was replaced and throws. `exe` is the kato executable the "kato" target names.
  void apply(const Bundle& bundle, const std::filesystem::path& exe);
  // Puts back what patch `name` replaced; refused while a later patch replaced the same file.
  // Returns the roles it affected.
  std::vector<std::string> revert(const std::string& name, const std::filesystem::path& exe);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path target_path(const std::string& target, const std::filesystem::path& exe) const;
  // Puts back one file of installed.json's {"target", "backup"} (no backup: the patch added it).
  void restore(const nlohmann::json& file, const std::filesystem::path& exe) const;
  void save_installed(const nlohmann::json& installed) const;
  std::filesystem::path data_, dir_;
};

// At kato's start: installed patches' helpers over the built-in ones in `helpers`.
void overlay_helpers(const std::filesystem::path& data, const std::filesystem::path& helpers);
// Read only (kato status): the roles waiting for a restart, and how many patches are installed.
std::vector<std::string> pending_roles(const std::filesystem::path& data);
std::size_t installed_count(const std::filesystem::path& data);
// At kato's start: no role waits for a restart any more.
void restarted(const std::filesystem::path& data);

}  // namespace kato::patch
