#include "controller/api.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace kato::controller {

ApiError not_found(const std::string& what) { return ApiError(404, 10010, "CF-ResourceNotFound", what + " not found"); }

ApiError unprocessable(const std::string& detail, int code, const std::string& title) {
  return ApiError(422, code, title, detail);
}

ApiError bad_query(const std::string& detail) { return ApiError(400, 10005, "CF-BadQueryParameter", detail); }

http::Response error_response(const ApiError& e) {
  return http::Response::json(e.status, {{"errors", {{{"code", e.code}, {"title", e.title}, {"detail", e.what()}}}}});
}

void Call::allow_query(std::initializer_list<std::string> allowed) const {
  std::set<std::string> ok(allowed);
  ok.insert({"page", "per_page", "order_by"});
  std::vector<std::string> bad;
  for (const auto& [k, v] : req.query)
    if (!ok.count(k)) bad.push_back(k);
  if (!bad.empty()) {
    std::string list, valid;
    for (const auto& b : bad) list += (list.empty() ? "'" : ", '") + b + "'";
    for (const auto& o : ok) valid += (valid.empty() ? "" : ", ") + o;
    throw bad_query("Unknown query parameter(s): " + list + ". Valid parameters are: '" + valid + "'");
  }
  for (const char* k : {"page", "per_page"})
    if (auto v = query(k)) {
      long n = 0;
      try {
        std::size_t used = 0;
        n = std::stol(*v, &used);
        if (used != v->size()) n = 0;
      } catch (const std::exception&) {
      }
      long max = std::string(k) == "page" ? 1000000 : 5000;
      if (n < 1 || n > max)
        throw bad_query(std::string("The query parameter is invalid: ") + k + " must be between 1 and " + std::to_string(max));
    }
}

std::optional<std::string> Call::query(const std::string& key) const {
  for (const auto& [k, v] : req.query)
    if (k == key) return v;
  return std::nullopt;
}

std::vector<std::string> Call::query_list(const std::string& key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : req.query) {
    if (k != key) continue;
    std::size_t start = 0;
    for (;;) {
      auto comma = v.find(',', start);
      out.push_back(v.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

json Call::body(std::initializer_list<std::string> allowed) const {
  json b = json::parse(req.body.empty() ? std::string("{}") : req.body, nullptr, false);
  if (b.is_discarded())
    throw ApiError(400, 1001, "CF-MessageParseError", "Request invalid due to parse error: invalid request body");
  if (!b.is_object()) throw unprocessable("Request body must be a JSON object");
  std::set<std::string> ok(allowed);
  std::string unknown;
  for (const auto& [k, v] : b.items())
    if (!ok.count(k)) unknown += (unknown.empty() ? "'" : ", '") + k + "'";
  if (!unknown.empty()) throw unprocessable("Unknown field(s): " + unknown);
  return b;
}

std::string now_iso() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

json metadata() { return {{"labels", json::object()}, {"annotations", json::object()}}; }

json link(const std::string& href, const char* method) {
  json l = {{"href", href}};
  if (method) l["method"] = method;
  return l;
}

json to_one(const std::string& guid) { return {{"data", guid.empty() ? json(nullptr) : json{{"guid", guid}}}}; }

std::string to_one_guid(const json& body, const std::string& relation, const std::string& label) {
  const json* g = nullptr;
  try {
    g = &body.at("relationships").at(relation).at("data").at("guid");
  } catch (const json::exception&) {
  }
  if (!g || !g->is_string()) throw unprocessable("Relationships " + label + " must be a to-one relationship");
  return *g;
}

json public_view(json doc) {
  for (auto it = doc.begin(); it != doc.end();) {
    if (!it.key().empty() && it.key()[0] == '_')
      it = doc.erase(it);
    else
      ++it;
  }
  return doc;
}

void filter_in(std::vector<json>& items, const Call& c, const std::string& key, const std::string& pointer) {
  if (!c.query(key)) return;
  auto wanted = c.query_list(key);
  json::json_pointer ptr(pointer);
  std::erase_if(items, [&](const json& item) {
    const json& v = item.contains(ptr) ? item.at(ptr) : json(nullptr);
    std::string s = v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
    return std::find(wanted.begin(), wanted.end(), s) == wanted.end();
  });
}

http::Response paginate(const Call& c, std::vector<json> items, const std::string& path, Visible visible,
                        const std::function<json(const json&)>& present) {
  if (c.sees && visible != Visible::All) std::erase_if(items, [&](const json& item) { return !c.sees(visible, item); });
  std::string order = c.query("order_by").value_or("created_at");
  bool desc = !order.empty() && order[0] == '-';
  std::string field = desc || (!order.empty() && order[0] == '+') ? order.substr(1) : order;
  static const std::set<std::string> orderable = {"created_at", "updated_at", "name", "state", "position"};
  if (!orderable.count(field)) throw bad_query("Order by can only be: 'created_at', 'updated_at', 'name'");
  std::stable_sort(items.begin(), items.end(), [&](const json& a, const json& b) {
    const json& x = a.contains(field) ? a[field] : json("");
    const json& y = b.contains(field) ? b[field] : json("");
    return desc ? y < x : x < y;
  });
  std::size_t per_page = std::stoul(c.query("per_page").value_or("50"));
  std::size_t page = std::stoul(c.query("page").value_or("1"));
  std::size_t total = items.size();
  std::size_t pages = std::max<std::size_t>(1, (total + per_page - 1) / per_page);

  // Links keep the caller's filters and change only the page.
  std::string rest;
  for (const auto& [k, v] : c.req.query)
    if (k != "page" && k != "per_page") rest += "&" + k + "=" + v;
  auto href = [&](std::size_t p) {
    return json{{"href", c.api + path + "?page=" + std::to_string(p) + "&per_page=" + std::to_string(per_page) + rest}};
  };
  json resources = json::array();
  for (std::size_t i = (page - 1) * per_page; i < total && i < page * per_page; ++i) resources.push_back(present(items[i]));
  json pagination = {{"total_results", total},
                     {"total_pages", pages},
                     {"first", href(1)},
                     {"last", href(pages)},
                     {"next", page < pages ? href(page + 1) : json(nullptr)},
                     {"previous", page > 1 && page <= pages + 1 ? href(page - 1) : json(nullptr)}};
  return http::Response::json(200, {{"pagination", pagination}, {"resources", resources}});
}

}  // namespace kato::controller
