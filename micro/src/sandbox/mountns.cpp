#include "sandbox/mountns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace kato::sandbox {

namespace fs = std::filesystem;

namespace {

bool inside(const fs::path& p, const fs::path& dir) {
  auto [a, b] = std::mismatch(dir.begin(), dir.end(), p.begin(), p.end());
  return a == dir.end();
}

// The topmost ancestor of p (p excluded) that others may not search, or empty.
fs::path blocking_ancestor(const fs::path& p) {
  fs::path at = p.root_path();
  for (const auto& part : p.relative_path().parent_path()) {
    at /= part;
    struct stat st {};
    if (::stat(at.c_str(), &st) != 0 || !(st.st_mode & S_IXOTH)) return at;
  }
  return {};
}

}  // namespace

Exposure plan_exposure(const std::vector<fs::path>& paths) {
  Exposure e;
  std::vector<fs::path> covers;
  std::vector<std::pair<fs::path, fs::path>> shown;  // path, its cover
  for (const auto& raw : paths) {
    fs::path p = fs::absolute(raw).lexically_normal();
    fs::path cover = blocking_ancestor(p);
    if (cover.empty()) continue;  // reachable as it is
    shown.emplace_back(p, cover);
    covers.push_back(cover);
  }
  std::sort(covers.begin(), covers.end());
  covers.erase(std::unique(covers.begin(), covers.end()), covers.end());
  std::vector<fs::path> outer;  // drop covers inside another cover
  for (const auto& c : covers)
    if (std::none_of(outer.begin(), outer.end(), [&](const fs::path& o) { return inside(c, o); })) outer.push_back(c);
  std::vector<std::string> dirs;
  for (auto& [shown_path, cover] : shown) {
    const fs::path& p = shown_path;  // clang 14 cannot capture a structured binding in a lambda
    auto top = std::find_if(outer.begin(), outer.end(), [&](const fs::path& o) { return inside(p, o); });
    fs::path at = *top;
    auto rel = p.lexically_relative(*top);
    for (const auto& part : rel) {
      at /= part;
      dirs.push_back(at.string());
    }
    e.shown.push_back(p.string());
  }
  std::sort(dirs.begin(), dirs.end());  // parents sort before their children
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  for (const auto& c : outer) e.covers.push_back(c.string());
  e.dirs = std::move(dirs);
  return e;
}

bool apply_exposure(const Exposure& e) {
  if (e.empty()) return true;
  // The paths remade in the covers must be searchable by the user who comes next, whatever
  // kato's own umask (077).
  struct Umask {
    mode_t old = ::umask(022);
    ~Umask() { ::umask(old); }
  } umask_for_the_paths;
  if (::unshare(CLONE_NEWNS) != 0) return false;
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  // Opened in the new namespace (a bind from another namespace's mount is refused) and
  // before the covers hide them.
  constexpr std::size_t kMax = 64;  // binds of one sandbox: its directories and the app's volumes
  if (e.shown.size() > kMax) {
    errno = E2BIG;
    return false;
  }
  int fds[kMax];
  std::size_t n = e.shown.size();
  for (std::size_t i = 0; i < n; ++i) {
    fds[i] = ::open(e.shown[i].c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fds[i] < 0) return false;
  }
  for (const auto& c : e.covers)
    if (::mount("tmpfs", c.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k") != 0) return false;
  for (const auto& d : e.dirs)
    if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return false;
  for (std::size_t i = 0; i < n; ++i) {
    char src[32] = "/proc/self/fd/";
    char digits[12];
    int len = 0;
    for (unsigned v = static_cast<unsigned>(fds[i]); v > 0 || len == 0; v /= 10) digits[len++] = static_cast<char>('0' + v % 10);
    char* at = src + 14;
    while (len > 0) *at++ = digits[--len];
    *at = 0;
    if (::mount(src, e.shown[i].c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return false;
    ::close(fds[i]);
  }
  return true;
}

}  // namespace kato::sandbox
