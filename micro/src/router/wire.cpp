#include "router/wire.hpp"

#include <charconv>

namespace kato::router {

namespace bhttp = boost::beast::http;
using bhttp::field;

namespace {

// Beast 1.74 hands out boost::string_view.
std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}
void append_field(std::string& out, const bhttp::fields::value_type& f) { append_field(out, sv(f.name_string()), sv(f.value())); }

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

void append_length(std::string& out, std::size_t n) {
  out.append("Content-Length: ");
  append_number(out, n);
  out.append("\r\n");
}

// Fields that describe one connection: never passed on, each side has its own.
bool connection_field(field f) {
  return f == field::connection || f == field::keep_alive || f == field::proxy_connection;
}

// Fields that frame one message's body: rewritten where the router read the body whole.
bool framing_field(field f) { return f == field::transfer_encoding || f == field::content_length; }

}  // namespace

void request_head(std::string& out, const bhttp::request<bhttp::string_body>& req, const Forwarded& fwd,
                  bool websocket) {
  out.clear();
  out.append(sv(req.method_string())).append(" ").append(sv(req.target()));
  out.append(req.version() == 10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  bool framed = false;  // the client said how long its body is (even 0): so do we
  for (const auto& f : req) {
    field name = f.name();
    if (framing_field(name)) framed = true;
    if (name == field::connection && websocket) {
      append_field(out, f);
      continue;
    }
    if (connection_field(name) || framing_field(name) || (name == field::upgrade && !websocket)) continue;
    if (name == field::unknown) {
      auto n = f.name_string();
      if (boost::beast::iequals(n, "X-Forwarded-For") || boost::beast::iequals(n, "X-Forwarded-Proto") ||
          boost::beast::iequals(n, "X-Forwarded-Host") || boost::beast::iequals(n, "X-Request-Start"))
        continue;
    }
    append_field(out, f);
  }
  if (!websocket && req.version() == 10) append_field(out, "Connection", "keep-alive");
  append_field(out, "X-Forwarded-For", fwd.for_);
  append_field(out, "X-Forwarded-Proto", fwd.proto);
  append_field(out, "X-Forwarded-Host", fwd.host);
  append_field(out, "X-Request-Start", fwd.start);
  if (framed || !req.body().empty()) append_length(out, req.body().size());
  out.append("\r\n");
}

void response_head(std::string& out, const bhttp::response<bhttp::string_body>& res, bool chunked,
                   bool head_request, unsigned client_version, bool keep) {
  unsigned status = res.result_int();
  out.clear();
  out.append("HTTP/1.1 ");
  append_number(out, status);
  out.append(" ").append(sv(res.reason().empty() ? bhttp::obsolete_reason(res.result()) : res.reason())).append("\r\n");
  bool bodiless = head_request || status / 100 == 1 || status == 204 || status == 304;
  // Framing is rewritten when the body came chunked or ran until the app closed; a HEAD answer
  // or a Content-Length the body matched is passed on as it was.
  bool reframe = !bodiless && (chunked || !res.has_content_length());
  for (const auto& f : res) {
    field name = f.name();
    if (connection_field(name) || (reframe && framing_field(name))) continue;
    append_field(out, f);
  }
  if (reframe) append_length(out, res.body().size());
  if (client_version == 10 && keep) append_field(out, "Connection", "keep-alive");
  if (client_version != 10 && !keep) append_field(out, "Connection", "close");
  out.append("\r\n");
}

}  // namespace kato::router
