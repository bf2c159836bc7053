#pragma once
// The heads the router writes: the request it passes to an app and the response it passes
// back. Beast parses both; Beast's serializer, generic over buffer sequences, was the largest
// part of the router's own CPU time per request (docs/benchmarks.md).

#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace kato::router {

// What the app is told about the original request.
struct Forwarded {
  std::string_view for_;    // X-Forwarded-For: the client's chain plus the peer
  std::string_view proto;   // X-Forwarded-Proto: http or https
  std::string_view host;    // X-Forwarded-Host: the Host the client asked for
  std::string_view start;   // X-Request-Start: milliseconds since the epoch
};

// The client's request head for the app: hop-by-hop fields dropped (the connection to the app
// is kept alive whatever the client wants), X-Forwarded-* and X-Request-Start replaced, framed
// by Content-Length (the body is read whole). A WebSocket upgrade keeps its Connection field.
void request_head(std::string& out, const boost::beast::http::request<boost::beast::http::string_body>& req,
                  const Forwarded& forwarded, bool websocket);

// The app's response head for the client: its Connection field replaced by what the client
// connection does (`keep`), and a chunked or close-delimited body, which was read whole,
// framed by Content-Length. `head_request`: the body was never there (HEAD), framing stays.
void response_head(std::string& out, const boost::beast::http::response<boost::beast::http::string_body>& res,
                   bool chunked, bool head_request, unsigned client_version, bool keep);

}  // namespace kato::router
