// Showing one directory of a 0700 tree to another user (sandbox/mountns.cpp): the plan is
// checked everywhere; applying it needs root (the tests and CI run as root), and then an
// unprivileged child must reach the shown directory and nothing else of the tree.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "sandbox/mountns.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using kato::sandbox::Exposure;

TEST_CASE("mountns: the topmost unsearchable directory is covered, the paths below it remade", "[sandbox]") {
  test::TempDir tmp;
  fs::path data = tmp.path() / "data";
  fs::create_directories(data / "instances" / "a" / "0" / "app");
  fs::create_directories(data / "helpers");
  fs::create_directories(tmp.path() / "open" / "dir");
  fs::permissions(tmp.path(), fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace);
  Exposure e = kato::sandbox::plan_exposure({data / "instances" / "a" / "0" / "app", data / "helpers", tmp.path() / "open" / "dir"});
  CHECK(e.covers == std::vector<std::string>{data.string()});
  CHECK(e.dirs == std::vector<std::string>{(data / "helpers").string(), (data / "instances").string(),
                                           (data / "instances/a").string(), (data / "instances/a/0").string(),
                                           (data / "instances/a/0/app").string()});
  // A directory others can already reach needs nothing.
  CHECK(e.shown == std::vector<std::string>{(data / "instances/a/0/app").string(), (data / "helpers").string()});
  CHECK(kato::sandbox::plan_exposure({tmp.path() / "open" / "dir"}).empty());
}

TEST_CASE("mountns: an unprivileged child reaches the shown directory only", "[sandbox][root]") {
  if (::geteuid() != 0) {
    WARN("needs root: skipped");
    return;
  }
  test::TempDir tmp;
  fs::path data = tmp.path() / "data";
  fs::create_directories(data / "services" / "redis");
  std::ofstream(data / "kato.db") << "secret";
  std::ofstream(data / "services" / "redis" / "dump.rdb") << "redis data";
  fs::permissions(tmp.path(), fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  fs::permissions(data, fs::perms::owner_all, fs::perm_options::replace);
  fs::permissions(data / "services", fs::perms::owner_all, fs::perm_options::replace);
  REQUIRE(::chown((data / "services" / "redis").c_str(), 65534, 65534) == 0);
  REQUIRE(::chown((data / "services" / "redis" / "dump.rdb").c_str(), 65534, 65534) == 0);
  Exposure e = kato::sandbox::plan_exposure({data / "services" / "redis"});
  std::string rdb = (data / "services" / "redis" / "dump.rdb").string(), db = (data / "kato.db").string();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::umask(077);  // kato's: the remade paths must still be searchable
    if (!kato::sandbox::apply_exposure(e)) ::_exit(10);
    if ((::umask(077) & 0777) != 077) ::_exit(14);  // and kato's umask comes back
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(11);
    if (::access(rdb.c_str(), R_OK | W_OK) != 0) ::_exit(12);
    if (::access(db.c_str(), F_OK) == 0) ::_exit(13);  // the rest of the data dir is not there
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);
  // Nothing changed outside the child: the data dir is as closed as before.
  struct stat st {};
  REQUIRE(::stat(data.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  CHECK(fs::exists(data / "kato.db"));
}
