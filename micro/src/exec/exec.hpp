#pragma once
// kato's endpoints that own their connection: GET /v2/kato/export (admins only: the whole kato
// as a streamed archive, backup/export.hpp, for `kato data import URL`), and the
// command-execution endpoint, a WebSocket next to the V3 API:
//   GET /v3/apps/:guid/processes/web/instances/:index/exec   (Authorization: bearer TOKEN)
// Allowed to admins and space developers of the app's space; 404 for a caller who cannot see
// the app, 403 for one who sees it but may not change it (controller/access.hpp). The first message (text)
// is {"command": "...", "tty": false}; the command runs with /bin/sh -c in the instance's
// directory and environment, in a sandbox of its own like the instance's (the instance's
// directory and volumes writable), with kato's helpers (dbshell, dbexport) on PATH. Then:
//   binary messages: first byte 0 = stdin (client to kato), 1 = stdout, 2 = stderr
//   text {"eof": "stdin"}: the client's stdin ended;  text {"exit": N}: the command ended
//   (N = its exit status, 128 + signal when killed). Each direction waits for its write before
//   reading more: a slow reader slows the command, nothing is buffered without bound.
// Closing the WebSocket early kills the command's process group.

#include <filesystem>
#include <memory>
#include <string>

#include "auth/tokens.hpp"
#include "http/server.hpp"
#include "sandbox/sandbox.hpp"
#include "store/store.hpp"

namespace kato::exec {

class Exec : public http::Upgrades {
 public:
  Exec(store::Store& store, auth::Tokens& tokens, std::string domain, std::filesystem::path instances,
       std::filesystem::path helpers, sandbox::Sandbox sandbox = sandbox::Sandbox::none(),
       std::filesystem::path data = {});  // data: the data dir, for GET /v2/kato/export
  ~Exec() override;
  bool wants(const http::RawRequest& request) const override;
  boost::asio::awaitable<void> serve(boost::beast::tcp_stream& client, boost::beast::flat_buffer& buffer,
                                     http::RawRequest request) override;
  boost::asio::awaitable<void> serve(kato::http::TlsStream& client,
                                     boost::beast::flat_buffer& buffer, http::RawRequest request) override;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Writes kato's helper programs (dbshell, dbexport) into `dir`.
void install_helpers(const std::filesystem::path& dir);

}  // namespace kato::exec
