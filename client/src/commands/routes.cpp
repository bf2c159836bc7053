// stackato map APP URL, unmap APP URL, delete [--routes] APP...

#include <iostream>
#include <memory>

#include "api/cloud_controller.hpp"
#include "cli.hpp"
#include "session.hpp"
#include "resources.hpp"

namespace stackato::client {

using json = nlohmann::json;

void add_routes(CLI::App& app, Globals& globals) {
  auto map_args = std::make_shared<std::pair<std::string, std::string>>();
  auto* map = app.add_subcommand("map", "Map a URL to an application (no restart)");
  map->add_option("app", map_args->first, "Application")->required();
  map->add_option("url", map_args->second, "URL: HOST.DOMAIN[/PATH]")->required();
  map->callback([map_args, &globals] {
    Session s(globals);
    api::App a = app_named(s, map_args->first);
    RouteSpec r = parse_url(s, map_args->second);
    map_route(s, a, r);
    std::cerr << "Successfully mapped url " << r.url() << " to " << map_args->first << "\n";
  });

  auto unmap_args = std::make_shared<std::pair<std::string, std::string>>();
  auto* unmap = app.add_subcommand("unmap", "Unmap a URL from an application (the route stays)");
  unmap->add_option("app", unmap_args->first, "Application")->required();
  unmap->add_option("url", unmap_args->second, "URL: HOST.DOMAIN[/PATH]")->required();
  unmap->callback([unmap_args, &globals] {
    Session s(globals);
    api::App a = app_named(s, unmap_args->first);
    RouteSpec r = parse_url(s, unmap_args->second);
    switch (unmap_route(s, a.guid, r)) {
      case Unmapped::NoRoute: throw ApiError(404, "Route " + r.url() + " not found");
      case Unmapped::NotMapped: throw ApiError(422, "The url " + r.url() + " is not mapped to " + unmap_args->first);
      case Unmapped::Done: std::cerr << "Successfully unmapped url " << r.url() << " from " << unmap_args->first << "\n";
    }
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
      api::App a = app_named(s, name);
      std::string guid = a.guid;
      api::CloudController cc(s);
      auto routes = cc.app_routes(guid);
      cc.delete_app(guid);
      if (del_args->routes)
        for (const auto& route : routes) {
          bool shared = false;
          for (const auto& d : route.destinations) shared |= d.app_guid != guid;
          if (!shared) cc.delete_route(route.guid);
        }
      cache_name(s, "app", name, false);
      std::cerr << "Deleted " << name << "\n";
    }
  });
}

}  // namespace stackato::client
