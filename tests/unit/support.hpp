#pragma once
// Test helpers: throw-away app directories and a context whose answers the test chooses.

#include <deque>
#include <functional>
#include <memory>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include "stackato/manifest/manifest.hpp"

namespace test {

namespace fs = std::filesystem;

// A temporary directory, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("stackato-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path write(const std::string& rel, const std::string& text) const {
    fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  fs::path path_;
};

// Offline by default; set the fields to act as a logged-in target or a user at a terminal.
class TestContext : public stackato::manifest::Context {
 public:
  std::string target = "https://api.example.com:8443";
  std::optional<std::vector<std::string>> domains;
  std::optional<std::vector<std::string>> types;
  bool is_interactive = false;
  std::deque<std::string> answers;   // for ask() and choose(), in order
  std::vector<std::string> prompts;  // what was asked
  std::map<std::string, std::string> env;
  std::deque<std::string> words = {"1a2b", "3c4d", "5e6f", "7a8b"};
  std::vector<std::string> warnings;
  long min_memory = 1;

  std::string target_url() override { return target; }
  std::optional<std::vector<std::string>> space_domains() override { return domains; }
  std::optional<std::vector<std::string>> service_types() override { return types; }
  long minimum_memory_mb() override { return min_memory; }
  bool interactive() override { return is_interactive; }
  std::string ask(const std::string& prompt, bool) override {
    prompts.push_back(prompt);
    return next();
  }
  std::string choose(const std::string& prompt, const std::vector<std::string>&) override {
    prompts.push_back(prompt);
    return next();
  }
  std::optional<std::string> getenv(const std::string& name) override {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  }
  std::string random_word() override {
    std::string w = words.front();
    words.pop_front();
    words.push_back(w);
    return w;
  }
  void warn(const std::string& message) override { warnings.push_back(message); }

  bool warned(const std::string& part) const {
    for (const auto& w : warnings)
      if (w.find(part) != std::string::npos) return true;
    return false;
  }

 private:
  std::string next() {
    if (answers.empty()) return {};
    std::string a = answers.front();
    answers.pop_front();
    return a;
  }
};

// Loads the manifest for an app directory; `tweak` sets more options (file, name, as_name).
inline stackato::manifest::Manifest load_at(const fs::path& path, TestContext& ctx,
                                            std::function<void(stackato::manifest::LoadOptions&)> tweak = {}) {
  stackato::manifest::LoadOptions o;
  o.path = path;
  if (tweak) tweak(o);
  return stackato::manifest::load(o, ctx);
}

// Loads `yaml` written as stackato.yml (or the given file name) in a fresh directory.
struct Loaded {
  TempDir dir;
  TestContext ctx;
  stackato::manifest::Manifest m;
};

inline std::unique_ptr<Loaded> load_yaml(const std::string& yaml, const std::string& file = "stackato.yml",
                                         std::function<void(TestContext&)> setup = {}) {
  auto out = std::make_unique<Loaded>();
  out->dir.write(file, yaml);
  if (setup) setup(out->ctx);
  stackato::manifest::LoadOptions o;
  o.path = out->dir.path();
  out->m = stackato::manifest::load(o, out->ctx);
  return out;
}

// The error message load() throws for `yaml`, or "" when it loads.
inline std::string load_error(const std::string& yaml, const std::string& file = "stackato.yml",
                              std::function<void(TestContext&)> setup = {}) {
  try {
    load_yaml(yaml, file, std::move(setup));
  } catch (const stackato::manifest::Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace test
