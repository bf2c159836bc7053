// Every real-world stackato.yml in shared/corpus/stackato-yml loads, or fails with a clear
// one-line error when it is broken on its own.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "support.hpp"

using namespace stackato::manifest;
namespace fs = std::filesystem;

namespace {
const fs::path kCorpus = fs::path(STACKATO_SHARED_DIR) / "corpus" / "stackato-yml";

// Files that cannot load on their own, and why. Anything else must load.
const std::map<std::string, std::string> kBroken = {
    {"Mossop__hgchangefeed__stackato.yml", "Inherited manifest \"base/stackato.yml\" does not exist"},
};

std::map<std::string, std::string> top_level_keys() {
  std::map<std::string, std::string> out;
  std::ifstream index(kCorpus / "INDEX.tsv");
  std::string line;
  std::getline(index, line);  // header
  while (std::getline(index, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto first = line.find('\t');
    auto last = line.rfind('\t');
    std::string keys = ",";  // (not "," + x + ",": GCC 12 -O3 warns falsely, -Wrestrict)
    keys += line.substr(last + 1);
    keys += ',';
    out[line.substr(0, first)] = keys;
  }
  return out;
}
}  // namespace

TEST_CASE("corpus: every real-world stackato.yml", "[corpus]") {
  auto keys = top_level_keys();
  int loaded = 0, files = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    std::string file = entry.path().filename().string();
    if (entry.path().extension() != ".yml") continue;
    ++files;
    INFO("file " << file);
    test::TestContext ctx;
    LoadOptions o;
    o.path = kCorpus;
    o.file = entry.path();
    try {
      Manifest m;
      try {
        m = load(o, ctx);
      } catch (const Error& e) {
        // Files without `name:` were pushed as `stackato push NAME`.
        if (std::string(e.what()).find("has no name") == std::string::npos) throw;
        o.name = "corpus-app";
        m = load(o, ctx);
      }
      CHECK_FALSE(kBroken.count(file));
      REQUIRE_FALSE(m.apps.empty());
      const App& app = m.apps[0];
      CHECK_FALSE(app.name.empty());
      const std::string& k = keys[file];
      if (k.find(",services,") != std::string::npos) CHECK_FALSE(app.services.empty());
      if (k.find(",hooks,") != std::string::npos) CHECK_FALSE(app.hooks.empty());
      ++loaded;
    } catch (const Error& e) {
      std::string what = e.what();
      INFO(what);
      REQUIRE(kBroken.count(file));
      CHECK_THAT(what, Catch::Contains(kBroken.at(file)));
      CHECK_THAT(what, Catch::Contains(file));
    }
  }
  CHECK(files >= 150);
  CHECK(loaded == files - static_cast<int>(kBroken.size()));
}
