#include "tunnel_helper.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "client_context.hpp"
#include "push/deploy.hpp"
#include "push/events.hpp"
#include "resources.hpp"
#include "stackato/tunnel/protocol.hpp"

namespace stackato::client {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* kAppName = "tunnel";

// Installed by the package in /usr/libexec/stackato, next to stackato, or in the build tree.
fs::path helper_binary() {
  if (const char* env = std::getenv("STACKATO_TUNNEL_SERVER"); env && *env) return env;
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec).parent_path();
  for (const fs::path& p : {self / ".." / "libexec" / "stackato" / "stackato-tunnel-server", self / "stackato-tunnel-server",
                            self / ".." / "tunnel" / "stackato-tunnel-server"})
    if (fs::exists(p, ec)) return fs::canonical(p, ec);
  throw std::runtime_error("the tunnel helper (stackato-tunnel-server) is not installed next to " + self.string() +
                           "; set STACKATO_TUNNEL_SERVER to its path");
}

std::string random_secret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for the tunnel secret");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

std::string helper_url(Session& s, const api::App& app) {
  auto routes = api::CloudController(s).app_routes(app.guid);
  if (routes.empty()) throw ApiError(422, "the tunnel helper app has no route; delete it ('stackato delete tunnel') to start afresh");
  std::string url = routes.front().url;
  std::string scheme = s.target().substr(0, s.target().find("://"));
  std::string hostport = s.target().substr(scheme.size() + 3);
  auto colon = hostport.rfind(':');
  return scheme + "://" + url + (colon == std::string::npos ? "" : hostport.substr(colon));
}

// Pushes (or updates in place) the helper with this secret, the service bound.
void push_helper(Session& s, const std::string& secret, const std::string& service, bool created) {
  fs::path dir = fs::temp_directory_path() / ("stackato-tunnel-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path d;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(d, ec);
    }
  } cleanup{dir};
  fs::copy_file(helper_binary(), dir / "stackato-tunnel-server", fs::copy_options::overwrite_existing);
  manifest::App app;
  app.name = kAppName;
  app.path = dir;
  app.command = "./stackato-tunnel-server";
  app.memory_mb = 64;
  app.instances = 1;
  if (created) {
    std::string host = "tunnel-" + random_secret().substr(0, 5);
    auto domain = api::CloudController(s).default_domain(organization_of(s));
    if (!domain) throw ApiError(422, "the target has no domain for the tunnel helper's route");
    app.urls = std::vector<std::string>{host + "." + domain->name};
  }
  manifest::EnvVar auth;
  auth.name = "TUNNEL_AUTH";
  auth.default_value = secret;
  auth.hidden = true;
  app.env.push_back(auth);
  manifest::Service svc;
  svc.name = service;
  app.services.push_back(svc);
  app.json = {{"name", kAppName}, {"command", *app.command}};
  manifest::Manifest m;
  Globals quiet;
  quiet.non_interactive = true;
  ClientContext context(quiet);
  PushFlags flags;
  flags.force_start = true;
  push_app(s, context, m, app, flags, false);
}

}  // namespace

std::optional<json> helper_get(Session& s, const TunnelHelper& h, const std::string& path) {
  try {
    Reply r = s.http().request("GET", h.url + path, "", {std::string(tunnel::kAuthHeader) + ": " + h.secret});
    if (r.status != 200) return std::nullopt;
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  } catch (const NetworkError&) {
    return std::nullopt;
  }
}

TunnelHelper ensure_tunnel_helper(Session& s, const std::string& service) {
  TunnelHelper h;
  auto app = find_app(s, kAppName);
  if (!app) {
    emit(PushEvent::Step, kAppName, std::string("Deploying the tunnel helper app '") + kAppName + "'");
    h.secret = random_secret();
    push_helper(s, h.secret, service, true);
    app = find_app(s, kAppName);
    if (!app) throw ApiError(500, "the tunnel helper app was not created");
  } else {
    auto env = api::CloudController(s).environment_variables(app->guid);
    h.secret = env.count("TUNNEL_AUTH") ? env["TUNNEL_AUTH"] : "";
    if (h.secret.empty()) throw ApiError(422, "the app named 'tunnel' is not a tunnel helper (no TUNNEL_AUTH); rename or delete it");
  }
  h.url = helper_url(s, *app);
  auto info = helper_get(s, h, "/info");
  bool current = info && info->value("version", "") == tunnel::kHelperVersion && info->value("protocol", 0) == tunnel::kProtocolVersion;
  bool bound = false;
  if (info)
    for (const auto& n : info->value("services", json::array())) bound |= n == service;
  if (!current) {
    // Another version (or not answering): new bits, the same secret, the same route.
    emit(PushEvent::Step, kAppName, std::string("Updating the tunnel helper app '") + kAppName + "' in place");
    push_helper(s, h.secret, service, false);
  } else if (!bound) {
    emit(PushEvent::Step, kAppName, "Binding " + service + " to the tunnel helper");
    push_helper(s, h.secret, service, false);
  }
  // The router may need a moment after a (re)start.
  for (int i = 0; i < 50; ++i) {
    info = helper_get(s, h, "/info");
    if (info) {
      for (const auto& n : info->value("services", json::array()))
        if (n == service) return h;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw ApiError(502, "the tunnel helper at " + h.url + " does not answer for " + service);
}

}  // namespace stackato::client
