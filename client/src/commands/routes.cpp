// stackato map APP URL, unmap APP URL, delete [--routes] APP...

#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "cli.hpp"
#include "session.hpp"
#include "suggest.hpp"

namespace stackato::client {

using json = nlohmann::json;

std::string space_of(Session& s) {
  std::string space = s.config().read().adjuncts.value(s.target(), json::object()).value("space", "");
  if (space.empty()) throw UsageError("no space chosen: use 'stackato login' or 'stackato switch-space'");
  return space;
}

json app_named(Session& s, const std::string& name) {
  std::string space = space_of(s);
  json found = s.call("GET", "/v3/apps?names=" + url_escape(name) + "&space_guids=" + space)["resources"];
  if (!found.empty()) return found[0];
  std::vector<std::string> names;
  for (const auto& a : s.list_all("/v3/apps?per_page=100&space_guids=" + space)) names.push_back(a["name"]);
  std::string hint = closest(name, names);
  throw ApiError(404, "App '" + name + "' not found" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
}

namespace {

// "host.domain/path" split at the first dot, as the original client did; the domain must exist.
struct RouteSpec {
  std::string host, domain_guid, domain, path;
};

RouteSpec parse_url(Session& s, std::string url) {
  for (const char* scheme : {"https://", "http://"})
    if (url.rfind(scheme, 0) == 0) url = url.substr(std::string(scheme).size());
  for (auto& c : url) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  RouteSpec r;
  auto slash = url.find('/');
  if (slash != std::string::npos) {
    r.path = url.substr(slash);
    url.resize(slash);
  }
  auto dot = url.find('.');
  if (dot == std::string::npos) throw UsageError("'" + url + "' is not HOST.DOMAIN");
  r.host = url.substr(0, dot);
  r.domain = url.substr(dot + 1);
  json domains = s.call("GET", "/v3/domains?names=" + url_escape(r.domain))["resources"];
  if (domains.empty()) throw ApiError(404, "Unknown domain '" + r.domain + "': not mapped into the space (see 'stackato domains')");
  r.domain_guid = domains[0]["guid"];
  return r;
}

std::optional<json> find_route(Session& s, const RouteSpec& r) {
  json found = s.call("GET", "/v3/routes?domain_guids=" + r.domain_guid + "&hosts=" + url_escape(r.host) +
                                 "&paths=" + url_escape(r.path))["resources"];
  for (const auto& route : found)  // filter here too: some servers ignore an empty paths=
    if (route["host"] == r.host && route["path"] == r.path) return route;
  return std::nullopt;
}

void wait_job(Session& s, const std::string& location) {
  for (int i = 0; i < 600; ++i) {
    json job = s.call("GET", location);
    std::string state = job.value("state", "");
    if (state == "COMPLETE") return;
    if (state == "FAILED") {
      std::string detail = job["errors"].empty() ? "the job failed" : job["errors"][0].value("detail", "the job failed");
      throw ApiError(500, detail);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(i < 10 ? 100 : 1000));
  }
  throw ApiError(504, "timed out waiting for " + location);
}

}  // namespace

void add_routes(CLI::App& app, Globals& globals) {
  auto map_args = std::make_shared<std::pair<std::string, std::string>>();
  auto* map = app.add_subcommand("map", "Map a URL to an application (no restart)");
  map->add_option("app", map_args->first, "Application")->required();
  map->add_option("url", map_args->second, "URL: HOST.DOMAIN[/PATH]")->required();
  map->callback([map_args, &globals] {
    Session s(globals);
    json a = app_named(s, map_args->first);
    RouteSpec r = parse_url(s, map_args->second);
    auto route = find_route(s, r);
    if (!route) {
      json body = {{"host", r.host}, {"relationships", {{"space", {{"data", {{"guid", space_of(s)}}}}}, {"domain", {{"data", {{"guid", r.domain_guid}}}}}}}};
      if (!r.path.empty()) body["path"] = r.path;
      route = s.call("POST", "/v3/routes", body);
    }
    s.call("POST", "/v3/routes/" + (*route)["guid"].get<std::string>() + "/destinations",
           {{"destinations", {{{"app", {{"guid", a["guid"]}}}}}}});
    std::cerr << "Successfully mapped url " << r.host << "." << r.domain << r.path << " to " << map_args->first << "\n";
  });

  auto unmap_args = std::make_shared<std::pair<std::string, std::string>>();
  auto* unmap = app.add_subcommand("unmap", "Unmap a URL from an application (the route stays)");
  unmap->add_option("app", unmap_args->first, "Application")->required();
  unmap->add_option("url", unmap_args->second, "URL: HOST.DOMAIN[/PATH]")->required();
  unmap->callback([unmap_args, &globals] {
    Session s(globals);
    json a = app_named(s, unmap_args->first);
    RouteSpec r = parse_url(s, unmap_args->second);
    auto route = find_route(s, r);
    std::string url = r.host + "." + r.domain + r.path;
    if (!route) throw ApiError(404, "Route " + url + " not found");
    for (const auto& d : (*route)["destinations"])
      if (d["app"]["guid"] == a["guid"]) {
        s.call("DELETE", "/v3/routes/" + (*route)["guid"].get<std::string>() + "/destinations/" + d["guid"].get<std::string>());
        std::cerr << "Successfully unmapped url " << url << " from " << unmap_args->first << "\n";
        return;
      }
    throw ApiError(422, "The url " + url + " is not mapped to " + unmap_args->first);
  });

  struct DeleteArgs {
    std::vector<std::string> apps;
    bool routes = false;
  };
  auto del_args = std::make_shared<DeleteArgs>();
  auto* del = app.add_subcommand("delete", "Delete applications (with --routes, their routes no other app uses)");
  del->add_option("apps", del_args->apps, "Applications")->required();
  del->add_flag("--routes", del_args->routes, "Also delete the apps' routes that no other app uses");
  del->callback([del_args, &globals] {
    Session s(globals);
    for (const auto& name : del_args->apps) {
      json a = app_named(s, name);
      std::string guid = a["guid"];
      json routes = s.list_all("/v3/apps/" + guid + "/routes");
      std::string job;
      s.call("DELETE", "/v3/apps/" + guid, nullptr, &job);
      if (!job.empty()) wait_job(s, job);
      if (del_args->routes)
        for (const auto& route : routes) {
          bool shared = false;
          for (const auto& d : route["destinations"]) shared |= d["app"]["guid"] != guid;
          if (!shared) s.call("DELETE", "/v3/routes/" + route["guid"].get<std::string>());
        }
      std::cerr << "Deleted " << name << "\n";
    }
  });
}

}  // namespace stackato::client
