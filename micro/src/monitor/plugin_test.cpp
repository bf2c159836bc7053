// Threshold ranges as the Monitoring Plugins Development Guidelines define them, the plugin
// line, and the Prometheus text lines `kato check` reads.

#include "monitor/plugin.hpp"

#include <catch2/catch.hpp>

#include "monitor/checks.hpp"

using namespace kato::monitor;

TEST_CASE("plugin: ranges alert as the guidelines' table says", "[monitor]") {
  // "10": < 0 or > 10; "10:": < 10; "~:10": > 10; "10:20": outside; "@10:20": inside.
  CHECK(parse_range("10").alerts(11));
  CHECK(parse_range("10").alerts(-1));
  CHECK_FALSE(parse_range("10").alerts(10));
  CHECK(parse_range("10:").alerts(9.5));
  CHECK_FALSE(parse_range("10:").alerts(1e9));
  CHECK(parse_range("~:10").alerts(10.5));
  CHECK_FALSE(parse_range("~:10").alerts(-1e9));
  CHECK(parse_range("10:20").alerts(21));
  CHECK(parse_range("10:20").alerts(9));
  CHECK_FALSE(parse_range("10:20").alerts(15));
  CHECK(parse_range("@10:20").alerts(15));
  CHECK_FALSE(parse_range("@10:20").alerts(21));
  CHECK(parse_range("@0:").alerts(0));
  CHECK_THROWS_AS(parse_range(""), BadThreshold);
  CHECK_THROWS_AS(parse_range("ten"), BadThreshold);
  CHECK_THROWS_AS(parse_range("20:10"), BadThreshold);
  CHECK_THROWS_AS(parse_range("1:2:3"), BadThreshold);
}

TEST_CASE("plugin: critical before warning; the worst of states", "[monitor]") {
  auto w = parse_range("20:"), c = parse_range("10:");
  CHECK(judge(50, w, c) == State::Ok);
  CHECK(judge(15, w, c) == State::Warning);
  CHECK(judge(5, w, c) == State::Critical);
  CHECK(worse(State::Ok, State::Warning) == State::Warning);
  CHECK(worse(State::Unknown, State::Warning) == State::Unknown);
  CHECK(worse(State::Critical, State::Unknown) == State::Critical);
  CHECK(line("KATO DISK", {State::Warning, "15% free on /d", "free=15%;20:;10:;0;100"}) ==
        "KATO DISK WARNING - 15% free on /d | free=15%;20:;10:;0;100");
  CHECK(line("KATO", {State::Ok, "fine", ""}) == "KATO OK - fine");
}

TEST_CASE("plugin: Prometheus text lines with labels, escapes and comments", "[monitor]") {
  auto s = parse_samples("# HELP x y\n# TYPE x gauge\nkato_app_instances{app=\"a\",state=\"wanted\"} 2\n"
                         "kato_app_info{app=\"b\",name=\"say \\\"hi\\\"\",space=\"dev\"} 1\nkato_token_failures_total 3 1700000000\n"
                         "garbage line\n");
  REQUIRE(s.size() == 3);
  CHECK(s[0].label("state") == "wanted");
  CHECK(s[0].value == 2);
  CHECK(s[1].label("name") == "say \\\"hi\\\"");
  CHECK(s[1].label("space") == "dev");
  CHECK(s[2].name == "kato_token_failures_total");
  CHECK(s[2].value == 3);
}
