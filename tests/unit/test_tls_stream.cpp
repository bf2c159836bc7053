// stackato::net::TlsStream against real OpenSSL peers on loopback: Asio's own SSL stream on the
// other end (both roles) and itself; full-duplex transfers in odd-sized pieces, verified byte
// for byte; certificate checks; close_notify versus a cut connection; the server handshake
// with bytes a TLS detector has already read.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <random>
#include <string>
#include <vector>

#include "pki/pki.hpp"
#include "stackato/net/tls_stream.hpp"
#include "support.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using Ours = stackato::net::TlsStream<beast::tcp_stream>;
using Asios = asio::ssl::stream<beast::tcp_stream>;

namespace {

struct Certs {
  test::TempDir dir;
  kato::pki::Files files = kato::pki::ensure(dir.path(), "localhost");
  asio::ssl::context server{asio::ssl::context::tls_server};
  asio::ssl::context client{asio::ssl::context::tls_client};
  Certs() {
    server.use_certificate_chain_file(files.cert.string());
    server.use_private_key_file(files.key.string(), asio::ssl::context::pem);
    stackato::net::prefer_fast_ciphers(server.native_handle());
    client.set_verify_mode(asio::ssl::verify_peer);
    client.load_verify_file(files.ca_cert.string());
  }
};

// A listening socket on loopback and both ends of a connection to it.
struct Loopback {
  asio::io_context io;
  tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), 0}};
  awaitable<beast::tcp_stream> accept() { co_return beast::tcp_stream(co_await acceptor.async_accept(use_awaitable)); }
  awaitable<beast::tcp_stream> connect() {
    beast::tcp_stream t(io);
    co_await t.async_connect(acceptor.local_endpoint(), use_awaitable);
    co_return t;
  }
};

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}

// Writes `data` in pieces of random size (1 byte to 300 KiB), then shuts the write side down.
template <class Stream>
awaitable<void> send_all(Stream& s, const std::string& data, unsigned seed) {
  std::mt19937 gen(seed);
  std::size_t at = 0;
  while (at < data.size()) {
    std::size_t n = std::min<std::size_t>(data.size() - at, 1 + gen() % (300 * 1024));
    co_await asio::async_write(s, asio::buffer(data.data() + at, n), use_awaitable);
    at += n;
  }
}

// Reads exactly `n` bytes with read_some calls of random buffer sizes.
template <class Stream>
awaitable<std::string> receive(Stream& s, std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string got;
  std::vector<char> buf(300 * 1024);
  while (got.size() < n) {
    std::size_t want = std::min<std::size_t>(n - got.size(), 1 + gen() % buf.size());
    std::size_t k = co_await s.async_read_some(asio::buffer(buf.data(), want), use_awaitable);
    got.append(buf.data(), k);
  }
  co_return got;
}

void set_host(Ours& s, const char* host) {
  SSL_set_tlsext_host_name(s.native_handle(), host);
  SSL_set1_host(s.native_handle(), host);
}
void set_host(Asios& s, const char* host) {
  SSL_set_tlsext_host_name(s.native_handle(), host);
  s.set_verify_callback(asio::ssl::host_name_verification(host));
}

// One connection: a server of type S and a client of type C both send `size` bytes while
// receiving the other's, then the client says close_notify and the server reads EOF.
template <class S, class C>
void duplex(std::size_t size) {
  Certs certs;
  Loopback net;
  const std::string up = random_bytes(size, 1), down = random_bytes(size, 2);
  std::string server_got, client_got;
  boost::system::error_code server_end;
  bool server_done = false, client_done = false;

  asio::co_spawn(net.io, [&]() -> awaitable<void> {
    S s(co_await net.accept(), certs.server);
    co_await s.async_handshake(asio::ssl::stream_base::server, use_awaitable);
    asio::co_spawn(net.io, send_all(s, down, 3), asio::detached);
    server_got = co_await receive(s, up.size(), 4);
    char extra;
    co_await s.async_read_some(asio::buffer(&extra, 1), asio::redirect_error(use_awaitable, server_end));
    server_done = true;
  }, asio::detached);

  asio::co_spawn(net.io, [&]() -> awaitable<void> {
    C c(co_await net.connect(), certs.client);
    set_host(c, "localhost");
    co_await c.async_handshake(asio::ssl::stream_base::client, use_awaitable);
    co_await send_all(c, up, 5);
    client_got = co_await receive(c, down.size(), 6);
    boost::system::error_code ignored;  // Asio's stream then waits for a reply that need not come
    co_await c.async_shutdown(asio::redirect_error(use_awaitable, ignored));
    client_done = true;
  }, asio::detached);

  net.io.run();
  REQUIRE(server_done);
  REQUIRE(client_done);
  CHECK(server_got == up);
  CHECK(client_got == down);
  CHECK(server_end == asio::error::eof);
}

}  // namespace

TEST_CASE("tls stream: 8 MiB each way at once, with Asio's SSL stream as the client", "[tls]") {
  duplex<Ours, Asios>(8 << 20);
}

TEST_CASE("tls stream: 8 MiB each way at once, with Asio's SSL stream as the server", "[tls]") {
  duplex<Asios, Ours>(8 << 20);
}

TEST_CASE("tls stream: both ends ours, tiny and large transfers", "[tls]") {
  duplex<Ours, Ours>(1);
  duplex<Ours, Ours>(20 << 20);
}

TEST_CASE("tls stream: a certificate for another name fails the handshake on both sides", "[tls]") {
  Certs certs;
  Loopback net;
  boost::system::error_code server_ec, client_ec;
  asio::co_spawn(net.io, [&]() -> awaitable<void> {
    Ours s(co_await net.accept(), certs.server);
    co_await s.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(use_awaitable, server_ec));
  }, asio::detached);
  asio::co_spawn(net.io, [&]() -> awaitable<void> {
    Ours c(co_await net.connect(), certs.client);
    set_host(c, "elsewhere.example");
    co_await c.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, client_ec));
  }, asio::detached);
  net.io.run();
  CHECK(client_ec);
  CHECK_THAT(client_ec.message(), Catch::Contains("certificate verify failed"));
  CHECK(server_ec);  // the client's alert arrived
}

TEST_CASE("tls stream: a connection cut without close_notify reads as truncated, not as EOF", "[tls]") {
  Certs certs;
  Loopback net;
  boost::system::error_code read_ec;
  std::string got;
  asio::co_spawn(net.io, [&]() -> awaitable<void> {
    Ours s(co_await net.accept(), certs.server);
    co_await s.async_handshake(asio::ssl::stream_base::server, use_awaitable);
    co_await asio::async_write(s, asio::buffer(std::string("partial")), use_awaitable);
    s.next_layer().socket().shutdown(tcp::socket::shutdown_both);  // no close_notify
  }, asio::detached);
  asio::co_spawn(net.io, [&]() -> awaitable<void> {
    Ours c(co_await net.connect(), certs.client);
    set_host(c, "localhost");
    co_await c.async_handshake(asio::ssl::stream_base::client, use_awaitable);
    std::array<char, 64> buf;
    for (;;) {
      std::size_t n = co_await c.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, read_ec));
      got.append(buf.data(), n);
      if (read_ec) break;
    }
  }, asio::detached);
  net.io.run();
  CHECK(got == "partial");
  CHECK(read_ec == asio::ssl::error::stream_truncated);
}

TEST_CASE("tls stream: the server handshake takes the bytes a TLS detector already read", "[tls]") {
  Certs certs;
  Loopback net;
  std::string server_got;
  bool detected = false;
  asio::co_spawn(net.io, [&]() -> awaitable<void> {
    beast::tcp_stream t = co_await net.accept();
    beast::flat_buffer buffer;
    detected = co_await beast::async_detect_ssl(t, buffer, use_awaitable);
    Ours s(std::move(t), certs.server);
    co_await s.async_handshake(asio::ssl::stream_base::server, buffer.data(), use_awaitable);
    server_got = co_await receive(s, 5, 7);
  }, asio::detached);
  asio::co_spawn(net.io, [&]() -> awaitable<void> {
    Asios c(co_await net.connect(), certs.client);
    set_host(c, "localhost");
    co_await c.async_handshake(asio::ssl::stream_base::client, use_awaitable);
    co_await asio::async_write(c, asio::buffer(std::string("hello")), use_awaitable);
  }, asio::detached);
  net.io.run();
  CHECK(detected);
  CHECK(server_got == "hello");
}
