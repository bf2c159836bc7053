// Every key of stackato-cli.md §2.2 and its normal form.
#include <catch2/catch.hpp>

#include "support.hpp"

using namespace stackato::manifest;
using Catch::Contains;
using Strings = std::vector<std::string>;

TEST_CASE("name, app-dir and path", "[keys]") {
  auto l = test::load_yaml("name: app\napp-dir: src\n");
  CHECK(l->m.apps[0].name == "app");
  CHECK(l->m.apps[0].path == l->dir.path() / "src");
}

TEST_CASE("instances: default unset, below 1 forced to 1 with the original's message", "[keys]") {
  CHECK_FALSE(test::load_yaml("name: a\n")->m.apps[0].instances);
  CHECK(test::load_yaml("name: a\ninstances: 2\n")->m.apps[0].instances == 2);
  for (const char* n : {"0", "-1"}) {
    auto l = test::load_yaml(std::string("name: a\ninstances: ") + n + "\n");
    CHECK(l->m.apps[0].instances == 1);
    CHECK(l->ctx.warned("Forcing use of minimum instances requirement: 1"));
  }
  CHECK_THAT(test::load_error("name: a\ninstances: many\n"),
             Contains("Expected integer value >= "));
  // Found by the fuzzer: a number that fits a long but not an int used to abort the loader.
  CHECK_THAT(test::load_error("name: a\ninstances: 99999999999\n"),
             Contains("Expected integer value <= 10000 for key \"instances\", got \"99999999999\""));
  CHECK_THAT(test::load_error("name: a\ntimeout: 99999999999\n"), Contains("<= 86400"));
  CHECK_THAT(test::load_error("name: a\nmem: 99999999999999G\n"), Contains("Expected a size for key \"memory\""));
}

TEST_CASE("mem and memory, disk and disk_quota", "[keys]") {
  CHECK(test::load_yaml("name: a\nmem: 1G\n")->m.apps[0].memory_mb == 1024);
  CHECK(test::load_yaml("name: a\nmemory: 512M\n")->m.apps[0].memory_mb == 512);
  CHECK(test::load_yaml("name: a\nmem: 128\nmemory: 512\n")->m.apps[0].memory_mb == 128);  // mem wins
  CHECK(test::load_yaml("name: a\ndisk: 2G\n")->m.apps[0].disk_mb == 2048);
  CHECK(test::load_yaml("name: a\ndisk: 1G\ndisk_quota: 3G\n")->m.apps[0].disk_mb == 3072);  // disk_quota wins
  auto l = test::load_yaml("name: a\nmem: 1.5G\n");
  CHECK(l->m.apps[0].json["memory"] == 1536);  // MB, a number in JSON
}

TEST_CASE("urls: url, urls, host, subdomain, domain, routes, no-route", "[keys]") {
  auto urls = [](const std::string& yaml) { return test::load_yaml("name: app\n" + yaml)->m.apps[0].urls; };
  CHECK_FALSE(urls(""));  // no URL at all: the default route, decided at push
  CHECK(urls("url: App.Example.COM\n") == Strings{"app.example.com"});
  CHECK(urls("urls:\n  - a.x.org\n  - b.x.org\n") == Strings{"a.x.org", "b.x.org"});
  CHECK(urls("url: a.x.org\nurls: [b.x.org]\n") == Strings{"a.x.org", "b.x.org"});
  CHECK(urls("host: e1\nsubdomain: e2\ndomain: d.org\n") == Strings{"e1.d.org", "e2.d.org"});
  CHECK(urls("domain: d.org\n") == Strings{"app.d.org"});
  CHECK(urls("routes:\n  - route: r.d.org\n") == Strings{"r.d.org"});
  CHECK(urls("no-route: true\n") == Strings{});
  CHECK(urls("url: []\n") == Strings{});
  CHECK_THAT(test::load_error("name: a\nurl: x.org\nno-route: true\n"), Contains("conflicts with the urls"));
  CHECK_THAT(test::load_error("name: a\nurls:\n  x: y\n"), Contains("Expected a yaml scalar or sequence for key \"urls\""));
}

TEST_CASE("framework forms", "[keys]") {
  auto a = test::load_yaml("name: a\nframework: python\n")->m.apps[0];
  CHECK(a.framework == "python");
  auto b = test::load_yaml("name: a\nframework:\n  type: perl\n  runtime: perl516\n")->m.apps[0];
  CHECK(b.framework == "perl");
  CHECK(b.runtime == "perl516");
  CHECK(b.json["framework"] == nlohmann::ordered_json{{"name", "perl"}});
  // Any legacy framework forces force-war-unpacking.
  CHECK(b.json["stackato"]["force-war-unpacking"] == true);
}

TEST_CASE("buildpack, stack, docker_image, command", "[keys]") {
  auto a = test::load_yaml("name: a\nbuildpack: https://x/bp.git\nstack: cflinuxfs4\ndocker_image: nginx\ncommand: ./run\n")->m.apps[0];
  CHECK(a.buildpack == "https://x/bp.git");
  CHECK(a.stack == "cflinuxfs4");
  CHECK(a.docker_image == "nginx");
  CHECK(a.command == "./run");
}

TEST_CASE("processes: web command, and null means a worker", "[keys]") {
  auto web = test::load_yaml("name: a\nprocesses:\n  web: ./serve\n")->m.apps[0];
  CHECK(web.web_command == "./serve");
  CHECK_FALSE(web.worker);
  for (const char* null_form : {"~", "null", ""}) {
    auto w = test::load_yaml(std::string("name: a\nprocesses:\n  web: ") + null_form + "\n")->m.apps[0];
    CHECK(w.worker);
    CHECK_FALSE(w.web_command);
  }
}

TEST_CASE("legacy workers: urls forced empty, an explicit url is an error", "[keys]") {
  auto sa = test::load_yaml("name: a\nframework:\n  type: standalone\ncommand: x\n")->m.apps[0];
  CHECK(sa.worker);
  CHECK(sa.urls == Strings{});
  CHECK_THAT(test::load_error("name: a\nframework:\n  type: standalone\nurl: foo\n"),
             Contains("Manifest error: Legacy-based worker application requesting an url mapping"));
}

TEST_CASE("force-war-unpacking with a legacy framework: conflict and boolean checks", "[keys]") {
  CHECK_THAT(test::load_error("force-war-unpacking: no\nframework:\n  name: node\nname: a\n"),
             Contains("Legacy-based application needs force-war-unpacking, user-set value is in conflict."));
  CHECK_THAT(test::load_error("force-war-unpacking: not-a-boolean\nframework:\n  name: node\nname: a\n"),
             Contains("Expected boolean value for key \"stackato:force-war-unpacking\", got \"not-a-boolean\""));
  CHECK_THAT(test::load_error("force-war-unpacking: not-a-boolean\nname: a\n"),
             Contains("Expected boolean value for key \"force-war-unpacking\", got \"not-a-boolean\""));
}

TEST_CASE("hooks: scalar or list, all five kinds", "[keys]") {
  auto a = test::load_yaml(
      "name: a\nhooks:\n  pre-push: make\n  pre-staging: [a, b]\n  post-staging: perl preload.pl\n"
      "  pre-running:\n    - c\n  legacy-running: d\n")->m.apps[0];
  CHECK(a.hooks.at("pre-push") == Strings{"make"});
  CHECK(a.hooks.at("pre-staging") == Strings{"a", "b"});
  CHECK(a.hooks.at("post-staging") == Strings{"perl preload.pl"});
  CHECK(a.hooks.at("pre-running") == Strings{"c"});
  CHECK(a.hooks.at("legacy-running") == Strings{"d"});
  auto l = test::load_yaml("name: a\nhooks:\n  post-deploy: x\n");
  CHECK(l->ctx.warned("Unknown key \"hooks:post-deploy\""));
}

TEST_CASE("a hook that YAML reads as a mapping gets a hint to quote it", "[keys]") {
  auto msg = test::load_error("name: a\nhooks:\n  pre-running:\n  - echo \"hello world: again\"\n");
  CHECK_THAT(msg, Contains(":4:5: Manifest validation error: Expected a yaml scalar for element of "
                           "sequence key \"hooks:pre-running\", got a mapping"));
  CHECK_THAT(msg, Contains("quote the command"));
}

TEST_CASE("requirements, cron, ignores", "[keys]") {
  auto a = test::load_yaml(
      "name: a\nrequirements:\n  pip: [flask]\n  ubuntu:\n    - [\"ppa:x/y\"]\n    - clang\n"
      "  staging:\n    ubuntu: git\n  running:\n    unix: svn\n"
      "cron:\n  - \"@daily ./job\"\nignores: [\".git/\", \"*.log\"]\n")->m.apps[0];
  CHECK(a.json["stackato"]["requirements"]["pip"] == nlohmann::ordered_json{"flask"});
  CHECK(a.json["stackato"]["requirements"]["staging"]["ubuntu"] == nlohmann::ordered_json{"git"});
  CHECK(a.cron == Strings{"@daily ./job"});
  CHECK(a.ignores == Strings{".git/", "*.log"});
  CHECK_THAT(test::load_error("name: a\nignores: \"*.log\"\n"), Contains("Expected a yaml sequence for key \"ignores\""));
}

TEST_CASE("drain, timeout, placement-zone, description, sso-enabled", "[keys]") {
  auto a = test::load_yaml(
      "name: a\ndrain:\n  d1: tcp://x:1\n  d2:\n    url: udp://y:2\n    json: yes\n"
      "timeout: 30\nplacementzone: z1\ndescription: hi\nsso-enabled: yes\n")->m.apps[0];
  CHECK(a.json["stackato"]["drain"]["d1"]["url"] == "tcp://x:1");
  CHECK(a.json["stackato"]["drain"]["d2"]["json"] == true);
  CHECK(a.timeout == 30);
  CHECK(a.json["stackato"]["placement-zone"] == "z1");
  CHECK(a.json["stackato"]["description"] == "hi");
  CHECK(a.json["stackato"]["sso-enabled"] == true);
  CHECK_THAT(test::load_error("name: a\ntimeout: 0\n"), Contains("Expected integer value >= 1 for key \"timeout\", got \"0\""));
  CHECK_THAT(test::load_error("name: a\nsso-enabled: notboolean\n"),
             Contains("Expected boolean value for key \"sso-enabled\", got \"notboolean\""));
}

TEST_CASE("health checks: type, http endpoint, invocation timeout", "[keys]") {
  auto a = test::load_yaml("name: a\nhealth-check-type: http\nhealth-check-http-endpoint: /health\n"
                           "health-check-invocation-timeout: 5\ntimeout: 90\n")->m.apps[0];
  CHECK(a.health_check_type == "http");
  CHECK(a.health_check_endpoint == "/health");
  CHECK(a.health_check_invocation_timeout == 5);
  CHECK(a.timeout == 90);
  CHECK(test::load_yaml("name: a\nhealth-check-type: none\n")->m.apps[0].health_check_type == "process");
  CHECK_FALSE(test::load_yaml("name: a\n")->m.apps[0].health_check_type);
  // The CF form reads the same keys.
  CHECK(test::load_yaml("applications:\n- name: a\n  health-check-type: port\n")->m.apps[0].health_check_type == "port");
  CHECK_THAT(test::load_error("name: a\nhealth-check-type: tcp\n"),
             Contains("Expected one of 'port', 'http' or 'process' for key \"health-check-type\", got \"tcp\""));
  CHECK_THAT(test::load_error("name: a\nhealth-check-type: port\nhealth-check-http-endpoint: /h\n"),
             Contains("stackato.yml:3:29: Manifest error: Key \"health-check-http-endpoint\" needs health-check-type http, not \"port\""));
  CHECK_THAT(test::load_error("name: a\nhealth-check-http-endpoint: health\n"),
             Contains("Expected a path starting with / for key \"health-check-http-endpoint\", got \"health\""));
  CHECK_THAT(test::load_error("name: a\nhealth-check-invocation-timeout: 0\n"),
             Contains("Expected integer value >= 1 for key \"health-check-invocation-timeout\", got \"0\""));
}

TEST_CASE("autoscale: the original's range and type checks", "[keys]") {
  auto a = test::load_yaml("name: a\nautoscale:\n  enabled: yes\n  instances:\n    min: 3\n    max: 15\n  cpu:\n    min: 20\n    max: 80\n")->m.apps[0];
  CHECK(a.json["stackato"]["autoscale"]["instances"]["max"] == 15);
  const std::pair<const char*, const char*> cases[] = {
      {"instances:\n    max: foo", "Expected integer value >= 1 for key \"autoscale:instances:max\", got \"foo\""},
      {"instances:\n    max: \"\"", "Expected integer value >= 1 for key \"autoscale:instances:max\", got \"\""},
      {"instances:\n    max: 0", "Expected integer value >= 1 for key \"autoscale:instances:max\", got \"0\""},
      {"cpu:\n    max: foo", "Expected percentage for key \"autoscale:cpu:max\", got \"foo\""},
      {"cpu:\n    max: \"\"", "Expected percentage for key \"autoscale:cpu:max\", got \"\""},
      {"cpu:\n    max: -1", "Expected percentage for key \"autoscale:cpu:max\", got \"-1\""},
      {"cpu:\n    max: 101", "Expected percentage for key \"autoscale:cpu:max\", got \"101\""},
      {"instances:\n    min: 5\n    max: 2", "to be at most"},
  };
  for (const auto& [yaml, message] : cases)
    CHECK_THAT(test::load_error(std::string("name: a\nautoscale:\n  ") + yaml + "\n"), Contains(message));
}

TEST_CASE("env: both forms, and CF env wins over stackato:env", "[keys]") {
  auto l = test::load_yaml(
      "applications:\n- name: a\n  env:\n    A: cf\n    C: only-cf\n  stackato:\n    env:\n      A: stackato\n      B:\n        default: b\n",
      "manifest.yml");
  const App& app = l->m.apps[0];
  std::map<std::string, std::string> got;
  for (const auto& v : app.env) got[v.name] = v.default_value.value_or("");
  CHECK(got == std::map<std::string, std::string>{{"A", "cf"}, {"B", "b"}, {"C", "only-cf"}});
}

TEST_CASE("env values stay strings, whatever YAML would make of them", "[keys]") {
  auto l = test::load_yaml("name: a\nenv:\n  DEBUG: yes\n  PORT: 8080\n  EMPTY:\n");
  CHECK(l->m.apps[0].json["stackato"]["env"]["DEBUG"]["default"] == "yes");
  CHECK(l->m.apps[0].json["stackato"]["env"]["PORT"]["default"] == "8080");
  CHECK(l->m.apps[0].json["stackato"]["env"]["EMPTY"]["default"] == "");
}

TEST_CASE("env attribute checks: illegal keys, scope, missing default, hidden with choices", "[keys]") {
  CHECK_THAT(test::load_error("name: a\nenv:\n  V:\n    defualt: x\n"), Contains("Found illegal key \"env:V:defualt\""));
  CHECK_THAT(test::load_error("name: a\nenv:\n  V:\n    default: x\n    scope: build\n"),
             Contains("Expected one of 'both', 'runtime' or 'staging' for key \"env:V:scope\", got \"build\""));
  CHECK_THAT(test::load_error("name: a\nenv:\n  V:\n    prompt: Value?\n"),
             Contains("Bad description of variable \"V\", not required, default value missing"));
  CHECK_THAT(test::load_error("name: a\nenv:\n  V:\n    required: yes\n    hidden: yes\n    choices: [a, b]\n"),
             Contains("\"hidden\" cannot be combined with \"choices\""));
  auto ok = test::load_yaml("name: a\nenv:\n  V:\n    required: yes\n    scope: staging\n    prompt: Give V\n");
  CHECK(ok->m.apps[0].env[0].required);
  CHECK(ok->m.apps[0].env[0].scope == "staging");
}

TEST_CASE("unknown keys warn and do not fail, unknown top-level keys become properties", "[keys]") {
  auto l = test::load_yaml("name: a\nfoo: bar\ncommand: ${foo}\n");
  CHECK(l->ctx.warned("Manifest warning: Unknown key \"foo\""));
  CHECK(l->m.apps[0].command == "bar");
  CHECK(l->m.json["properties"]["foo"] == "bar");
  int count = 0;
  for (const auto& w : l->ctx.warnings) count += w.find("\"foo\"") != std::string::npos;
  CHECK(count == 1);  // said once, not again for every app it is copied into
}

TEST_CASE("a CF manifest with shared top-level keys and no top-level name", "[keys]") {
  auto l = test::load_yaml("memory: 512M\ninstances: 2\napplications:\n- name: a\n- name: b\n  memory: 1G\n", "manifest.yml");
  REQUIRE(l->m.apps.size() == 2);
  CHECK(l->m.apps[0].memory_mb == 512);
  CHECK(l->m.apps[0].instances == 2);
  CHECK(l->m.apps[1].memory_mb == 1024);
}

TEST_CASE("stackato-only keys inside a CF application block are honoured", "[keys]") {
  auto l = test::load_yaml("applications:\n- name: a\n  hooks:\n    pre-running: echo hi\n", "manifest.yml");
  CHECK(l->m.apps[0].hooks.at("pre-running") == Strings{"echo hi"});
}
