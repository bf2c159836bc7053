#include "session.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <thread>

#include "stackato/manifest/manifest.hpp"

namespace stackato::client {

using json = nlohmann::json;

std::string canonical_target(std::string url) {
  if (url.find("://") == std::string::npos) url = "https://" + url;
  while (url.size() > 8 && url.back() == '/') url.pop_back();
  return url;
}

namespace {

// exp of a JWT, 0 when it cannot be read (then it is refreshed).
long long token_exp(const std::string& bearer) {
  auto d1 = bearer.find('.'), d2 = bearer.rfind('.');
  if (d1 == std::string::npos || d2 == d1) return 0;
  auto payload = base64url_decode(bearer.substr(d1 + 1, d2 - d1 - 1));
  if (!payload) return 0;
  json claims = json::parse(*payload, nullptr, false);
  return claims.is_object() && claims["exp"].is_number() ? claims["exp"].get<long long>() : 0;
}

json token_claims(const std::string& bearer) {
  auto d1 = bearer.find('.'), d2 = bearer.rfind('.');
  if (d1 == std::string::npos || d2 == d1) return json::object();
  auto payload = base64url_decode(bearer.substr(d1 + 1, d2 - d1 - 1));
  json claims = payload ? json::parse(*payload, nullptr, false) : json();
  return claims.is_object() ? claims : json::object();
}

std::string cf_error(const Reply& r) {
  json body = json::parse(r.body, nullptr, false);
  auto str = [](const json& j, const char* key) -> std::string {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
  };
  if (body.is_object() && body.contains("errors") && body["errors"].is_array() && !body["errors"].empty()) {
    const json& e = body["errors"][0];
    if (auto d = str(e, "detail"); !d.empty()) return d;
    if (auto t = str(e, "title"); !t.empty()) return t;
  }
  // UAA: OAuth's error_description, or SCIM's message (a password change).
  if (auto d = str(body, "error_description"); !d.empty()) return d;
  if (auto m = str(body, "message"); !m.empty()) return m;
  return "HTTP " + std::to_string(r.status) + (r.body.empty() ? "" : ": " + r.body.substr(0, 200));
}

}  // namespace

Session::Session(const Globals& globals) : globals_(globals), config_(Config::default_dir()) {
  auto files = config_.read();
  if (globals.target)
    target_ = canonical_target(*globals.target);
  else if (const char* env = std::getenv("STACKATO_TARGET"); env && *env)
    target_ = canonical_target(env);
  else
    target_ = files.target.empty() ? "https://api.stackato.local" : files.target;
  HttpOptions o;
  const json& adj = files.adjuncts.contains(target_) ? files.adjuncts[target_] : json::object();
  o.cafile = !globals.cafile.empty() ? globals.cafile : adj.value("cafile", std::string());
  o.skip_ssl_validation = globals.skip_ssl_validation || adj.value("skip-ssl-validation", false) ||
                          std::getenv("STACKATO_SKIP_SSL_VALIDATION") != nullptr;
  o.trace = globals.trace;
  o.timeout_s = globals.timeout_s;
  tls_ = o;
  http_ = std::make_unique<Http>(o);
}

const json& Session::root() {
  if (!root_) {
    Reply r = http_->request("GET", target_ + "/", "", {"Accept: application/json"});
    json body = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !body.is_object() || !body.contains("links"))
      throw ApiError(r.status, "'" + target_ + "' does not answer like a Cloud Foundry API (GET / gave HTTP " +
                                   std::to_string(r.status) + ")");
    root_ = body;
  }
  return *root_;
}

std::string Session::token() {
  auto files = config_.read();
  if (!files.tokens.contains(target_) || !files.tokens[target_].is_string())
    throw ApiError(401, "Login Required: please use 'stackato login' (target " + target_ + ")");
  std::string t = files.tokens[target_];
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (token_exp(t) - 60 < now) {  // refresh ahead of expiry, as the cf CLI does
    refresh();
    t = config_.read().tokens[target_];
  }
  return t;
}

void Session::log_in(const std::string& user, const std::string& password) {
  const json& links = root()["links"];
  std::string login = links.contains("login") && links["login"].is_object() ? links["login"].value("href", target_) : target_;
  Reply r = http_->request("POST", login + "/oauth/token",
                           "grant_type=password&username=" + url_escape(user) + "&password=" + url_escape(password),
                           {"Authorization: Basic Y2Y6", "Accept: application/json",
                            "Content-Type: application/x-www-form-urlencoded"});
  json body = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !body.is_object() || !body.contains("access_token") || !body["access_token"].is_string())
    throw ApiError(r.status, "login failed: " + (body.is_object() && body.contains("error_description") &&
                                                         body["error_description"].is_string()
                                                     ? body["error_description"].get<std::string>()
                                                     : std::string("bad credentials")));
  config_.update([&](ConfigFiles& f) {
    f.tokens[target_] = "bearer " + body["access_token"].get<std::string>();
    f.adjuncts[target_]["refresh"] = body.contains("refresh_token") && body["refresh_token"].is_string()
                                         ? body["refresh_token"].get<std::string>() : std::string();
    f.adjuncts[target_]["user"] = user;
    // TLS options that worked are kept for the target, as `target` keeps them.
    if (!globals_.cafile.empty()) f.adjuncts[target_]["cafile"] = std::filesystem::absolute(globals_.cafile).string();
    if (globals_.skip_ssl_validation) f.adjuncts[target_]["skip-ssl-validation"] = true;
  });
}

std::string Session::user_guid() {
  json claims = token_claims(token());
  if (!claims.contains("user_id") || !claims["user_id"].is_string())
    throw ApiError(401, "the token for " + target_ + " names no user: please use 'stackato login'");
  return claims["user_id"];
}

void Session::refresh() {
  auto files = config_.read();
  std::string rt = files.adjuncts.contains(target_) ? files.adjuncts[target_].value("refresh", "") : "";
  if (rt.empty()) throw ApiError(401, "Login Required: please use 'stackato login' (target " + target_ + ")");
  const json& links = root()["links"];
  std::string login = links.contains("login") && links["login"].is_object() ? links["login"].value("href", target_) : target_;
  Reply r = http_->request("POST", login + "/oauth/token", "grant_type=refresh_token&refresh_token=" + url_escape(rt),
                           {"Authorization: Basic Y2Y6", "Accept: application/json",
                            "Content-Type: application/x-www-form-urlencoded"});
  json body = json::parse(r.body, nullptr, false);
  // A 200 without a token in it is no better than a refusal (and must not reach the user as a
  // JSON library's message).
  if (r.status != 200 || !body.is_object() || !body.contains("access_token") || !body["access_token"].is_string())
    throw ApiError(401, "Login Required: the session expired; please use 'stackato login' (" +
                            (r.status == 200 ? std::string("the token endpoint answered without a token") : cf_error(r)) + ")");
  std::string next = body.contains("refresh_token") && body["refresh_token"].is_string() ? body["refresh_token"].get<std::string>() : rt;
  config_.update([&](ConfigFiles& f) {
    f.tokens[target_] = "bearer " + body["access_token"].get<std::string>();
    f.adjuncts[target_]["refresh"] = next;
  });
}

void Session::revoke_refresh() {
  auto files = config_.read();
  std::string rt = files.adjuncts.contains(target_) ? files.adjuncts[target_].value("refresh", "") : "";
  if (rt.empty()) return;
  try {
    const json& links = root()["links"];
    std::string login = links.contains("login") && links["login"].is_object() ? links["login"].value("href", target_) : target_;
    http_->request("DELETE", login + "/oauth/token/revoke/" + url_escape(rt), "", {"Accept: application/json"});
  } catch (const std::exception&) {
  }
}

json Session::list_all(std::string path, json* included) {
  json out = json::array();
  for (;;) {
    json page = call("GET", path);
    // A list's shape is checked here: a JSON library's message must not reach the user.
    if (!page.is_object() || !page.contains("resources") || !page["resources"].is_array())
      throw ApiError(0, "the target's answer to GET " + path + " is not a list (no 'resources')");
    for (auto& r : page["resources"]) out.push_back(r);
    if (included && page.contains("included") && page["included"].is_object())
      for (const auto& [kind, items] : page["included"].items())
        if (items.is_array())
          for (const auto& item : items) (*included)[kind].push_back(item);
    const json& pagination = page.contains("pagination") ? page["pagination"] : json();
    const json& next = pagination.is_object() && pagination.contains("next") ? pagination["next"] : json();
    if (!next.is_object() || !next.contains("href") || !next["href"].is_string()) return out;
    path = next["href"];
  }
}

namespace {
json answer(const Reply& r, std::string* location) {
  if (r.status >= 400) throw ApiError(r.status, cf_error(r));
  if (location) {
    auto it = r.headers.find("location");
    *location = it == r.headers.end() ? std::string() : it->second;
  }
  if (r.body.empty()) return json::object();
  json out = json::parse(r.body, nullptr, false);
  if (out.is_discarded()) throw ApiError(r.status, "the server's answer is not JSON: " + r.body.substr(0, 200));
  return out;
}
}  // namespace

json Session::post_form(const std::string& path, const std::vector<FormPart>& parts, const Progress& progress) {
  std::string url = path.rfind("http", 0) == 0 ? path : target_ + path;
  for (int attempt = 0;; ++attempt) {
    Reply r = http_->post_form(url, parts, {"Authorization: " + token(), "Accept: application/json"}, progress);
    if (r.status == 401 && attempt == 0) {
      refresh();
      continue;
    }
    return answer(r, nullptr);
  }
}

json Session::call(const std::string& method, const std::string& path, const json& body, std::string* location) {
  std::string url = path.rfind("http", 0) == 0 ? path : target_ + path;
  std::string payload = body.is_null() ? std::string() : body.dump();
  for (int attempt = 0;; ++attempt) {
    std::vector<std::string> headers = {"Authorization: " + token(), "Accept: application/json"};
    if (!payload.empty()) headers.push_back("Content-Type: application/json");
    Reply r = http_->request(method, url, payload, headers);
    if (r.status == 401 && attempt == 0) {  // revoked or expired early: refresh and replay once
      refresh();
      continue;
    }
    return answer(r, location);
  }
}

std::vector<json> Session::get_many(const std::vector<std::string>& paths, std::size_t width) {
  std::vector<json> out(paths.size());
  if (paths.size() == 1) out[0] = call("GET", paths[0]);
  if (paths.size() <= 1) return out;
  const std::string auth = "Authorization: " + token();
  std::vector<std::exception_ptr> failed(paths.size());
  std::vector<char> unauthorized(paths.size(), 0);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    Http http(tls_);  // a curl handle is not shared between threads
    for (std::size_t i; (i = next++) < paths.size();) try {
        std::string url = paths[i].rfind("http", 0) == 0 ? paths[i] : target_ + paths[i];
        Reply r = http.request("GET", url, "", {auth, "Accept: application/json"});
        if (r.status == 401)
          unauthorized[i] = 1;
        else
          out[i] = answer(r, nullptr);
      } catch (...) {
        failed[i] = std::current_exception();
      }
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < std::min(width, paths.size()); ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (failed[i]) std::rethrow_exception(failed[i]);
    if (unauthorized[i]) out[i] = call("GET", paths[i]);
  }
  return out;
}

}  // namespace stackato::client
