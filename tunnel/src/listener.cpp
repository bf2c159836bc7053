#include "stackato/tunnel/listener.hpp"

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "splice.hpp"
#include "stackato/net/tls_stream.hpp"
#include "stackato/tunnel/protocol.hpp"

namespace stackato::tunnel {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ws = beast::websocket;
namespace net = stackato::net;
using tcp = asio::ip::tcp;

struct Listener::Impl {
  ListenerOptions o;
  asio::io_context io{1};
  asio::ssl::context tls{asio::ssl::context::tls_client};
  tcp::acceptor acceptor{io};
  bool secure = true;
  std::string host, port;

  void say(const std::string& line) {
    if (o.log) o.log(line);
  }

  // *.localhost is loopback, whatever the system resolver thinks (as curl and browsers do).
  std::string connect_host() const {
    bool local = host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0);
    return local ? "127.0.0.1" : host;
  }

  // A declined handshake says why in the helper's JSON body ("cannot connect to db at
  // 10.0.0.5:3306: Connection refused" when the database is down); that is what the user sees.
  template <class WebSocket>
  asio::awaitable<void> handshake(WebSocket& w) {
    w.set_option(ws::stream_base::decorator([this](ws::request_type& r) { r.set(kAuthHeader, o.secret); }));
    ws::response_type res;
    boost::system::error_code ec;
    co_await w.async_handshake(res, host + ":" + port, o.path, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) co_return;
    std::string why = ec.message();
    if (res.result_int() != 0 && res.result_int() != 101) {
      auto error = nlohmann::json::parse(res.body(), nullptr, false);
      if (error.is_object() && error.contains("error") && error["error"].is_string()) {
        why = error["error"].get<std::string>();
      } else {  // not the helper: the platform's router (no healthy instance while it restarts)
        std::string text = res.body().substr(0, res.body().find('\n')).substr(0, 200);
        why = "HTTP " + std::to_string(res.result_int()) + (text.empty() ? "" : " (" + text + ")");
      }
    }
    throw std::runtime_error(why);
  }

  asio::awaitable<void> carry(tcp::socket local) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(o.retry_seconds);
    std::string last;
    for (int attempt = 0;; ++attempt) {
      try {
        tcp::resolver resolver(io);
        auto endpoints = co_await resolver.async_resolve(connect_host(), port, asio::use_awaitable);
        beast::tcp_stream stream(io);
        co_await stream.async_connect(endpoints, asio::use_awaitable);
        stream.socket().set_option(tcp::no_delay(true));
        if (secure) {
          ws::stream<net::TlsStream<beast::tcp_stream>> w(std::move(stream), tls);
          SSL* ssl = w.next_layer().native_handle();
          if (!SSL_set_tlsext_host_name(ssl, host.c_str()) || (!o.skip_ssl_validation && !SSL_set1_host(ssl, host.c_str())))
            throw std::runtime_error("cannot set the TLS server name");
          co_await w.next_layer().async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
          co_await handshake(w);
          std::make_shared<Splice<decltype(w)>>(std::move(local), std::move(w))->start();
        } else {
          ws::stream<beast::tcp_stream> w(std::move(stream));
          co_await handshake(w);
          std::make_shared<Splice<decltype(w)>>(std::move(local), std::move(w))->start();
        }
        if (attempt > 0) say("connected after " + std::to_string(attempt + 1) + " attempts");
        co_return;
      } catch (const std::exception& e) {
        last = e.what();
      }
      if (std::chrono::steady_clock::now() > until) break;
      if (attempt == 0) say("a connection through the tunnel failed: " + last + "; retrying for " + std::to_string(o.retry_seconds) + " s");
      asio::steady_timer t(io, std::chrono::milliseconds(500));
      co_await t.async_wait(asio::use_awaitable);
    }
    say("gave up on a connection: " + last);
    boost::system::error_code ignored;
    local.close(ignored);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      s.set_option(tcp::no_delay(true));
      asio::co_spawn(io, carry(std::move(s)), asio::detached);
    }
  }
};

Listener::Listener(ListenerOptions options) : impl_(std::make_unique<Impl>()) {
  auto& i = *impl_;
  i.o = std::move(options);
  auto scheme = i.o.url.find("://");
  if (scheme == std::string::npos) throw std::runtime_error("bad helper URL: " + i.o.url);
  i.secure = i.o.url.compare(0, scheme, "https") == 0;
  std::string hostport = i.o.url.substr(scheme + 3);
  hostport = hostport.substr(0, hostport.find('/'));
  auto colon = hostport.rfind(':');
  i.host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  i.port = colon == std::string::npos ? (i.secure ? "443" : "80") : hostport.substr(colon + 1);
  if (i.secure) {
    net::prefer_fast_ciphers(i.tls.native_handle());
    if (i.o.skip_ssl_validation) {
      i.tls.set_verify_mode(asio::ssl::verify_none);
    } else {
      i.tls.set_verify_mode(asio::ssl::verify_peer);
      if (!i.o.cafile.empty())
        i.tls.load_verify_file(i.o.cafile);
      else
        i.tls.set_default_verify_paths();
    }
  }
  auto address = asio::ip::make_address(i.o.bind);
  std::vector<int> ports;
  if (i.o.port == 0) {
    ports = {0};
  } else {
    for (int p = i.o.port; p < i.o.port + 10 && p < 65536; ++p) ports.push_back(p);
    ports.push_back(0);
  }
  std::string why;
  for (int p : ports) {
    boost::system::error_code ec;
    i.acceptor.close(ec);
    i.acceptor.open(address.is_v6() ? tcp::v6() : tcp::v4(), ec);
    i.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    i.acceptor.bind({address, static_cast<unsigned short>(p)}, ec);
    if (!ec) i.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) {
      if (p != i.o.port && i.o.port != 0)
        i.say("port " + std::to_string(i.o.port) + " is taken; using " + std::to_string(i.acceptor.local_endpoint().port()));
      return;
    }
    why = ec.message();
  }
  throw std::runtime_error("cannot listen on " + i.o.bind + ": " + why);
}

Listener::~Listener() = default;

unsigned short Listener::port() const { return impl_->acceptor.local_endpoint().port(); }

void Listener::run() {
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->io.run();
}

void Listener::stop() {
  asio::post(impl_->io, [this] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->io.stop();
  });
}

}  // namespace stackato::tunnel
