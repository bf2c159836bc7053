// Feeds arbitrary bytes to the whole loader as stackato.yml: parse, inherit (a fixed parent is
// there to be inherited), normalise, substitute, validate, select, order, print. Any Error is a
// fine answer; a crash, a leak, a hang or another exception type is a bug.

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "stackato/manifest/manifest.hpp"

namespace {
namespace fs = std::filesystem;

class FuzzContext : public stackato::manifest::OfflineContext {
 public:
  std::optional<std::vector<std::string>> space_domains() override {
    return std::vector<std::string>{"a.org", "b.org"};
  }
  std::string random_word() override { return "abcd"; }
  void warn(const std::string&) override {}
};

const fs::path& workdir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("stackato-fuzz-" + std::to_string(getpid()));
    fs::create_directories(d / "app");
    std::ofstream(d / "base.yml") << "mem: 64\nenv:\n  A: ${name}\napplications:\n- name: other\n";
    return d;
  }();
  return dir;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path& dir = workdir();
  {
    std::ofstream out(dir / "stackato.yml", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  FuzzContext context;
  stackato::manifest::LoadOptions options;
  options.path = dir;
  try {
    auto m = stackato::manifest::load(options, context);
    (void)stackato::manifest::to_yaml(m.json);
    for (const auto& app : m.apps) {
      (void)stackato::manifest::upload_manifest(m, app);
      (void)stackato::manifest::resolve_env(app, {}, context);
    }
  } catch (const stackato::manifest::Error&) {
  }
  return 0;
}
