#pragma once
// The router: requests for NAME.<domain> go to the RUNNING instances of the apps mapped to the
// route, round robin, over kept-alive backend connections; WebSocket upgrades are spliced
// through. A removed destination gets no new request at once; the runner waits for in-flight
// requests before it stops an instance.

#include <memory>
#include <string>

#include "http/server.hpp"

namespace kato::store {
class Store;
}
namespace kato::runner {
class Runner;
}

namespace kato::metrics {
class Metrics;
}

namespace kato::router {

class Router : public http::Proxy {
 public:
  // `metrics` (may be null) counts each request per app.
  Router(store::Store& store, runner::Runner& runner, std::string domain, metrics::Metrics* metrics = nullptr);
  ~Router() override;

  bool wants(const std::string& host) const override;
  boost::asio::awaitable<bool> serve(boost::beast::tcp_stream& client, boost::beast::flat_buffer& buffer,
                                     http::RawRequest request, std::string peer) override;
  boost::asio::awaitable<bool> serve(kato::http::TlsStream& client,
                                     boost::beast::flat_buffer& buffer, http::RawRequest request,
                                     std::string peer) override;
  // Requests in flight to a backend port (the runner drains with it).
  int inflight(unsigned short port) const;
  // Closes the calling thread's kept-alive backend connections (before its io_context goes).
  void close_idle();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kato::router
