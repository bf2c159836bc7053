#pragma once
// Memory limits for app instances, enforced by the kernel's memory controller in a group of
// kato's own below the one kato runs in: cgroup v2 (memory.max) where the memory controller is
// delegated to kato's group, else cgroup v1 (memory.limit_in_bytes, swap included where it is
// accounted). Where neither is writable the runner falls back to RLIMIT_AS, which limits address
// space rather than memory (runtimes that reserve large address ranges fail under it).

#include <filesystem>
#include <memory>
#include <string>

namespace kato::runner {

class MemoryGroups {
 public:
  // nullptr when no writable memory hierarchy is found. `name` keeps several katos apart and
  // stays the same across restarts (groups left by a killed kato are reused).
  static std::unique_ptr<MemoryGroups> detect(const std::string& name);
  ~MemoryGroups();

  // "cgroup v2 (/sys/fs/cgroup/...)" or "cgroup v1 (...)".
  std::string describe() const;
  // Creates the group of one instance with its limit; returns the cgroup.procs file the child
  // writes "0" to before exec, so that everything it allocates counts. Throws std::runtime_error.
  std::string prepare(const std::string& instance, long limit_mb);
  // How many processes of the group the kernel has killed for lack of memory.
  long oom_kills(const std::string& instance) const;
  // Removes the group once its processes are gone.
  void remove(const std::string& instance);

 private:
  MemoryGroups(std::filesystem::path base, bool v2) : base_(std::move(base)), v2_(v2) {}
  std::filesystem::path base_;
  bool v2_;
};

}  // namespace kato::runner
