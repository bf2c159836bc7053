// kato's choice of memory cgroup (runner/cgroup.cpp) against directory trees laid out like
// cgroupfs. Only cgroup v1 is writable on the machines this project is tested on; these cases
// are what runs of the cgroup v2 branch: the order of the candidates, the files written, the
// OOM counter. The kernel's own rules (which writes it refuses) are stood in for: a control
// file that is a directory cannot be written, as a refused one.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "runner/cgroup.hpp"
#include "support.hpp"

using kato::runner::MemoryGroups;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A cgroup directory: available controllers, those handed down (or a refusing file), processes.
void group(const test::TempDir& t, const std::string& rel, const std::string& controllers, const std::string* subtree,
           const std::string& procs = "") {
  t.write(rel + "/cgroup.controllers", controllers + "\n");
  if (subtree)
    t.write(rel + "/cgroup.subtree_control", *subtree);
  else
    fs::create_directories(t.path() / rel / "cgroup.subtree_control");  // refuses writes
  t.write(rel + "/cgroup.procs", procs);
}

std::string mountinfo(const test::TempDir& t) {
  return "30 23 0:26 / " + (t.path() / "unified").string() + " rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n" +
         "31 23 0:27 / " + (t.path() / "memory").string() + " rw - cgroup cgroup rw,memory\n";
}

const std::string handed = "memory pids";
const std::string none;

}  // namespace

TEST_CASE("cgroup v2: kato in the root group uses it, writes memory.max and no swap, counts OOM kills", "[cgroup]") {
  test::TempDir t;
  group(t, "unified", "cpu memory pids", &handed);
  t.write("unified/kato-x/cgroup.subtree_control", "");  // the kernel makes it with the group
  auto g = MemoryGroups::detect("x", {mountinfo(t), "0::/\n", 42});
  REQUIRE(g);
  CHECK(g->describe() == "cgroup v2 (" + (t.path() / "unified" / "kato-x").string() + ")");
  // The kernel makes these files with the group; here the test does.
  t.write("unified/kato-x/web-0/memory.max", "");  // empty: a plain file is not truncated on write
  t.write("unified/kato-x/web-0/memory.swap.max", "");
  t.write("unified/kato-x/web-0/cgroup.procs", "");
  CHECK(g->prepare("web-0", 128) == (t.path() / "unified/kato-x/web-0/cgroup.procs").string());
  CHECK(read(t.path() / "unified/kato-x/web-0/memory.max") == "134217728");
  CHECK(read(t.path() / "unified/kato-x/web-0/memory.swap.max") == "0");
  CHECK(read(t.path() / "unified/kato-x/cgroup.subtree_control") == "+memory");
  t.write("unified/kato-x/web-0/memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\n");
  CHECK(g->oom_kills("web-0") == 2);
}

TEST_CASE("cgroup v2: a group with other processes cannot hand memory down, the hierarchy root can (kato as root)", "[cgroup]") {
  test::TempDir t;
  group(t, "unified", "cpu memory pids", &handed);
  group(t, "unified/user.slice/session-1.scope", "memory pids", nullptr, "7\n42\n");
  t.write("unified/kato-x/cgroup.subtree_control", "");
  auto g = MemoryGroups::detect("x", {mountinfo(t), "0::/user.slice/session-1.scope\n", 42});
  REQUIRE(g);
  CHECK(g->describe() == "cgroup v2 (" + (t.path() / "unified" / "kato-x").string() + ")");
  CHECK_FALSE(fs::exists(t.path() / "unified/user.slice/session-1.scope/kato-x.daemon"));  // not alone: stays
}

TEST_CASE("cgroup v2: alone in a delegated group, kato moves into a leaf and tries again, and goes back if refused", "[cgroup]") {
  test::TempDir t;
  group(t, "unified", "cpu memory pids", nullptr);  // not writable: not root
  group(t, "unified/system.slice/kato.service", "memory pids", nullptr, "42\n");
  t.write("unified/system.slice/kato.service/kato-x.daemon/cgroup.procs", "");
  auto g = MemoryGroups::detect("x", {mountinfo(t), "0::/system.slice/kato.service\n", 42});
  // kato moved into the leaf; the stand-in refuses again, so kato moved back, and with no v1
  // memory hierarchy in this tree there is no group at all (the runner uses RLIMIT_AS).
  CHECK_FALSE(g);
  CHECK(read(t.path() / "unified/system.slice/kato.service/kato-x.daemon/cgroup.procs") == "42");
  CHECK(read(t.path() / "unified/system.slice/kato.service/cgroup.procs").rfind("42", 0) == 0);
}

TEST_CASE("cgroup v2 without the memory controller: cgroup v1's memory hierarchy", "[cgroup]") {
  test::TempDir t;
  group(t, "unified", "pids", &none);
  t.write("memory/process_api/abc/memory.limit_in_bytes", "9223372036854771712\n");
  fs::create_directories(t.path() / "memory/process_api/abc/kato-x");
  t.write("memory/process_api/abc/kato-x/memory.limit_in_bytes", "9223372036854771712\n");
  auto g = MemoryGroups::detect("x", {mountinfo(t), "4:memory:/process_api/abc\n0::/\n", 42});
  REQUIRE(g);
  CHECK(g->describe() == "cgroup v1 (" + (t.path() / "memory/process_api/abc/kato-x").string() + ")");
  t.write("memory/process_api/abc/kato-x/web-0/memory.limit_in_bytes", "");
  g->prepare("web-0", 256);
  CHECK(read(t.path() / "memory/process_api/abc/kato-x/web-0/memory.limit_in_bytes") == "268435456");
  t.write("memory/process_api/abc/kato-x/web-0/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
  CHECK(g->oom_kills("web-0") == 1);
}

TEST_CASE("no memory controller anywhere: no group (RLIMIT_AS)", "[cgroup]") {
  test::TempDir t;
  group(t, "unified", "pids", &none);
  CHECK_FALSE(MemoryGroups::detect("x", {"30 23 0:26 / " + (t.path() / "unified").string() + " rw - cgroup2 cgroup2 rw\n", "0::/\n", 42}));
}
