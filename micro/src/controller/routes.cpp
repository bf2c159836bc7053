// Routes and their destinations (map/unmap), and the routes of an app.

#include "controller/handlers.hpp"

namespace kato::controller {

namespace {

json present_route(const Call& c, const json& r) {
  json out = public_view(r);
  std::string self = c.api + "/v3/routes/" + r["guid"].get<std::string>();
  out["relationships"] = {{"space", to_one(r["_space"])}, {"domain", to_one(r["_domain"])}};
  out["links"] = {{"self", link(self)},
                  {"space", link(c.api + "/v3/spaces/" + r["_space"].get<std::string>())},
                  {"domain", link(c.api + "/v3/domains/" + r["_domain"].get<std::string>())},
                  {"destinations", link(self + "/destinations")}};
  return out;
}

json destinations_body(const Call& c, const json& r) {
  std::string self = c.api + "/v3/routes/" + r["guid"].get<std::string>();
  return {{"destinations", r["destinations"]},
          {"links", {{"self", link(self + "/destinations")}, {"route", link(self)}}}};
}

std::string guid_at(const json& body, std::initializer_list<const char*> path, const std::string& what) {
  const json* p = &body;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) throw unprocessable(what + " must be a to-one relationship");
    p = &(*p)[k];
  }
  if (!p->is_string()) throw unprocessable(what + " must be a to-one relationship");
  return *p;
}

}  // namespace

void Controller::Impl::add_route_routes() {
  auto list_routes = [](Call& c, std::vector<json> routes, const std::string& path) {
    filter_in(routes, c, "space_guids", "/_space");
    filter_in(routes, c, "domain_guids", "/_domain");
    filter_in(routes, c, "hosts", "/host");
    filter_in(routes, c, "paths", "/path");
    filter_in(routes, c, "guids", "/guid");
    if (c.query("app_guids")) {
      auto apps = c.query_list("app_guids");
      std::erase_if(routes, [&](const json& r) {
        for (const auto& d : r["destinations"])
          if (std::find(apps.begin(), apps.end(), d["app"]["guid"].get<std::string>()) != apps.end()) return false;
        return true;
      });
    }
    return paginate(c, routes, path, Visible::Space, [&](const json& r) { return present_route(c, r); });
  };

  add("GET", "/v3/routes", signed_in, [this, list_routes](Call& c) {
    c.allow_query({"app_guids", "space_guids", "domain_guids", "hosts", "paths", "guids", "organization_guids", "ports", "include"});
    if (auto inc = c.query("include")) throw bad_query("Invalid include: " + *inc);
    return list_routes(c, store.list("route"), "/v3/routes");
  });
  add("GET", "/v3/apps/:guid/routes", read(On::App), [this, list_routes](Call& c) {
    c.allow_query({"space_guids", "domain_guids", "hosts", "paths", "guids", "organization_guids", "ports"});
    find("app", c.param(0), "App");
    auto routes = store.list("route");
    std::erase_if(routes, [&](const json& r) {
      for (const auto& d : r["destinations"])
        if (d["app"]["guid"] == c.param(0)) return false;
      return true;
    });
    return list_routes(c, routes, "/v3/apps/" + c.param(0) + "/routes");
  });
  add("GET", "/v3/routes/:guid", read(On::Route), [this](Call& c) {
    c.allow_query({"include"});
    return http::Response::json(200, present_route(c, find("route", c.param(0), "Route")));
  });

  add("POST", "/v3/routes", write_in(On::Space, "/relationships/space/data/guid"), [this](Call& c) {
    json body = c.body({"host", "path", "port", "relationships", "metadata", "options"});
    std::string space = guid_at(body, {"relationships", "space", "data", "guid"}, "Relationships Space");
    std::string domain_guid = guid_at(body, {"relationships", "domain", "data", "guid"}, "Relationships Domain");
    if (body.contains("port") && !body["port"].is_null()) throw unprocessable("Routes with a port need a TCP domain");
    for (const char* k : {"host", "path"})
      if (body.contains(k) && !body[k].is_string()) throw unprocessable(std::string(k) + " must be a string");
    std::string host = body.value("host", ""), path = body.value("path", "");
    for (auto& ch : host) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    static const std::regex host_re("^(\\*|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$");
    if (!host.empty() && !std::regex_match(host, host_re))
      throw unprocessable("Host must be either \"*\" or contain only alphanumeric characters, \"_\", or \"-\"");
    if (!path.empty() && (path[0] != '/' || path == "/" || path.find('?') != std::string::npos))
      throw unprocessable("Path must begin with a / and not be \"/\" or contain a ?");
    if (!store.get("space", space)) throw unprocessable("Invalid space. Ensure that the space exists and you have access to it.");
    auto domain = store.get("domain", domain_guid);
    if (!domain) throw unprocessable("Invalid domain. Ensure that the domain exists and you have access to it.");
    if (host.empty()) throw unprocessable("Missing host. Routes in shared domains must have a host defined.");
    json route;
    store.transaction([&] {
      for (const auto& r : store.list("route")) {
        if (r["host"] != host || r["_domain"] != domain_guid) continue;
        // A host held by another space is theirs, with every path under it: taking
        // victim.DOMAIN/login would send part of their traffic to another app.
        if (r["_space"] != space)
          throw unprocessable("Routes for this host and domain have been reserved for another space.");
        if (r["path"] == path)
          throw unprocessable("Route already exists with host '" + host + "' for domain '" +
                              (*domain)["name"].get<std::string>() + "'.", 210003, "CF-RouteHostTaken");
      }
      std::string now = now_iso();
      route = {{"guid", auth::new_guid()}, {"protocol", "http"}, {"host", host}, {"path", path}, {"port", nullptr},
               {"url", host + "." + (*domain)["name"].get<std::string>() + path}, {"destinations", json::array()},
               {"options", body.value("options", json::object())}, {"metadata", body.value("metadata", metadata())},
               {"created_at", now}, {"updated_at", now}, {"_space", space}, {"_domain", domain_guid}};
      store.put("route", route);
    });
    return http::Response::json(201, present_route(c, route));
  });

  add("DELETE", "/v3/routes/:guid", write(On::Route), [this](Call& c) {
    c.allow_query({});
    if (!store.remove("route", c.param(0))) throw not_found("Route");
    return done_job(c, "route.delete", c.param(0));
  });

  add("GET", "/v3/routes/:guid/destinations", read(On::Route), [this](Call& c) {
    c.allow_query({"guids", "app_guids"});
    json r = find("route", c.param(0), "Route");
    if (c.query("app_guids")) {
      auto apps = c.query_list("app_guids");
      auto& d = r["destinations"];
      d.erase(std::remove_if(d.begin(), d.end(), [&](const json& x) {
                return std::find(apps.begin(), apps.end(), x["app"]["guid"].get<std::string>()) == apps.end();
              }), d.end());
    }
    return http::Response::json(200, destinations_body(c, r));
  });

  add("POST", "/v3/routes/:guid/destinations", write(On::Route), [this](Call& c) {
    json body = c.body({"destinations"});
    if (!body.contains("destinations") || !body["destinations"].is_array() || body["destinations"].empty())
      throw unprocessable("Destinations must be a non-empty array");
    json route;
    store.transaction([&] {
      route = find("route", c.param(0), "Route");
      for (const auto& want : body["destinations"]) {
        std::string app = guid_at(want, {"app", "guid"}, "Destination app");
        // Only apps of the route's space: another space's app would get this route's traffic.
        auto a = store.get("app", app);
        if (!a || (*a)["_space"] != route["_space"])
          throw unprocessable("App(s) with guid(s) \"" + app + "\" do not exist or you do not have access.");
        std::string type = "web";
        if (want["app"].contains("process")) type = want["app"]["process"].value("type", "web");
        int port = want.value("port", 8080);
        std::string protocol = want.value("protocol", "http1");
        if (protocol != "http1" && protocol != "http2") throw unprocessable("Destination protocol must be 'http1' or 'http2'");
        bool exists = false;
        for (const auto& d : route["destinations"])
          exists |= d["app"]["guid"] == app && d["app"]["process"]["type"] == type && d["port"] == port;
        if (!exists)
          route["destinations"].push_back({{"guid", auth::new_guid()},
                                           {"app", {{"guid", app}, {"process", {{"type", type}}}}},
                                           {"weight", nullptr}, {"port", port}, {"protocol", protocol}});
      }
      route["updated_at"] = now_iso();
      store.put("route", route);
    });
    for (const auto& d : body["destinations"]) event(c, d["app"]["guid"], "Mapped route " + route["url"].get<std::string>());
    return http::Response::json(200, destinations_body(c, route));
  });

  add("DELETE", "/v3/routes/:guid/destinations/:dguid", write(On::Route), [this](Call& c) {
    c.allow_query({});
    store.transaction([&] {
      json route = find("route", c.param(0), "Route");
      auto& d = route["destinations"];
      auto it = std::find_if(d.begin(), d.end(), [&](const json& x) { return x["guid"] == c.param(1); });
      if (it == d.end()) throw not_found("Destination");
      std::string app = (*it)["app"]["guid"];
      d.erase(it);
      route["updated_at"] = now_iso();
      store.put("route", route);
      event(c, app, "Unmapped route " + route["url"].get<std::string>());
    });
    return http::Response::empty(204);
  });
}

}  // namespace kato::controller
