// kato relocate on a data dir of files (kato stopped): a rename on one filesystem, a copy to
// another (/dev/shm), and the reruns that finish a relocation interrupted at each step.
#include "backup/relocate.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

struct Tmp {
  fs::path dir;
  explicit Tmp(const char* base = "/tmp") {
    std::string t = std::string(base) + "/relocate_test.XXXXXX";
    dir = ::mkdtemp(t.data());
  }
  ~Tmp() { fs::remove_all(dir); }
};

void write_file(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
}
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path data_dir(const fs::path& root) {
  fs::path data = root / "data";
  write_file(data / "services" / "mysql" / "data" / "ibdata1", "rows");
  write_file(data / "services" / "ports.json", "{}");
  fs::create_directory_symlink("mysql", data / "services" / "link");
  return data;
}

// A data dir in /tmp and a second filesystem (tmpfs) to move to; without /dev/shm the test is
// skipped with a warning.
bool have_shm() {
  if (fs::is_directory("/dev/shm")) return true;
  WARN("no /dev/shm");
  return false;
}
struct TwoFilesystems {
  Tmp t;
  Tmp other{"/dev/shm"};
  fs::path data = data_dir(t.dir);
};

}  // namespace

TEST_CASE("relocate on the same filesystem renames and links", "[backup]") {
  Tmp t;
  fs::path data = data_dir(t.dir);
  REQUIRE_THROWS_WITH(kato::backup::relocate(data, "services", t.dir / "big" / "services"), Catch::Contains("no such directory"));
  fs::create_directories(t.dir / "big");
  kato::backup::relocate(data, "services", t.dir / "big" / "services");
  CHECK(fs::is_symlink(data / "services"));
  CHECK(slurp(data / "services" / "mysql" / "data" / "ibdata1") == "rows");
  CHECK(fs::is_symlink(t.dir / "big" / "services" / "link"));
  CHECK(!fs::exists(data / "relocate.json"));
  // And again, somewhere else: the link moves with it.
  kato::backup::relocate(data, "services", t.dir / "bigger");
  CHECK(fs::read_symlink(data / "services") == t.dir / "bigger");
  CHECK(!fs::exists(t.dir / "big" / "services"));
  CHECK(slurp(data / "services" / "ports.json") == "{}");
}

TEST_CASE("relocate to another filesystem copies, compares, then deletes", "[backup]") {
  if (!have_shm()) return;
  TwoFilesystems two;
  auto& [t, other, data] = two;
  auto messages = kato::backup::relocate(data, "droplets", other.dir / "droplets");  // blobs: made empty
  fs::path blobs_place = other.dir / "droplets";
  CHECK(fs::is_directory(blobs_place));
  messages = kato::backup::relocate(data, "services", other.dir / "services");
  std::string all;
  for (auto& m : messages) all += m + "\n";
  CHECK_THAT(all, Catch::Contains("Copied"));
  CHECK_THAT(all, Catch::Contains("tmpfs"));  // the warning
  CHECK(slurp(data / "services" / "mysql" / "data" / "ibdata1") == "rows");
  CHECK(fs::canonical(data / "services") == fs::canonical(other.dir / "services"));
  CHECK(!fs::exists(other.dir / "services.partial"));
}

TEST_CASE("an interrupted copy is started over; an interrupted delete is finished", "[backup]") {
  if (!have_shm()) return;
  TwoFilesystems two;
  auto& [t, other, data] = two;
  fs::path to = other.dir / "services";
  fs::path from = fs::canonical(data / "services");
  // Killed while copying: a partial copy and the journal.
  write_file(fs::path(to.string() + ".partial") / "half", "x");
  write_file(data / "relocate.json",
             nlohmann::json({{"part", "services"}, {"from", from.string()}, {"to", to.string()}, {"state", "moving"}}).dump());
  REQUIRE_THROWS_WITH(kato::backup::relocate(data, "containers", other.dir / "c"), Catch::Contains("was interrupted"));
  REQUIRE_THROWS_WITH(kato::backup::relocate(data, "services", other.dir / "elsewhere"), Catch::Contains("was interrupted"));
  kato::backup::relocate(data, "services", to);
  CHECK(!fs::exists(to / "half"));
  CHECK(slurp(data / "services" / "mysql" / "data" / "ibdata1") == "rows");

  // Killed while deleting the original after a complete copy.
  Tmp t2;
  data = data_dir(t2.dir);
  from = fs::canonical(data / "services");
  fs::path to2 = other.dir / "services2";
  REQUIRE(std::system(("cp -a " + from.string() + " " + to2.string()).c_str()) == 0);
  fs::remove(from / "ports.json");  // half deleted
  write_file(data / "relocate.json",
             nlohmann::json({{"part", "services"}, {"from", from.string()}, {"to", to2.string()}, {"state", "moved"}}).dump());
  kato::backup::relocate(data, "services", to2);
  CHECK(fs::is_symlink(data / "services"));
  CHECK(slurp(data / "services" / "ports.json") == "{}");
  CHECK(!fs::exists(data / "relocate.json"));
}

TEST_CASE("relocate refuses a target that has files, or lies inside the part", "[backup]") {
  Tmp t;
  fs::path data = data_dir(t.dir);
  write_file(t.dir / "full" / "x", "x");
  REQUIRE_THROWS_WITH(kato::backup::relocate(data, "services", t.dir / "full"), Catch::Contains("not an empty directory"));
  REQUIRE_THROWS_WITH(kato::backup::relocate(data, "services", data / "services" / "inner"), Catch::Contains("inside"));
  REQUIRE_THROWS_WITH(kato::backup::part_dir(data, "logs"), Catch::Contains("unknown part"));
  CHECK(!fs::exists(data / "relocate.json"));
}
