#include "http/multipart.hpp"

namespace kato::http {

namespace {
std::string param(std::string_view header, std::string_view name) {
  std::string key = std::string(name) + "=";
  auto p = header.find(key);
  if (p == std::string_view::npos) return {};
  p += key.size();
  if (p < header.size() && header[p] == '"') {
    auto end = header.find('"', p + 1);
    return std::string(header.substr(p + 1, end == std::string_view::npos ? std::string_view::npos : end - p - 1));
  }
  auto end = header.find_first_of("; \r\n", p);
  return std::string(header.substr(p, end == std::string_view::npos ? std::string_view::npos : end - p));
}
}  // namespace

std::optional<std::map<std::string, Part>> parse_multipart(std::string_view content_type, std::string_view body) {
  if (content_type.find("multipart/form-data") == std::string_view::npos) return std::nullopt;
  std::string boundary = param(content_type, "boundary");
  if (boundary.empty()) return std::nullopt;
  std::string delim = "--" + boundary;
  std::map<std::string, Part> parts;
  std::size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return std::nullopt;
  for (;;) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return std::nullopt;
    pos += 2;
    auto headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return std::nullopt;
    std::string_view headers = body.substr(pos, headers_end - pos);
    auto next = body.find("\r\n" + delim, headers_end + 4);
    if (next == std::string_view::npos) return std::nullopt;
    std::string name = param(headers, "name");
    if (!name.empty()) parts[name] = Part{param(headers, "filename"), body.substr(headers_end + 4, next - headers_end - 4)};
    pos = next + 2;
  }
}

}  // namespace kato::http
