#pragma once
// One command's view of its target: which target (--target, STACKATO_TARGET, the saved one), how
// to reach it (TLS options kept per target), who is logged in, and API calls that refresh the
// token ahead of expiry and replay once after a 401.

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "cli.hpp"
#include "config.hpp"
#include "http.hpp"

namespace stackato::client {

// A CF error object or an unexpected answer: exit code 1, the server's `detail`.
struct ApiError : std::runtime_error {
  long status;
  ApiError(long s, const std::string& message) : std::runtime_error(message), status(s) {}
};

// "https://" unless given, no trailing '/'.
std::string canonical_target(std::string url);

class Session {
 public:
  explicit Session(const Globals& globals);
  const std::string& target() const { return target_; }
  // The TLS options for every connection to the target, HTTP, the exec WebSocket and tunnels
  // alike, resolved in this one place: --cafile, else the CA saved with the target; and
  // --skip-ssl-validation, STACKATO_SKIP_SSL_VALIDATION or the target's saved choice.
  const std::string& cafile() const { return tls_.cafile; }
  bool skip_ssl_validation() const { return tls_.skip_ssl_validation; }
  Config& config() { return config_; }
  Http& http() { return *http_; }
  // GET / of the target: links (login, log_cache, ...).
  const nlohmann::json& root();
  // An authenticated V3 call; path is "/v3/..." or an absolute URL. Throws ApiError for 4xx/5xx.
  // `location` receives the Location header of async answers (a job to follow), "" otherwise.
  nlohmann::json call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
                      std::string* location = nullptr);
  // An authenticated multipart POST (package upload); file parts are streamed from disk, so the
  // replay after a 401 re-reads them.
  nlohmann::json post_form(const std::string& path, const std::vector<FormPart>& parts, const Progress& progress = {});
  // Revokes the target's refresh token at its token endpoint (logout), best effort: an
  // unreachable target is not an error, the token is forgotten locally all the same.
  void revoke_refresh();
  // Every resource of a paginated list, following pagination.next. With `included`, every page's
  // `included` lists (include=...) are gathered there by kind: {"service_instances": [...]}.
  nlohmann::json list_all(std::string path, nlohmann::json* included = nullptr);
  // GETs of independent paths at once (every started process's stats, say): at most `width` in
  // flight, each worker on its own connection, the answers in the order of the paths. The token
  // is refreshed once before; a 401 is replayed after the others, through call(). The first
  // failure is thrown once every request has ended.
  std::vector<nlohmann::json> get_many(const std::vector<std::string>& paths, std::size_t width = 8);
  // Throws "Login Required" when there is no token for the target.
  std::string token();
  // The password grant at the target's login server; keeps the tokens (and the TLS options
  // that worked) for the target. A refused login throws ApiError with the server's reason.
  void log_in(const std::string& user, const std::string& password);
  // The logged-in user's guid (the token's user_id claim).
  std::string user_guid();

 private:
  void refresh();
  const Globals& globals_;
  Config config_;
  std::string target_;
  std::unique_ptr<Http> http_;
  HttpOptions tls_;  // cafile and skip_ssl_validation as resolved at construction
  std::optional<nlohmann::json> root_;
};

}  // namespace stackato::client
