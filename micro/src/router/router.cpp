#include "router/router.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "router/wire.hpp"
#include "runner/runner.hpp"
#include "metrics/metrics.hpp"
#include "model/model.hpp"
#include "store/store.hpp"

namespace kato::router {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

struct Route {
  std::string guid, host, path;
  std::vector<std::pair<std::string, std::string>> destinations;  // (app guid, process type)
};

struct Backend {
  unsigned short port;
  const std::string* app;  // the guid, in the route table snapshot the request holds
};

// A kept-alive connection to an app with its read buffer (allocated once, not per request) and
// the head being written.
struct Upstream {
  explicit Upstream(const asio::any_io_executor& ex) : stream(ex) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::string head;
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool is_websocket(const http::RawRequest& req) {
  auto up = req.find(bhttp::field::upgrade);
  return up != req.end() && beast::iequals(up->value(), "websocket");
}

}  // namespace

struct Router::Impl {
  Impl(store::Store& s, runner::Runner& r, std::string d, metrics::Metrics* m)
      : store(s), runner(r), domain(std::move(d)), metrics(m) {}
  store::Store& store;
  runner::Runner& runner;
  std::string domain;
  metrics::Metrics* metrics;  // may be null (tests)
  void count(const std::string& app, unsigned status, std::chrono::steady_clock::time_point started) {
    if (metrics)
      metrics->request(app, status, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }

  // The route table is rebuilt when the store changes and shared as an immutable snapshot;
  // each io thread keeps the last one it saw, so matching a request takes no lock.
  using Routes = std::vector<Route>;
  std::mutex mutex;
  std::uint64_t seen = ~std::uint64_t(0);
  std::shared_ptr<const Routes> routes = std::make_shared<Routes>();
  std::atomic<std::size_t> next{0};  // round robin: one counter spreads every route evenly enough
  std::unique_ptr<std::atomic<int>[]> inflight{new std::atomic<int>[65536]()};  // by backend port, lock-free

  // Access lines are written in batches: one SQLite write per request would cap throughput.
  std::mutex log_mutex;
  std::condition_variable log_wake;
  std::vector<std::pair<std::string, std::string>> log_queue;  // (app guid, line)
  bool quit = false;
  std::thread log_thread;

  std::shared_ptr<const Routes> current() {
    struct Cached {
      const Impl* owner = nullptr;
      std::uint64_t seen = ~std::uint64_t(0);
      std::shared_ptr<const Routes> routes;
    };
    thread_local Cached cached;
    auto changes = store.changes();
    if (cached.owner == this && cached.seen == changes) return cached.routes;
    std::lock_guard lock(mutex);
    if (seen != changes) {
      // Read the counter before the rows: a change in between only causes one more rebuild.
      seen = changes;
      model::Model m(store);
      std::map<std::string, std::string> domain_names;
      for (const auto& d : m.domains()) domain_names[d.guid] = d.name;
      auto fresh = std::make_shared<Routes>();
      for (const auto& r : m.routes()) {
        if (domain_names[r.domain_guid] != domain) continue;
        Route route{r.guid, r.host, r.path, {}};
        for (const auto& d : r.destinations) route.destinations.emplace_back(d.app_guid, d.process_type);
        fresh->push_back(std::move(route));
      }
      routes = std::move(fresh);
    }
    cached = Cached{this, seen, routes};
    return routes;
  }

  struct Match {
    std::shared_ptr<const Routes> routes;  // keeps the app guids below alive
    std::vector<Backend> backends;
    std::size_t start = 0;
  };

  // The route for host + path (longest path prefix), its running backends, and where round
  // robin starts.
  std::optional<Match> match(std::string_view host, std::string_view path) {
    std::string_view name = host.substr(0, host.size() - domain.size() - 1);
    Match m{current(), {}, 0};
    const Route* best = nullptr;
    for (const auto& r : *m.routes) {
      if (r.host != name) continue;
      bool prefix = r.path.empty() || (path.rfind(r.path, 0) == 0 &&
                                       (path.size() == r.path.size() || path[r.path.size()] == '/' || path[r.path.size()] == '?'));
      if (prefix && (!best || r.path.size() > best->path.size())) best = &r;
    }
    if (!best) return std::nullopt;
    thread_local std::vector<unsigned short> ports;
    for (const auto& [app, type] : best->destinations) {
      ports.clear();
      runner.ports(app, type, ports);
      for (auto port : ports) m.backends.push_back({port, &app});
    }
    m.start = next.fetch_add(1, std::memory_order_relaxed);
    return m;
  }

  // Kept-alive backend connections belong to the io thread that made them (a connection and
  // its client stay on one thread), so each thread has its own pool and no lock is needed.
  static std::map<unsigned short, std::vector<std::unique_ptr<Upstream>>>& pool() {
    thread_local std::map<unsigned short, std::vector<std::unique_ptr<Upstream>>> idle;
    return idle;
  }

  std::unique_ptr<Upstream> take(unsigned short port) {
    auto& list = pool()[port];
    if (list.empty()) return nullptr;
    auto s = std::move(list.back());
    list.pop_back();
    return s;
  }

  void give_back(unsigned short port, std::unique_ptr<Upstream> s) {
    auto& list = pool()[port];
    if (list.size() < 256) list.push_back(std::move(s));
  }

  // At most kLinesPerSecond access lines per app and second; the rest are counted and told
  // in one summary line, so that a load test does not flood the log (or the disk).
  static constexpr int kLinesPerSecond = 100;
  struct Budget {
    std::int64_t second = 0;
    int used = 0, dropped = 0;
  };
  std::map<std::string, Budget> budgets;

  bool admit(const std::string& app) {
    std::lock_guard lock(log_mutex);
    auto& b = budgets[app];
    std::int64_t second = now_ns() / 1000000000;
    if (second != b.second) {
      if (b.dropped > 0)
        log_queue.emplace_back(app, std::to_string(b.dropped) + " more requests in that second were not logged one by one");
      b = Budget{second, 0, 0};
    }
    if (b.used < kLinesPerSecond) {
      ++b.used;
      return true;
    }
    ++b.dropped;
    return false;
  }

  void access(const std::string& app, const std::string& line) {
    std::lock_guard lock(log_mutex);
    if (log_queue.size() < 100000) log_queue.emplace_back(app, line);
  }

  void flush_logs() {
    std::unique_lock lock(log_mutex);
    while (!quit) {
      log_wake.wait_for(lock, std::chrono::milliseconds(500));
      auto batch = std::move(log_queue);
      log_queue.clear();
      lock.unlock();
      if (!batch.empty()) {
        try {
          store.transaction([&] {
            for (const auto& [app, line] : batch) store.append_log(app, {now_ns(), "RTR", "0", false, line});
          });
        } catch (const std::exception&) {
        }
      }
      lock.lock();
    }
  }

  struct Inflight {
    Impl& r;
    unsigned short port;
    Inflight(Impl& r_, unsigned short p) : r(r_), port(p) { r.inflight[port].fetch_add(1); }
    ~Inflight() { r.inflight[port].fetch_sub(1); }
  };
};

namespace {

template <class Stream>
awaitable<void> write_plain(Stream& client, unsigned version, bool keep, bhttp::status status, std::string text) {
  bhttp::response<bhttp::string_body> res{status, version};
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.set(bhttp::field::server, "kato");
  res.set("X-Cf-Routererror", status == bhttp::status::not_found ? "unknown_route" : "endpoint_failure");
  res.body() = std::move(text) + "\n";
  res.keep_alive(keep);
  res.prepare_payload();
  boost::system::error_code ec;
  co_await bhttp::async_write(client, res, asio::redirect_error(use_awaitable, ec));
}

// Copies bytes one way until either side closes; then closes the other's write side.
template <class From, class To>
awaitable<void> pump(From& from, To& to) {
  std::array<char, 256 * 1024> buf;  // large copies: a tunnel or upload through here moves gigabytes
  boost::system::error_code ec;
  for (;;) {
    std::size_t n = co_await from.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec || n == 0) break;
    co_await asio::async_write(to, asio::buffer(buf.data(), n), stackato::net::transfer_whole, asio::redirect_error(use_awaitable, ec));
    if (ec) break;
  }
  beast::get_lowest_layer(to).socket().shutdown(tcp::socket::shutdown_send, ec);
}

// The backend-to-client half of a WebSocket; tells `done` when it ends.
template <class From, class To>
awaitable<void> pump_then_signal(From& from, To& to, std::shared_ptr<asio::steady_timer> done) {
  co_await pump(from, to);
  done->cancel();
}

template <class Client>
awaitable<bool> proxy(Router::Impl& r, Client& client, beast::flat_buffer& buffer, http::RawRequest req,
                      const std::string& peer, bool tls) {
  auto started = std::chrono::steady_clock::now();
  std::string_view host;
  if (auto h = req.find(bhttp::field::host); h != req.end()) host = std::string_view(h->value().data(), h->value().size());
  std::string host_only(host.substr(0, host.rfind(':') == std::string_view::npos || host.find(']') != std::string_view::npos ? host.size() : host.rfind(':')));
  for (auto& ch : host_only) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  std::string_view target(req.target().data(), req.target().size());
  std::string_view path = target.substr(0, target.find('?'));
  bool keep = req.keep_alive();
  unsigned version = req.version();
  bool head_request = req.method() == bhttp::verb::head;

  auto found = r.match(host_only, path);
  if (!found) {
    co_await write_plain(client, version, keep, bhttp::status::not_found,
                         "404 Not Found: Requested route ('" + host_only + "') does not exist.");
    co_return keep;
  }
  const auto& backends = found->backends;
  if (backends.empty()) {
    co_await write_plain(client, version, keep, bhttp::status::bad_gateway,
                         "502 Bad Gateway: Registered endpoint failed to handle the request (no instance is running).");
    co_return keep;
  }

  // X-Forwarded-*: what the app needs to know about the original request.
  std::string xff = peer;
  if (auto f = req.find("X-Forwarded-For"); f != req.end()) xff = std::string(f->value().data(), f->value().size()) + ", " + peer;
  char start_ms[24];
  auto start_end = std::to_chars(start_ms, start_ms + sizeof start_ms, now_ns() / 1000000).ptr;
  Forwarded forwarded{xff, tls ? "https" : "http", host, std::string_view(start_ms, static_cast<std::size_t>(start_end - start_ms))};
  bool websocket = is_websocket(req);

  boost::system::error_code ec;
  for (std::size_t attempt = 0; attempt < backends.size(); ++attempt) {
    const Backend& b = backends[(found->start + attempt) % backends.size()];
    Router::Impl::Inflight counted(r, b.port);
    for (int fresh = 0; fresh < 2; ++fresh) {
      std::unique_ptr<Upstream> up = websocket || fresh ? nullptr : r.take(b.port);
      bool reused = up != nullptr;
      if (!up) {
        up = std::make_unique<Upstream>(client.get_executor());
        up->stream.expires_after(std::chrono::seconds(5));
        co_await up->stream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), b.port),
                                          asio::redirect_error(use_awaitable, ec));
        if (ec) break;  // this instance is gone: the next one
        up->stream.socket().set_option(tcp::no_delay(true), ec);
      }
      up->stream.expires_after(std::chrono::seconds(900));
      request_head(up->head, req, forwarded, websocket);
      std::array<asio::const_buffer, 2> out{asio::buffer(up->head), asio::buffer(req.body())};
      co_await asio::async_write(up->stream, out, stackato::net::transfer_whole, asio::redirect_error(use_awaitable, ec));
      up->buffer.clear();
      // Interim answers (100 Continue) are skipped: the body has gone already.
      std::optional<bhttp::response_parser<bhttp::string_body>> parser;
      while (!ec) {
        parser.emplace();
        parser->body_limit(std::size_t(1) << 30);
        parser->skip(head_request);
        // One read for the whole response, except for an upgrade, whose header decides.
        if (websocket)
          co_await bhttp::async_read_header(up->stream, up->buffer, *parser, asio::redirect_error(use_awaitable, ec));
        else
          co_await bhttp::async_read(up->stream, up->buffer, *parser, asio::redirect_error(use_awaitable, ec));
        unsigned status = parser->get().result_int();
        if (ec || status / 100 != 1 || status == 101) break;
      }
      if (ec) {
        if (reused) continue;  // a kept-alive connection the app had closed: once more, fresh
        break;
      }
      if (websocket && parser->get().result() == bhttp::status::switching_protocols) {
        auto res = parser->release();
        co_await bhttp::async_write(client, res, asio::redirect_error(use_awaitable, ec));
        if (ec) co_return false;
        // Bytes either side read past the headers go first.
        if (buffer.size()) co_await asio::async_write(up->stream, buffer.data(), asio::redirect_error(use_awaitable, ec));
        buffer.consume(buffer.size());
        if (up->buffer.size()) co_await asio::async_write(client, up->buffer.data(), asio::redirect_error(use_awaitable, ec));
        beast::get_lowest_layer(client).expires_never();
        up->stream.expires_never();
        r.access(*b.app, std::string(host) + " - \"" + std::string(req.method_string()) + " " + std::string(target) + "\" 101 websocket");
        auto done = std::make_shared<asio::steady_timer>(client.get_executor(), std::chrono::steady_clock::time_point::max());
        asio::co_spawn(client.get_executor(), pump_then_signal(up->stream, client, done), asio::detached);
        co_await pump(client, up->stream);
        up->stream.socket().shutdown(tcp::socket::shutdown_receive, ec);
        co_await done->async_wait(asio::redirect_error(use_awaitable, ec));
        co_return false;
      }
      if (!parser->is_done()) co_await bhttp::async_read(up->stream, up->buffer, *parser, asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      bool chunked = parser->chunked();
      auto res = parser->release();
      // Bytes past the response mean the app and the router disagree on framing: not reused.
      bool backend_keep = res.keep_alive() && up->buffer.size() == 0 && !websocket;
      response_head(up->head, res, chunked, head_request, version, keep);
      out = {asio::buffer(up->head), asio::buffer(res.body())};
      co_await asio::async_write(client, out, stackato::net::transfer_whole, asio::redirect_error(use_awaitable, ec));
      if (backend_keep) r.give_back(b.port, std::move(up));
      r.count(*b.app, res.result_int(), started);
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
      if (r.admit(*b.app))
        r.access(*b.app, std::string(host) + " - \"" + std::string(req.method_string()) + " " + std::string(target) + " HTTP/" +
                          std::to_string(version / 10) + "." + std::to_string(version % 10) + "\" " +
                          std::to_string(res.result_int()) + " " + std::to_string(res.body().size()) + " x_forwarded_for:\"" +
                          xff + "\" response_time:" + std::to_string(ms) + "ms app_port:" + std::to_string(b.port));
      co_return !ec && keep;
    }
  }
  r.count(*backends.front().app, 502, started);
  co_await write_plain(client, version, keep, bhttp::status::bad_gateway,
                       "502 Bad Gateway: Registered endpoint failed to handle the request.");
  co_return keep;
}

}  // namespace

Router::Router(store::Store& store, runner::Runner& runner, std::string domain, metrics::Metrics* metrics)
    : impl_(std::make_unique<Impl>(store, runner, std::move(domain), metrics)) {
  impl_->log_thread = std::thread([this] { impl_->flush_logs(); });
}

Router::~Router() {
  {
    std::lock_guard lock(impl_->log_mutex);
    impl_->quit = true;
  }
  impl_->log_wake.notify_all();
  impl_->log_thread.join();
}

bool Router::wants(const std::string& host) const {
  const std::string& d = impl_->domain;
  // Asked on every request: no allocation.
  return host.size() > d.size() + 1 && host.compare(host.size() - d.size(), d.size(), d) == 0 &&
         host[host.size() - d.size() - 1] == '.' && !(host.size() == d.size() + 4 && host.compare(0, 4, "api.") == 0);
}

awaitable<bool> Router::serve(beast::tcp_stream& client, beast::flat_buffer& buffer, http::RawRequest request,
                              std::string peer) {
  co_return co_await proxy(*impl_, client, buffer, std::move(request), peer, false);
}

awaitable<bool> Router::serve(http::TlsStream& client, beast::flat_buffer& buffer,
                              http::RawRequest request, std::string peer) {
  co_return co_await proxy(*impl_, client, buffer, std::move(request), peer, true);
}

int Router::inflight(unsigned short port) const { return impl_->inflight[port].load(); }

void Router::close_idle() { Impl::pool().clear(); }

}  // namespace kato::router
