// The sandbox itself (sandbox/sandbox.cpp): what a command inside can see and do. Runs for real
// with Debian's bubblewrap (installed by scripts/setup.sh); as root, as the tests run here, the
// command's user outside is kSandboxUid.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "sandbox/sandbox.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using kato::sandbox::Sandbox;

namespace {

struct Ran {
  int status;
  std::string out;
};

Ran run(const kato::sandbox::Launch& l) {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  std::vector<std::string> envs = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
  std::vector<char*> envp = {envs[0].data(), envs[1].data(), nullptr};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(p[1], 1);
    ::dup2(p[1], 2);
    ::close_range(3, ~0U, 0);
    kato::sandbox::exec(l, envp.data());
  }
  ::close(p[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

bool have_bwrap() { return ::access("/usr/bin/bwrap", X_OK) == 0; }

}  // namespace

TEST_CASE("sandbox: the command runs unprivileged, confined, and its exit status comes back", "[sandbox]") {
  if (!have_bwrap()) {
    WARN("bubblewrap is not installed: skipped");
    return;
  }
  test::TempDir tmp;
  fs::path data = tmp.path() / "data", app = data / "instances" / "a" / "0" / "app";
  fs::create_directories(app);
  std::ofstream(data / "kato.db") << "jwt key";
  fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace);
  Sandbox sb = Sandbox::bubblewrap({data});
  sb.probe();
  sb.hand_over(app);
  kato::sandbox::Policy policy{app, {{app, true}}};
  auto r = run(sb.prepare(policy, "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status | tr -s '\\t' ' ';"
                                  "pwd; echo made > file; cat " + (data / "kato.db").string() + " 2>&1 || echo no-db;"
                                  "ls /proc | grep -c '^[0-9]'; touch /usr/x 2>/dev/null || echo ro-host;"
                                  "echo tmp > /tmp/t && cat /tmp/t; exit 7"));
  CHECK(r.status == 7);
  CHECK(r.out.find("2000\n") == 0);
  CHECK(r.out.find("CapEff: 0000000000000000") != std::string::npos);
  CHECK(r.out.find("NoNewPrivs: 1") != std::string::npos);
  CHECK(r.out.find("Seccomp: 2") != std::string::npos);
  CHECK(r.out.find(app.string() + "\n") != std::string::npos);
  CHECK(r.out.find("no-db") != std::string::npos);
  CHECK(r.out.find("jwt key") == std::string::npos);
  CHECK(r.out.find("ro-host") != std::string::npos);
  CHECK(r.out.find("tmp\n") != std::string::npos);
  CHECK(std::ifstream(app / "file").good());
  if (::geteuid() == 0) {
    struct stat st {};
    REQUIRE(::stat((app / "file").c_str(), &st) == 0);
    CHECK(st.st_uid == kato::sandbox::kSandboxUid);
  }
  CHECK(sb.describe().rfind("bubblewrap 0.", 0) == 0);  // bwrap --version, e.g. "bubblewrap 0.8.0"
}

TEST_CASE("sandbox: the seccomp filter refuses namespaces, mounts and ptrace", "[sandbox]") {
  if (!have_bwrap()) {
    WARN("bubblewrap is not installed: skipped");
    return;
  }
  test::TempDir tmp;
  Sandbox sb = Sandbox::bubblewrap({tmp.path() / "nothing"});
  kato::sandbox::Policy policy{"/", {}};
  CHECK(run(sb.prepare(policy, "unshare -U true")).status != 0);
  CHECK(run(sb.prepare(policy, "unshare -r true")).status != 0);
  auto r = run(sb.prepare(policy, "python3 -c 'import ctypes,os; l=ctypes.CDLL(None,use_errno=True); "
                                  "r=l.ptrace(0,0,0,0); print(\"ptrace\", r, ctypes.get_errno()); "
                                  "r=l.mount(b\"none\", b\"/tmp\", b\"tmpfs\", 0, None); print(\"mount\", r, ctypes.get_errno())'"));
  CHECK(r.out.find("ptrace -1 1") != std::string::npos);  // EPERM
  CHECK(r.out.find("mount -1 1") != std::string::npos);
}

TEST_CASE("sandbox: none runs the shell as it is, in the working directory", "[sandbox]") {
  test::TempDir tmp;
  Sandbox sb = Sandbox::none();
  auto r = run(sb.prepare({tmp.path(), {}}, "pwd; exit 3"));
  CHECK(r.status == 3);
  CHECK(r.out == tmp.path().string() + "\n");
  CHECK(sb.describe().find("none (--no-sandbox)") == 0);
}
