// Which files push uploads.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace stackato::manifest;
using Files = std::vector<std::string>;

namespace {
Files files_for(const std::string& ignores_yaml) {
  test::TempDir d;
  d.write("stackato.yml", "name: a\n" + ignores_yaml);
  for (const char* f : {"app.js", "server.log", "notes~", ".git/HEAD", ".git/objects/ab", "sub/.git/x",
                        "sub/keep.txt", "sub/debug.log", "local/bin/tool", "src/local/bin/ok", "#tmp#",
                        "build/out.o", "docs/a.md", "docs/deep/b.md", "LOG", "x/LOG"})
    d.write(f, "x");
  test::TestContext ctx;
  LoadOptions o;
  o.path = d.path();
  return upload_files(load(o, ctx).apps[0]);
}
}  // namespace

TEST_CASE("the default list skips VCS folders, logs, backups", "[ignores]") {
  CHECK(files_for("") == Files{"LOG", "app.js", "build/out.o", "docs/a.md", "docs/deep/b.md",
                               "src/local/bin/ok", "stackato.yml", "sub/keep.txt", "x/LOG"});
}

TEST_CASE("ignores: [] uploads everything", "[ignores]") {
  CHECK(files_for("ignores: []\n").size() == 17);
}

TEST_CASE("ignores replaces the default list, gitignore-style patterns", "[ignores]") {
  CHECK(files_for("ignores: [\".git/\", \"*LOG\"]\n") ==
        Files{"#tmp#", "app.js", "build/out.o", "docs/a.md", "docs/deep/b.md", "local/bin/tool",
              "notes~", "server.log", "src/local/bin/ok", "stackato.yml", "sub/debug.log", "sub/keep.txt"});
  // Anchored patterns, ** and negation.
  CHECK(files_for("ignores: [\"/docs/**/*.md\", \"*.log\", \"!sub/debug.log\", \"build/\", \".git/\"]\n") ==
        Files{"#tmp#", "LOG", "app.js", "local/bin/tool", "notes~", "src/local/bin/ok", "stackato.yml",
              "sub/debug.log", "sub/keep.txt", "x/LOG"});
}

TEST_CASE("a FIFO or a socket in the app is refused by name (reading a FIFO blocks for ever), unless ignored",
          "[ignores]") {
  test::TempDir d;
  d.write("stackato.yml", "name: a\n");
  d.write("app.js", "x");
  REQUIRE(::mkfifo((d.path() / "pipe").c_str(), 0600) == 0);
  test::TestContext ctx;
  LoadOptions o;
  o.path = d.path();
  auto app = load(o, ctx).apps[0];
  try {
    upload_files(app);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("pipe") && Catch::Contains("cannot upload a FIFO (named pipe)"));
  }
  d.write("stackato.yml", "name: a\nignores: [pipe]\n");
  CHECK(upload_files(load(o, ctx).apps[0]) == Files{"app.js", "stackato.yml"});
  ::symlink("app.js", (d.path() / "link").c_str());  // links are uploaded as links
  CHECK(upload_files(load(o, ctx).apps[0]) == Files{"app.js", "link", "stackato.yml"});
}
