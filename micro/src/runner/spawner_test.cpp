#include "runner/spawner.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <csignal>
#include <stdexcept>
#include <thread>

using kato::runner::Spawner;

TEST_CASE("the spawner runs work on the thread that runs it, and passes exceptions back", "[spawner]") {
  Spawner spawner;
  std::thread::id ran_on;
  std::thread caller([&] {
    spawner.call([&] { ran_on = std::this_thread::get_id(); });
    CHECK_THROWS_WITH(spawner.call([] { throw std::runtime_error("fork failed"); }), "fork failed");
    spawner.stop();
  });
  spawner.run();
  caller.join();
  CHECK(ran_on == std::this_thread::get_id());
  CHECK_THROWS_WITH(spawner.call([] {}), "kato is stopping");
}

// The reason it exists: a child whose parent-death signal is set lives as long as the thread
// that forked it, not the thread that asked for the fork.
TEST_CASE("a child forked through the spawner outlives the thread that asked for it", "[spawner]") {
  Spawner spawner;
  pid_t child = -1;
  std::thread asker([&] {
    spawner.call([&] {
      child = ::fork();
      if (child == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::pause();
        ::_exit(0);
      }
    });
    spawner.stop();
  });
  spawner.run();
  asker.join();  // the asking thread is gone
  REQUIRE(child > 0);
  ::usleep(100000);
  int status = 0;
  CHECK(::waitpid(child, &status, WNOHANG) == 0);  // still alive
  ::kill(child, SIGKILL);
  ::waitpid(child, &status, 0);
}

// The premise, checked: forked on a thread that then ends, the same child dies with it.
TEST_CASE("a child forked on a thread that ends gets its parent-death signal", "[spawner]") {
  pid_t child = -1;
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  std::thread forker([&] {
    child = ::fork();
    if (child == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      (void)!::write(ready[1], "x", 1);
      ::pause();
      ::_exit(0);
    }
    char c;
    (void)!::read(ready[0], &c, 1);  // the signal is set before the thread ends
  });
  forker.join();
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  ::close(ready[0]);
  ::close(ready[1]);
}
