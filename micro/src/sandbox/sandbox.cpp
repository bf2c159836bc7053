#include "sandbox/sandbox.hpp"

#include <sys/prctl.h>

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "sandbox/seccomp.hpp"

namespace kato::sandbox {

namespace fs = std::filesystem;

namespace {

constexpr int kSeccompFd = 3;

std::string find_bwrap() {
  for (const char* p : {"/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"})
    if (::access(p, X_OK) == 0) return p;
  return {};
}

// Runs argv to its end and returns (status, output); for probe() and the version only.
std::pair<int, std::string> capture(const Launch& l) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> envs = {"PATH=/usr/bin:/bin"};
  std::vector<char*> envp = {envs[0].data(), nullptr};
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(p[1], 1);
    ::dup2(p[1], 2);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::close_range(3, ~0U, 0);
    exec(l, envp.data());
  }
  ::close(p[1]);
  std::string out;
  char buf[1024];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

[[noreturn]] void fail(const char* what) {
  const char* why = std::strerror(errno);  // glibc: a static table, no allocation
  (void)!::write(2, "kato: cannot enter the sandbox: ", 32);
  (void)!::write(2, what, std::strlen(what));
  (void)!::write(2, ": ", 2);
  (void)!::write(2, why, std::strlen(why));
  (void)!::write(2, "\n", 1);
  ::_exit(126);
}

}  // namespace

Sandbox Sandbox::none() { return Sandbox(); }

Sandbox Sandbox::bubblewrap(std::vector<fs::path> hidden, uid_t uid) {
  Sandbox s;
  s.bwrap_ = find_bwrap();
  if (s.bwrap_.empty()) throw std::runtime_error("bubblewrap (bwrap) is not installed: apt-get install bubblewrap");
  s.enabled_ = true;
  s.root_ = ::geteuid() == 0;
  s.uid_ = uid;
  for (auto& h : hidden) s.hidden_.push_back(fs::absolute(h).lexically_normal());
  s.seccomp_ = seccomp_program();
  Launch v;
  v.args = {s.bwrap_, "--version"};
  v.workdir = fs::path("/").string();
  for (auto& a : v.args) v.argv.push_back(a.data());
  v.argv.push_back(nullptr);
  auto [rc, out] = capture(v);
  s.version_ = rc == 0 ? out : "bubblewrap";
  return s;
}

void Sandbox::probe() const {
  if (!enabled_) return;
  // The whole path an app's start takes (uid switch, namespaces, the filter), with nothing bound.
  Policy policy;
  policy.workdir = "/";
  Launch l = prepare(policy, "exec true");
  auto [rc, out] = capture(l);
  if (rc != 0) throw std::runtime_error("bubblewrap cannot make a sandbox here: " + (out.empty() ? "exit " + std::to_string(rc) : out));
}

std::string Sandbox::describe() const {
  if (!enabled_) return "none (--no-sandbox): apps run as kato's own user and can read its data";
  std::string who = root_ ? "uid " + std::to_string(kInsideUid) + " inside, " + std::to_string(uid_) + " outside"
                          : "uid " + std::to_string(kInsideUid) + " inside, kato's own uid outside (run kato as root for a uid of their own)";
  return version_ + " (" + who + "; user, pid, mount, ipc, uts namespaces; no capabilities; seccomp; data dir hidden)";
}

Launch Sandbox::prepare(const Policy& policy, const std::string& script) const {
  Launch l;
  l.die_with_parent = policy.die_with_parent;
  l.parent = ::getpid();
  if (!enabled_) {
    l.args = {"/bin/sh", "-c", script};
    for (auto& a : l.args) l.argv.push_back(a.data());
    l.argv.push_back(nullptr);
    l.workdir = policy.workdir.string();
    return l;
  }
  std::vector<Bind> binds = policy.binds;
  for (auto& b : binds) b.path = fs::absolute(b.path).lexically_normal();
  std::sort(binds.begin(), binds.end(), [](const Bind& a, const Bind& b) { return a.path < b.path; });
  auto& a = l.args;
  a = {bwrap_, "--unshare-user", "--uid", std::to_string(kInsideUid), "--gid", std::to_string(kInsideUid),
       "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "kato-app",
       "--disable-userns", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
       "--tmpfs", "/tmp", "--tmpfs", "/dev/shm"};
  if (policy.die_with_parent) a.push_back("--die-with-parent");
  if (root_) {
    // The covers of the private mount namespace already leave nothing of the data dir but
    // the paths to the binds (apply_exposure, before privileges are dropped).
    std::vector<fs::path> shown;
    for (const auto& b : binds) shown.push_back(b.path);
    l.exposure = plan_exposure(shown);
    l.drop = true;
    l.uid = uid_;
    l.gid = uid_;
  } else {
    for (const auto& h : hidden_) a.insert(a.end(), {"--tmpfs", h.string()});
  }
  for (const auto& b : binds) a.insert(a.end(), {b.writable ? "--bind" : "--ro-bind", b.path.string(), b.path.string()});
  a.insert(a.end(), {"--chdir", fs::absolute(policy.workdir).lexically_normal().string(), "--seccomp",
                     std::to_string(kSeccompFd), "--", "/bin/sh", "-c", script});
  for (auto& x : a) l.argv.push_back(x.data());
  l.argv.push_back(nullptr);
  l.seccomp = &seccomp_;
  return l;
}

void Sandbox::hand_over(const fs::path& dir) const {
  if (!enabled_ || !root_) return;
  std::error_code ec;
  ::lchown(dir.c_str(), uid_, uid_);
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    ::lchown(it->path().c_str(), uid_, uid_);
}

namespace {
// After any change of uid (which clears the setting), just before exec.
void die_with_parent(const Launch& l) {
  if (!l.die_with_parent) return;
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail("prctl");
  if (::getppid() != l.parent) ::_exit(126);  // kato died before the setting took
}
}  // namespace

void exec(const Launch& l, char* const envp[]) {
  if (!l.seccomp) {  // no sandbox: the shell in the working directory
    die_with_parent(l);
    if (::chdir(l.workdir.c_str()) != 0) fail("chdir");
    ::umask(022);
    ::execve(l.argv[0], l.argv.data(), envp);
    fail("exec /bin/sh");
  }
  if (!apply_exposure(l.exposure)) fail("private mount namespace");
  int p[2];
  if (::pipe2(p, 0) != 0) fail("pipe");
  const std::string& bpf = *l.seccomp;  // a few KB: fits the pipe, so the write cannot block
  if (::write(p[1], bpf.data(), bpf.size()) != static_cast<ssize_t>(bpf.size())) fail("seccomp pipe");
  ::close(p[1]);
  if (p[0] != kSeccompFd) {
    if (::dup2(p[0], kSeccompFd) != kSeccompFd) fail("dup2");
    ::close(p[0]);
  }
  if (l.drop) {
    if (::setgroups(0, nullptr) != 0) fail("setgroups");
    if (::setresgid(l.gid, l.gid, l.gid) != 0) fail("setresgid");
    if (::setresuid(l.uid, l.uid, l.uid) != 0) fail("setresuid");
  }
  die_with_parent(l);
  ::umask(022);
  if (::chdir("/") != 0) fail("chdir");
  ::execve(l.argv[0], l.argv.data(), envp);
  fail("exec bwrap");
}

}  // namespace kato::sandbox
