// Time to load and normalise every real-world stackato.yml in the corpus, against a baseline
// measured in the same run: yaml-cpp parsing the same files and nothing else.
// Usage: bench_manifest CORPUS_DIR [ROUNDS]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "stackato/manifest/manifest.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {
class QuietContext : public stackato::manifest::OfflineContext {
 public:
  void warn(const std::string&) override {}
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [ROUNDS]\n", argv[0]);
    return 2;
  }
  int rounds = argc > 2 ? std::atoi(argv[2]) : 21;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(argv[1]))
    if (e.path().extension() == ".yml") files.push_back(e.path());
  std::sort(files.begin(), files.end());

  std::vector<double> parse_ms, load_ms;
  int loaded = 0;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    for (const auto& f : files) {
      try {
        YAML::Node n = YAML::LoadFile(f.string());
        (void)n;
      } catch (const YAML::Exception&) {
      }
    }
    auto t1 = Clock::now();
    loaded = 0;
    for (const auto& f : files) {
      QuietContext ctx;
      stackato::manifest::LoadOptions o;
      o.path = f.parent_path();
      o.file = f;
      try {
        try {
          stackato::manifest::load(o, ctx);
        } catch (const stackato::manifest::Error&) {
          o.name = "bench";  // files without `name:` are pushed as `stackato push NAME`
          stackato::manifest::load(o, ctx);
        }
        ++loaded;
      } catch (const stackato::manifest::Error&) {
      }
    }
    auto t2 = Clock::now();
    parse_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    load_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
  }
  double p = median(parse_ms), l = median(load_ms);
  std::printf("files: %zu (loaded %d), rounds: %d\n", files.size(), loaded, rounds);
  std::printf("baseline yaml-cpp parse only: median %.2f ms per corpus pass\n", p);
  std::printf("stackato manifest load:       median %.2f ms per corpus pass (%.1f us per file)\n", l,
              1000.0 * l / static_cast<double>(files.size()));
  std::printf("ratio load / parse: %.2f\n", l / p);
  return 0;
}
