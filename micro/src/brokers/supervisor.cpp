#include "brokers/supervisor.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sandbox/mountns.hpp"

namespace kato::brokers {

namespace fs = std::filesystem;

RunAs RunAs::find(const std::string& preferred) {
  RunAs as;
  if (::geteuid() != 0) return as;
  // The engine's own user, else the kato system user the Debian package makes, else nobody.
  for (const std::string& name : {preferred, std::string("kato"), std::string("nobody")}) {
    if (passwd* pw = ::getpwnam(name.c_str())) {
      as.user = name;
      as.uid = pw->pw_uid;
      as.gid = pw->pw_gid;
      return as;
    }
  }
  throw std::runtime_error("kato runs as root and finds no unprivileged user for " + preferred);
}

namespace {

// Everything the child needs, built before fork: between fork and exec a child of a threaded
// process must not allocate (another thread may have held the allocator's lock at the fork).
struct Prepared {
  std::vector<std::string> args, envs;
  std::vector<char*> argv, envp;
  std::vector<gid_t> groups;
  RunAs as;
  sandbox::Exposure exposure;
  // A tool (not a server) ends with the process that runs it: a backup, an import or a
  // relocation killed with -9 must not leave its cp or mysql working on behind it.
  bool die_with_parent = false;
  pid_t parent = ::getpid();
  Prepared(const std::vector<std::string>& a, const Env& env, const RunAs& who) : args(a), as(who) {
    if (!as.user.empty() && !as.home.empty()) exposure = sandbox::plan_exposure({as.home});
    envs = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"};
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    for (auto& x : args) argv.push_back(x.data());
    argv.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    if (!as.user.empty()) {
      int n = 64;
      groups.resize(static_cast<std::size_t>(n));
      if (::getgrouplist(as.user.c_str(), as.gid, groups.data(), &n) < 0) groups.resize(static_cast<std::size_t>(n));
      ::getgrouplist(as.user.c_str(), as.gid, groups.data(), &n);
      groups.resize(static_cast<std::size_t>(n));
    }
  }
};

// In the child: identity, then exec. Only system calls. Never returns.
[[noreturn]] void exec_child(const Prepared& p) {
  ::setsid();
  if (p.die_with_parent && (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != p.parent)) ::_exit(125);
  ::signal(SIGPIPE, SIG_DFL);  // kato ignores it; its children get the usual behaviour back
  // kato's own descriptors (its listening socket above all) must not live on in a server that
  // outlives a kato killed with -9, or the next kato cannot listen.
  ::close_range(3, ~0U, 0);
  if (!p.as.user.empty()) {
    if (!sandbox::apply_exposure(p.exposure)) ::_exit(125);
    if (::setgroups(p.groups.size(), p.groups.data()) != 0 || ::setgid(p.as.gid) != 0 || ::setuid(p.as.uid) != 0) ::_exit(126);
  }
  ::execvpe(p.argv[0], p.argv.data(), p.envp.data());
  ::_exit(127);
}

}  // namespace

ToolResult run_tool(const std::vector<std::string>& argv, const Env& env, const std::string& input, const RunAs& as,
                    int timeout_s) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    throw std::runtime_error("pipe failed");
  }
  Prepared prepared(argv, env, as);
  prepared.die_with_parent = true;
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    if (::chdir("/") != 0) ::_exit(126);
    exec_child(prepared);
  }
  ::close(in[0]);
  ::close(out[1]);
  // Write the input from a thread: a tool that prints a lot before reading must not deadlock.
  std::thread writer([fd = in[1], &input] {
    std::size_t off = 0;  // (SIGPIPE is ignored by kato as a whole: a tool that quits early is EPIPE)
    while (off < input.size()) {
      ssize_t n = ::write(fd, input.data() + off, input.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
  });
  ToolResult r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      ::kill(-pid, SIGKILL);
      r.output += "\n(timed out after " + std::to_string(timeout_s) + " s)";
      break;
    }
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000))) <= 0) continue;
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    if (r.output.size() < (1u << 20)) r.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  writer.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

Streaming spawn_tool(const std::vector<std::string>& argv, const Env& env, int in_fd, int out_fd, const RunAs& as) {
  Streaming c;
  int out[2] = {-1, -1};
  if (out_fd < 0 && ::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  c.err = ::memfd_create("tool-stderr", MFD_CLOEXEC);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  Prepared prepared(argv, env, as);
  prepared.die_with_parent = true;
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(in_fd >= 0 ? in_fd : null, 0);
    ::dup2(out_fd >= 0 ? out_fd : out[1], 1);
    ::dup2(c.err, 2);
    if (::chdir("/") != 0) ::_exit(126);
    exec_child(prepared);
  }
  ::close(null);
  if (out[1] >= 0) ::close(out[1]);
  c.pid = pid;
  c.out = out[0];
  return c;
}

ToolResult wait_tool(Streaming& c) {
  ToolResult r;
  if (c.out >= 0) ::close(c.out);
  c.out = -1;
  int status = 0;
  if (c.pid > 0) ::waitpid(c.pid, &status, 0);
  c.pid = -1;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (c.err >= 0) {
    char buf[4096];
    ssize_t n = ::pread(c.err, buf, sizeof buf, 0);
    if (n > 0) r.output.assign(buf, static_cast<std::size_t>(n));
    ::close(c.err);
    c.err = -1;
  }
  return r;
}

ToolResult run_tool_from(const std::vector<std::string>& argv, const Env& env, const fs::path& input, const RunAs& as) {
  int in = ::open(input.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0) throw std::runtime_error(input.string() + ": " + std::strerror(errno));
  int out = ::memfd_create("tool-stdout", MFD_CLOEXEC);
  Streaming c;
  try {
    c = spawn_tool(argv, env, in, out, as);
  } catch (...) {
    ::close(in);
    ::close(out);
    throw;
  }
  ::close(in);
  ToolResult r = wait_tool(c);
  char buf[4096];
  ssize_t n = ::pread(out, buf, sizeof buf, 0);
  if (n > 0) r.output = std::string(buf, static_cast<std::size_t>(n)) + r.output;
  ::close(out);
  return r;
}

std::string tail_of(const fs::path& file, std::size_t bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  auto size = static_cast<std::size_t>(in.tellg());
  in.seekg(static_cast<std::streamoff>(size > bytes ? size - bytes : 0));
  std::stringstream s;
  s << in.rdbuf();
  std::string text = s.str();
  for (auto& c : text)
    if (c == '\n') c = ' ';
  return text;
}

Server::Server(Spec spec) : spec_(std::move(spec)) {}

Server::~Server() { stop(); }

void Server::launch() {
  // A server of ours that outlived a kato killed with -9 still holds the data dir: stop it.
  std::ifstream pidin(spec_.pidfile);
  pid_t old = 0;
  int status = 0;
  if (pidin >> old && old > 0 && ::waitpid(old, &status, WNOHANG) == 0) {
    // Our own child still: the server the previous image of this very process started, kept
    // running across an in-place upgrade (admin/upgrade.hpp). Adopted, not restarted.
    pid_ = old;
    return;
  }
  if (old > 0 && ::kill(old, 0) == 0) {
    ::kill(-old, SIGTERM);
    for (int i = 0; i < 100 && ::kill(old, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(-old, SIGKILL);
  }
  int log = ::open(spec_.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) throw std::runtime_error("cannot write " + spec_.log.string());
  if (!spec_.as.user.empty()) ::fchown(log, spec_.as.uid, spec_.as.gid);
  Prepared prepared(spec_.argv, spec_.env, spec_.as);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    exec_child(prepared);
  }
  ::close(log);
  pid_ = pid;
  std::ofstream(spec_.pidfile) << pid << "\n";
}

void Server::ensure_running(std::chrono::seconds timeout) {
  std::unique_lock lock(mu_);
  if (!wanted_) {
    wanted_ = true;
    launch();
    watcher_ = std::thread([this] { watch(); });
  }
  auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    lock.unlock();
    bool ok = spec_.ready();
    lock.lock();
    if (ok) {
      last_error_.clear();
      return;
    }
    if (std::chrono::steady_clock::now() > until)
      throw std::runtime_error(spec_.name + " is not running (" + (last_error_.empty() ? "no answer" : last_error_) +
                               "); its log ends: " + tail_of(spec_.log));
    cv_.wait_for(lock, std::chrono::milliseconds(200));
  }
}

void Server::watch() {
  int backoff = 1;
  for (;;) {
    pid_t pid;
    {
      std::lock_guard lock(mu_);
      pid = pid_;
    }
    auto began = std::chrono::steady_clock::now();
    int status = 0;
    pid_t r = ::waitpid(pid, &status, 0);
    std::unique_lock lock(mu_);
    if (stopping_) return;
    if (r == pid)
      last_error_ = "exited with status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    // A server that ran for a while before it died starts over with a short wait.
    if (std::chrono::steady_clock::now() - began > std::chrono::minutes(1)) backoff = 1;
    // Restart with back-off, as the runner does for apps.
    cv_.wait_for(lock, std::chrono::seconds(backoff), [&] { return stopping_; });
    if (stopping_) return;
    backoff = std::min(backoff * 2, 30);
    try {
      launch();
    } catch (const std::exception& e) {
      last_error_ = e.what();
    }
  }
}

void Server::stop() {
  pid_t pid;
  {
    std::lock_guard lock(mu_);
    if (!wanted_ || stopping_) return;
    stopping_ = true;
    pid = pid_;
  }
  cv_.notify_all();
  if (pid > 0) {
    ::kill(-pid, SIGTERM);
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 150 && ::kill(pid, 0) == 0; ++i) {
      int st;
      if (::waitpid(pid, &st, WNOHANG) == pid) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  if (watcher_.joinable()) watcher_.join();
  std::error_code ec;
  fs::remove(spec_.pidfile, ec);
}

std::string Server::state() {
  std::lock_guard lock(mu_);
  if (!wanted_) return "not started (starts on first use)";
  if (stopping_) return "stopped";
  return last_error_.empty() ? "running (pid " + std::to_string(pid_) + ")" : "restarting: " + last_error_;
}

}  // namespace kato::brokers
