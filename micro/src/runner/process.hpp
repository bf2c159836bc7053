#pragma once
// Child processes for hooks and app instances: /bin/sh -c in the sandbox (sandbox/sandbox.hpp)
// with exactly the given environment, in a process group of their own, stdout and stderr as
// separate pipes.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "sandbox/sandbox.hpp"

namespace kato::runner {

using Env = std::map<std::string, std::string>;

struct Child {
  pid_t pid = -1;  // also the process group
  int out = -1, err = -1;
};

// Starts what `launch` says (Sandbox::prepare). Throws std::runtime_error when it cannot fork.
// memory_mb limits the address space (the fallback); `cgroup_procs`, if given, is the memory
// group's cgroup.procs, joined before exec (so the sandbox and all in it are counted).
Child spawn(const sandbox::Launch& launch, const Env& env, std::optional<long> memory_mb,
            const std::string& cgroup_procs = {});

// Reads both pipes to their end, one call per line (is_stderr); closes them. Returns false when
// `deadline` passed first (the pipes are then closed without reading to the end).
bool read_lines(int out, int err, const std::function<void(const std::string&, bool)>& line,
                std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

// Whether something accepts TCP connections on 127.0.0.1:port.
bool tcp_answers(unsigned short port);

}  // namespace kato::runner
