#pragma once
// kato's local certificate authority: a CA made on first start, and a server certificate for
// the domain (apex, api., and *.domain) signed by it. Users add ca.pem to trust kato.

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace kato::pki {

struct Files {
  std::filesystem::path ca_cert, cert, key;  // PEM; key files are 0600
};

// Creates what is missing under `dir` (ca.pem, ca-key.pem, server.pem, server-key.pem); a server
// certificate for another domain is replaced. Throws std::runtime_error.
Files ensure(const std::filesystem::path& dir, const std::string& domain);

// Serves TLS for every host under the domain. A wildcard directly under a one-label name
// (*.localhost) is refused by OpenSSL and browsers, so a leaf certificate per host name is minted
// from the CA when a client first asks for it (SNI), and kept in memory.
class Issuer {
 public:
  Issuer(const Files& files, std::string domain);
  ~Issuer();
  // Installs the SNI callback and the default certificate on `ctx`.
  void attach(SSL_CTX* ctx);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kato::pki
