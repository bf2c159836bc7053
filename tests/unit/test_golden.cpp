// The original client's manifest cases (shared/corpus/stackato-cli-tests): our normalised output
// must mean what its debug-manifest and debug-upload-manifest printed.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "support.hpp"

using namespace stackato::manifest;
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

const fs::path kTests = fs::path(STACKATO_SHARED_DIR) / "corpus" / "stackato-cli-tests";

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t i = 0; (i = s.find(from, i)) != std::string::npos; i += to.size()) s.replace(i, from.size(), to);
  return s;
}

// Both sides in one vocabulary: YAML 1.1 booleans as true/false, numbers and strings as text,
// keys in sorted order (the original dumped sorted keys).
nlohmann::json canon(const json& v) {
  if (v.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, child] : v.items()) out[k] = canon(child);
    return out;
  }
  if (v.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& child : v) out.push_back(canon(child));
    return out;
  }
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    for (const char* t : {"yes", "Yes", "true", "on"})
      if (s == t) return "true";
    for (const char* f : {"no", "No", "false", "off"})
      if (s == f) return "false";
    return s;
  }
  return "~";
}

json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : n) out[kv.first.Scalar()] = yaml_to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : n) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: return n.Scalar();
    default: return nullptr;
  }
}

// The expected dump, with the harness placeholders filled in.
json expected_apps(const fs::path& result, const fs::path& appdir, bool v2_upload) {
  std::string text = slurp(result);
  text = text.substr(text.find('\n') + 1);  // "Using manifest file ..."
  // App paths are absolute and canonical (symlinks resolved), wherever shared/ lives.
  text = replace_all(replace_all(text, "@APPDIR@", fs::weakly_canonical(appdir).string()), "@BASE@", "example.com");
  json doc = yaml_to_json(YAML::Load(text));
  json apps = json::object();
  if (v2_upload) {
    for (const auto& a : doc["applications"]) apps[a["name"].get<std::string>()] = a;
  } else {
    apps = doc["applications"];
  }
  return apps;
}

// What the original printed for memory and instances is before push forced the minimums.
void adjust(json& app, long min_memory) {
  if (app.contains("memory")) {
    long mb = parse_memspec(app["memory"].is_string() ? app["memory"].get<std::string>() : app["memory"].dump());
    app["memory"] = std::max(mb, min_memory);
  }
  if (app.contains("instances")) app["instances"] = std::max<long>(1, std::stol(app["instances"].get<std::string>()));
}

Manifest load_case(const std::string& name, test::TestContext& ctx) {
  ctx.target = "https://api.example.com";
  ctx.types = std::vector<std::string>{"mysql", "postgresql", "redis", "mongodb", "filesystem",
                                       "memcached", "rabbitmq", "harbor", "user-provided"};
  LoadOptions o;
  o.path = kTests / "apps" / name;
  return load(o, ctx);
}

std::vector<std::string> cases_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".txt") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("golden: debug-manifest results (results-imanifest)", "[golden]") {
  auto cases = cases_in(kTests / "results-imanifest");
  REQUIRE(cases.size() >= 30);
  for (const auto& name : cases) {
    INFO("case " << name);
    test::TestContext ctx;
    Manifest m = load_case(name, ctx);
    json want = expected_apps(kTests / "results-imanifest" / (name + ".txt"), kTests / "apps" / name, false);
    REQUIRE(m.apps.size() == want.size());
    for (const auto& app : m.apps) {
      INFO("app " << app.name);
      REQUIRE(want.contains(app.name));
      json w = want[app.name];
      adjust(w, ctx.min_memory);
      CHECK(canon(app.json) == canon(w));
    }
  }
}

TEST_CASE("golden: the compiled upload manifest (results-umanifest2)", "[golden]") {
  for (const auto& name : cases_in(kTests / "results-umanifest2")) {
    if (name.find("env-manifest.yml") == 0 && name != "env-manifest.yml-v2") continue;  // not YAML
    INFO("case " << name);
    test::TestContext ctx;
    Manifest m = load_case(name, ctx);
    json want = expected_apps(kTests / "results-umanifest2" / (name + ".txt"), kTests / "apps" / name, true);
    REQUIRE(want.size() == 1);
    const std::string app_name = want.begin().key();
    auto it = std::find_if(m.apps.begin(), m.apps.end(), [&](const App& a) { return a.name == app_name; });
    REQUIRE(it != m.apps.end());
    json got = yaml_to_json(YAML::Load(upload_manifest(m, *it)))["applications"][0];
    json w = want[app_name];
    adjust(w, ctx.min_memory);
    CHECK(canon(got) == canon(w));
  }
}

TEST_CASE("golden: multi-app push order follows depends-on (results/*.txt)", "[golden]") {
  for (const char* name : {"multi-depends-on", "multi-depends-on-v2", "multi-inherit", "multi-manifest.yml",
                           "multi-stackato.yml-m", "multi-stackato.yml-s"}) {
    INFO("case " << name);
    std::string text = slurp(kTests / "results" / (std::string(name) + ".txt"));
    std::vector<std::string> deployed;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      if (auto p = line.find("http://"); p != std::string::npos)
        deployed.push_back(line.substr(p + 7, line.find(".@BASE@") - p - 7));
    test::TestContext ctx;
    Manifest m = load_case(name, ctx);
    std::vector<std::string> order;
    for (const auto& a : m.apps) order.push_back(a.name);
    CHECK(order == deployed);
  }
}

TEST_CASE("golden: the services case, name in service names", "[golden]") {
  test::TestContext ctx;
  Manifest m = load_case("services", ctx);
  std::map<std::string, std::string> got;
  for (const auto& s : m.apps[0].services) got[s.name] = s.type;
  CHECK(got == std::map<std::string, std::string>{
                   {"fs-node-env", "filesystem"}, {"po-node-env", "harbor"}, {"mc-node-env", "memcached"},
                   {"mo-node-env", "mongodb"}, {"ms-node-env", "mysql"}, {"ps-node-env", "postgresql"},
                   {"rm-node-env", "rabbitmq"}, {"re-node-env", "redis"}});
}

TEST_CASE("golden: the error cases and the original's messages", "[golden]") {
  const std::pair<const char*, const char*> cases[] = {
      {"as-err-maxi-noint1", "Expected integer value >= 1 for key \"autoscale:instances:max\", got \"foo\""},
      {"as-err-maxi-noint2", "Expected integer value >= 1 for key \"autoscale:instances:max\", got \"\""},
      {"as-err-maxi-range", "Expected integer value >= 1 for key \"autoscale:instances:max\", got \"0\""},
      {"as-err-maxt-nodbl1", "Expected percentage for key \"autoscale:cpu:max\", got \"foo\""},
      {"as-err-maxt-nodbl2", "Expected percentage for key \"autoscale:cpu:max\", got \"\""},
      {"as-err-maxt-range1", "Expected percentage for key \"autoscale:cpu:max\", got \"-1\""},
      {"as-err-maxt-range2", "Expected percentage for key \"autoscale:cpu:max\", got \"101\""},
      {"hooks-syntax", "Expected a yaml scalar for element of sequence key \"hooks:pre-running\", got a mapping"},
      {"legacy-err", "Legacy-based worker application requesting an url mapping"},
      {"legacy-war-err", "Legacy-based application needs force-war-unpacking, user-set value is in conflict."},
      {"legacy-war-err2", "Expected boolean value for key \"stackato:force-war-unpacking\", got \"not-a-boolean\""},
      {"no-name-m-v1", "Application @ path \".\" has no name"},
      {"no-name-m-v2", "Application <0> has no name"},
      {"no-name-s", "The stackato application has no name"},
      {"sso_err", "Expected boolean value for key \"sso-enabled\", got \"notboolean\""},
      {"war-err", "Expected boolean value for key \"force-war-unpacking\", got \"not-a-boolean\""},
  };
  for (const auto& [name, message] : cases) {
    INFO("case " << name);
    test::TestContext ctx;
    try {
      load_case(name, ctx);
      FAIL("no error");
    } catch (const Error& e) {
      std::string what = e.what();
      CHECK_THAT(what, Catch::Contains(message));
      CHECK(e.line() > 0);  // and it says where
      CHECK(what.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("golden: ignores cases", "[golden]") {
  test::TestContext ctx;
  auto empty = load_case("ignores-empty", ctx);
  CHECK(empty.apps[0].ignores == std::vector<std::string>{});
  auto other = load_case("ignores-other", ctx);
  CHECK(other.apps[0].ignores == std::vector<std::string>{".git/", "*LOG"});
}
