#pragma once
// kato's admin commands: start (the daemon), stop, status, info, add-user.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kato::admin {

struct StartOptions {
  std::filesystem::path data;
  unsigned short port = 8443;  // 0: any free port
  std::string listen = "127.0.0.1";
  std::string domain = "localhost";
  bool foreground = false;
  std::optional<std::string> admin_password;  // else KATO_ADMIN_PASSWORD, else generated
  long token_ttl = 3600;                      // seconds
  std::string memory_limits = "auto";         // auto, cgroup or rlimit (runner::MemoryLimits)
  bool no_sandbox = false;                    // run apps as kato's own user (sandbox/sandbox.hpp)
  std::filesystem::path takeover;  // set by an in-place upgrade's execve only (admin/upgrade.hpp)
};

// Where the kato service of the Debian package keeps its data (packaging/kato/kato.service).
inline constexpr const char* kPackagedDataDir = "/var/lib/kato";

// $KATO_DATA, else ~/.kato, else (when ~/.kato does not exist and it does) /var/lib/kato.
std::filesystem::path default_data_dir();
int start(const StartOptions& options);
int stop(const std::filesystem::path& data);
int status(const std::filesystem::path& data);
int info(const std::filesystem::path& data);
// The organization's memory quota in MB (0: none).
int set_quota(const std::filesystem::path& data, long memory_mb);
// A user who is not an admin: a developer of the spaces named in `spaces`, an auditor of those
// in `auditor_of`; the password is read from stdin.
int add_user(const std::filesystem::path& data, const std::string& name, const std::vector<std::string>& spaces,
             const std::vector<std::string>& auditor_of = {});

}  // namespace kato::admin
