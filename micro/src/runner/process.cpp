#include "runner/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <vector>

namespace kato::runner {

Child spawn(const sandbox::Launch& launch, const Env& env, std::optional<long> memory_mb,
            const std::string& cgroup_procs) {
  int out[2], err[2];
  // O_CLOEXEC: no other child kato starts inherits them (the child's dup2 onto 1 and 2 clears it;
  // an upgrade that keeps them across its execve clears it on purpose).
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("pipe failed");
  }
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  rlimit lim{};
  if (memory_mb) lim.rlim_cur = lim.rlim_max = static_cast<rlim_t>(*memory_mb) << 20;

  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::setsid();
    ::signal(SIGPIPE, SIG_DFL);  // kato ignores it; apps get the usual behaviour back
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    if (memory_mb) ::setrlimit(RLIMIT_AS, &lim);
    if (!cgroup_procs.empty()) {
      // "0" is the writer itself. Without the group the limit would not hold: refuse to start.
      int fd = ::open(cgroup_procs.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || ::write(fd, "0", 1) != 1) {
        static const char msg[] = "kato: cannot join the instance's memory cgroup\n";
        (void)!::write(2, msg, sizeof msg - 1);
        ::_exit(125);
      }
      ::close(fd);
    }
    sandbox::exec(launch, envp.data());
  }
  ::close(out[1]);
  ::close(err[1]);
  return Child{pid, out[0], err[0]};
}

bool read_lines(int out, int err, const std::function<void(const std::string&, bool)>& line,
                std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::string buf[2];
  pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
  int open_fds = 2;
  bool in_time = true;
  while (open_fds > 0) {
    int ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        in_time = false;
        break;
      }
      ms = static_cast<int>(std::min<long long>(left, 1000));
    }
    if (::poll(fds, 2, ms) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char chunk[8192];
      ssize_t r = ::read(fds[i].fd, chunk, sizeof chunk);
      if (r <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        if (!buf[i].empty()) line(buf[i], i == 1);
        continue;
      }
      buf[i].append(chunk, static_cast<std::size_t>(r));
      for (auto nl = buf[i].find('\n'); nl != std::string::npos; nl = buf[i].find('\n')) {
        line(buf[i].substr(0, nl), i == 1);
        buf[i].erase(0, nl + 1);
      }
      if (buf[i].size() > 65536) {  // a very long line: flush it in pieces
        line(buf[i], i == 1);
        buf[i].clear();
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  return in_time;
}

bool tcp_answers(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace kato::runner
