#include "exec/exec.hpp"

#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <array>
#include <cstdio>
#include <deque>
#include <regex>
#include <thread>

#include "controller/access.hpp"
#include "model/model.hpp"
#include "runner/env.hpp"

namespace kato::exec {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace fs = std::filesystem;
using json = nlohmann::json;
using asio::use_awaitable;

namespace {

const std::regex kPath("^/v3/apps/([0-9a-f-]+)/processes/web/instances/([0-9]+)/exec$");

struct Target {
  std::string app;
  int index = 0;
};

// The admin's export of the whole kato (backup/export.hpp), for `kato data import URL`.
constexpr std::string_view kExportPath = "/v2/kato/export";

bool is_export(const http::RawRequest& request) {
  std::string_view t(request.target().data(), request.target().size());
  return request.method() == beast::http::verb::get && t.substr(0, t.find('?')) == kExportPath;
}

// `kato --data DATA data export -` as a child: its stdout is the archive. This very executable
// (an upgrade may have replaced the file: /proc/self/exe is still the image that runs).
pid_t spawn_export(const fs::path& data, int& out) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return -1;
  std::string exe = "/proc/self/exe", data_s = data.string();
  std::vector<char*> argv = {exe.data(), const_cast<char*>("--data"), data_s.data(), const_cast<char*>("data"),
                             const_cast<char*>("export"), const_cast<char*>("-"), nullptr};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(p[1], 1);
    ::close_range(3, ~0U, 0);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(p[1]);
  if (pid < 0) {
    ::close(p[0]);
    return -1;
  }
  out = p[0];
  return pid;
}

std::optional<Target> parse(std::string_view target) {
  std::string t(target.substr(0, target.find('?')));
  std::smatch m;
  if (!std::regex_match(t, m, kPath)) return std::nullopt;
  return Target{m[1], std::stoi(m[2])};
}

// (Outside coroutines: GCC 12 cannot keep braced initialiser lists alive in a coroutine frame.)
std::string exit_message(int status) {
  json j = json::object();
  j["exit"] = status;
  return j.dump();
}

std::string error_body(int status, const std::string& title, const std::string& detail) {
  json e = json::object();
  e["code"] = status == 401 ? 1000 : 10003;
  e["title"] = title;
  e["detail"] = detail;
  json out = json::object();
  out["errors"] = json::array();
  out["errors"].push_back(e);
  return out.dump();
}

// One command: its process, its pipes, and the WebSocket; all on one thread (the connection's).
template <class WS>
struct Session : std::enable_shared_from_this<Session<WS>> {
  WS ws;
  pid_t pid = -1;
  asio::posix::stream_descriptor in, out, err;
  bool writing = false, finished = false;
  std::deque<asio::steady_timer*> waiting;
  int open_outputs = 2;
  std::optional<int> status;

  Session(WS w, asio::any_io_executor ex) : ws(std::move(w)), in(ex), out(ex), err(ex) {}

  // One WebSocket write at a time; the others wait their turn (and so stop reading their pipe).
  asio::awaitable<void> send(bool text, std::string data) {
    while (writing) {
      asio::steady_timer t(ws.get_executor(), std::chrono::steady_clock::time_point::max());
      waiting.push_back(&t);
      boost::system::error_code ec;
      co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    writing = true;
    boost::system::error_code ec;
    ws.text(text);
    co_await ws.async_write(asio::buffer(data), asio::redirect_error(use_awaitable, ec));
    writing = false;
    if (!waiting.empty()) {
      waiting.front()->cancel();
      waiting.pop_front();
    }
    if (ec) throw boost::system::system_error(ec);
  }

  asio::awaitable<void> pump_output(asio::posix::stream_descriptor& pipe, char channel) {
    auto self = this->shared_from_this();
    std::string buf(64 * 1024 + 1, '\0');
    try {
      for (;;) {
        boost::system::error_code ec;
        std::size_t n = co_await pipe.async_read_some(asio::buffer(buf.data() + 1, buf.size() - 1),
                                                      asio::redirect_error(use_awaitable, ec));
        if (ec) break;
        buf[0] = channel;
        co_await send(false, buf.substr(0, n + 1));
      }
    } catch (const std::exception&) {
      kill_command();
    }
    --open_outputs;
    co_await finish();
  }

  asio::awaitable<void> pump_input() {
    auto self = this->shared_from_this();
    beast::flat_buffer buf;
    try {
      for (;;) {
        co_await ws.async_read(buf, use_awaitable);
        std::string_view data(static_cast<const char*>(buf.data().data()), buf.size());
        if (ws.got_text()) {
          json j = json::parse(data, nullptr, false);
          if (j.is_object() && j.contains("eof")) {
            boost::system::error_code ignored;
            in.close(ignored);
          }
        } else if (!data.empty() && data[0] == 0 && in.is_open()) {
          boost::system::error_code ec;
          co_await asio::async_write(in, asio::buffer(data.substr(1)), asio::redirect_error(use_awaitable, ec));
          if (ec) in.close(ec);  // the command stopped reading: its input is dropped
        }
        buf.consume(buf.size());
      }
    } catch (const std::exception&) {
      // The client went away (or closed after the exit message): the command must not go on.
      if (!finished) kill_command();
    }
  }

  void kill_command() {
    if (pid > 0 && !status) {
      ::kill(-pid, SIGHUP);
      ::kill(-pid, SIGTERM);
    }
  }

  asio::awaitable<void> finish() {
    if (finished || open_outputs > 0 || !status) co_return;
    finished = true;
    auto self = this->shared_from_this();
    try {
      co_await send(true, exit_message(*status));
      boost::system::error_code ec;
      co_await ws.async_close(beast::websocket::close_code::normal, asio::redirect_error(use_awaitable, ec));
    } catch (const std::exception&) {
    }
  }
};

}  // namespace

struct Exec::Impl {
  store::Store& store;
  auth::Tokens& tokens;
  std::string domain;
  fs::path instances, helpers;
  sandbox::Sandbox sandbox;
  fs::path data;

  // GET /v2/kato/export: admins only. The archive is streamed as it is made (chunked), never
  // held whole; an export that fails ends the connection without the last chunk, so that the
  // client sees a truncated transfer, never a complete-looking archive.
  template <class Stream>
  asio::awaitable<void> serve_export(Stream& stream, http::RawRequest req) {
    std::string authz(req[beast::http::field::authorization]);
    if (authz.rfind("bearer ", 0) == 0 || authz.rfind("Bearer ", 0) == 0) authz = authz.substr(7);
    auto verified = tokens.verify(authz);
    auto caller = verified.user ? controller::load_caller(store, verified.user->guid) : std::nullopt;
    if (!caller) {
      co_await refuse(stream, req, 401, "CF-InvalidAuthToken", "Invalid Auth Token");
      co_return;
    }
    if (!caller->admin || data.empty()) {
      co_await refuse(stream, req, 403, "CF-NotAuthorized", "You are not authorized to perform the requested action");
      co_return;
    }
    int out = -1;
    pid_t pid = spawn_export(data, out);
    if (pid < 0) {
      co_await refuse(stream, req, 500, "UnknownError", "The export could not be started");
      co_return;
    }
    asio::posix::stream_descriptor pipe(co_await asio::this_coro::executor, out);
    boost::system::error_code ec;
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Disposition: attachment; filename=\"kato-export.tgz\"\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    co_await asio::async_write(stream, asio::buffer(head), asio::redirect_error(use_awaitable, ec));
    std::vector<char> buf(1 << 20);
    bool client_gone = false;
    while (!ec) {
      std::size_t n = co_await pipe.async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
      if (n == 0) continue;
      char size[24];
      int len = std::snprintf(size, sizeof size, "%zx\r\n", n);
      std::array<asio::const_buffer, 3> chunk = {asio::buffer(size, static_cast<std::size_t>(len)), asio::buffer(buf.data(), n),
                                                 asio::buffer("\r\n", 2)};
      boost::system::error_code wec;
      co_await asio::async_write(stream, chunk, asio::redirect_error(use_awaitable, wec));
      if (wec) {
        client_gone = true;
        break;
      }
    }
    pipe.close();
    if (client_gone) ::kill(pid, SIGTERM);  // its tools see their pipes close and end too
    int status = 0;
    ::waitpid(pid, &status, 0);  // the pipe's end: the export is ending
    if (!client_gone && WIFEXITED(status) && WEXITSTATUS(status) == 0 && ec == asio::error::eof)
      co_await asio::async_write(stream, asio::buffer("0\r\n\r\n", 5), asio::redirect_error(use_awaitable, ec));
  }

  // 401/403/404 before any upgrade, as JSON error objects.
  template <class Stream>
  asio::awaitable<void> refuse(Stream& stream, const http::RawRequest& req, int status, const std::string& title,
                               const std::string& detail) {
    beast::http::response<beast::http::string_body> res{static_cast<beast::http::status>(status), req.version()};
    res.set(beast::http::field::content_type, "application/json");
    res.body() = error_body(status, title, detail);
    res.keep_alive(false);
    res.prepare_payload();
    boost::system::error_code ec;
    co_await beast::http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, beast::flat_buffer& buffer, http::RawRequest req) {
    if (is_export(req)) {
      co_await serve_export(stream, std::move(req));
      co_return;
    }
    auto target = parse(std::string_view(req.target().data(), req.target().size()));
    std::string authz(req[beast::http::field::authorization]);
    if (authz.rfind("bearer ", 0) == 0 || authz.rfind("Bearer ", 0) == 0) authz = authz.substr(7);
    auto verified = tokens.verify(authz);
    if (!verified.user) {
      co_await refuse(stream, req, 401, "CF-InvalidAuthToken", "Invalid Auth Token");
      co_return;
    }
    // The controller's rules (controller/access.hpp): an app the caller cannot see is not
    // there (404); running commands in it is a change (space developers and admins).
    auto caller = controller::load_caller(store, verified.user->guid);
    if (!caller) {
      co_await refuse(stream, req, 401, "CF-InvalidAuthToken", "Invalid Auth Token");
      co_return;
    }
    auto app = target ? model::Model(store).app(target->app) : std::nullopt;
    auto place = app ? controller::place_of(store, controller::On::App, target->app) : std::nullopt;
    if (!app || !place || !caller->sees_space(place->space, place->org)) {
      co_await refuse(stream, req, 404, "CF-ResourceNotFound", "App not found");
      co_return;
    }
    if (!caller->develops(place->space)) {
      co_await refuse(stream, req, 403, "CF-NotAuthorized", "You are not authorized to perform the requested action");
      co_return;
    }
    fs::path dir = instances / target->app / std::to_string(target->index) / "app";
    if (!fs::exists(dir)) {
      co_await refuse(stream, req, 404, "CF-ResourceNotFound", "Instance " + std::to_string(target->index) + " is not running");
      co_return;
    }
    beast::websocket::stream<Stream&> ws(stream);
    ws.read_message_max(std::size_t(16) << 20);
    co_await ws.async_accept(req, use_awaitable);
    beast::flat_buffer first;
    co_await ws.async_read(first, use_awaitable);
    json hello = json::parse(beast::buffers_to_string(first.data()), nullptr, false);
    std::string command = hello.is_object() ? hello.value("command", "") : "";
    bool tty = hello.is_object() && hello.value("tty", false);

    runner::Env env = runner::app_env(store, *app, domain, dir.string());
    env["PATH"] = helpers.string() + ":" + env["PATH"];
    env["TERM"] = hello.is_object() ? hello.value("term", std::string("xterm")) : "xterm";
    std::vector<std::string> envs;
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);

    sandbox::Policy policy{dir, {{dir, true}, {helpers, false}}, true};
    for (const auto& v : runner::volume_dirs(store, target->app)) policy.binds.push_back({v, true});
    sandbox::Launch launch = sandbox.prepare(policy, command);
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1}, master = -1;
    pid_t pid;
    if (tty) {
      pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    } else {
      if (::pipe2(pin, O_CLOEXEC) || ::pipe2(pout, O_CLOEXEC) || ::pipe2(perr, O_CLOEXEC)) throw std::runtime_error("pipe failed");
      pid = ::fork();
    }
    if (pid == 0) {
      ::signal(SIGPIPE, SIG_DFL);  // kato ignores it; the command gets the usual behaviour back
      if (!tty) {
        ::setsid();
        ::dup2(pin[0], 0);
        ::dup2(pout[1], 1);
        ::dup2(perr[1], 2);
      }
      ::close_range(3, ~0U, 0);
      sandbox::exec(launch, envp.data());
    }
    using S = Session<beast::websocket::stream<Stream&>>;
    auto session = std::make_shared<S>(std::move(ws), stream.get_executor());
    session->pid = pid;
    if (tty) {
      session->in.assign(::dup(master));
      session->out.assign(master);
      session->open_outputs = 1;
    } else {
      ::close(pin[0]);
      ::close(pout[1]);
      ::close(perr[1]);
      session->in.assign(pin[1]);
      session->out.assign(pout[0]);
      session->err.assign(perr[0]);
    }
    // The exit status comes from a thread of its own (waitpid blocks), back on the connection's.
    auto ex = stream.get_executor();
    std::thread([pid, ex, session] {
      int st = 0;
      while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      asio::post(ex, [session, code] {
        session->status = code;
        asio::co_spawn(session->ws.get_executor(), session->finish(), asio::detached);
      });
    }).detach();
    asio::co_spawn(ex, session->pump_input(), asio::detached);
    asio::co_spawn(ex, session->pump_output(session->out, 1), asio::detached);
    if (!tty) asio::co_spawn(ex, session->pump_output(session->err, 2), asio::detached);
    // The WebSocket borrows the caller's stream: stay until every pump, the exit watcher and
    // the closing handshake have let go of the session.
    while (session.use_count() > 1) {
      asio::steady_timer t(ex, std::chrono::milliseconds(50));
      co_await t.async_wait(use_awaitable);
    }
    (void)buffer;
  }
};

Exec::Exec(store::Store& store, auth::Tokens& tokens, std::string domain, fs::path instances, fs::path helpers,
           sandbox::Sandbox sandbox, fs::path data)
    : impl_(std::make_unique<Impl>(Impl{store, tokens, std::move(domain), std::move(instances), std::move(helpers),
                                        std::move(sandbox), std::move(data)})) {}

Exec::~Exec() = default;

bool Exec::wants(const http::RawRequest& request) const {
  if (is_export(request)) return true;
  return beast::websocket::is_upgrade(request) &&
         parse(std::string_view(request.target().data(), request.target().size())).has_value();
}

asio::awaitable<void> Exec::serve(beast::tcp_stream& client, beast::flat_buffer& buffer, http::RawRequest request) {
  co_await impl_->serve(client, buffer, std::move(request));
}

asio::awaitable<void> Exec::serve(http::TlsStream& client, beast::flat_buffer& buffer,
                                  http::RawRequest request) {
  co_await impl_->serve(client, buffer, std::move(request));
}

}  // namespace kato::exec
