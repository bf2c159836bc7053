#pragma once
// What a manifest needs from the world around it: the target, the user, the environment.
// The client implements it against the API; tests and offline use take OfflineContext.

#include <optional>
#include <string>
#include <vector>

namespace stackato::manifest {

class Context {
 public:
  virtual ~Context() = default;

  // Current target URL, e.g. "https://api.example.com:8443".
  virtual std::string target_url() = 0;
  // Domains mapped into the current space; nullopt when there is no current space (not logged in).
  virtual std::optional<std::vector<std::string>> space_domains() = 0;
  // Active service types (labels) of the target; nullopt when they cannot be asked for.
  virtual std::optional<std::vector<std::string>> service_types() = 0;
  // Smallest memory the target accepts, in MB.
  virtual long minimum_memory_mb() { return 1; }

  virtual bool interactive() = 0;
  // Asks the user; only called when interactive().
  virtual std::string ask(const std::string& prompt, bool hidden) = 0;
  virtual std::string choose(const std::string& prompt, const std::vector<std::string>& choices) = 0;

  virtual std::optional<std::string> getenv(const std::string& name) = 0;
  virtual std::string random_word() = 0;  // 4-5 lowercase hex digits
  virtual void warn(const std::string& message) = 0;
};

// No target, no user: the built-in service types, and warnings collected in a list.
class OfflineContext : public Context {
 public:
  explicit OfflineContext(std::string target = "https://api.stackato.local")
      : target_(std::move(target)) {}
  std::string target_url() override { return target_; }
  std::optional<std::vector<std::string>> space_domains() override { return std::nullopt; }
  std::optional<std::vector<std::string>> service_types() override { return std::nullopt; }
  bool interactive() override { return false; }
  std::string ask(const std::string&, bool) override { return {}; }
  std::string choose(const std::string&, const std::vector<std::string>& c) override {
    return c.empty() ? std::string() : c.front();
  }
  std::optional<std::string> getenv(const std::string& name) override;
  std::string random_word() override;
  void warn(const std::string& message) override { warnings.push_back(message); }

  std::vector<std::string> warnings;

 private:
  std::string target_;
};

// Service types assumed when the target cannot be asked.
const std::vector<std::string>& builtin_service_types();

}  // namespace stackato::manifest
