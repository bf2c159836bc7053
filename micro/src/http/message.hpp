#pragma once
// A request as kato's handlers see it, and the response they give back.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace kato::http {

struct Request {
  std::string method;  // "GET", ...
  std::string target;  // as sent: path and query
  std::string path;    // percent-decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;             // names lower-cased
  std::string host;                                        // Host without the port, lower-cased
  std::string body;
  bool tls = false;
  std::string peer;  // client address

  const std::string* header(const std::string& lower_name) const;
  // The base URL the client used, e.g. "https://api.localhost:8443".
  std::string base_url() const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static Response json(int status, const nlohmann::json& body);
  static Response empty(int status);
  Response& header(std::string name, std::string value);
};

std::string percent_decode(std::string_view s, bool plus_is_space);
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view q);
// application/x-www-form-urlencoded bodies share the query syntax.
std::map<std::string, std::string> parse_form(std::string_view body);

}  // namespace kato::http
