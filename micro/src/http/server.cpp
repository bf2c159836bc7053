#include "http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fcntl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>

namespace kato::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

bool is_upload(std::string_view path) {
  return path.rfind("/v3/packages/", 0) == 0 && path.size() > 7 && path.substr(path.size() - 7) == "/upload";
}

Response too_large(std::size_t limit) {
  return Response::json(413, {{"errors",
                               {{{"code", 10001},
                                 {"title", "CF-RequestEntityTooLarge"},
                                 {"detail", "Request body exceeds the limit of " + std::to_string(limit) + " bytes"}}}}});
}

std::string host_of(const bhttp::request_header<>& h) {
  auto it = h.find(bhttp::field::host);
  if (it == h.end()) return {};
  std::string hs(it->value().data(), it->value().size());
  if (auto colon = hs.rfind(':'); colon != std::string::npos && hs.find(']') == std::string::npos) hs.resize(colon);
  std::transform(hs.begin(), hs.end(), hs.begin(), [](unsigned char c) { return std::tolower(c); });
  return hs;
}

Request to_request(const bhttp::request_header<>& h, std::string body, bool tls, const std::string& peer) {
  Request r;
  r.method = std::string(h.method_string().data(), h.method_string().size());
  r.target = std::string(h.target().data(), h.target().size());
  auto q = r.target.find('?');
  r.path = percent_decode(std::string_view(r.target).substr(0, q), false);
  if (q != std::string::npos) r.query = parse_query(std::string_view(r.target).substr(q + 1));
  for (const auto& f : h) {
    std::string name(f.name_string().data(), f.name_string().size());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    r.headers[name] = std::string(f.value().data(), f.value().size());
  }
  r.host = host_of(h);
  r.body = std::move(body);
  r.tls = tls;
  r.peer = peer;
  return r;
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One accepted connection, as an upgrade's drain sees it.
struct Conn {
  asio::any_io_executor executor;  // the connection's worker: `tcp` is touched only there
  beast::tcp_stream* tcp = nullptr;
  std::atomic<bool> idle{false};  // waiting for a request head, nothing of it received yet
  std::atomic<std::int64_t> idle_since{0};
  bool closing = false;  // drain() asked to close it (drain()'s thread only)
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  std::vector<asio::io_context*> workers;
  std::size_t next_worker = 0;
  asio::io_context& io;
  asio::ssl::context& tls;
  tcp::acceptor acceptor;
  Dispatch dispatch;
  Proxy* proxy;
  Upgrades* upgrades = nullptr;
  Limits limits;
  std::atomic<bool> draining{false};
  std::mutex conns_mutex;                  // a leaf lock: held only to add, remove or copy
  std::set<std::shared_ptr<Conn>> conns;  // guarded by conns_mutex

  Impl(std::vector<asio::io_context*> w, asio::ssl::context& tls_, const Listen& listen, Dispatch d, Proxy* p, Limits l)
      : workers(std::move(w)), io(*workers.front()), tls(tls_), acceptor(io), dispatch(std::move(d)), proxy(p), limits(l) {
    if (listen.inherited_fd >= 0) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      if (::getsockname(listen.inherited_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        throw std::runtime_error("the inherited listening socket is not open");
      ::fcntl(listen.inherited_fd, F_SETFD, FD_CLOEXEC);  // kept across one execve, not the next child's
      acceptor.assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), listen.inherited_fd);
      return;
    }
    tcp::endpoint ep(asio::ip::make_address(listen.address), listen.port);
    acceptor.open(ep.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(asio::socket_base::max_listen_connections);
  }

  void forget(const std::shared_ptr<Conn>& conn) {
    std::lock_guard lock(conns_mutex);
    conns.erase(conn);
  }

  std::vector<std::shared_ptr<Conn>> connections() {
    std::lock_guard lock(conns_mutex);
    return {conns.begin(), conns.end()};
  }

  // Closes the connection on its own worker (where its coroutine runs): its pending operation
  // ends with an error and the session returns.
  static void close(const std::shared_ptr<Conn>& conn) {
    asio::post(conn->executor, [conn] {
      boost::system::error_code ec;
      if (conn->tcp) conn->tcp->socket().close(ec);
    });
  }

  awaitable<void> accept_loop() {
    auto self = shared_from_this();
    for (;;) {
      boost::system::error_code ec;
      asio::io_context& worker = *workers[next_worker++ % workers.size()];
      tcp::socket socket = co_await acceptor.async_accept(worker, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        continue;  // EMFILE and friends: keep serving the connections we have
      }
      // Known to the drain from here on: a connection accepted as pause() came is drained too.
      auto conn = std::make_shared<Conn>();
      conn->executor = worker.get_executor();
      {
        std::lock_guard lock(conns_mutex);
        conns.insert(conn);
      }
      asio::co_spawn(worker, session(std::move(socket), conn), asio::detached);
    }
  }

  // Unknown to the drain once its last request is answered (before TLS's closing handshake,
  // which a client need not answer), or however the coroutine ends.
  struct Registered {
    Impl& impl;
    std::shared_ptr<Conn> conn;
    void done() {
      if (!conn) return;
      conn->tcp = nullptr;
      impl.forget(conn);
      conn.reset();
    }
    ~Registered() { done(); }
  };

  awaitable<void> session(tcp::socket socket, std::shared_ptr<Conn> conn) {
    auto self = shared_from_this();
    Registered registered{*this, conn};
    boost::system::error_code ec;
    std::string peer = socket.remote_endpoint(ec).address().to_string();
    socket.set_option(tcp::no_delay(true), ec);
    beast::tcp_stream stream(std::move(socket));
    conn->tcp = &stream;
    beast::flat_buffer buffer;
    stream.expires_after(std::chrono::seconds(30));
    bool is_tls = co_await beast::async_detect_ssl(stream, buffer, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    if (is_tls) {
      http::TlsStream ssl(std::move(stream), tls);
      conn->tcp = &beast::get_lowest_layer(ssl);
      co_await ssl.async_handshake(asio::ssl::stream_base::server, buffer.data(),
                                   asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      // async_handshake consumed what detect_ssl had buffered.
      buffer.consume(buffer.size());
      co_await serve(ssl, buffer, true, peer, *conn);
      registered.done();
      beast::get_lowest_layer(ssl).expires_after(std::chrono::seconds(5));
      co_await ssl.async_shutdown(asio::redirect_error(use_awaitable, ec));
    } else {
      co_await serve(stream, buffer, false, peer, *conn);
      registered.done();
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  // Closing with unread input makes the kernel send a reset, and the client may lose the
  // response it has not read yet. Half-close, then discard what still arrives (bounded).
  static awaitable<void> linger(beast::tcp_stream& tcp) {
    boost::system::error_code ec;
    tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
    std::array<char, 16384> sink;
    std::size_t total = 0;
    tcp.expires_after(std::chrono::seconds(2));
    while (!ec && total < (64u << 20))
      total += co_await tcp.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
  }

  // Why a request head is refused (400, or 431 when too large), or null.
  static const char* refusal(const boost::system::error_code& ec, const bhttp::request_parser<bhttp::string_body>& parser) {
    if (ec == bhttp::error::header_limit) return "Request Header Fields Too Large";
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || ec == beast::error::timeout ||
        ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
      return nullptr;
    if (ec == bhttp::error::bad_content_length || ec == bhttp::error::bad_transfer_encoding)
      return "Bad Request: ambiguous framing (Content-Length with Transfer-Encoding, or two Content-Lengths)";
    if (ec == bhttp::error::bad_line_ending) return "Bad Request: lines must end with CRLF";
    if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) return "Bad Request: malformed head";
    if (ec) return nullptr;  // the connection itself failed
    const auto& msg = parser.get();
    auto hosts = msg.count(bhttp::field::host);
    if (hosts > 1) return "Bad Request: more than one Host header";
    if (hosts == 0 && msg.version() == 11) return "Bad Request: HTTP/1.1 request without a Host header";
    if (msg.count(bhttp::field::content_length) > 1) return "Bad Request: more than one Content-Length header";
    return nullptr;
  }

  template <class Stream>
  static awaitable<void> refuse(Stream& stream, int status, const char* why) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(status), 11};
    out.set(bhttp::field::server, "kato");
    out.set(bhttp::field::content_type, "text/plain; charset=utf-8");
    out.body() = std::string(why) + "\n";
    out.keep_alive(false);
    out.prepare_payload();
    boost::system::error_code ec;
    co_await bhttp::async_write(stream, out, asio::redirect_error(use_awaitable, ec));
  }

  template <class Stream>
  awaitable<void> serve(Stream& stream, beast::flat_buffer& buffer, bool is_tls, std::string peer, Conn& conn) {
    for (;;) {
      boost::system::error_code ec;
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(120));
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(64 * 1024);
      // Beast checks Content-Length against the body limit while parsing the header; the
      // limit for this path is only known after it, so start with the largest.
      parser.body_limit(std::max(limits.upload, limits.body));
      conn.idle_since = steady_ms();
      conn.idle = buffer.size() == 0;
      co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
      conn.idle = false;
      // A head that cannot be framed one way only is answered, never guessed at: a proxy that
      // reads it otherwise than the app would lets requests be smuggled past it.
      if (const char* why = refusal(ec, parser)) {
        co_await refuse(stream, ec == bhttp::error::header_limit ? 431 : 400, why);
        co_return;
      }
      if (ec) co_return;
      std::string host = host_of(parser.get());
      bool proxied = proxy && proxy->wants(host);
      if (!proxied && upgrades && upgrades->wants(parser.get())) {
        beast::get_lowest_layer(stream).expires_never();
        co_await upgrades->serve(stream, buffer, parser.release());
        co_return;
      }
      std::size_t limit = proxied ? limits.proxied
                          : is_upload(std::string_view(parser.get().target().data(), parser.get().target().size()))
                              ? limits.upload
                              : limits.body;
      parser.body_limit(limit);
      Response res;
      // Draining for an upgrade: this request is answered, then the client reconnects (to the
      // next image, which accepts from the same socket).
      bool keep = parser.keep_alive() && !draining;
      bool drain = false;  // answered before reading the body: linger so the client reads the answer
      bool version11 = parser.get().version() == 11;
      if (auto len = parser.content_length(); len && *len > limit) {
        res = too_large(limit);
        keep = false;  // the body is not read; the connection cannot be reused
        drain = true;
      } else {
        if (!parser.is_done()) {
          beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(600));
          co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
          if (ec == bhttp::error::body_limit) {
            res = too_large(limit);
            keep = false;
            drain = true;
            ec = {};
          } else if (ec) {
            co_return;
          }
        }
        if (res.body.empty() && proxied) {
          auto msg = parser.release();
          if (draining) msg.keep_alive(false);  // the router answers with Connection: close
          bool again = co_await proxy->serve(stream, buffer, std::move(msg), peer);
          if (!again) co_return;
          continue;
        }
        if (res.body.empty()) {
          auto msg = parser.release();
          Request req = to_request(msg, std::move(msg.body()), is_tls, peer);
          try {
            res = dispatch(req);
          } catch (const std::exception& e) {
            res = Response::json(500, {{"errors", {{{"code", 10001}, {"title", "UnknownError"}, {"detail", e.what()}}}}});
          }
        }
      }
      bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version11 ? 11 : 10};
      out.set(bhttp::field::server, "kato");
      for (auto& [k, v] : res.headers) out.set(k, v);
      out.body() = std::move(res.body);
      out.keep_alive(keep);
      out.prepare_payload();
      co_await bhttp::async_write(stream, out, asio::redirect_error(use_awaitable, ec));
      if (!ec && drain) co_await linger(beast::get_lowest_layer(stream));
      if (ec || !keep) co_return;
    }
  }
};

Server::Server(std::vector<asio::io_context*> workers, asio::ssl::context& tls, const Listen& listen, Dispatch dispatch,
               Proxy* proxy, Limits limits, Upgrades* upgrades)
    : impl_(std::make_shared<Impl>(std::move(workers), tls, listen, std::move(dispatch), proxy, limits)) {
  impl_->upgrades = upgrades;
}

Server::~Server() = default;

unsigned short Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::start() { asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached); }

void Server::stop() {
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

int Server::listen_fd() const { return impl_->acceptor.native_handle(); }

void Server::pause() {
  std::promise<void> done;
  asio::post(impl_->io, [&] {
    boost::system::error_code ec;
    impl_->acceptor.cancel(ec);  // the accept loop returns; the socket keeps listening
    done.set_value();
  });
  done.get_future().wait();
}

std::size_t Server::drain(std::chrono::milliseconds idle, std::chrono::seconds deadline) {
  impl_->draining = true;
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto conns = impl_->connections();
    if (conns.empty()) return 0;
    if (std::chrono::steady_clock::now() >= until) {
      for (const auto& c : conns) Impl::close(c);
      // Their coroutines end on their workers; give them a moment to go.
      for (int i = 0; i < 100 && !impl_->connections().empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      return conns.size();
    }
    // Idle that long, a connection is not in the middle of a client's work: closing it is what
    // any server's keep-alive timeout does.
    for (const auto& c : conns)
      if (c->idle && !c->closing && steady_ms() - c->idle_since >= idle.count()) {
        c->closing = true;
        Impl::close(c);
      }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace kato::http
