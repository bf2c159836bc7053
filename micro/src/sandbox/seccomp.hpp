#pragma once
// The seccomp filter every sandboxed process runs under, as a classic BPF program in the form
// bubblewrap's --seccomp reads. Built with libseccomp: default allow, and EPERM for what an app
// never needs and an attacker wants (mount and friends, ptrace and process_vm_*, kernel
// modules, kexec, bpf, perf, keyrings, new namespaces, raw and packet sockets, TIOCSTI,
// clock changes, reboot, swap). Calls of another architecture's ABI (i386, x32) kill the
// process: the filter cannot vouch for their numbers.

#include <string>

namespace kato::sandbox {

// Throws std::runtime_error when libseccomp cannot build it.
std::string seccomp_program();

}  // namespace kato::sandbox
