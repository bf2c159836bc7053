#include "resources.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <iostream>
#include <thread>

#include "cli.hpp"
#include "logs.hpp"
#include "suggest.hpp"
#include "terminal.hpp"

namespace stackato::client {

using json = nlohmann::json;

std::string space_of(Session& s) {
  std::string space = s.config().read().adjuncts.value(s.target(), json::object()).value("space", "");
  if (space.empty()) throw UsageError("no space chosen: use 'stackato login' or 'stackato switch-space'");
  return space;
}

std::string organization_of(Session& s) {
  return s.config().read().adjuncts.value(s.target(), json::object()).value("organization", "");
}

std::optional<api::App> find_app(Session& s, const std::string& name) {
  auto found = api::CloudController(s).apps(space_of(s), name);
  if (found.empty()) return std::nullopt;
  return found.front();
}

api::App app_named(Session& s, const std::string& name) {
  if (auto a = find_app(s, name)) return *a;
  std::vector<std::string> names;
  for (const auto& a : api::CloudController(s).apps(space_of(s))) names.push_back(a.name);
  std::string hint = closest(name, names);
  throw ApiError(404, "App '" + name + "' not found" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
}

namespace {
template <class T>
T named(const std::vector<T>& found, const std::vector<std::string>& all, const std::string& what, const std::string& name,
        const std::string& where = "") {
  for (const auto& item : found)
    if constexpr (requires { item.username; }) {
      if (item.username == name) return item;
    } else {
      if (item.name == name) return item;
    }
  std::string hint = closest(name, all);
  throw ApiError(404, what + " '" + name + "' not found" + where + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
}
}  // namespace

api::Organization org_named(api::CloudController& cc, const std::string& name) {
  auto found = cc.organizations(name);
  if (!found.empty()) return named(found, {}, "organization", name);
  std::vector<std::string> all;
  for (const auto& o : cc.organizations()) all.push_back(o.name);
  return named(found, all, "organization", name);
}

api::Space space_named(api::CloudController& cc, const api::Organization& org, const std::string& name) {
  auto found = cc.spaces(org.guid, name);
  if (!found.empty()) return named(found, {}, "space", name);
  std::vector<std::string> all;
  for (const auto& sp : cc.spaces(org.guid)) all.push_back(sp.name);
  return named(found, all, "space", name, " in organization '" + org.name + "'");
}

api::User user_named(api::CloudController& cc, const std::string& name) {
  auto found = cc.users(name);
  if (!found.empty()) return named(found, {}, "user", name);
  std::vector<std::string> all;
  for (const auto& u : cc.users()) all.push_back(u.username);
  return named(found, all, "user", name);
}

api::Organization current_org(Session& s, api::CloudController& cc) {
  std::string guid = organization_of(s);
  if (guid.empty()) throw UsageError("no organization chosen: use 'stackato login' or 'stackato switch-org'");
  return cc.organization(guid);
}

bool confirmed(const Globals& globals, const std::string& question) {
  if (globals.non_interactive || !stdin_is_tty()) return true;
  std::string answer = ask_line(question + " [y/N] ", false);
  return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

namespace {
// The item named `wanted`, else the only one, else a menu (on a terminal).
template <class T>
T choose(const std::vector<T>& list, const std::string& what, const std::string& wanted, bool interactive) {
  std::vector<std::string> names;
  for (const auto& item : list) names.push_back(item.name);
  if (!wanted.empty()) {
    for (const auto& item : list)
      if (item.name == wanted) return item;
    std::string hint = closest(wanted, names);
    throw ApiError(404, what + " '" + wanted + "' not found" + (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  if (list.empty()) throw ApiError(404, "no " + what + " is visible to you");
  if (list.size() == 1) return list[0];
  if (!interactive) throw UsageError("more than one " + what + ": choose one with " + (what == "organization" ? "-o" : "-s"));
  std::string name = ask_menu("Which " + what + "? ", names);
  for (const auto& item : list)
    if (item.name == name) return item;
  return list[0];
}
}  // namespace

api::Organization choose_org(api::CloudController& cc, const std::string& wanted, bool interactive) {
  return choose(cc.organizations(), "organization", wanted, interactive);
}

api::Space choose_space(api::CloudController& cc, const api::Organization& org, const std::string& wanted, bool interactive) {
  return choose(cc.spaces(org.guid), "space", wanted, interactive);
}

void save_org_space(Session& s, const api::Organization& org, const api::Space& space) {
  s.config().update([&](ConfigFiles& f) {
    json& adj = f.adjuncts[s.target()];
    adj["organization"] = org.guid;
    adj["organization_name"] = org.name;
    adj["space"] = space.guid;
    adj["space_name"] = space.name;
  });
  std::cout << "Target:       " << s.target() << "\nOrganization: " << org.name << "\nSpace:        " << space.name << '\n';
}


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
  if (r.path == "/") r.path.clear();
  auto dot = url.find('.');
  if (dot == std::string::npos) throw UsageError("'" + url + "' is not HOST.DOMAIN");
  r.host = url.substr(0, dot);
  r.domain = url.substr(dot + 1);
  auto domain = api::CloudController(s).domain_named(r.domain);
  if (!domain) throw ApiError(404, "Unknown domain '" + r.domain + "': not mapped into the space (see 'stackato domains')");
  r.domain_guid = domain->guid;
  return r;
}

std::optional<api::Route> find_route(Session& s, const RouteSpec& r) {
  return api::CloudController(s).find_route(r.domain_guid, r.host, r.path);
}

bool map_route(Session& s, const api::App& app, const RouteSpec& r) {
  api::CloudController cc(s);
  auto route = cc.find_route(r.domain_guid, r.host, r.path);
  if (!route) route = cc.create_route(space_of(s), r.domain_guid, r.host, r.path);
  for (const auto& d : route->destinations)
    if (d.app_guid == app.guid) return false;
  cc.add_destination(route->guid, app.guid);
  return true;
}

Unmapped unmap_route(Session& s, const std::string& app_guid, const RouteSpec& r) {
  api::CloudController cc(s);
  auto route = cc.find_route(r.domain_guid, r.host, r.path);
  if (!route) return Unmapped::NoRoute;
  Unmapped done = Unmapped::NotMapped;
  for (const auto& d : route->destinations)
    if (d.app_guid == app_guid) {
      cc.remove_destination(route->guid, d.guid);
      done = Unmapped::Done;
    }
  return done;
}

void delete_route(Session& s, const RouteSpec& r) {
  api::CloudController cc(s);
  if (auto route = cc.find_route(r.domain_guid, r.host, r.path)) cc.delete_route(route->guid);
}

void cache_names(Session& s, const std::string& kind, const std::vector<std::string>& names) {
  try {
    s.config().update([&](ConfigFiles& f) { f.names[s.target()][kind] = names; });
  } catch (const std::exception&) {
  }
}

void cache_name(Session& s, const std::string& kind, const std::string& name, bool present) {
  try {
    s.config().update([&](ConfigFiles& f) {
      json& list = f.names[s.target()][kind];
      if (!list.is_array()) list = json::array();
      auto it = std::find(list.begin(), list.end(), name);
      if (present && it == list.end()) list.push_back(name);
      if (!present && it != list.end()) list.erase(it);
    });
  } catch (const std::exception&) {
  }
}

std::string random_hex4() {
  std::random_device rd;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04x", static_cast<unsigned>(rd() & 0xffff));
  return buf;
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

void wait_running(Session& s, const api::App& app, long timeout_s) {
  api::CloudController cc(s);
  std::string proc;
  try {
    proc = cc.app_process(app.guid).guid;
  } catch (const ApiError& e) {
    if (e.status == 404) return;  // no web process: nothing to wait for
    throw;
  }
  auto failed = [&](long status, const std::string& why) {
    std::string text = "'" + app.name + "' " + why;
    for (const auto& l : last_lines(s, app.guid, 15)) text += "\n  " + l;
    return ApiError(status, text);
  };
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    long running = 0, crashed = 0, total = 0;
    for (const auto& st : cc.instance_stats(proc)) {
      ++total;
      running += st.state == "RUNNING";
      crashed += st.state == "CRASHED";
    }
    if (total == 0 || running == total) return;
    if (crashed == total) throw failed(500, "failed to start: every instance crashed");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  throw failed(504, "did not start: not every instance is RUNNING after " + std::to_string(timeout_s) + " s");
}

// "http /health (invocation timeout 5 s, start timeout 90 s)"
std::string describe_health(const json& given) {
  const json hc = given.is_object() ? given : json::object();  // an odd API answer is shown as the default
  const json data = hc.value("data", json::object());
  auto number = [&](const char* k) { return data.is_object() && data.contains(k) && data[k].is_number_integer(); };
  std::string text = hc.value("type", "port");
  if (text == "http") text += " " + (data.is_object() && data.contains("endpoint") && data["endpoint"].is_string() ? data["endpoint"].get<std::string>() : "/");
  std::vector<std::string> parts;
  if (number("invocation_timeout")) parts.push_back("invocation timeout " + std::to_string(data["invocation_timeout"].get<long>()) + " s");
  if (number("timeout")) parts.push_back("start timeout " + std::to_string(data["timeout"].get<long>()) + " s");
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i ? ", " : " (") + parts[i] + (i + 1 == parts.size() ? ")" : "");
  return text;
}

}  // namespace stackato::client
