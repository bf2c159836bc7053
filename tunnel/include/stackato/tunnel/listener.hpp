#pragma once
// The client end of `stackato tunnel`: a local TCP port; each connection accepted there is
// carried over a WebSocket of its own to the helper app (wss://, TLS verified), which connects
// it to the service. A connection that cannot reach the helper (restarting, say) is retried for
// a while, so the tunnel outlives helper restarts.

#include <functional>
#include <memory>
#include <string>

namespace stackato::tunnel {

struct ListenerOptions {
  std::string bind = "127.0.0.1";
  int port = 10000;        // 0: any free port; else this one, the next 9, then any free port
  std::string url;         // the helper's base URL, https://HOST[:PORT] (http:// when allowed)
  std::string path;        // "/tunnel/SERVICE"
  std::string secret;      // the helper's TUNNEL_AUTH
  std::string cafile;      // CA bundle for the helper's certificate ("" = system)
  bool skip_ssl_validation = false;
  int retry_seconds = 30;  // how long a new connection keeps trying to reach the helper
  std::function<void(const std::string&)> log;  // one line per event worth telling
};

class Listener {
 public:
  // Binds at once; throws std::runtime_error naming the address when it cannot.
  explicit Listener(ListenerOptions options);
  ~Listener();
  unsigned short port() const;
  void run();   // serves until stop()
  void stop();  // from any thread (or a signal handler's thread)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stackato::tunnel
