#pragma once
// kato patch keygen|make|trust|feed|status|install|revert and kato restart: the operator's side
// of patching (bundle.hpp, patcher.hpp), with a running kato restarted where a patch needs it.

#include <filesystem>
#include <string>
#include <vector>

namespace kato::patch {

struct PatchOptions {
  std::filesystem::path data;
  std::string feed;    // --feed: a directory or an https:// URL; else the data dir's
  std::string cafile;  // --cafile: CA bundle for an https:// feed (else the system's)
  bool json = false;   // status --json
  bool no_restart = false;
  bool only_this_node = false;
  std::vector<std::string> names;  // install NAME..., revert NAME
};

int keygen_command(const std::filesystem::path& key);
int make_command(const std::filesystem::path& key, const std::filesystem::path& out, const std::filesystem::path& dir);
int trust_command(const std::filesystem::path& data, const std::filesystem::path& public_key);
int feed_command(const std::filesystem::path& data, const std::string& feed);
int status_command(const PatchOptions& o);
int install_command(const PatchOptions& o);
int revert_command(const PatchOptions& o);
// kato restart [ROLE]: every role lives in the one kato process, so a role's restart is kato's
// (helpers need none). Under systemd, systemctl restarts it.
int restart_command(const std::filesystem::path& data, const std::string& role);

}  // namespace kato::patch
