#include "transform.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "errors.hpp"

namespace stackato::manifest {

namespace fs = std::filesystem;

namespace {

// Top-level keys of the stackato.yml form. The original's list, plus the CF spellings that a
// stackato.yml user reasonably writes (disk_quota, docker_image, no-route, routes, ...).
constexpr std::array kStackatoKeys = {
    "name", "instances", "mem", "memory", "disk", "disk_quota", "framework", "services",
    "processes", "min_version", "env", "ignores", "hooks", "cron", "requirements", "drain",
    "subdomain", "command", "app-dir", "url", "urls", "routes", "no-route", "depends-on",
    "buildpack", "stack", "docker_image", "host", "domain", "placement-zone", "placementzone",
    "description", "autoscale", "sso-enabled", "timeout", "force-war-unpacking",
    "health-check-type", "health-check-http-endpoint", "health-check-invocation-timeout"};

constexpr std::array kIsolated = {"processes", "min_version", "env", "ignores", "hooks", "cron",
                                  "requirements", "drain", "placement-zone", "description",
                                  "sso-enabled", "autoscale", "force-war-unpacking"};

bool in(const auto& list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

std::string display_path(const fs::path& p) { return p.lexically_normal().generic_string(); }

Node abs_path_node(const Node& rel, const fs::path& dir) {
  Node out = rel;
  out.kind = Node::Kind::Scalar;
  fs::path p = rel.text.empty() ? fs::path(".") : fs::path(rel.text);
  // Symbols in a path are resolved later; keep such a path as written.
  if (rel.text.find("${") != std::string::npos) return out;
  out.text = display_path(p.is_absolute() ? p : dir / p);
  if (out.text.size() > 1 && out.text.back() == '/') out.text.pop_back();
  return out;
}

// framework: X -> {name: X}; stackato form {type, runtime} -> {name} plus top-level runtime.
void framework(Node& app, bool stackato_form) {
  Node* f = app.find("framework");
  if (!f) return;
  expect2(*f, Node::Kind::Scalar, Node::Kind::Map, "key \"framework\"");
  if (f->is_scalar() || f->is_null()) {
    Node m = Node::map(f->mark);
    m.set("name", *f);
    *f = std::move(m);
    return;
  }
  if (!stackato_form) return;
  if (Node* t = f->find("type")) {
    Node type = *t;
    f->erase("type");
    f->set("name", std::move(type));
  }
  // Take runtime out before touching `app`: adding a key may move its entries (and *f).
  bool had_runtime = f->has("runtime");
  Node runtime = f->take("runtime");
  bool empty = f->entries.empty();
  if (empty) app.erase("framework");
  if (had_runtime) app.set("runtime", std::move(runtime));
}

void memory(Node& app) {
  if (app.has("mem")) app.set("memory", app.take("mem"));
  // disk_quota is CF's spelling and wins over stackato's disk.
  if (app.has("disk")) {
    Node d = app.take("disk");
    if (!app.has("disk_quota")) app.set("disk_quota", std::move(d));
  }
}

// url, urls, routes, host/subdomain + domain, no-route -> one `urls` list.
void urls(Node& app) {
  bool has_urls = false, have_host = false;
  Node list = Node::seq();
  for (const char* key : {"url", "urls"}) {
    if (!app.has(key)) continue;
    Node v = app.take(key);
    if (!has_urls) list.mark = v.mark;
    has_urls = true;
    expect2(v, Node::Kind::Scalar, Node::Kind::Seq, "key \"" + std::string(key) + "\"");
    if (v.is_scalar())
      list.items.push_back(v);
    else
      for (auto& item : v.items) list.items.push_back(item);
  }
  if (app.has("routes")) {
    Node v = app.take("routes");
    has_urls = true;
    list.mark = v.mark;
    expect(v, Node::Kind::Seq, "key \"routes\"");
    for (auto& r : v.items) {
      expect(r, Node::Kind::Map, "element of key \"routes\"");
      const Node* route = r.find("route");
      if (!route) throw make_error(r.mark, "Each element of key \"routes\" needs a \"route\"");
      expect(*route, Node::Kind::Scalar, "key \"routes:route\"");
      list.items.push_back(*route);
    }
  }
  std::string domain = "${space-base}";
  bool have_domain = false;
  Mark domain_mark;
  if (app.has("domain")) {
    Node d = app.take("domain");
    expect(d, Node::Kind::Scalar, "key \"domain\"");
    domain = d.text;
    domain_mark = d.mark;
    have_domain = true;
  }
  for (const char* key : {"host", "subdomain"}) {
    if (!app.has(key)) continue;
    Node h = app.take(key);
    expect(h, Node::Kind::Scalar, "key \"" + std::string(key) + "\"");
    list.items.push_back(Node::scalar(h.text + "." + domain, h.mark));
    if (!has_urls) list.mark = h.mark;
    has_urls = have_host = true;
  }
  if (have_domain && !have_host) {
    list.items.push_back(Node::scalar("${name}." + domain, domain_mark));
    if (!has_urls) list.mark = domain_mark;
    has_urls = true;
  }
  if (app.has("no-route")) {
    Node nr = app.take("no-route");
    expect(nr, Node::Kind::Scalar, "key \"no-route\"");
    if (!is_boolean_text(nr.text))
      throw make_error(nr.mark, "Expected boolean value for key \"no-route\", got \"" + nr.text + "\"");
    if (boolean_value(nr.text)) {
      if (!list.items.empty())
        throw make_error(nr.mark, "\"no-route: true\" conflicts with the urls given for the same application");
      list.items.clear();
      list.mark = nr.mark;
      has_urls = true;
    }
  }
  if (has_urls) app.set("urls", std::move(list));
}

// Services: a CF list of names, `name: type`, deprecated `type: name`, or CF mappings.
void services(Node& app, const ServiceTypes& types, Context& context) {
  Node* s = app.find("services");
  if (!s) return;
  if (s->is_null()) {
    *s = Node::map(s->mark);
    return;
  }
  if (s->is_scalar()) {
    if (s->text.find_first_not_of(" \t") != std::string::npos)
      throw make_error(s->mark, "Bad syntax, expected a yaml mapping for key \"services\", got a non-empty string instead.");
    *s = Node::map(s->mark);
    return;
  }
  Node out = Node::map(s->mark);
  if (s->is_seq()) {
    for (auto& item : s->items) {
      expect(item, Node::Kind::Scalar, "element of key \"services\"");
      out.set(item.text, Node::map(item.mark));
    }
    *s = std::move(out);
    return;
  }
  for (auto& [key, value] : s->entries) {
    if (value.is_map()) {  // CF form: kept as written
      out.set(key, value);
      continue;
    }
    expect(value, Node::Kind::Scalar, "service definition \"" + key + "\"");
    if (value.text.empty()) {  // name only
      out.set(key, Node::map(value.mark));
      continue;
    }
    const auto& known = types.list();
    bool key_is_type = in(known, key), value_is_type = in(known, value.text);
    std::string name = key, type = value.text;
    if (key_is_type && !value_is_type) {
      name = value.text;
      type = key;
      context.warn(where(value.mark) + "Deprecated syntax (vendor: name) in service specification \"" +
                   key + ": " + value.text + "\". Please swap, i.e. use (name: vendor).");
    } else if (!key_is_type && !value_is_type && !types.known) {
      // Offline we cannot know the target's types (harbor, elasticsearch, ...): read the pair
      // the way current manifests write it.
      context.warn(where(value.mark) + "Manifest warning: cannot tell which of \"" + key + ": " +
                   value.text + "\" is the service type without a target; taking \"" + value.text +
                   "\" as the type");
    } else if (!key_is_type && !value_is_type) {
      std::string list;
      for (const auto& t : known) list += (list.empty() ? "" : ", ") + t;
      throw make_error(value.mark, "Bad service definition \"" + key + ": " + value.text +
                                       "\" in manifest. Neither [" + key + "] nor [" + value.text +
                                       "] are supported system services (known: " + list + ").");
    }
    Node def = Node::map(value.mark);
    def.set("type", Node::scalar(type, value.mark));
    out.set(name, std::move(def));
  }
  *s = std::move(out);
}

// Keys without a CF counterpart move under `stackato:`; an existing `stackato:` wins.
void isolate(Node& app, bool with_env) {
  if (app.has("placementzone")) {
    Node z = app.take("placementzone");
    if (!app.has("placement-zone")) app.set("placement-zone", std::move(z));
  }
  Node moved = Node::map(app.mark);
  for (const char* key : kIsolated) {
    if (!with_env && std::string_view(key) == "env") continue;
    if (app.has(key)) moved.set(key, app.take(key));
  }
  if (moved.entries.empty()) return;
  if (Node* st = app.find("stackato")) {
    expect(*st, Node::Kind::Map, "key \"stackato\"");
    if (st->is_null()) *st = Node::map(st->mark);
    *st = deep_merge(std::move(*st), moved);
  } else {
    app.set("stackato", std::move(moved));
  }
}

// env: {V: scalar} -> {V: {default: scalar}}; drain: {n: url} -> {n: {url}}.
Node normalize_env(const Node& env) {
  expect(env, Node::Kind::Map, "key \"env\"");
  Node out = Node::map(env.mark);
  for (const auto& [key, value] : env.entries) {
    if (value.is_map()) {
      out.set(key, value);
    } else {
      expect(value, Node::Kind::Scalar, "value of key \"env:" + key + "\"");
      Node def = Node::map(value.mark);
      Node v = value;
      if (v.is_null()) v = Node::scalar("", value.mark);
      def.set("default", std::move(v));
      out.set(key, std::move(def));
    }
  }
  return out;
}

void normalize_stackato(Node& app) {
  Node* st = app.find("stackato");
  if (!st) return;
  expect(*st, Node::Kind::Map, "key \"stackato\"");
  if (Node* env = st->find("env")) *env = normalize_env(*env);
  if (Node* drain = st->find("drain")) {
    expect(*drain, Node::Kind::Map, "key \"drain\"");
    for (auto& [key, value] : drain->entries) {
      if (value.is_map()) continue;
      expect(value, Node::Kind::Scalar, "value of key \"drain:" + key + "\"");
      Node def = Node::map(value.mark);
      def.set("url", value);
      value = std::move(def);
    }
  }
}

void set_path(Node& app, const fs::path& dir) {
  Node* p = app.find("path");
  if (!p) {
    app.set("path", abs_path_node(Node::scalar(".", app.mark), dir));
    return;
  }
  expect(*p, Node::Kind::Scalar, "key \"path\"");
  *p = abs_path_node(*p, dir);
}

Node transform_stackato_part(Node value, const fs::path& dir, const ServiceTypes& types,
                             Context& context, const std::string& default_name) {
  if (!value.has("name") && !default_name.empty())
    value.set("name", Node::scalar(default_name, value.mark));
  const Node* name = value.find("name");
  if (!name)
    throw make_error(value.mark, "The stackato application has no name (add a \"name:\" key, or "
                                 "give the name on the command line)");
  expect(*name, Node::Kind::Scalar, "key \"name\"");
  std::string app_name = name->text;

  Node path = value.has("app-dir") ? value.take("app-dir") : Node::scalar(".", value.mark);
  expect(path, Node::Kind::Scalar, "key \"app-dir\"");
  value.set("path", abs_path_node(path, dir));

  framework(value, true);
  services(value, types, context);
  memory(value);
  urls(value);
  isolate(value, true);
  normalize_stackato(value);

  Node apps = Node::map(value.mark);
  apps.set(app_name, std::move(value));
  Node out = Node::map(apps.mark);
  out.set("applications", std::move(apps));
  return out;
}

Node transform_cf_app(Node app, const ServiceTypes& types, Context& context) {
  framework(app, false);
  services(app, types, context);
  memory(app);
  urls(app);
  // The original left stackato-only keys in a CF app block as unknown keys, silently dropping
  // hooks written there; we move them under `stackato:` as the stackato part does.
  isolate(app, false);
  normalize_stackato(app);
  if (app.has("env")) {
    Node env = normalize_env(app.take("env"));
    Node* st = app.find("stackato");
    if (!st) st = &app.set("stackato", Node::map(app.mark));
    if (Node* old = st->find("env"))
      *old = deep_merge(std::move(env), *old);  // CF's env wins over stackato:env
    else
      st->set("env", std::move(env));
  }
  return app;
}

Node transform_cf_part(Node value, Node stackato_defaults, const fs::path& dir,
                       const ServiceTypes& types, Context& context) {
  Node result = Node::map(value.mark);
  Node properties = Node::map(value.mark);
  Node toplevel = std::move(stackato_defaults);
  Node applications;
  bool have_apps = false;
  for (auto& [key, v] : value.entries) {
    if (key == "applications") {
      applications = v;
      have_apps = true;
    } else if (key == "inherit") {
      result.set(key, v);
    } else if (key == "properties") {
      expect(v, Node::Kind::Map, "key \"properties\"");
      for (auto& [pk, pv] : v.entries) properties.set(pk, pv);
    } else {
      if (key != "path" && key != "stackato")
        context.warn(where(v.mark) + "Manifest warning: Unknown key \"" + key +
                     "\" (If this is not a mis-typed standard key it is strongly recommended to "
                     "put this information under the 'properties' mapping)");
      toplevel.set(key, v);
      properties.set(key, v);  // kept as a symbol definition too, as the original did
    }
  }
  if (!properties.entries.empty()) result.set("properties", std::move(properties));
  if (!have_apps) return result;

  expect2(applications, Node::Kind::Map, Node::Kind::Seq, "key \"applications\"");
  Node by_name = Node::map(applications.mark);
  if (applications.is_map()) {  // CF v1: keyed by path; depends-on refers to paths
    for (auto& [path, def] : applications.entries) {
      expect(def, Node::Kind::Map, "key \"applications:" + path + "\"");
      const Node* n = def.find("name");
      if (!n) throw make_error(def.mark, "Application @ path \"" + path + "\" has no name");
      expect(*n, Node::Kind::Scalar, "key \"applications:" + path + ":name\"");
      Node d = def.is_null() ? Node::map(def.mark) : def;
      d.set("path", Node::scalar(path, def.mark));
      if (d.has("depends-on")) {
        Node deps = d.take("depends-on");
        expect2(deps, Node::Kind::Scalar, Node::Kind::Seq, "key \"depends-on\"");
        if (deps.is_scalar()) {
          Node s = Node::seq(deps.mark);
          s.items.push_back(deps);
          deps = std::move(s);
        }
        for (auto& item : deps.items) {
          expect(item, Node::Kind::Scalar, "element of key \"depends-on\"");
          item = abs_path_node(item, dir);
        }
        d.set("depends-on-path", std::move(deps));
      }
      by_name.set(n->text, std::move(d));
    }
  } else {  // CF v2: a list; depends-on refers to names
    int index = 0;
    for (auto& def : applications.items) {
      expect(def, Node::Kind::Map, "key \"applications:<" + std::to_string(index) + ">\"");
      const Node* n = def.find("name");
      if (!n) throw make_error(def.mark, "Application <" + std::to_string(index) + "> has no name");
      expect(*n, Node::Kind::Scalar, "key \"applications:<" + std::to_string(index) + ">:name\"");
      by_name.set(n->text, def);
      ++index;
    }
  }
  for (auto& [name, def] : by_name.entries) {
    Node merged = deep_merge(def, toplevel);
    set_path(merged, dir);
    def = transform_cf_app(std::move(merged), types, context);
  }
  result.set("applications", std::move(by_name));
  return result;
}

}  // namespace

bool is_stackato_only_key(const std::string& key) { return in(kIsolated, key); }

Node normalize_file(Node data, const fs::path& dir, const ServiceTypes& types, Context& context,
                    const std::string& default_name) {
  Node stackato = Node::map(data.mark), cf = Node::map(data.mark);
  for (auto& [key, value] : data.entries) (in(kStackatoKeys, key) ? stackato : cf).set(key, value);

  // A CF manifest with shared top-level keys (memory, instances, ...) but no top-level name:
  // the original failed with "no name"; CF applies them to every app, and so do we.
  if (!stackato.entries.empty() && !stackato.has("name") && cf.has("applications"))
    return transform_cf_part(std::move(cf), std::move(stackato), dir, types, context);

  Node out = Node::map(data.mark);
  if (!stackato.entries.empty()) out = transform_stackato_part(std::move(stackato), dir, types, context, default_name);
  if (!cf.entries.empty())
    out = deep_merge(std::move(out), transform_cf_part(std::move(cf), Node::map(), dir, types, context));
  return out;
}

void transform_global(Node& manifest) {
  Node* apps = manifest.find("applications");
  if (!apps) return;
  std::map<std::string, std::string> name_of;  // absolute path -> app name
  for (auto& [name, def] : apps->entries)
    if (const Node* p = def.find("path")) name_of[p->text] = name;

  for (auto& [name, def] : apps->entries) {
    if (def.has("depends-on-path")) {
      Node deps = def.take("depends-on-path");
      for (auto& item : deps.items) {
        auto it = name_of.find(item.text);
        if (it == name_of.end())
          throw make_error(item.mark, "Reference (path) '" + item.text + "' in key \"depends-on\" is unknown.");
        item.text = it->second;
      }
      def.set("depends-on", std::move(deps));
    }

    // Workers: framework standalone, or processes: {web: ~}.
    const Node* fw = def.find("framework");
    const Node* fw_name = fw ? fw->find("name") : nullptr;
    const Node* st = def.find("stackato");
    const Node* procs = st ? st->find("processes") : nullptr;
    const Node* web = procs ? procs->find("web") : nullptr;
    bool legacy = fw_name != nullptr;
    bool worker = (legacy && fw_name->text == "standalone") ||
                  (web && (web->is_null() || (web->is_scalar() && !web->quoted && web->text.empty())));
    if (legacy && worker) {
      if (const Node* u = def.find("urls"); u && !u->items.empty())
        throw make_error(u->mark, "Legacy-based worker application requesting an url mapping");
      def.set("urls", Node::seq(def.mark));
    }
    if (legacy) {
      Node* stk = def.find("stackato");
      if (!stk) stk = &def.set("stackato", Node::map(def.mark));
      if (const Node* fwu = stk->find("force-war-unpacking")) {
        expect(*fwu, Node::Kind::Scalar, "key \"stackato:force-war-unpacking\"");
        if (!is_boolean_text(fwu->text))
          throw make_error(fwu->mark, "Expected boolean value for key \"stackato:force-war-unpacking\", got \"" +
                                          fwu->text + "\"");
        if (!boolean_value(fwu->text))
          throw make_error(fwu->mark, "Legacy-based application needs force-war-unpacking, user-set value is in conflict.");
      }
      stk->set("force-war-unpacking", Node::scalar("yes", def.mark));
    }
  }
}

}  // namespace stackato::manifest
