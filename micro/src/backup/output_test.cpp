// Output: every byte reaches the descriptor; a regular file's pages are given to the disk range
// by range as it grows (a pipe's never); a failed write is one line.
#include "backup/output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "support.hpp"

using kato::backup::Output;

TEST_CASE("Output: a file gets every byte, sent to disk range by range", "[backup]") {
  test::TempDir dir;
  auto path = dir.path() / "out";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  std::string chunk(1 << 20, 'x');
  for (std::size_t i = 0; i < chunk.size(); i += 4096) chunk[i] = static_cast<char>('a' + i % 26);
  Output out(fd);
  for (int i = 0; i < 20; ++i) {
    out.write(chunk.data(), chunk.size());
    // Whole ranges behind the end have been given to the disk; the last partial one not yet.
    CHECK(out.sent() == (out.written() / Output::kRange) * Output::kRange);
  }
  out.write("tail", 4);
  ::close(fd);
  CHECK(out.written() == 20 * chunk.size() + 4);
  CHECK(out.sent() == 2 * Output::kRange);
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  std::string want;
  for (int i = 0; i < 20; ++i) want += chunk;
  CHECK(s.str() == want + "tail");
}

TEST_CASE("Output: a pipe is written as it is", "[backup]") {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  std::string got;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  });
  std::string data(3 * Output::kRange, 'p');
  {
    Output out(p[1]);
    out.write(data.data(), data.size());
    CHECK(out.sent() == 0);
  }
  ::close(p[1]);
  reader.join();
  ::close(p[0]);
  CHECK(got == data);
}

TEST_CASE("Output: a failed write is one line", "[backup]") {
  int fd = ::open("/dev/full", O_WRONLY);
  REQUIRE(fd >= 0);
  Output out(fd);
  CHECK_THROWS_WITH(out.write("x", 1), "writing the archive: No space left on device");
  ::close(fd);
}
