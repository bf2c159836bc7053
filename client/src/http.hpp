#pragma once
// HTTP for the client (libcurl): TLS verified (optionally against --cafile), *.localhost mapped to
// loopback as curl does, idempotent requests retried on connection errors and 502/503/504, and
// an HTTP trace on stderr with secrets redacted.

#include <cstdint>
#include <functional>
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

// One part of a multipart/form-data body: a value, or a file streamed from disk.
struct FormPart {
  std::string name;
  std::string value;     // used when file is empty
  std::string file;      // path of a file to stream
  std::string filename;  // the filename the server sees
};

// Bytes of the request body sent so far, and the total.
using Progress = std::function<void(std::uint64_t sent, std::uint64_t total)>;

class Http {
 public:
  explicit Http(HttpOptions options);
  ~Http();
  Reply request(const std::string& method, const std::string& url, const std::string& body = "",
                const std::vector<std::string>& headers = {});
  // A multipart POST; file parts are read from disk as they are sent (never held in memory).
  // Not retried: the caller decides whether sending again is safe.
  Reply post_form(const std::string& url, const std::vector<FormPart>& parts,
                  const std::vector<std::string>& headers = {}, const Progress& progress = {});

 private:
  void setup(const std::string& url, const std::vector<std::string>& headers, Reply& reply);
  Reply finish(int rc, const std::string& url, Reply& reply);
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
