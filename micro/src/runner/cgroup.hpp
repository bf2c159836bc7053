#pragma once
// Memory limits for app instances, enforced by the kernel's memory controller in a group of
// kato's own: cgroup v2 (memory.max) where a group kato may write hands the memory controller
// down (see detect), else cgroup v1 (memory.limit_in_bytes, swap included where it is
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
  // What the kernel says of kato's place in the hierarchies; tests pass their own.
  struct View {
    std::string mountinfo;  // /proc/self/mountinfo
    std::string cgroup;     // /proc/self/cgroup
    long pid;               // kato's
  };
  // With cgroup v2, tried in turn: kato's own group; the same after kato moved itself into a
  // leaf below it (when it is alone there, as in a unit with systemd's Delegate=yes); the root
  // of the hierarchy (root only). The first that hands the memory controller down wins.
  static std::unique_ptr<MemoryGroups> detect(const std::string& name, const View& view);
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
