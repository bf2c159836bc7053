#include <catch2/catch.hpp>

#include "suggest.hpp"

using stackato::client::closest;

TEST_CASE("suggestions for mistyped commands", "[cli]") {
  std::vector<std::string> cmds = {"apps", "push", "manifest", "help", "tunnel", "target", "targets"};
  CHECK(closest("mainfest", cmds) == "manifest");
  CHECK(closest("pusj", cmds) == "push");
  CHECK(closest("tunel", cmds) == "tunnel");
  CHECK(closest("xyzzy", cmds).empty());
  CHECK(closest("--pth", {"--path", "--manifest"}) == "--path");
}
