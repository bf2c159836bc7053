// stackato target [URL], stackato targets

#include <iostream>
#include <memory>

#include "cli.hpp"
#include "session.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

bool is_loopback(const std::string& url) {
  std::string host = url.substr(url.find("://") + 3);
  host = host.substr(0, host.find_first_of(":/"));
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]" ||
         (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0);
}

struct TargetOptions {
  std::string url;
  bool allow_http = false;
  bool json = false;
};

void show_target(Session& s, bool as_json) {
  auto files = s.config().read();
  json adj = files.adjuncts.contains(s.target()) ? files.adjuncts[s.target()] : json::object();
  if (as_json) {
    std::cout << json{{"target", s.target()},
                      {"organization", adj.value("organization_name", "")},
                      {"space", adj.value("space_name", "")}}.dump(4)
              << '\n';
    return;
  }
  std::cout << "Target:       " << s.target() << '\n'
            << "Organization: " << adj.value("organization_name", "<none>") << '\n'
            << "Space:        " << adj.value("space_name", "<none>") << '\n';
}

void run_target(const TargetOptions& o, Globals& globals) {
  if (o.url.empty()) {
    Session s(globals);
    show_target(s, o.json);
    return;
  }
  std::string url = canonical_target(o.url);
  if (url.rfind("http://", 0) == 0 && !o.allow_http && !is_loopback(url))
    throw UsageError("refusing plain http for '" + url + "': credentials would cross the network in clear text; "
                     "use https, or --allow-http if you must");
  Globals g = globals;
  g.target = url;  // validate the new target, with its own TLS options
  Session s(g);
  s.root();
  s.config().update([&](ConfigFiles& f) {
    f.target = url;
    if (!globals.cafile.empty()) f.adjuncts[url]["cafile"] = std::filesystem::absolute(globals.cafile).string();
    if (globals.skip_ssl_validation) f.adjuncts[url]["skip-ssl-validation"] = true;
  });
  std::cerr << "Successfully targeted to [" << url << "]\n";
  show_target(s, o.json);
}

}  // namespace

void add_target(CLI::App& app, Globals& globals) {
  auto o = std::make_shared<TargetOptions>();
  auto* cmd = app.add_subcommand("target", "Show the current target, or set it (checked with GET /)");
  cmd->add_option("url", o->url, "API URL, e.g. https://api.localhost:8443");
  cmd->add_flag("--allow-http", o->allow_http, "Allow a plain http target that is not on this machine");
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([o, &globals] { run_target(*o, globals); });

  auto as_json = std::make_shared<bool>(false);
  auto* list = app.add_subcommand("targets", "List the targets you have logged in to");
  list->add_flag("--json", *as_json, "Print JSON");
  list->callback([as_json, &globals] {
    Session s(globals);
    auto files = s.config().read();
    json out = json::array();
    for (const auto& [url, token] : files.tokens.items()) {
      json adj = files.adjuncts.contains(url) ? files.adjuncts[url] : json::object();
      out.push_back({{"target", url}, {"current", url == s.target()}, {"organization", adj.value("organization_name", "")},
                     {"space", adj.value("space_name", "")}});
    }
    if (*as_json) {
      std::cout << out.dump(4) << '\n';
      return;
    }
    if (out.empty()) std::cerr << "No targets: use 'stackato login'\n";
    for (const auto& t : out)
      std::cout << (t["current"].get<bool>() ? "x " : "  ") << t["target"].get<std::string>() << "  "
                << t["organization"].get<std::string>() << "/" << t["space"].get<std::string>() << '\n';
  });
}

}  // namespace stackato::client
