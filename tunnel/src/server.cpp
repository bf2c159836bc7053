// stackato-tunnel-server: the helper app `stackato tunnel` pushes. It runs like any app (PORT,
// VCAP_SERVICES) behind the platform's router, which terminates TLS. Every request must carry
// the secret from TUNNEL_AUTH; anything else gets 404, as if there were nothing here.
//   GET /info             {"version", "protocol", "services"}
//   GET /services/NAME    that bound service's label and credentials
//   GET /tunnel/NAME      WebSocket upgrade: bytes to and from the service's host and port
// Protocol details: tunnel/PROTOCOL.md.

#include <openssl/crypto.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "splice.hpp"
#include "stackato/tunnel/protocol.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;

namespace {

struct Service {
  std::string label;
  json credentials;
};

std::string secret;
std::map<std::string, Service> services;

void load_services() {
  const char* v = std::getenv("VCAP_SERVICES");
  json all = json::parse(v ? v : "{}", nullptr, false);
  if (!all.is_object()) return;
  for (const auto& [label, list] : all.items())
    if (list.is_array())
      for (const auto& s : list)
        if (s.is_object() && s.contains("name")) services[s["name"]] = {label, s.value("credentials", json::object())};
}

// Constant time, so that the secret cannot be guessed byte by byte from response times.
bool authorized(const http::request<http::string_body>& req) {
  auto it = req.find(stackato::tunnel::kAuthHeader);
  if (it == req.end() || secret.empty()) return false;
  std::string_view given(it->value().data(), it->value().size());
  return given.size() == secret.size() && CRYPTO_memcmp(given.data(), secret.data(), secret.size()) == 0;
}

http::response<http::string_body> reply(const http::request<http::string_body>& req, http::status status, const json& body) {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = body.dump();
  res.prepare_payload();
  return res;
}

// The service's address from its credentials.
bool address(const Service& s, std::string& host, std::string& port) {
  const json& c = s.credentials;
  host = c.value("hostname", c.value("host", std::string()));
  if (c.contains("port")) port = c["port"].is_string() ? c["port"].get<std::string>() : c["port"].dump();
  return !host.empty() && !port.empty();
}

// GCC 12 cannot keep braced initialiser lists alive across co_await: answers are built first.
asio::awaitable<void> send(beast::tcp_stream& stream, http::response<http::string_body> res) {
  co_await http::async_write(stream, res, asio::use_awaitable);
}

json error_body(const std::string& text) {
  json j = json::object();
  j["error"] = text;
  return j;
}

asio::awaitable<void> session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buf;
  try {
    for (;;) {
      http::request<http::string_body> req;
      co_await http::async_read(stream, buf, req, asio::use_awaitable);
      std::string target(req.target());
      if (!authorized(req)) {
        auto res = reply(req, http::status::not_found, error_body("not found"));
        co_await send(stream, std::move(res));
      } else if (target == "/info") {
        json info = json::object();
        info["version"] = stackato::tunnel::kHelperVersion;
        info["protocol"] = stackato::tunnel::kProtocolVersion;
        info["services"] = json::array();
        for (const auto& entry : services) info["services"].push_back(entry.first);
        auto res = reply(req, http::status::ok, info);
        co_await send(stream, std::move(res));
      } else if (target.rfind("/services/", 0) == 0 && services.count(target.substr(10))) {
        const Service& s = services[target.substr(10)];
        json body = json::object();
        body["label"] = s.label;
        body["credentials"] = s.credentials;
        auto res = reply(req, http::status::ok, body);
        co_await send(stream, std::move(res));
      } else if (target.rfind("/tunnel/", 0) == 0 && beast::websocket::is_upgrade(req)) {
        auto it = services.find(target.substr(8));
        std::string host, port;
        if (it == services.end() || !address(it->second, host, port)) {
          auto res = reply(req, http::status::not_found, error_body("no such service bound"));
          co_await send(stream, std::move(res));
          continue;
        }
        // Connect first: a service that is down is a 502 with the reason, not a dead WebSocket.
        tcp::socket upstream(stream.get_executor());
        boost::system::error_code ec;
        tcp::resolver resolver(stream.get_executor());
        auto endpoints = co_await resolver.async_resolve(host, port, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) co_await asio::async_connect(upstream, endpoints, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          auto res = reply(req, http::status::bad_gateway,
                           error_body("cannot connect to " + it->first + " at " + host + ":" + port + ": " + ec.message()));
          co_await send(stream, std::move(res));
          continue;
        }
        upstream.set_option(tcp::no_delay(true));
        beast::websocket::stream<beast::tcp_stream> ws(std::move(stream));
        stream.expires_never();
        co_await ws.async_accept(req, asio::use_awaitable);
        std::make_shared<stackato::tunnel::Splice<beast::websocket::stream<beast::tcp_stream>>>(std::move(upstream), std::move(ws))->start();
        co_return;
      } else {
        auto res = reply(req, http::status::not_found, error_body("not found"));
        co_await send(stream, std::move(res));
      }
      if (!req.keep_alive()) break;
    }
  } catch (const std::exception&) {  // the peer went away
  }
}

asio::awaitable<void> serve(tcp::acceptor& acceptor) {
  for (;;) {
    tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
    s.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(), session(std::move(s)), asio::detached);
  }
}

}  // namespace

int main() {
  const char* auth = std::getenv("TUNNEL_AUTH");
  const char* port = std::getenv("PORT");
  if (!auth || std::string(auth).size() < 32) {
    std::cerr << "stackato-tunnel-server: TUNNEL_AUTH (at least 32 characters) is required\n";
    return 2;
  }
  secret = auth;
  load_services();
  asio::io_context io(1);
  tcp::acceptor acceptor(io, {tcp::v4(), static_cast<unsigned short>(std::atoi(port ? port : "8080"))});
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](auto, auto) { io.stop(); });
  asio::co_spawn(io, serve(acceptor), asio::detached);
  std::cout << "stackato-tunnel-server " << stackato::tunnel::kHelperVersion << " (protocol "
            << stackato::tunnel::kProtocolVersion << ") on port " << acceptor.local_endpoint().port() << ", "
            << services.size() << " service(s)" << std::endl;
  io.run();
  return 0;
}
