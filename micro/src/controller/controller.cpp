#include "controller/controller.hpp"

#include <chrono>

#include <openssl/crypto.h>

#include "controller/handlers.hpp"
#include "model/schema.hpp"
#include "runner/runner.hpp"

namespace kato::controller {

Controller::Impl::Impl(store::Store& s, auth::Tokens& t, Config c, Backends b)
    : store(s), tokens(t), config(std::move(c)), backends(b) {
  add_root_routes();
  add_org_routes();
  add_app_routes();
  add_route_routes();
  add_job_routes();
  add_package_routes();
  add_deployment_routes();
  add_service_routes();
  add_user_routes();
  add_space_routes();
  add_metrics_routes();
  register_offerings();
  finalize_interrupted_deployments();
}

void Controller::Impl::event(const Call& c, const std::string& app_guid, const std::string& text) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  store.append_log(app_guid, {ns, "API", "0", false, text + (c.user ? " (by " + c.user->name + ")" : "")});
}

void Controller::Impl::reconcile(const std::string& app_guid) {
  if (backends.runner) backends.runner->reconcile(app_guid);
}

void Controller::Impl::add(const char* method, const char* pattern, Access access, Handler h) {
  // ":guid" stands for one path segment.
  std::string re = std::regex_replace(std::string(pattern), std::regex(":[a-z_]+"), "([^/]+)");
  routes.push_back({method, pattern, std::regex("^" + re + "/?$"), access, std::move(h)});
}

// Users see themselves and the users who hold a role where they can see it (as on CF).
bool Controller::Impl::sees_user(const Caller& who, const std::string& user_guid) {
  if (who.admin || who.guid == user_guid) return true;
  auto other = load_caller(store, user_guid);
  if (!other) return false;
  for (const auto& [space, roles] : other->space_roles) {
    auto place = place_of(store, On::Space, space);
    if (place && who.sees_space(place->space, place->org)) return true;
  }
  for (const auto& [org, roles] : other->org_roles)
    if (who.sees_org(org)) return true;
  return false;
}

namespace {

// What a visible target's place lets the caller do (access.hpp has the table).
bool allowed(const Caller& who, Need need, const Place& place, const std::string& target) {
  bool in_space = !place.space.empty();
  switch (need) {
    case Need::Public:
    case Need::Signed:
    case Need::Read: return true;
    case Need::Secrets:
    case Need::Write: return in_space && who.develops(place.space);
    case Need::Manage: return in_space ? who.manages_space(place.space, place.org) : who.manages_org(place.org);
    case Need::ManageOrg: return who.manages_org(place.org);
    case Need::Self: return who.admin || who.guid == target;
    case Need::Scrape:
    case Need::Admin: return who.admin;
  }
  return false;
}

}  // namespace

void Controller::Impl::authorize(const Route& r, Call& c) {
  const Access& a = r.access;
  if (a.need == Need::Public) return;
  const std::string* h = c.req.header("authorization");
  if (!h || h->empty()) throw ApiError(401, 10002, "CF-NotAuthenticated", "Authentication error");
  std::string token = *h;
  if (token.size() > 7 && (token.compare(0, 7, "bearer ") == 0 || token.compare(0, 7, "Bearer ") == 0)) token = token.substr(7);
  if (a.need == Need::Scrape && !config.metrics_token.empty() && token.size() == config.metrics_token.size() &&
      CRYPTO_memcmp(token.data(), config.metrics_token.data(), token.size()) == 0)
    return;
  auto v = tokens.verify(token);
  if (!v.user) throw ApiError(401, 1000, "CF-InvalidAuthToken", "Invalid Auth Token");
  // A deleted user's token stops working at once, not at its expiry.
  c.caller = load_caller(store, v.user->guid);
  if (!c.caller) throw ApiError(401, 1000, "CF-InvalidAuthToken", "Invalid Auth Token");
  c.user = v.user;
  const Caller& who = *c.caller;
  c.sees = [this, &who](Visible visible, const json& item) {
    if (who.admin) return true;
    if (visible == Visible::TheUser) return sees_user(who, item.value("guid", ""));
    if (visible == Visible::Role) {
      if (item.value("_user", "") == who.guid) return true;
      if (auto s = item.value("_space", std::string()); !s.empty()) {
        auto place = place_of(store, On::Space, s);
        return place && who.sees_space(place->space, place->org);
      }
      return who.sees_org(item.value("_org", ""));
    }
    On on = visible == Visible::Space ? On::Space : visible == Visible::App ? On::App
            : visible == Visible::TheSpace ? On::Space : On::Org;
    std::string guid = visible == Visible::Space ? item.value("_space", "")
                       : visible == Visible::App ? item.value("_app", "") : item.value("guid", "");
    auto place = place_of(store, on, guid);
    if (!place) return false;
    return on == On::Org ? who.sees_org(place->org) : who.sees_space(place->space, place->org);
  };
  if ((a.need == Need::Admin || a.need == Need::Scrape) && !who.admin)
    throw ApiError(403, 10003, "CF-NotAuthorized", "You are not authorized to perform the requested action");
  if (a.on == On::Nothing || who.admin) return;
  // The target: the first path parameter, or the guid the body names (a create).
  On on = a.on;
  std::string guid;
  if (a.body) {
    json body = json::parse(c.req.body, nullptr, false);
    auto at = [&](const char* pointer) -> const json* {
      if (!pointer || !body.is_object()) return nullptr;
      json::json_pointer ptr(pointer);
      return body.contains(ptr) && body[ptr].is_string() ? &body[ptr] : nullptr;
    };
    const json* g = at(a.body);
    if (!g && (g = at(a.alt_body))) on = a.alt_on;
    if (!g) return;  // the handler answers the malformed body
    guid = *g;
  } else if (!c.params.empty()) {
    guid = c.params.front();
  }
  auto place = place_of(store, on, guid);
  if (!place) return;  // the handler answers that it does not exist
  bool sees = on == On::User   ? c.sees(Visible::TheUser, json{{"guid", guid}})
              : on == On::Role ? c.sees(Visible::Role, *store.get("role", guid))
              : on == On::Org  ? who.sees_org(place->org)
                               : who.sees_space(place->space, place->org);
  if (!sees) {
    if (a.body)
      throw unprocessable("Invalid " + kind_name(on) + ". Ensure that the " + kind_name(on) +
                          " exists and you have access to it.");
    throw not_found(kind_name(on));
  }
  if (!allowed(who, a.need, *place, guid))
    throw ApiError(403, 10003, "CF-NotAuthorized", "You are not authorized to perform the requested action");
}

http::Response Controller::Impl::handle(http::Request& req) {
  bool path_known = false;
  for (auto& r : routes) {
    std::smatch m;
    if (!std::regex_match(req.path, m, r.pattern)) continue;
    path_known = true;
    if (r.method != req.method) continue;
    Call c{req, {}, std::nullopt, req.base_url(), std::nullopt, {}};
    for (std::size_t i = 1; i < m.size(); ++i) c.params.push_back(m[i].str());
    try {
      authorize(r, c);
      return r.handler(c);
    } catch (const ApiError& e) {
      return error_response(e);
    }
  }
  if (path_known)
    return error_response(ApiError(405, 10000, "CF-NotFound", "Unknown request: " + req.method + " is not allowed here"));
  return error_response(ApiError(404, 10000, "CF-NotFound", "Unknown request"));
}

json Controller::Impl::find(const std::string& type, const std::string& guid, const std::string& what) {
  auto doc = store.get(type, guid);
  if (!doc) throw not_found(what);
  return *doc;
}

json Controller::Impl::present_job(const Call& c, const json& job) {
  json out = public_view(job);
  out["links"] = {{"self", link(c.api + "/v3/jobs/" + job["guid"].get<std::string>())}};
  return out;
}

http::Response Controller::Impl::done_job(const Call& c, const std::string& operation, const std::string& resource) {
  std::string now = now_iso();
  json job = {{"guid", operation + "~" + resource},
              {"operation", operation},
              {"state", "COMPLETE"},
              {"errors", json::array()},
              {"warnings", json::array()},
              {"created_at", now},
              {"updated_at", now}};
  store.put("job", job);
  return http::Response::empty(202).header("Location", c.api + "/v3/jobs/" + job["guid"].get<std::string>());
}

Controller::Controller(store::Store& store, auth::Tokens& tokens, Config config, Backends backends)
    : impl_(std::make_unique<Impl>(store, tokens, std::move(config), backends)) {}

Controller::~Controller() = default;

http::Response Controller::handle(http::Request& request) { return impl_->handle(request); }

std::vector<Controller::Endpoint> Controller::endpoints() const {
  static const char* needs[] = {"public", "signed in", "read", "secrets", "write", "manage", "manage org", "self", "scrape", "admin"};
  std::vector<Endpoint> out;
  for (const auto& r : impl_->routes)
    out.push_back({r.method, r.path, needs[static_cast<int>(r.access.need)],
                   r.access.on == On::Nothing ? "" : kind_name(r.access.on)});
  return out;
}

void Controller::bootstrap(store::Store& store, const Config& config, const std::string& admin_user,
                           const std::string& admin_password) {
  // An older data dir becomes today's first (model/schema.hpp); a newer one is refused.
  model::migrate(store);
  store.transaction([&] {
    std::string now = now_iso();
    if (store.list("user").empty())
      store.put("user", {{"guid", auth::new_guid()},
                         {"name", admin_user},
                         {"_password", auth::hash_password(admin_password)},
                         {"created_at", now}});
    std::string org_guid;
    auto orgs = store.list("organization");
    if (orgs.empty()) {
      org_guid = auth::new_guid();
      store.put("organization", {{"guid", org_guid}, {"name", "kato"}, {"suspended", false}, {"created_at", now},
                                 {"updated_at", now}, {"metadata", metadata()}});
    } else {
      org_guid = orgs.front()["guid"];
    }
    if (store.list("space").empty())
      store.put("space", {{"guid", auth::new_guid()}, {"name", "dev"}, {"_org", org_guid}, {"created_at", now},
                          {"updated_at", now}, {"metadata", metadata()}});
    bool have_domain = false;
    for (const auto& d : store.list("domain")) have_domain |= d["name"] == config.domain;
    if (!have_domain)
      store.put("domain", {{"guid", auth::new_guid()}, {"name", config.domain}, {"internal", false},
                           {"created_at", now}, {"updated_at", now}, {"metadata", metadata()}});
  });
}

}  // namespace kato::controller
