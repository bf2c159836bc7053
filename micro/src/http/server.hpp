#pragma once
// kato's one listening port: plain HTTP and HTTPS told apart by the first bytes, keep-alive,
// requests handed to a dispatcher by Host. Runs on an io_context driven by a few threads.

#include <chrono>
#include <functional>
#include <memory>
#include <vector>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/message.hpp"
#include "stackato/net/tls_stream.hpp"

namespace kato::http {

using Dispatch = std::function<Response(Request&)>;
// HTTPS connections: TLS moved in large batches (see stackato/net/tls_stream.hpp).
using TlsStream = stackato::net::TlsStream<boost::beast::tcp_stream>;
using RawRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Requests for hosts other than the API go to a proxy (the router), which owns the exchange.
class Proxy {
 public:
  virtual ~Proxy() = default;
  // Whether a request for `host` is the proxy's (false: the API's).
  virtual bool wants(const std::string& host) const = 0;
  // Answers one request; returns whether the client connection may be kept alive.
  virtual boost::asio::awaitable<bool> serve(boost::beast::tcp_stream& client, boost::beast::flat_buffer& buffer,
                                             RawRequest request, std::string peer) = 0;
  virtual boost::asio::awaitable<bool> serve(TlsStream& client,
                                             boost::beast::flat_buffer& buffer, RawRequest request,
                                             std::string peer) = 0;
};

// WebSocket upgrades on the API host (kato's exec endpoint), which own the connection.
class Upgrades {
 public:
  virtual ~Upgrades() = default;
  virtual bool wants(const RawRequest& request) const = 0;
  virtual boost::asio::awaitable<void> serve(boost::beast::tcp_stream& client, boost::beast::flat_buffer& buffer,
                                             RawRequest request) = 0;
  virtual boost::asio::awaitable<void> serve(TlsStream& client,
                                             boost::beast::flat_buffer& buffer, RawRequest request) = 0;
};

// Body size limits: JSON APIs get a small one; package uploads a large one.
struct Limits {
  std::size_t body = 1u << 20;
  std::size_t upload = std::size_t(1) << 30;  // Cloud Controller's default for app bits
  std::size_t proxied = std::size_t(64) << 20;  // requests to apps
};

// Where the server listens: a new socket bound to address:port, or one inherited from the image
// before an in-place upgrade (`inherited_fd` >= 0, already listening; address and port unused).
struct Listen {
  std::string address = "127.0.0.1";
  unsigned short port = 0;
  int inherited_fd = -1;
};

class Server {
 public:
  // Connections are spread over `workers` round robin (each is usually an io_context run by one
  // thread), so that a connection stays on one thread; the acceptor runs on the first.
  Server(std::vector<boost::asio::io_context*> workers, boost::asio::ssl::context& tls, const Listen& listen,
         Dispatch dispatch, Proxy* proxy = nullptr, Limits limits = {}, Upgrades* upgrades = nullptr);
  ~Server();
  unsigned short port() const;
  int listen_fd() const;  // for an in-place upgrade, which keeps it open across its execve
  void start();
  void stop();

  // An in-place upgrade's drain, as nginx's graceful shutdown does it. pause() stops accepting
  // without closing the socket: new connections wait in the kernel's backlog for the next image.
  // drain() then lets every request in progress finish; each connection that answers one is
  // closed after it (Connection: close), connections idle for `idle` are closed, and whatever is
  // still open at `deadline` (a WebSocket, a tunnel) is cut. Returns how many were cut.
  // Called from a thread that is not one of `workers`.
  void pause();
  std::size_t drain(std::chrono::milliseconds idle, std::chrono::seconds deadline);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kato::http
