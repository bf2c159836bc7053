#include "model/model.hpp"

#include <stdexcept>

#include "store/store.hpp"

namespace kato::model {

namespace {

void need_object(const json& doc, const char* kind) {
  if (!doc.is_object()) throw std::runtime_error(std::string("the store holds a ") + kind + " that is not an object");
}

std::string str(const json& doc, const char* key, const std::string& fallback = "") {
  auto it = doc.find(key);
  return it != doc.end() && it->is_string() ? it->get<std::string>() : fallback;
}

long num(const json& doc, const char* key, long fallback) {
  auto it = doc.find(key);
  return it != doc.end() && it->is_number_integer() ? it->get<long>() : fallback;
}

std::map<std::string, std::string> string_map(const json& doc, const char* key) {
  std::map<std::string, std::string> out;
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

}  // namespace

Organization parse_organization(const json& doc) {
  need_object(doc, "organization");
  return {str(doc, "guid"), str(doc, "name")};
}

Space parse_space(const json& doc) {
  need_object(doc, "space");
  return {str(doc, "guid"), str(doc, "name"), str(doc, "_org")};
}

App parse_app(const json& doc) {
  need_object(doc, "app");
  return {str(doc, "guid"), str(doc, "name"), str(doc, "_space"), str(doc, "state", "STOPPED"), str(doc, "_droplet"),
          string_map(doc, "_env")};
}

Process parse_process(const json& doc) {
  need_object(doc, "process");
  Process p{str(doc, "guid"), str(doc, "_app"), str(doc, "type", "web"), num(doc, "instances", 1),
            num(doc, "memory_in_mb", 256), num(doc, "disk_in_mb", 1024), std::nullopt, {}};
  if (auto c = doc.find("command"); c != doc.end() && c->is_string()) p.command = c->get<std::string>();
  auto hc = doc.find("health_check");
  if (hc == doc.end() || !hc->is_object()) return p;
  p.health.type = str(*hc, "type", "port");
  auto data = hc->find("data");
  if (data == hc->end() || !data->is_object()) return p;
  p.health.endpoint = str(*data, "endpoint", "/");
  if (auto t = data->find("timeout"); t != data->end() && t->is_number_integer()) p.health.timeout_s = t->get<int>();
  if (auto t = data->find("invocation_timeout"); t != data->end() && t->is_number_integer())
    p.health.invocation_timeout_s = t->get<int>();
  return p;
}

Droplet parse_droplet(const json& doc) {
  need_object(doc, "droplet");
  Droplet d{str(doc, "guid"), string_map(doc, "process_types"), {}};
  if (auto hooks = doc.find("_pre_running"); hooks != doc.end() && hooks->is_array())
    for (const auto& h : *hooks)
      if (h.is_string()) d.pre_running.push_back(h.get<std::string>());
  return d;
}

Route parse_route(const json& doc) {
  need_object(doc, "route");
  Route r{str(doc, "guid"), str(doc, "host"), str(doc, "path"), str(doc, "url"), str(doc, "_space"), str(doc, "_domain"), {}};
  auto ds = doc.find("destinations");
  if (ds == doc.end() || !ds->is_array()) return r;
  for (const auto& d : *ds) {
    if (!d.is_object() || !d.contains("app") || !d["app"].is_object()) continue;
    const json& app = d["app"];
    Destination dest{str(app, "guid"), "web"};
    if (auto p = app.find("process"); p != app.end() && p->is_object()) dest.process_type = str(*p, "type", "web");
    r.destinations.push_back(dest);
  }
  return r;
}

Domain parse_domain(const json& doc) {
  need_object(doc, "domain");
  return {str(doc, "guid"), str(doc, "name")};
}

ServiceInstance parse_service_instance(const json& doc) {
  need_object(doc, "service instance");
  ServiceInstance si;
  si.guid = str(doc, "guid");
  si.name = str(doc, "name");
  si.user_provided = str(doc, "type", "user-provided") == "user-provided";
  si.label = si.user_provided ? "user-provided" : str(doc, "_label", "user-provided");
  si.plan_guid = str(doc, "_plan");
  si.plan_name = str(doc, "_plan_name", "default");
  if (auto t = doc.find("tags"); t != doc.end() && t->is_array()) si.tags = *t;
  if (auto d = doc.find("syslog_drain_url"); d != doc.end()) si.syslog_drain_url = *d;
  return si;
}

Binding parse_binding(const json& doc) {
  need_object(doc, "binding");
  Binding b{str(doc, "guid"), str(doc, "_app"), str(doc, "_instance"), std::nullopt, json::object()};
  if (auto n = doc.find("name"); n != doc.end() && n->is_string()) b.name = n->get<std::string>();
  if (auto c = doc.find("_credentials"); c != doc.end() && c->is_object()) b.credentials = *c;
  return b;
}

User parse_user(const json& doc) {
  need_object(doc, "user");
  User u{str(doc, "guid"), str(doc, "name"), true};
  if (auto a = doc.find("_admin"); a != doc.end() && a->is_boolean()) u.admin = a->get<bool>();
  return u;
}

Role parse_role(const json& doc) {
  need_object(doc, "role");
  return {str(doc, "guid"), str(doc, "type"), str(doc, "_user"), str(doc, "_space"), str(doc, "_org")};
}

template <class T>
static std::optional<T> typed(std::optional<json> doc, T (*parse)(const json&)) {
  if (!doc) return std::nullopt;
  return parse(*doc);
}

std::optional<App> Model::app(const std::string& guid) { return typed(store_.get("app", guid), parse_app); }
std::optional<Space> Model::space(const std::string& guid) { return typed(store_.get("space", guid), parse_space); }
std::optional<Organization> Model::organization(const std::string& guid) {
  return typed(store_.get("organization", guid), parse_organization);
}
std::optional<Process> Model::process(const std::string& guid) {
  return typed(store_.get("process", guid), parse_process);
}
std::optional<Droplet> Model::droplet(const std::string& guid) {
  if (guid.empty()) return std::nullopt;
  return typed(store_.get("droplet", guid), parse_droplet);
}
std::optional<ServiceInstance> Model::service_instance(const std::string& guid) {
  return typed(store_.get("service_instance", guid), parse_service_instance);
}

std::optional<Process> Model::web_process(const std::string& app_guid) {
  for (const auto& doc : store_.list("process")) {
    Process p = parse_process(doc);
    if (p.app_guid == app_guid && p.type == "web") return p;
  }
  return std::nullopt;
}

std::vector<Route> Model::routes() {
  std::vector<Route> out;
  for (const auto& doc : store_.list("route")) out.push_back(parse_route(doc));
  return out;
}

std::vector<Route> Model::routes_to(const std::string& app_guid) {
  std::vector<Route> out;
  for (auto& r : routes())
    for (const auto& d : r.destinations)
      if (d.app_guid == app_guid) {
        out.push_back(r);
        break;
      }
  return out;
}

std::vector<Domain> Model::domains() {
  std::vector<Domain> out;
  for (const auto& doc : store_.list("domain")) out.push_back(parse_domain(doc));
  return out;
}

std::vector<Binding> Model::bindings_of(const std::string& app_guid) {
  std::vector<Binding> out;
  for (const auto& doc : store_.list("binding")) {
    Binding b = parse_binding(doc);
    if (b.app_guid == app_guid) out.push_back(std::move(b));
  }
  return out;
}

std::optional<User> Model::user(const std::string& guid) { return typed(store_.get("user", guid), parse_user); }

std::vector<Role> Model::roles_of(const std::string& user_guid) {
  std::vector<Role> out;
  for (const auto& doc : store_.list("role")) {
    Role r = parse_role(doc);
    if (r.user_guid == user_guid) out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> Model::offering_tags(const std::string& plan_guid) {
  std::vector<std::string> out;
  auto plan = plan_guid.empty() ? std::nullopt : store_.get("service_plan", plan_guid);
  if (!plan) return out;
  auto offering = store_.get("service_offering", str(*plan, "_offering"));
  if (!offering) return out;
  if (auto t = offering->find("tags"); t != offering->end() && t->is_array())
    for (const auto& tag : *t)
      if (tag.is_string()) out.push_back(tag.get<std::string>());
  return out;
}

}  // namespace kato::model
