#include "sandbox/seccomp.hpp"

#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>

namespace kato::sandbox {

namespace {

const char* const kDenied[] = {
    // file systems and the mount table
    "mount", "umount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "chroot", "quotactl", "quotactl_fd", "swapon", "swapoff", "open_by_handle_at", "name_to_handle_at",
    // other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    // namespaces
    "unshare", "setns",
    // the kernel itself
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot", "bpf", "perf_event_open",
    "userfaultfd", "iopl", "ioperm", "acct", "syslog", "lookup_dcookie", "fanotify_init", "add_key", "request_key",
    "keyctl", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "vhangup", "nfsservctl", "uselib"};

using Ctx = std::unique_ptr<void, void (*)(scmp_filter_ctx)>;

void rule(scmp_filter_ctx ctx, int nr, unsigned n, const scmp_arg_cmp* args) {
  int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), nr, n, args);
  if (rc != 0) throw std::runtime_error("seccomp: cannot add a rule (" + std::to_string(rc) + ")");
}

}  // namespace

std::string seccomp_program() {
  Ctx ctx(seccomp_init(SCMP_ACT_ALLOW), seccomp_release);
  if (!ctx) throw std::runtime_error("seccomp: cannot initialise libseccomp");
  // Another ABI on this machine (int 0x80, x32) would bypass rules written for the native one.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    rule(ctx.get(), nr, 0, nullptr);
  }
  // New namespaces through clone(); clone3 takes a struct the filter cannot read, so it is
  // refused with ENOSYS and the C library falls back to clone().
  for (scmp_datum_t bit : {scmp_datum_t(CLONE_NEWNS), scmp_datum_t(CLONE_NEWUSER), scmp_datum_t(CLONE_NEWPID),
                           scmp_datum_t(CLONE_NEWNET), scmp_datum_t(CLONE_NEWIPC), scmp_datum_t(CLONE_NEWUTS),
                           scmp_datum_t(CLONE_NEWCGROUP), scmp_datum_t(CLONE_NEWTIME)}) {
    scmp_arg_cmp has{0, SCMP_CMP_MASKED_EQ, bit, bit};  // SCMP_A0(MASKED_EQ, bit, bit)
    rule(ctx.get(), SCMP_SYS(clone), 1, &has);
  }
  int clone3 = seccomp_syscall_resolve_name("clone3");
  if (clone3 != __NR_SCMP_ERROR && seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), clone3, 0) != 0)
    throw std::runtime_error("seccomp: cannot add the clone3 rule");
  // Raw and packet sockets (sniffing, forging the loopback traffic of other apps).
  scmp_arg_cmp packet{0, SCMP_CMP_EQ, AF_PACKET, 0};  // SCMP_A0(EQ, AF_PACKET), every field named
  rule(ctx.get(), SCMP_SYS(socket), 1, &packet);
  scmp_arg_cmp raw{1, SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW};
  rule(ctx.get(), SCMP_SYS(socket), 1, &raw);
  // Pushing characters into a terminal's input.
  scmp_arg_cmp sti{1, SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI};
  rule(ctx.get(), SCMP_SYS(ioctl), 1, &sti);

  // Exported through a pipe: libseccomp writes to a file descriptor.
  int p[2];
  if (::pipe(p) != 0) throw std::runtime_error("seccomp: pipe failed");
  int rc = seccomp_export_bpf(ctx.get(), p[1]);
  ::close(p[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(p[0]);
  if (rc != 0 || out.empty()) throw std::runtime_error("seccomp: cannot export the filter (" + std::to_string(rc) + ")");
  return out;
}

}  // namespace kato::sandbox
