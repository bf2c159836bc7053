#include "remote.hpp"

#include <openssl/ssl.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <cerrno>
#include <csignal>
#include <future>
#include <thread>

#include "api/cloud_controller.hpp"

namespace stackato::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

// Raw mode for a pty session, restored however we leave.
struct RawTerminal {
  termios saved{};
  bool active = false;
  explicit RawTerminal(bool on) {
    if (!on || ::tcgetattr(0, &saved) != 0) return;
    termios raw = saved;
    ::cfmakeraw(&raw);
    active = ::tcsetattr(0, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active) ::tcsetattr(0, TCSANOW, &saved);
  }
};

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

template <class WS>
int converse(WS& ws, asio::io_context& io, const RemoteCommand& rc) {
  ws.read_message_max(std::size_t(16) << 20);
  ws.binary(false);
  ws.text(true);
  ws.write(asio::buffer(json{{"command", rc.command}, {"tty", rc.tty}, {"term", std::getenv("TERM") ? std::getenv("TERM") : "xterm"}}.dump()));
  RawTerminal raw(rc.tty);

  std::optional<int> status;
  bool local_gone = false;  // our stdout closed (| head): the remote command must end
  beast::flat_buffer buf;
  std::function<void()> read_next;
  read_next = [&] {
    ws.async_read(buf, [&](beast::error_code ec, std::size_t) {
      if (ec) return;
      std::string_view data(static_cast<const char*>(buf.data().data()), buf.size());
      if (ws.got_text()) {
        json j = json::parse(data, nullptr, false);
        if (j.is_object() && j.contains("exit")) status = j["exit"].get<int>();
      } else if (!data.empty() && !local_gone) {
        int fd = data[0] == 2 ? 2 : 1;
        if (!write_all(fd, data.data() + 1, data.size() - 1) && fd == 1) {
          local_gone = true;  // EPIPE: closing makes kato end the command
          ws.async_close(websocket::close_code::going_away, [](beast::error_code) {});
          return;
        }
      }
      buf.consume(buf.size());
      read_next();
    });
  };
  read_next();

  // stdin: a thread of its own (a file or a terminal cannot be waited on with epoll); each
  // chunk is sent before the next is read, so a slow remote slows the reading.
  std::thread([&ws, &io] {
    std::vector<char> chunk(64 * 1024 + 1);
    for (;;) {
      ssize_t n = ::read(0, chunk.data() + 1, chunk.size() - 1);
      if (n < 0 && errno == EINTR) continue;
      std::promise<bool> sent;
      auto done = sent.get_future();
      if (n <= 0) {
        asio::post(io, [&ws, &sent] {
          ws.text(true);
          ws.async_write(asio::buffer(std::string_view("{\"eof\":\"stdin\"}")),
                         [&sent](beast::error_code ec, std::size_t) { sent.set_value(!ec); });
        });
        done.wait();
        return;
      }
      chunk[0] = 0;
      asio::post(io, [&ws, &sent, &chunk, n] {
        ws.binary(true);
        ws.async_write(asio::buffer(chunk.data(), static_cast<std::size_t>(n) + 1),
                       [&sent](beast::error_code ec, std::size_t) { sent.set_value(!ec); });
      });
      if (!done.get()) return;
    }
  }).detach();

  io.run();
  if (local_gone) return 141;  // as a shell reports SIGPIPE
  if (!status) throw NetworkError("the connection to the instance was lost before the command ended");
  return *status;
}

}  // namespace

int run_remote(Session& s, const RemoteCommand& rc) {
  std::signal(SIGPIPE, SIG_IGN);
  // The instance must be running: say so plainly rather than as a refused handshake.
  api::CloudController cc(s);
  bool running = false;
  for (const auto& st : cc.instance_stats(cc.app_process(rc.app_guid).guid))
    running |= st.index == rc.instance && st.state == "RUNNING";
  if (!running) throw ApiError(404, "instance " + std::to_string(rc.instance) + " of the app is not running");
  std::string target = s.target();
  bool secure = target.rfind("https://", 0) == 0;
  std::string hostport = target.substr(target.find("://") + 3);
  hostport = hostport.substr(0, hostport.find('/'));
  auto colon = hostport.rfind(':');
  std::string host = colon == std::string::npos ? hostport : hostport.substr(0, colon);
  std::string port = colon == std::string::npos ? (secure ? "443" : "80") : hostport.substr(colon + 1);
  bool local = host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0);
  std::string path = api::CloudController::exec_path(rc.app_guid, rc.instance);
  std::string token = s.token();

  // Kept for the life of the process on purpose: the stdin thread may still be blocked in
  // read(2) when the command ends, and must never touch a destroyed stream.
  // (Reachable from statics, so that leak checkers do not count them.)
  static asio::io_context* kept_io = nullptr;
  [[maybe_unused]] static void* kept_ws = nullptr;
  kept_io = new asio::io_context;
  auto& io = *kept_io;
  auto decorate = [&](websocket::request_type& r) { r.set(beast::http::field::authorization, token); };
  try {
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(local ? "127.0.0.1" : host, port);
    if (secure) {
      asio::ssl::context tls(asio::ssl::context::tls_client);
      // The session's TLS options, as every other command's (it read only the saved ones).
      const std::string& cafile = s.cafile();
      if (s.skip_ssl_validation()) {
        tls.set_verify_mode(asio::ssl::verify_none);
      } else {
        tls.set_verify_mode(asio::ssl::verify_peer);
        if (!cafile.empty()) tls.load_verify_file(cafile); else tls.set_default_verify_paths();
      }
      static asio::ssl::context* kept_tls = nullptr;
      kept_tls = new asio::ssl::context(std::move(tls));
      auto* wsp = new websocket::stream<beast::ssl_stream<beast::tcp_stream>>(io, *kept_tls);
      kept_ws = wsp;
      auto& ws = *wsp;
      beast::get_lowest_layer(ws).connect(endpoints);
      SSL_set_tlsext_host_name(ws.next_layer().native_handle(), host.c_str());
      if (!s.skip_ssl_validation()) ws.next_layer().set_verify_callback(asio::ssl::host_name_verification(host));
      ws.next_layer().handshake(asio::ssl::stream_base::client);
      ws.set_option(websocket::stream_base::decorator(decorate));
      websocket::response_type res;
      beast::error_code ec;
      ws.handshake(res, host + ":" + port, path, ec);
      if (ec) {
        // (Beast 1.74 does not hand back the refusal's status; the likely reasons are named.)
        std::string why = res.result_int() == 403 ? "you are not allowed to run commands in this app's space (403)"
                          : "the exec endpoint refused: " + ec.message() +
                                " (not a user of the app's space? a target without the endpoint, such as a real Cloud Foundry: use --local)";
        throw NetworkError(why);
      }
      return converse(ws, io, rc);
    }
    auto* wsp = new websocket::stream<beast::tcp_stream>(io);
    kept_ws = wsp;
    auto& ws = *wsp;
    ws.next_layer().connect(endpoints);
    ws.set_option(websocket::stream_base::decorator(decorate));
    ws.handshake(host + ":" + port, path);
    return converse(ws, io, rc);
  } catch (const boost::system::system_error& e) {
    throw NetworkError("cannot run the command in the instance: " + std::string(e.what()));
  }
}

}  // namespace stackato::client
