// Small value rules: memory sizes, versions, env vars at push, the offline context.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <random>
#include <regex>

#include "stackato/manifest/manifest.hpp"

namespace stackato::manifest {

// 1 PiB in MB: beyond any machine, and far from overflowing what holds it.
constexpr long kMaxMb = 1L << 30;

long parse_memspec(const std::string& text) {
  // Bare integers and M are MB; G takes a float and is converted with int(x*1024), as the
  // original did. A bare float or a two-letter suffix (MB, GB) is rejected.
  static const std::regex mb("^(-?[0-9]+)[mM]?$");
  static const std::regex gb("^([0-9]+(\\.[0-9]+)?)[gG]$");
  std::smatch m;
  if (std::regex_match(text, m, mb)) {
    long v = 0;
    auto s = m[1].str();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || v > kMaxMb) throw std::invalid_argument("memory size out of range: " + text);
    return v;
  }
  if (std::regex_match(text, m, gb)) {
    double g = std::strtod(m[1].str().c_str(), nullptr);
    if (g * 1024 > kMaxMb) throw std::invalid_argument("memory size out of range: " + text);
    return static_cast<long>(g * 1024);
  }
  throw std::invalid_argument("not a memory size: " + text);
}

int compare_versions(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& s) {
    std::vector<long> out;
    std::size_t i = 0;
    while (i <= s.size()) {
      auto dot = s.find('.', i);
      if (dot == std::string::npos) dot = s.size();
      out.push_back(std::strtol(s.substr(i, dot - i).c_str(), nullptr, 10));
      i = dot + 1;
    }
    return out;
  };
  auto pa = parts(a), pb = parts(b);
  std::size_t n = std::max(pa.size(), pb.size());
  pa.resize(n, 0);
  pb.resize(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  return 0;
}

void check_min_version(const App& app, const std::string& client_version,
                       const std::string& server_version) {
  if (app.min_client_version && compare_versions(client_version, *app.min_client_version) < 0)
    throw Error("", 0, 0, "version conflict for client: have " + client_version +
                              ", need at least " + *app.min_client_version);
  if (!server_version.empty() && app.min_server_version &&
      compare_versions(server_version, *app.min_server_version) < 0)
    throw Error("", 0, 0, "version conflict for server: have " + server_version +
                              ", need at least " + *app.min_server_version);
}

namespace {
std::string one_of(const std::vector<std::string>& choices) {
  std::string out;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (i) out += (i + 1 == choices.size()) ? (choices.size() > 2 ? ", or " : " or ") : ", ";
    out += "'" + choices[i] + "'";
  }
  return out;
}
}  // namespace

std::map<std::string, std::string> resolve_env(const App& app,
                                               const std::map<std::string, std::string>& overrides,
                                               Context& context) {
  std::map<std::string, std::string> out;
  for (const auto& var : app.env) {
    std::optional<std::string> value = var.default_value;
    if (var.inherit)
      if (auto e = context.getenv(var.name)) value = *e;
    if (auto it = overrides.find(var.name); it != overrides.end()) value = it->second;

    if (context.interactive() && overrides.find(var.name) == overrides.end()) {
      std::string prompt = var.prompt.value_or("Enter " + var.name);
      for (int attempt = 0;; ++attempt) {
        std::string answer;
        if (!var.choices.empty())
          answer = context.choose(prompt, var.choices);
        else
          answer = context.ask(prompt + (value && !var.hidden ? " [" + *value + "]" : "") + ": ",
                               var.hidden);
        if (!answer.empty()) value = answer;
        if (!var.required || (value && !value->empty())) break;
        if (attempt == 2)
          throw Error("", 0, 0, "Manifest error: Required variable \"" + var.name + "\" not set");
      }
    }
    if (!value || (var.required && value->empty())) {
      if (var.required)
        throw Error("", 0, 0, "Manifest error: Required variable \"" + var.name + "\" not set");
      continue;
    }
    if (!var.choices.empty() &&
        std::find(var.choices.begin(), var.choices.end(), *value) == var.choices.end())
      throw Error("", 0, 0, "Manifest error: Expected one of " + one_of(var.choices) + " for \"" +
                                var.name + "\", got \"" + *value + "\"");
    out[var.name] = *value;
  }
  for (const auto& [k, v] : overrides) out[k] = v;  // --env always wins, declared or not
  return out;
}

std::optional<std::string> OfflineContext::getenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

std::string OfflineContext::random_word() {
  static std::mt19937 rng{std::random_device{}()};
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", static_cast<unsigned>(rng() % 0x100000));
  return buf;
}

const std::vector<std::string>& builtin_service_types() {
  static const std::vector<std::string> types = {"mysql",    "postgresql", "redis",    "mongodb",
                                                 "filesystem", "memcached", "rabbitmq", "user-provided"};
  return types;
}

}  // namespace stackato::manifest
