#pragma once
// HTTP for the client (libcurl): TLS verified (optionally against --cafile), *.localhost mapped to
// loopback as curl does, idempotent requests retried on connection errors and 502/503/504, and
// an HTTP trace on stderr with secrets redacted.

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace stackato::client {

struct HttpOptions {
  std::string cafile;
  bool skip_ssl_validation = false;
  long timeout_s = 60;
  bool trace = false;
};

struct Reply {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// The server could not be reached or TLS failed: exit code 1, one line.
struct NetworkError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Http {
 public:
  explicit Http(HttpOptions options);
  ~Http();
  Reply request(const std::string& method, const std::string& url, const std::string& body = "",
                const std::vector<std::string>& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encoding for form bodies and query values (libcurl's).
std::string url_escape(const std::string& text);
// base64url (JWT parts) decoded with OpenSSL; nullopt when malformed.
std::optional<std::string> base64url_decode(std::string text);

// Text with Authorization headers, tokens, passwords, credentials and URL userinfo blanked.
std::string redact(const std::string& text);

}  // namespace stackato::client
