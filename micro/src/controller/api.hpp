#pragma once
// What every V3 handler shares: CF error objects, strict query and body checks, pagination,
// timestamps and links.

#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/tokens.hpp"
#include "controller/access.hpp"
#include "http/message.hpp"

namespace kato::controller {

using json = nlohmann::json;

// Thrown by handlers; becomes {"errors":[{code,title,detail}]} with the status.
struct ApiError : std::runtime_error {
  int status, code;
  std::string title;
  ApiError(int status, int code, std::string title, const std::string& detail)
      : std::runtime_error(detail), status(status), code(code), title(std::move(title)) {}
};

ApiError not_found(const std::string& what);  // "App not found", CF-ResourceNotFound
ApiError unprocessable(const std::string& detail, int code = 10008, const std::string& title = "CF-UnprocessableEntity");
ApiError bad_query(const std::string& detail);
http::Response error_response(const ApiError& e);

struct Call {
  http::Request& req;
  std::vector<std::string> params;  // the :guid parts of the path, in order
  std::optional<auth::User> user;
  std::string api;  // base URL for links, e.g. https://api.localhost:8443
  std::optional<Caller> caller;  // the signed-in user's roles (Controller::Impl::handle)
  // Whether the caller may see an item of a list (set by handle; paginate applies it).
  std::function<bool(Visible, const nlohmann::json&)> sees;

  const std::string& param(std::size_t i) const { return params.at(i); }
  // The query, checked: anything but `allowed` and page/per_page/order_by is a 400.
  void allow_query(std::initializer_list<std::string> allowed) const;
  std::optional<std::string> query(const std::string& key) const;
  std::vector<std::string> query_list(const std::string& key) const;  // comma-separated, OR
  // The JSON body, checked: malformed is 400, fields outside `allowed` are 422.
  json body(std::initializer_list<std::string> allowed) const;
};

std::string now_iso();
json metadata();  // {"labels":{},"annotations":{}}
json link(const std::string& href, const char* method = nullptr);
json to_one(const std::string& guid);  // {"data":{"guid":...}}, or {"data":null} for ""

// A paginated list: filters already applied; what the caller may not see (`visible` says how to
// find an item's space) is left out here, then order_by, page and per_page.
http::Response paginate(const Call& c, std::vector<json> items, const std::string& path, Visible visible,
                        const std::function<json(const json&)>& present);

// Filter helper: keep items whose field (a JSON pointer) is one of the query's values.
void filter_in(std::vector<json>& items, const Call& c, const std::string& key, const std::string& pointer);

// The GUID a request body's to-one relationship names (relationships.RELATION.data.guid); else
// a 422 "Relationships LABEL must be a to-one relationship".
std::string to_one_guid(const json& body, const std::string& relation, const std::string& label);

// Removes the fields kept for kato itself (names starting with '_').
json public_view(json doc);

}  // namespace kato::controller
