#include "push/events.hpp"

#include <catch2/catch.hpp>

#include <iostream>
#include <sstream>
#include <vector>

using namespace stackato::client;

namespace {
// What the default view prints for one note: (stderr, stdout).
std::pair<std::string, std::string> printed(PushEvent event, const std::string& app, const std::string& detail = "") {
  std::ostringstream err, out;
  auto* e = std::cerr.rdbuf(err.rdbuf());
  auto* o = std::cout.rdbuf(out.rdbuf());
  print_push_note({event, app, detail});
  std::cerr.rdbuf(e);
  std::cout.rdbuf(o);
  return {err.str(), out.str()};
}
}  // namespace

TEST_CASE("push events go to the installed view, and back to the default one", "[push events]") {
  std::vector<PushNote> seen;
  set_push_view([&](const PushNote& n) { seen.push_back(n); });
  emit(PushEvent::MappingUrl, "web", "web.example.com");
  emit(PushEvent::Running, "web");
  set_push_view({});
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].event == PushEvent::MappingUrl);
  CHECK(seen[0].app == "web");
  CHECK(seen[0].detail == "web.example.com");
  CHECK(seen[1].event == PushEvent::Running);
  std::ostringstream err;
  auto* e = std::cerr.rdbuf(err.rdbuf());
  emit(PushEvent::Running, "web");  // the default view again
  std::cerr.rdbuf(e);
  CHECK(err.str() == "web is RUNNING\n");
  CHECK(seen.size() == 2);
}

TEST_CASE("the default push view prints the original client's lines", "[push events]") {
  CHECK(printed(PushEvent::CreatingApp, "web").first == "Creating application web\n");
  CHECK(printed(PushEvent::KeepingUrl, "web", "old.example.com").first ==
        "Keeping URL old.example.com (not in the manifest; 'stackato unmap' removes it)\n");
  CHECK(printed(PushEvent::BindingService, "web", "db").first == "Binding db to web\n");
  CHECK(printed(PushEvent::Warning, "web", "x").first == "Warning: x\n");
  CHECK(printed(PushEvent::LeftStopped, "web").first ==
        "web was not automatically started because it was STOPPED (use --force-start)\n");
  // A build's own output goes to stdout, indented, so that it can be kept apart.
  auto staging = printed(PushEvent::StagingOutput, "web", "-----> Installing python");
  CHECK(staging.first.empty());
  CHECK(staging.second == "  -----> Installing python\n");
}
