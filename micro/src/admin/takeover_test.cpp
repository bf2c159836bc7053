#include "admin/takeover.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>

namespace fs = std::filesystem;
using kato::admin::read_takeover;
using kato::admin::Takeover;
using kato::admin::write_takeover;

namespace {

fs::path temp_file(const char* name) {
  auto dir = fs::temp_directory_path() / ("kato-takeover-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir / name;
}

bool cloexec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

}  // namespace

TEST_CASE("a takeover file carries descriptors across an execve, and only those", "[takeover]") {
  int listen = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int lock = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out[2], err[2];
  REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
  Takeover t;
  t.listen_fd = listen;
  t.lock_fd = lock;
  t.generation = 3;
  t.instances.push_back({"app-guid", "proc-guid", "droplet-guid", 1, 4242, 61000, out[0], err[0], true, 1700000000123, 256, 2, "1-3"});
  auto file = temp_file("takeover.json");
  write_takeover(file, t);
  CHECK((fs::status(file).permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
  for (int fd : {listen, lock, out[0], err[0]}) CHECK_FALSE(cloexec(fd));
  CHECK(cloexec(out[1]));  // not named: untouched

  Takeover back = read_takeover(file);
  CHECK_FALSE(fs::exists(file));  // read once, then gone
  CHECK(back.listen_fd == listen);
  CHECK(back.lock_fd == lock);
  CHECK(back.generation == 3);
  REQUIRE(back.instances.size() == 1);
  const auto& h = back.instances[0];
  CHECK(h.app == "app-guid");
  CHECK(h.process_guid == "proc-guid");
  CHECK(h.droplet == "droplet-guid");
  CHECK(h.index == 1);
  CHECK(h.pgid == 4242);
  CHECK(h.port == 61000);
  CHECK(h.out == out[0]);
  CHECK(h.err == err[0]);
  CHECK(h.running);
  CHECK(h.since_ms == 1700000000123);
  CHECK(h.memory_mb == 256);
  CHECK(h.crashes == 2);
  CHECK(h.slot == "1-3");
  for (int fd : {listen, lock, out[0], out[1], err[0], err[1]}) ::close(fd);
}

TEST_CASE("a takeover file's instance whose pipes are not pipes keeps no output", "[takeover]") {
  int listen = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int file_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // open, but someone else's file
  Takeover t{listen, listen, 0, {{"a", "p", "d", 0, 4242, 61000, file_fd, file_fd, true, 0, 128, 0, "0"}}};
  auto file = temp_file("not-pipes.json");
  write_takeover(file, t);
  auto back = read_takeover(file);
  REQUIRE(back.instances.size() == 1);
  CHECK(back.instances[0].out == -1);
  CHECK(back.instances[0].err == -1);
  ::close(listen);
  ::close(file_fd);
}

TEST_CASE("a malformed takeover file is refused naming the file and the field", "[takeover]") {
  auto file = temp_file("bad.json");
  auto refused = [&](const std::string& text) {
    std::ofstream(file) << text;
    try {
      read_takeover(file);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(refused("{") == file.string() + ": not JSON");
  CHECK(refused(R"({"lock_fd": 0, "generation": 0, "instances": []})") == file.string() + ": 'listen_fd' is missing");
  CHECK(refused(R"({"listen_fd": "3", "lock_fd": 0, "generation": 0, "instances": []})") ==
        file.string() + ": 'listen_fd' has the wrong type");
  CHECK(refused(R"({"listen_fd": 0, "lock_fd": 0, "generation": 0, "instances": [{"app": "a"}]})") ==
        file.string() + ": 'process_guid' is missing");
  CHECK(refused(R"({"listen_fd": 987, "lock_fd": 0, "generation": 0, "instances": []})") ==
        file.string() + ": descriptor 987 was not handed over");
}
