// Finding the manifest, inheritance, applications forms, selection, depends-on.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace stackato::manifest;
using Catch::Contains;

using test::load_at;

namespace {
Manifest load_file(const std::filesystem::path& path, test::TestContext& ctx, const std::filesystem::path& file) {
  return load_at(path, ctx, [&](LoadOptions& o) { o.file = file; });
}
std::vector<std::string> names(const Manifest& m) {
  std::vector<std::string> out;
  for (const auto& a : m.apps) out.push_back(a.name);
  return out;
}
}  // namespace

TEST_CASE("stackato.yml only in the app dir, manifest.yml searched upward", "[find]") {
  test::TempDir d;
  d.write("manifest.yml", "applications:\n- name: from-parent\n  path: sub\n");
  d.write("sub/app.js", "");
  test::TestContext ctx;
  CHECK(load_at(d.path() / "sub", ctx).file == d.path() / "manifest.yml");
  d.write("sub/stackato.yml", "name: from-sub\n");
  CHECK(load_at(d.path() / "sub", ctx).file == d.path() / "sub" / "stackato.yml");
  // stackato.yml in a parent is never used.
  d.write("deeper/x/.keep", "");
  std::filesystem::remove(d.path() / "manifest.yml");
  CHECK(load_at(d.path() / "deeper" / "x", ctx).file.empty());
}

TEST_CASE("stackato.yml hides manifest.yml in the same directory", "[find]") {
  test::TempDir d;
  d.write("manifest.yml", "applications:\n- name: cf\n");
  d.write("stackato.yml", "name: st\n");
  test::TestContext ctx;
  CHECK(names(load_at(d.path(), ctx)) == std::vector<std::string>{"st"});
}

TEST_CASE("the manifest option names the file, a missing one is an error", "[find]") {
  test::TempDir d;
  auto f = d.write("other.yml", "name: x\n");
  test::TestContext ctx;
  CHECK(names(load_file(d.path(), ctx, f)) == std::vector<std::string>{"x"});
  CHECK_THROWS_WITH(load_file(d.path(), ctx, d.path() / "nope.yml"), Contains("does not exist"));
  CHECK_THROWS_WITH(load_file(d.path(), ctx, d.path()), Contains("expected a file, got a directory"));
}

TEST_CASE("no manifest is not an error", "[find]") {
  test::TempDir d;
  test::TestContext ctx;
  auto m = load_at(d.path(), ctx);
  CHECK(m.file.empty());
  CHECK(m.apps.empty());
}

TEST_CASE("inherit: relative to the including file, child wins, earlier parent wins", "[inherit]") {
  test::TempDir d;
  // Shared bases have no name of their own: they describe the including file's app.
  d.write("base/common.yml", "mem: 128\ninstances: 3\ncommand: from-common\n");
  d.write("base/first.yml", "inherit: common.yml\nmem: 256\n");
  d.write("base/second.yml", "mem: 999\ndisk: 4G\n");
  d.write("app/stackato.yml", "inherit:\n  - ../base/first.yml\n  - ../base/second.yml\nname: app\ninstances: 1\n");
  test::TestContext ctx;
  auto m = load_at(d.path() / "app", ctx);
  REQUIRE(names(m) == std::vector<std::string>{"app"});
  const App& a = m.apps[0];
  CHECK(a.instances == 1);         // child wins
  CHECK(a.memory_mb == 256);       // first (earlier) parent wins over second
  CHECK(a.disk_mb == 4096);        // only in the second parent
  CHECK(a.command == "from-common");  // recursive
  CHECK(a.path == d.path() / "app");   // the child's app-dir default wins
}

TEST_CASE("inherit: a parent that names its own app adds that app", "[inherit]") {
  test::TempDir d;
  d.write("base.yml", "applications:\n- name: worker\n");
  d.write("stackato.yml", "inherit: base.yml\nname: web\n");
  test::TestContext ctx;
  CHECK(names(load_at(d.path(), ctx)) == std::vector<std::string>{"web", "worker"});
}

TEST_CASE("inherit: cycles and missing files", "[inherit]") {
  test::TempDir d;
  d.write("a.yml", "inherit: b.yml\nname: a\n");
  d.write("b.yml", "inherit: a.yml\n");
  test::TestContext ctx;
  CHECK_THROWS_WITH(load_file(d.path(), ctx, d.path() / "a.yml"),
                    Contains("Circular manifest inheritance detected involving: "));
  d.write("c.yml", "inherit: [missing.yml]\nname: c\n");
  CHECK_THROWS_WITH(load_file(d.path(), ctx, d.path() / "c.yml"),
                    Contains("c.yml:1:11: Manifest error: Inherited manifest"));
}

TEST_CASE("applications: CF v1 mapping keyed by path, depends-on by path", "[apps]") {
  test::TempDir d;
  d.write("manifest.yml",
          "applications:\n  n1:\n    name: one\n    depends-on: [n2]\n  n2:\n    name: two\n");
  test::TestContext ctx;
  auto m = load_at(d.path(), ctx);
  CHECK(names(m) == std::vector<std::string>{"two", "one"});
  CHECK(m.apps[1].depends_on == std::vector<std::string>{"two"});
  CHECK(m.apps[0].path == d.path() / "n2");
}

TEST_CASE("applications: errors for missing names, all three variants", "[apps]") {
  CHECK_THAT(test::load_error("applications:\n  \".\":\n    mem: 256M\n", "manifest.yml"),
             Contains("Manifest error: Application @ path \".\" has no name"));
  CHECK_THAT(test::load_error("applications:\n- mem: 256M\n", "manifest.yml"),
             Contains("Manifest error: Application <0> has no name"));
  CHECK_THAT(test::load_error("command: node app.js\nmem: 256M\n"),
             Contains("Manifest error: The stackato application has no name"));
}

TEST_CASE("a name from the command line names a stackato.yml without one", "[apps]") {
  test::TempDir d;
  d.write("stackato.yml", "mem: 64\n");
  test::TestContext ctx;
  CHECK(names(load_at(d.path(), ctx, [](LoadOptions& o) { o.name = "given"; })) == std::vector<std::string>{"given"});
  d.write("stackato.yml", "name: x\n");
  CHECK_THROWS_WITH(load_at(d.path(), ctx, [](LoadOptions& o) { o.name = "other"; }),
                    Contains("Failed to find 'other' in manifest."));
}

TEST_CASE("depends-on: order, unknown references, cycles", "[apps]") {
  auto l = test::load_yaml(
      "applications:\n- name: web\n  depends-on: [api, worker]\n- name: api\n  depends-on: db\n"
      "- name: worker\n- name: db\n",
      "manifest.yml");
  CHECK(names(l->m) == std::vector<std::string>{"worker", "db", "api", "web"});
  CHECK_THAT(test::load_error("applications:\n- name: a\n  depends-on: [zz]\n", "manifest.yml"),
             Contains("Reference 'zz' in key \"depends-on\" is unknown."));
  CHECK_THAT(test::load_error("applications:\n- name: a\n  depends-on: b\n- name: b\n  depends-on: a\n", "manifest.yml"),
             Contains("Circular application dependency detected involving: a, b"));
  CHECK_THAT(test::load_error("applications:\n  n1:\n    name: a\n    depends-on: nowhere\n", "manifest.yml"),
             Contains("in key \"depends-on\" is unknown."));
}

TEST_CASE("selection by directory: inside an app's path only that app, elsewhere an error", "[apps]") {
  test::TempDir d;
  d.write("manifest.yml", "applications:\n- name: one\n  path: n1\n- name: two\n  path: n2\n  depends-on: one\n");
  d.write("n1/x", "");
  d.write("n2/x", "");
  d.write("other/x", "");
  test::TestContext ctx;
  CHECK(names(load_at(d.path(), ctx)) == std::vector<std::string>{"one", "two"});
  CHECK(names(load_at(d.path() / "n1", ctx)) == std::vector<std::string>{"one"});
  // An app's dependencies come along.
  CHECK(names(load_at(d.path() / "n2", ctx)) == std::vector<std::string>{"one", "two"});
  CHECK_THROWS_WITH(load_at(d.path() / "other", ctx), Contains("is not known to the manifest"));
}

TEST_CASE("stackato part and CF part in one file are merged, stackato wins", "[apps]") {
  auto l = test::load_yaml(
      "name: node-env1\napp-dir: n1\nmem: 256M\napplications:\n  n2:\n    name: node-env2\n"
      "  n1:\n    name: node-env1\n    mem: 64M\n    instances: 4\n");
  REQUIRE(names(l->m) == std::vector<std::string>{"node-env1", "node-env2"});
  CHECK(l->m.apps[0].memory_mb == 256);
  CHECK(l->m.apps[0].instances == 4);
}

TEST_CASE("the upload manifest has one app with a relative path", "[apps]") {
  test::TempDir d;
  d.write("manifest.yml", "applications:\n- name: one\n  path: n1\n  mem: 64\n");
  test::TestContext ctx;
  auto m = load_at(d.path(), ctx);
  std::string up = upload_manifest(m, m.apps[0]);
  CHECK_THAT(up, Contains("applications:\n  - name: one\n"));
  CHECK_THAT(up, Contains("path: n1"));
  CHECK_THAT(up, Contains("memory: 64"));
}
