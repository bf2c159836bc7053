#include "runner/cgroup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace kato::runner {

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One write(2), as the kernel wants for control files; false if it refused.
bool put(const fs::path& p, const std::string& value) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  ::close(fd);
  return ok;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, sep);) out.push_back(part);
  return out;
}

bool has_word(const std::string& text, const std::string& word) {
  std::stringstream ss(text);
  for (std::string w; ss >> w;)
    if (w == word) return true;
  return false;
}

// `path` (from /proc/self/cgroup) inside a mount whose root in the hierarchy is `root`.
fs::path inside(const std::string& mount, const std::string& root, const std::string& path) {
  std::string rel = path;
  if (root != "/" && rel.rfind(root, 0) == 0) rel = rel.substr(root.size());
  return fs::path(mount) / fs::path(rel).relative_path();
}

long counter(const fs::path& file, const std::string& key) {
  std::stringstream ss(slurp(file));
  for (std::string k, v; ss >> k >> v;)
    if (k == key) return std::atol(v.c_str());
  return 0;
}

}  // namespace

std::unique_ptr<MemoryGroups> MemoryGroups::detect(const std::string& name) {
  return detect(name, View{slurp("/proc/self/mountinfo"), slurp("/proc/self/cgroup"), static_cast<long>(::getpid())});
}

std::unique_ptr<MemoryGroups> MemoryGroups::detect(const std::string& name, const View& view) {
  std::string v2_mount, v2_root, v1_mount, v1_root, v2_path, v1_path;
  {
    std::istringstream in(view.mountinfo);
    for (std::string line; std::getline(in, line);) {
      auto dash = line.find(" - ");
      if (dash == std::string::npos) continue;
      auto pre = split(line.substr(0, dash), ' ');
      auto post = split(line.substr(dash + 3), ' ');
      if (pre.size() < 5 || post.size() < 3) continue;
      if (post[0] == "cgroup2") {
        v2_mount = pre[4];
        v2_root = pre[3];
      } else if (post[0] == "cgroup") {
        for (const auto& opt : split(post[2], ','))
          if (opt == "memory") {
            v1_mount = pre[4];
            v1_root = pre[3];
          }
      }
    }
  }
  {
    std::istringstream in(view.cgroup);
    for (std::string line; std::getline(in, line);) {
      auto a = line.find(':'), b = line.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
      if (line.compare(0, a, "0") == 0 && controllers.empty()) v2_path = path;
      for (const auto& c : split(controllers, ','))
        if (c == "memory") v1_path = path;
    }
  }
  std::error_code ec;
  std::string group = "kato-" + name;
  if (!v2_mount.empty() && !v2_path.empty()) {
    // `parent` hands the memory controller down to kato's group below it (already, or once
    // asked: the kernel refuses that for a non-root group with processes of its own).
    auto below = [&](const fs::path& parent) -> std::unique_ptr<MemoryGroups> {
      if (!has_word(slurp(parent / "cgroup.controllers"), "memory")) return nullptr;
      if (!has_word(slurp(parent / "cgroup.subtree_control"), "memory") && !put(parent / "cgroup.subtree_control", "+memory"))
        return nullptr;
      fs::path base = parent / group;
      fs::create_directory(base, ec);
      if (fs::is_directory(base) && (has_word(slurp(base / "cgroup.subtree_control"), "memory") ||
                                     put(base / "cgroup.subtree_control", "+memory")))
        return std::unique_ptr<MemoryGroups>(new MemoryGroups(base, true));
      fs::remove(base, ec);
      return nullptr;
    };
    fs::path own = inside(v2_mount, v2_root, v2_path);
    if (auto g = below(own)) return g;
    // Alone in its group (a systemd unit with Delegate=yes, `systemd-run --scope`): kato moves
    // into a leaf of its own, which frees the group to hand memory down; back if that fails.
    auto procs = split(slurp(own / "cgroup.procs"), '\n');
    if (procs.size() == 1 && std::atol(procs[0].c_str()) == view.pid && has_word(slurp(own / "cgroup.controllers"), "memory")) {
      fs::path leaf = own / (group + ".daemon");
      fs::create_directory(leaf, ec);
      if (put(leaf / "cgroup.procs", std::to_string(view.pid))) {
        if (auto g = below(own)) return g;
        put(own / "cgroup.procs", std::to_string(view.pid));
      }
      fs::remove(leaf, ec);
    }
    // The root of the hierarchy hands memory down whatever runs in it; writable by root only.
    if (v2_root == "/" && own != fs::path(v2_mount))
      if (auto g = below(v2_mount)) return g;
  }
  if (!v1_mount.empty() && !v1_path.empty()) {
    fs::path base = inside(v1_mount, v1_root, v1_path) / group;
    fs::create_directory(base, ec);
    if (fs::is_directory(base) && fs::exists(base / "memory.limit_in_bytes"))
      return std::unique_ptr<MemoryGroups>(new MemoryGroups(base, false));
  }
  return nullptr;
}

MemoryGroups::~MemoryGroups() {
  // Groups without processes go (rmdir); any still in use stay for the next start.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(base_, ec))
    if (entry.is_directory(ec)) fs::remove(entry.path(), ec);
  fs::remove(base_, ec);
}

std::string MemoryGroups::describe() const { return (v2_ ? "cgroup v2 (" : "cgroup v1 (") + base_.string() + ")"; }

std::string MemoryGroups::prepare(const std::string& instance, long limit_mb) {
  fs::path g = base_ / instance;
  std::error_code ec;
  fs::create_directory(g, ec);
  std::string bytes = std::to_string(limit_mb << 20);
  bool ok;
  if (v2_) {
    ok = put(g / "memory.max", bytes);
    // No swap for apps, as on a Cloud Foundry cell: the limit is a limit.
    if (ok && fs::exists(g / "memory.swap.max")) put(g / "memory.swap.max", "0");
  } else {
    // With swap accounting, memory+swap gets the same limit; it must never be below the memory
    // limit, so the order depends on whether the limit goes up or down.
    bool memsw = fs::exists(g / "memory.memsw.limit_in_bytes");
    ok = put(g / "memory.limit_in_bytes", bytes);
    if (memsw) {
      bool both = put(g / "memory.memsw.limit_in_bytes", bytes);
      if (!ok && both) ok = put(g / "memory.limit_in_bytes", bytes);
      ok = ok && both;
    }
  }
  if (!ok) throw std::runtime_error("cannot set the memory limit in " + g.string());
  return (g / "cgroup.procs").string();
}

long MemoryGroups::oom_kills(const std::string& instance) const {
  return counter(base_ / instance / (v2_ ? "memory.events" : "memory.oom_control"), "oom_kill");
}

void MemoryGroups::remove(const std::string& instance) {
  std::error_code ec;
  fs::remove(base_ / instance, ec);
}

}  // namespace kato::runner
