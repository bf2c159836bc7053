// Discovery (/, /v3, /v3/info), the UAA-compatible token endpoint, and log-cache.

#include <chrono>

#include "controller/handlers.hpp"
#include "metrics/metrics.hpp"

namespace kato::controller {

namespace {

constexpr const char* kApiVersion = "3.180.0";  // between the CLI's 3.160.0 floor and 3.211.0
constexpr std::chrono::hours kRefreshTtl{24 * 30};

http::Response oauth_error(int status, const std::string& error, const std::string& description) {
  return http::Response::json(status, {{"error", error}, {"error_description", description}});
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void Controller::Impl::add_root_routes() {
  add("GET", "/", anyone, [](Call& c) {
    const std::string& a = c.api;
    json links = {{"self", link(a)},
                  {"cloud_controller_v2", nullptr},
                  {"cloud_controller_v3", {{"href", a + "/v3"}, {"meta", {{"version", kApiVersion}}}}},
                  {"login", link(a)},
                  {"uaa", link(a)},
                  {"log_cache", link(a)},
                  {"logging", nullptr},
                  {"log_stream", nullptr},
                  {"routing", nullptr},
                  {"network_policy_v0", nullptr},
                  {"network_policy_v1", nullptr},
                  {"credhub", nullptr},
                  {"app_ssh", nullptr}};
    return http::Response::json(200, {{"links", links}});
  });
  add("GET", "/v3", anyone, [](Call& c) {
    json links = {{"self", link(c.api + "/v3")}};
    for (const char* r : {"apps", "builds", "deployments", "domains", "droplets", "jobs", "organizations", "packages",
                          "processes", "resource_matches", "routes", "service_credential_bindings",
                          "service_instances", "service_offerings", "service_plans", "spaces", "tasks"})
      links[r] = link(c.api + "/v3/" + r);
    return http::Response::json(200, {{"links", links}});
  });
  add("GET", "/v3/info", anyone, [](Call& c) {
    return http::Response::json(
        200, {{"name", "kato"},
              {"build", ""},
              {"version", 1},
              {"description", "kato: a single-node micro cloud speaking the Cloud Foundry V3 API"},
              {"cli_version", {{"minimum", ""}, {"recommended", ""}}},
              {"custom", json::object()},
              {"osbapi_version", "2.15"},
              {"rate_limits", {{"enabled", false}, {"general_limit", nullptr}, {"reset_interval_in_minutes", nullptr}}},
              {"links", {{"self", link(c.api + "/v3/info")}, {"support", nullptr}}}});
  });

  add("GET", "/login", anyone, [](Call&) {
    return http::Response::json(200, {{"app", {{"version", "kato"}}},
                                      {"prompts", {{"username", {"text", "Email"}}, {"password", {"password", "Password"}}}}});
  });

  // UAA's revocation by token id; kato's refresh tokens are opaque and are their own id. Holding
  // the token is the proof (as RFC 7009 has it for public clients): the client's logout sends
  // it, so that a copy taken before cannot get new access tokens afterwards.
  add("DELETE", "/oauth/token/revoke/:token", anyone, [this](Call& c) {
    if (!store.remove("refresh_token", auth::sha256_hex(c.param(0))))
      return oauth_error(404, "invalid_token", "Unknown token");
    return http::Response::json(200, json::object());
  });
  add("POST", "/oauth/token", anyone, [this](Call& c) {
    const std::string* type = c.req.header("content-type");
    if (!type || type->find("application/x-www-form-urlencoded") == std::string::npos)
      return oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded");
    // Client "cf" with an empty secret, as UAA expects from the CLI; no header is accepted too.
    if (const std::string* basic = c.req.header("authorization")) {
      auto decoded = basic->size() > 6 ? auth::base64url_decode(basic->substr(6)) : std::nullopt;
      if (basic->compare(0, 6, "Basic ") != 0 || !decoded || decoded->substr(0, decoded->find(':')) != "cf")
        return oauth_error(401, "unauthorized", "Bad client credentials");
    }
    auto form = http::parse_form(c.req.body);
    std::string grant = form["grant_type"];
    json user;
    if (grant == "password") {
      for (const auto& u : store.list("user"))
        if (u["name"] == form["username"] && auth::check_password(form["password"], u["_password"])) user = u;
      if (user.is_null()) {
        if (backends.metrics) backends.metrics->token_failure();
        return oauth_error(401, "unauthorized", "Bad credentials");
      }
    } else if (grant == "refresh_token") {
      auto rt = store.get("refresh_token", auth::sha256_hex(form["refresh_token"]));
      auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      if (!rt || (*rt)["_exp"].get<std::int64_t>() < now) {
        if (backends.metrics) backends.metrics->token_failure();
        return oauth_error(401, "invalid_token", "Invalid refresh token (expired or unknown)");
      }
      auto u = store.get("user", (*rt)["_user"]);
      if (!u) return oauth_error(401, "invalid_token", "Invalid refresh token (user gone)");
      user = *u;
      store.remove("refresh_token", (*rt)["guid"]);  // rotated: each refresh token works once
    } else {
      return oauth_error(400, "unsupported_grant_type", "Unsupported grant type: " + grant);
    }
    // The first user has no flag: it is the admin (controller/access.cpp reads it the same way).
    auth::User who{user["guid"], user["name"], user.value("_admin", true)};
    std::string refresh = auth::random_hex(32);
    auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                   (std::chrono::system_clock::now() + kRefreshTtl).time_since_epoch()).count();
    store.put("refresh_token", {{"guid", auth::sha256_hex(refresh)}, {"_user", who.guid}, {"_exp", exp}});
    std::string access = tokens.issue(who);
    std::string jti = json::parse(*auth::base64url_decode(access.substr(access.find('.') + 1,
                                                                        access.rfind('.') - access.find('.') - 1)))["jti"];
    return http::Response::json(200, {{"access_token", access},
                                      {"token_type", "bearer"},
                                      {"refresh_token", refresh},
                                      {"expires_in", tokens.ttl().count()},
                                      {"scope", who.admin ? "cloud_controller.read cloud_controller.write cloud_controller.admin openid"
                                                          : "cloud_controller.read cloud_controller.write openid"},
                                      {"jti", jti}});
  });

  // log-cache
  add("GET", "/api/v1/info", anyone, [](Call&) {
    return http::Response::json(200, {{"version", "3.0.0"}, {"vm_uptime", "0"}});
  });
  add("GET", "/api/v1/read/:guid", read(On::App), [this](Call& c) {
    c.allow_query({"envelope_types", "limit", "descending", "start_time", "end_time"});
    find("app", c.param(0), "App");
    auto num = [&](const char* key, std::int64_t fallback) {
      auto v = c.query(key);
      if (!v) return fallback;
      try {
        return static_cast<std::int64_t>(std::stoll(*v));
      } catch (const std::exception&) {
        throw bad_query(std::string("The query parameter is invalid: ") + key);
      }
    };
    std::int64_t limit = num("limit", 100);
    if (limit < 1 || limit > 1000) throw bad_query("The query parameter is invalid: limit must be between 1 and 1000");
    std::int64_t start = std::max<std::int64_t>(0, num("start_time", 0));  // the CLI sends a negative zero time
    std::int64_t end = num("end_time", now_ns() + 1);
    bool descending = c.query("descending") == std::optional<std::string>("true");
    bool want_logs = true;
    if (c.query("envelope_types")) {
      auto types = c.query_list("envelope_types");
      want_logs = std::find(types.begin(), types.end(), "LOG") != types.end();
    }
    json batch = json::array();
    if (want_logs)
      for (const auto& l : store.read_logs(c.param(0), start, end, static_cast<std::size_t>(limit), descending))
        batch.push_back({{"timestamp", std::to_string(l.timestamp_ns)},
                         {"source_id", c.param(0)},
                         {"instance_id", l.instance},
                         {"tags", {{"source_type", l.source_type}}},
                         {"log", {{"payload", auth::base64(l.payload)}, {"type", l.error ? "ERR" : "OUT"}}}});
    return http::Response::json(200, {{"envelopes", {{"batch", batch}}}});
  });
}

}  // namespace kato::controller
