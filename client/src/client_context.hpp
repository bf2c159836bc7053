#pragma once
// The manifest engine's view of the world from the client: target, prompts, warnings.

#include <set>

#include "cli.hpp"
#include "stackato/manifest/context.hpp"

namespace stackato::client {

// The target for this command: --target, then STACKATO_TARGET, then the saved target, then
// https://api.stackato.local. A URL without a scheme gets https://.
std::string current_target(const Globals& globals);

class Session;

// Offline by default (`stackato manifest`); with a session attached (push), service types and
// domains come from the target.
class ClientContext : public manifest::OfflineContext {
 public:
  explicit ClientContext(const Globals& globals);
  void attach(Session* session) { session_ = session; }
  std::optional<std::vector<std::string>> service_types() override;
  std::optional<std::vector<std::string>> space_domains() override;
  bool interactive() override;
  std::string ask(const std::string& prompt, bool hidden) override;
  std::string choose(const std::string& prompt, const std::vector<std::string>& choices) override;
  void warn(const std::string& message) override;

 private:
  const Globals& globals_;
  Session* session_ = nullptr;
  std::optional<std::vector<std::string>> types_, domains_;
  std::set<std::string> warned_;
};

}  // namespace stackato::client
