// Following a log starts after the server's newest line, never at the client's clock (issue 19:
// `logs --follow --num 0` lost the lines logged while it started, and against a server whose
// clock differs it would lose or repeat lines).

#include "logs.hpp"

#include <catch2/catch.hpp>

using namespace stackato::client;

TEST_CASE("logs: the follow cursor comes from the server's newest line", "[logs]") {
  // A server whose clock is a day behind the client's: its lines are still followed from there.
  std::int64_t day = 86400LL * 1000000000LL;
  std::int64_t server_now = 1764547200LL * 1000000000LL - day;
  CHECK(follow_cursor({LogLine{server_now, "APP", "0", "x", false}}) == server_now + 1);
  // Nothing logged yet: from the beginning, so the first line is not missed.
  CHECK(follow_cursor({}) == 0);
  // Whatever order the lines come in, after the newest.
  CHECK(follow_cursor({LogLine{5, "", "", "", false}, LogLine{9, "", "", "", false}, LogLine{7, "", "", "", false}}) == 10);
}
