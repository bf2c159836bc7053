#include "push/hooks.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

namespace stackato::client {

namespace {

int run_one(const std::string& command, const std::filesystem::path& dir, const std::string& app_name,
            const std::string& action) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("cannot run the pre-push hook: pipe failed");
  const char* shell = std::getenv("SHELL");
  std::string sh = shell && *shell ? shell : "/bin/sh";
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot run the pre-push hook: fork failed");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    if (::chdir(dir.c_str()) != 0) ::_exit(127);
    ::setenv("STACKATO_APP_NAME", app_name.c_str(), 1);
    ::setenv("STACKATO_CLIENT", "stackato-cpp", 1);
    ::setenv("STACKATO_HOOK_ACTION", action.c_str(), 1);
    ::execl(sh.c_str(), sh.c_str(), "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string pending;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      std::cerr << "pushing: " << pending.substr(0, nl) << "\n";
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) std::cerr << "pushing: " << pending << "\n";
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

void run_pre_push(const std::vector<std::string>& commands, const std::filesystem::path& dir,
                  const std::string& app_name, const std::string& action) {
  for (const auto& command : commands) {
    std::cerr << "pushing: running pre-push hook: " << command << "\n";
    int rc = run_one(command, dir, app_name, action);
    if (rc != 0)
      throw std::runtime_error("pre-push hook '" + command + "' failed with exit status " + std::to_string(rc) +
                               "; the push was stopped");
  }
}

}  // namespace stackato::client
