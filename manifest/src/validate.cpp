#include "validate.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <functional>
#include <limits>
#include <map>
#include <regex>

#include "errors.hpp"
#include "stackato/manifest/manifest.hpp"

namespace stackato::manifest {

namespace {

using Kind = Node::Kind;

std::string q(const std::string& s) { return "\"" + s + "\""; }

class Validator {
 public:
  Validator(Context& context, const Node* properties) : context_(context), properties_(properties) {}

  void app(Node& def) {
    expect(def, Kind::Map, "an application definition");
    for (auto& [key, value] : def.entries) app_key(def, key, value);
    // An endpoint is for the http check only (cf refuses it with another type as well).
    const Node* type = def.find("health-check-type");
    const Node* endpoint = def.find("health-check-http-endpoint");
    if (endpoint && type && type->text != "http")
      throw make_error(endpoint->mark, "Key \"health-check-http-endpoint\" needs health-check-type http, not " +
                                           q(type->text));
    if (endpoint && (endpoint->text.empty() || endpoint->text[0] != '/'))
      throw make_error(endpoint->mark, "Expected a path starting with / for key \"health-check-http-endpoint\", got " +
                                           q(endpoint->text));
  }

 private:
  void unknown(const Node& at, const std::string& key) {
    // Top-level unknown keys are copied into every app; they were warned about once already.
    if (const Node* p = properties_ ? properties_->find(key) : nullptr;
        p && p->mark.line == at.mark.line && p->mark.file == at.mark.file)
      return;
    context_.warn(where(at.mark) + "Manifest warning: Unknown key " + q(key));
  }

  // `what` names the value in messages: "key \"x\"" or "element of key \"x\"".
  static void str_at(Node& v, const std::string& what) {
    expect(v, Kind::Scalar, what);
    if (v.is_null()) v = Node::scalar("", v.mark);
    v.hint = Hint::String;
  }
  static void str(Node& v, const std::string& key) { str_at(v, "key " + q(key)); }

  static void boolean(Node& v, const std::string& key) {
    expect(v, Kind::Scalar, "key " + q(key));
    if (!is_boolean_text(v.text))
      throw make_error(v.mark, "Expected boolean value for key " + q(key) + ", got " + q(v.text));
    v.hint = Hint::Bool;
  }

  // Integers end up in int fields (instances, timeout): the range is checked here, once.
  static long integer(const Node& v, const std::string& key, long min, long max = 1000000) {
    expect(v, Kind::Scalar, "key " + q(key));
    long n = 0;
    auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), n);
    if (v.text.empty() || ec != std::errc() || p != v.text.data() + v.text.size() || n < min)
      throw make_error(v.mark, "Expected integer value >= " + std::to_string(min) + " for key " +
                                   q(key) + ", got " + q(v.text));
    if (n > max)
      throw make_error(v.mark, "Expected integer value <= " + std::to_string(max) + " for key " +
                                   q(key) + ", got " + q(v.text));
    return n;
  }

  static double percent(const Node& v, const std::string& key) {
    expect(v, Kind::Scalar, "key " + q(key));
    double d = 0;
    auto [p, ec] = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
    if (v.text.empty() || ec != std::errc() || p != v.text.data() + v.text.size() || d < 0 || d > 100)
      throw make_error(v.mark, "Expected percentage for key " + q(key) + ", got " + q(v.text));
    return d;
  }

  static void set_int(Node& v, long n) {
    v = Node::scalar(std::to_string(n), v.mark);
    v.hint = Hint::Int;
  }

  // A command: a scalar or a list of scalars; always a list afterwards.
  static void commands(Node& v, const std::string& key) {
    expect2(v, Kind::Scalar, Kind::Seq, "key " + q(key));
    if (v.is_scalar() || v.is_null()) {
      Node s = Node::seq(v.mark);
      if (!v.is_null()) s.items.push_back(v);
      v = std::move(s);
    }
    for (auto& item : v.items) {
      if (item.is_map())
        throw make_error(item.mark,
                         "Expected a yaml scalar for element of sequence key " + q(key) +
                             ", got a mapping (quote the command: an unquoted \": \" makes YAML read a mapping)",
                         "Manifest validation error");
      expect(item, Kind::Scalar, "element of sequence key " + q(key));
      item.hint = Hint::String;
    }
  }

  // A scalar or a list of scalars; always a list afterwards. `nested`: elements may themselves
  // be lists of scalars (requirements: `- [ppa:team/repo]`, which the original passed through).
  static void scalar_list(Node& v, const std::string& key, bool nested = false) {
    expect2(v, Kind::Scalar, Kind::Seq, "key " + q(key));
    if (v.is_scalar()) {
      Node s = Node::seq(v.mark);
      s.items.push_back(v);
      v = std::move(s);
    }
    for (auto& item : v.items) {
      if (nested && item.is_seq())
        for (auto& inner : item.items) str_at(inner, "element of key " + q(key));
      else
        str_at(item, "element of key " + q(key));
    }
  }

  void memory(Node& v, const std::string& key, bool is_memory) {
    expect(v, Kind::Scalar, "key " + q(key));
    long mb = 0;
    try {
      mb = parse_memspec(v.text);
    } catch (const std::invalid_argument&) {
      throw make_error(v.mark, "Expected a size for key " + q(key) + " (256, 256M, 2G or 1.5G), got " +
                                   q(v.text) + (v.text.size() > 1 && std::toupper(v.text.back()) == 'B'
                                                    ? "; two-letter suffixes like MB and GB are not accepted"
                                                    : ""));
    }
    long min = is_memory ? context_.minimum_memory_mb() : 1;
    if (mb < min) {
      context_.warn(where(v.mark) + "Forcing use of minimum " + (is_memory ? "memory" : "disk") +
                    " requirement: " + std::to_string(min) + "M");
      mb = min;
    }
    set_int(v, mb);
  }

  void app_key(Node& def, const std::string& key, Node& v) {
    static const std::vector<std::string> plain = {"name", "runtime", "path", "buildpack", "stack",
                                                   "command", "docker_image",
                                                   "health-check-http-endpoint"};
    if (std::find(plain.begin(), plain.end(), key) != plain.end()) {
      str(v, key);
    } else if (key == "instances") {
      expect(v, Kind::Scalar, "key \"instances\"");
      long n = integer(v, key, std::numeric_limits<long>::min(), 10000);
      if (n < 1) {
        context_.warn(where(v.mark) + "Forcing use of minimum instances requirement: 1");
        n = 1;
      }
      set_int(v, n);
    } else if (key == "memory") {
      memory(v, key, true);
    } else if (key == "disk_quota") {
      memory(v, key, false);
    } else if (key == "urls") {
      expect(v, Kind::Seq, "key \"urls\"");
      for (auto& u : v.items) {
        str_at(u, "element of key \"urls\"");
        std::transform(u.text.begin(), u.text.end(), u.text.begin(),
                       [](unsigned char c) { return std::tolower(c); });
      }
    } else if (key == "depends-on") {
      scalar_list(v, key);
    } else if (key == "timeout") {
      set_int(v, integer(v, key, 1, 86400));
    } else if (key == "health-check-invocation-timeout") {
      set_int(v, integer(v, key, 1, 3600));
    } else if (key == "health-check-type") {
      str(v, key);
      static const std::vector<std::string> types = {"port", "http", "process", "none"};
      if (std::find(types.begin(), types.end(), v.text) == types.end())
        throw make_error(v.mark, "Expected one of 'port', 'http' or 'process' for key "
                                 "\"health-check-type\", got " + q(v.text));
    } else if (key == "services") {
      services(def, v);
    } else if (key == "framework") {
      expect(v, Kind::Map, "key \"framework\"");
      for (auto& [fk, fv] : v.entries) {
        if (fk == "name" || fk == "runtime" || fk == "app-server" || fk == "document-root" ||
            fk == "home-dir" || fk == "start-file")
          str(fv, "framework:" + fk);
        else
          unknown(fv, "framework:" + fk);
      }
    } else if (key == "stackato") {
      expect(v, Kind::Map, "key \"stackato\"");
      for (auto& [sk, sv] : v.entries) stackato_key(sk, sv);
    } else {
      unknown(v, key);
    }
  }

  void services(const Node& def, Node& v) {
    expect(v, Kind::Map, "key \"services\"");
    const Node* app_name = def.find("name");
    for (auto& [name, s] : v.entries) {
      std::string where_key = "services:" + name;
      if (s.is_null()) s = Node::map(s.mark);
      expect(s, Kind::Map, "key " + q(where_key));
      // label and vendor are other spellings of type.
      for (const char* alias : {"label", "vendor"})
        if (s.has(alias)) {
          Node t = s.take(alias);
          if (!s.has("type")) s.set("type", std::move(t));
        }
      for (auto& [k, sv] : s.entries) {
        if (k == "type" || k == "plan" || k == "provider" || k == "version" || k == "syslog")
          str(sv, where_key + ":" + k);
        else if (k == "credentials" || k == "parameters")
          expect(sv, Kind::Map, "key " + q(where_key + ":" + k));
        else if (k == "tags")
          scalar_list(sv, where_key + ":tags");
        else
          unknown(sv, where_key + ":" + k);
      }
      const Node* type = s.find("type");
      if (type && type->text == "user-provided" && !s.has("credentials"))
        throw make_error(s.mark, "Manifest is missing the credentials for the user-provided service \"" +
                                     name + "\"");
      if (type && type->text == "filesystem" && app_name && name == app_name->text + "-cache") {
        Node flag = Node::scalar("true", s.mark);
        flag.hint = Hint::Bool;
        s.set("cache", std::move(flag));
      }
    }
  }

  void stackato_key(const std::string& key, Node& v) {
    if (key == "description" || key == "placement-zone") {
      str(v, key);
    } else if (key == "force-war-unpacking" || key == "sso-enabled") {
      boolean(v, key);
    } else if (key == "autoscale") {
      autoscale(v);
    } else if (key == "min_version") {
      expect(v, Kind::Map, "key \"min_version\"");
      for (auto& [k, mv] : v.entries) {
        if (k != "client" && k != "server")
          throw make_error(mv.mark, "Found illegal key " + q("min_version:" + k));
        str(mv, "min_version:" + k);
        static const std::regex version("^[0-9]+(\\.[0-9]+)*$");
        if (!std::regex_match(mv.text, version))
          throw make_error(mv.mark, "Expected version number for key " + q("min_version:" + k) +
                                        ", got " + q(mv.text));
      }
    } else if (key == "processes") {
      expect(v, Kind::Map, "key \"processes\"");
      for (auto& [k, pv] : v.entries) {
        if (k != "web") {
          unknown(pv, "processes:" + k);
          continue;
        }
        expect(pv, Kind::Scalar, "key \"processes:web\"");
        if (!pv.is_null()) pv.hint = Hint::String;
      }
    } else if (key == "requirements") {
      requirements(v);
    } else if (key == "drain") {
      expect(v, Kind::Map, "key \"drain\"");
      for (auto& [name, d] : v.entries) {
        expect(d, Kind::Map, "key " + q("drain:" + name));
        for (auto& [k, dv] : d.entries) {
          if (k == "url")
            str(dv, "drain:" + name + ":url");
          else if (k == "json")
            boolean(dv, "drain:" + name + ":json");
          else
            unknown(dv, "drain:" + name + ":" + k);
        }
      }
    } else if (key == "env") {
      env(v);
    } else if (key == "hooks") {
      expect(v, Kind::Map, "key \"hooks\"");
      for (auto& [hk, hv] : v.entries) {
        if (hk == "pre-push" || hk == "pre-staging" || hk == "post-staging" ||
            hk == "pre-running" || hk == "legacy-running")
          commands(hv, "hooks:" + hk);
        else
          unknown(hv, "hooks:" + hk);
      }
    } else if (key == "cron") {
      commands(v, "cron");
    } else if (key == "ignores") {
      expect(v, Kind::Seq, "key \"ignores\"");
      for (auto& item : v.items) str_at(item, "element of key \"ignores\"");
    } else {
      unknown(v, "stackato:" + key);
    }
  }

  void autoscale(Node& v) {
    expect(v, Kind::Map, "key \"autoscale\"");
    for (auto& [k, av] : v.entries) {
      if (k == "enabled") {
        boolean(av, "autoscale:enabled");
      } else if (k == "instances" || k == "cpu") {
        expect(av, Kind::Map, "key " + q("autoscale:" + k));
        std::map<std::string, double> seen;
        for (auto& [mk, mv] : av.entries) {
          std::string full = "autoscale:" + k + ":" + mk;
          if (mk != "min" && mk != "max") {
            unknown(mv, full);
            continue;
          }
          if (k == "instances") {
            long n = integer(mv, full, 1);
            seen[mk] = static_cast<double>(n);
            set_int(mv, n);
          } else {
            seen[mk] = percent(mv, full);
          }
        }
        if (seen.count("min") && seen.count("max") && seen["min"] > seen["max"])
          throw make_error(av.mark, "Expected \"autoscale:" + k + ":min\" to be at most \"autoscale:" +
                                        k + ":max\"");
      } else {
        unknown(av, "autoscale:" + k);
      }
    }
  }

  void requirements(Node& v) {
    expect(v, Kind::Map, "key \"requirements\"");
    static const std::vector<std::string> top = {"pypm", "ppm", "cpan", "pip", "ubuntu", "redhat", "unix"};
    for (auto& [k, rv] : v.entries) {
      if (std::find(top.begin(), top.end(), k) != top.end()) {
        scalar_list(rv, "requirements:" + k, true);
      } else if (k == "staging" || k == "running") {
        expect(rv, Kind::Map, "key " + q("requirements:" + k));
        for (auto& [sk, sv] : rv.entries) {
          if (sk == "ubuntu" || sk == "redhat" || sk == "unix")
            scalar_list(sv, "requirements:" + k + ":" + sk, true);
          else
            unknown(sv, "requirements:" + k + ":" + sk);
        }
      } else {
        unknown(rv, "requirements:" + k);
      }
    }
  }

  void env(Node& v) {
    expect(v, Kind::Map, "key \"env\"");
    for (auto& [name, ev] : v.entries) {
      expect(ev, Kind::Map, "key " + q("env:" + name));
      bool required = false, inherit = false, hidden = false, has_default = false, has_choices = false;
      for (auto& [k, kv] : ev.entries) {
        std::string full = "env:" + name + ":" + k;
        if (k == "default") {
          str(kv, full);
          has_default = true;
        } else if (k == "hidden" || k == "required" || k == "inherit") {
          boolean(kv, full);
          bool b = boolean_value(kv.text);
          (k == "hidden" ? hidden : k == "required" ? required : inherit) = b;
        } else if (k == "prompt") {
          str(kv, full);
        } else if (k == "choices") {
          expect(kv, Kind::Seq, "key " + q(full));
          for (auto& c : kv.items) str_at(c, "element of key " + q(full));
          has_choices = true;
        } else if (k == "scope") {
          str(kv, full);
          if (kv.text != "staging" && kv.text != "runtime" && kv.text != "both")
            throw make_error(kv.mark, "Expected one of 'both', 'runtime' or 'staging' for key " +
                                          q(full) + ", got " + q(kv.text));
        } else {
          throw make_error(kv.mark, "Found illegal key " + q(full));
        }
      }
      if (!required && !has_default && !inherit)
        throw make_error(ev.mark, "Bad description of variable " + q(name) +
                                      ", not required, default value missing");
      if (hidden && has_choices)
        throw make_error(ev.mark, "Bad description of variable " + q(name) +
                                      ", \"hidden\" cannot be combined with \"choices\"");
    }
  }

  Context& context_;
  const Node* properties_;
};

}  // namespace

void validate(Node& manifest, Context& context) {
  Validator check(context, manifest.find("properties"));
  if (Node* apps = manifest.find("applications"))
    for (auto& [name, def] : apps->entries) check.app(def);
  for (auto& [key, value] : manifest.entries)
    if (key != "applications" && key != "properties" && key != "inherit")
      context.warn(where(value.mark) + "Manifest warning: Unknown key \"" + key + "\"");
}

}  // namespace stackato::manifest
