#pragma once
// kato's one listening port: plain HTTP and HTTPS told apart by the first bytes, keep-alive,
// requests handed to a dispatcher by Host. Runs on an io_context driven by a few threads.

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

class Server {
 public:
  // Connections are spread over `workers` round robin (each is usually an io_context run by one
  // thread), so that a connection stays on one thread; the acceptor runs on the first.
  Server(std::vector<boost::asio::io_context*> workers, boost::asio::ssl::context& tls,
         const std::string& address, unsigned short port, Dispatch dispatch, Proxy* proxy = nullptr,
         Limits limits = {}, Upgrades* upgrades = nullptr);
  ~Server();
  unsigned short port() const;
  void start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kato::http
