#pragma once
// kato's one listening port: plain HTTP and HTTPS told apart by the first bytes, keep-alive,
// requests handed to a dispatcher by Host. Runs on an io_context driven by a few threads.

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "http/message.hpp"

namespace kato::http {

using Dispatch = std::function<Response(Request&)>;

// Body size limits: JSON APIs get a small one; package uploads a large one.
struct Limits {
  std::size_t body = 1u << 20;
  std::size_t upload = std::size_t(2) << 30;
};

class Server {
 public:
  Server(boost::asio::io_context& io, boost::asio::ssl::context& tls, const std::string& address,
         unsigned short port, Dispatch dispatch, Limits limits = {});
  ~Server();
  unsigned short port() const;
  void start();
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kato::http
