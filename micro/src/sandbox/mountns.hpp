#pragma once
// Showing a process a few directories that lie inside directories it may not search (kato's
// 0700 data dir), without widening any of them: in a private mount namespace of the child, the
// topmost directory on each path that others may not search is covered by an empty tmpfs, and
// the wanted directory is bind-mounted back at its own path. The rest stays invisible.
//
// Used for the database servers (they run as their own users and need only their own data)
// and, before bubblewrap runs unprivileged, for an app's instance directory. Needs root (or
// CAP_SYS_ADMIN); plan() runs before fork, apply() in the child between fork and exec.

#include <filesystem>
#include <string>
#include <vector>

namespace kato::sandbox {

struct Exposure {
  std::vector<std::string> covers;  // tmpfs mount points, outermost first, none inside another
  std::vector<std::string> dirs;    // directories to create in the tmpfs, parents first
  std::vector<std::string> shown;   // the exposed directories, bound back at their own paths
  bool empty() const { return shown.empty(); }
};

// For each path, the topmost ancestor that others cannot search (mode without o+x) becomes a
// cover; paths with no such ancestor need nothing. Reads the file system (stat) only.
Exposure plan_exposure(const std::vector<std::filesystem::path>& paths);

// In the child only (system calls, no allocation): unshare the mount namespace, make it
// private, open every shown directory, mount the covers, recreate the paths, bind the shown
// directories back. Returns false (errno set) when a step fails.
bool apply_exposure(const Exposure& e);

}  // namespace kato::sandbox
