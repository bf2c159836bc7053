#include "symbols.hpp"

#include <algorithm>
#include <map>
#include <regex>

#include "errors.hpp"

namespace stackato::manifest {

namespace {

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

std::string strip_port(std::string url) {
  static const std::regex port(":[0-9]+$");
  return std::regex_replace(url, port, "");
}

// A value may grow by substitution, but not without bound: "${v0}${v0}" forty times over is a
// terabyte from a kilobyte of YAML. One value and the whole manifest each have a ceiling.
constexpr std::size_t kMaxValue = 1 << 20;      // 1 MiB
constexpr std::size_t kMaxProduced = 64 << 20;  // 64 MiB

class Resolver {
 public:
  Resolver(const Node& manifest, Context& context) : manifest_(manifest), context_(context) {}

  Node run() {
    Node out = manifest_;
    std::vector<const Node*> contexts{&manifest_};
    if (const Node* apps = manifest_.find("applications"); apps && apps->is_map()) {
      Node* out_apps = out.find("applications");
      Node resolved_apps = Node::map(apps->mark);
      for (const auto& [name, def] : apps->entries) {
        current_app_ = name;
        std::string key = resolve_string(name, contexts, {}, def.mark);
        resolved_apps.set(key, resolve(def, contexts, {}));
      }
      current_app_.clear();
      *out_apps = std::move(resolved_apps);
    }
    for (auto& [key, value] : out.entries) {
      if (key == "applications") continue;
      const Node* original = manifest_.find(key);
      value = resolve(*original, contexts, {});
    }
    // Keys at the top level.
    for (auto& entry : out.entries)
      if (entry.first != "applications")
        entry.first = resolve_string(entry.first, contexts, {}, entry.second.mark);
    return out;
  }

 private:
  using Seen = std::vector<std::string>;

  Node resolve(const Node& value, const std::vector<const Node*>& contexts, const Seen& seen) {
    switch (value.kind) {
      case Node::Kind::Null: return value;
      case Node::Kind::Scalar: {
        Node out = value;
        out.text = resolve_string(value.text, contexts, seen, value.mark);
        return out;
      }
      case Node::Kind::Seq: {
        Node out = value;
        for (auto& item : out.items) item = resolve(item, contexts, seen);
        return out;
      }
      case Node::Kind::Map: {
        std::vector<const Node*> inner{&value};
        inner.insert(inner.end(), contexts.begin(), contexts.end());
        Node out = Node::map(value.mark);
        out.hint = value.hint;
        for (const auto& [key, child] : value.entries) {
          // A key is resolved in the context around its mapping, the value inside it.
          std::string new_key = resolve_string(key, contexts, seen, child.mark);
          if (out.has(new_key))
            throw make_error(child.mark, "Key \"" + key + "\" becomes \"" + new_key +
                                             "\", which the same mapping already has");
          out.set(new_key, resolve(child, inner, seen));
        }
        return out;
      }
    }
    return value;
  }

  // Each distinct symbol in one string is resolved once, so two ${random-word} there agree.
  std::string resolve_string(const std::string& text, const std::vector<const Node*>& contexts,
                             const Seen& seen, const Mark& mark) {
    if (text.find('$') == std::string::npos) return text;
    std::map<std::string, std::string> done;
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
      // $${X} is the escape for a literal ${X} (shell variables in hooks and env).
      if (text.compare(i, 3, "$${") == 0) {
        auto close = text.find('}', i + 3);
        if (close != std::string::npos) {
          out += text.substr(i + 1, close - i);
          i = close + 1;
          continue;
        }
      }
      if (text.compare(i, 2, "${") == 0) {
        auto close = text.find('}', i + 2);
        if (close != std::string::npos && close > i + 2) {
          std::string symbol = trim(text.substr(i + 2, close - i - 2));
          auto it = done.find(symbol);
          if (it == done.end()) it = done.emplace(symbol, lookup(symbol, contexts, seen, mark)).first;
          out += it->second;
          produced_ += it->second.size();
          if (out.size() > kMaxValue || produced_ > kMaxProduced)
            throw make_error(mark, "Value too large after substitution (over " +
                                       std::string(out.size() > kMaxValue ? "1 MiB for one value" : "64 MiB in all") +
                                       "): does a symbol double itself, as ${" + symbol + "} here?");
          i = close + 1;
          continue;
        }
      }
      out += text[i++];
    }
    return out;
  }

  std::string lookup(const std::string& symbol, const std::vector<const Node*>& contexts, Seen seen,
                     const Mark& mark) {
    if (std::find(seen.begin(), seen.end(), symbol) != seen.end()) {
      std::string chain;
      for (const auto& s : seen) chain += (chain.empty() ? "" : ", ") + s;
      throw make_error(mark, "Circular symbol definition detected involving: " + chain);
    }
    seen.push_back(symbol);

    if (symbol.rfind("ask ", 0) == 0) {
      std::string label = symbol.substr(4);
      if (!context_.interactive())
        throw make_error(mark, "The manifest asks for \"" + label + "\", but prompting is off (-n); " +
                                   "define it under 'properties:' instead");
      return context_.ask(label + ": ", false);
    }
    if (symbol == "random-word") return context_.random_word();
    if (symbol == "target-url") return target_url(contexts);
    if (symbol == "target-base") {
      if (const Node* t = find(std::string("target"), contexts)) return target_base_of(t->text);
      return target_base_of(target_url(contexts));
    }
    if (symbol == "space-base") return space_base(mark);

    const Node* found = find(symbol, contexts);
    // Keys renamed by normalisation still answer to the name the user wrote.
    static const std::map<std::string, std::string> renamed = {
        {"mem", "memory"}, {"disk", "disk_quota"}, {"app-dir", "path"}};
    if (auto r = renamed.find(symbol); !found && r != renamed.end()) found = find(r->second, contexts);
    if (!found) throw make_error(mark, "Unknown symbol in manifest: " + symbol);
    return resolve_string(found->text, contexts, seen, found->mark);
  }

  std::string target_url(const std::vector<const Node*>& contexts) {
    if (const Node* t = find("target", contexts)) return t->text;  // not resolved again
    return strip_port(context_.target_url());
  }

  std::string space_base(const Mark& mark) {
    if (space_base_) return *space_base_;
    auto domains = context_.space_domains();
    std::string value;
    if (!domains) {
      // Offline (no login): the target's base domain is the best guess; say so.
      value = target_base_of(strip_port(context_.target_url()));
      context_.warn(where(mark) + "Manifest warning: no current space; ${space-base} taken as \"" +
                    value + "\" from the target");
    } else if (domains->empty()) {
      throw make_error(mark, "Unable to construct url. We need a domain and found none. "
                             "Use 'stackato domains' to verify this.");
    } else if (domains->size() == 1) {
      value = domains->front();
    } else {
      std::string base = target_base_of(strip_port(context_.target_url()));
      if (std::find(domains->begin(), domains->end(), base) != domains->end()) {
        value = base;
      } else if (context_.interactive()) {
        value = context_.choose("Which domain do you wish to use? ", *domains);
      } else {
        throw make_error(mark, "Unable to construct url. We found multiple domains and cannot "
                               "choose. Use 'stackato domains' to verify this.");
      }
    }
    space_base_ = value;
    return value;
  }

  // properties:<sym>, then applications:<current>:<sym>, then <sym>, innermost context first.
  // Only scalars count.
  const Node* find(const std::string& symbol, const std::vector<const Node*>& contexts) const {
    for (const Node* c : contexts) {
      const Node* hit = nullptr;
      if (const Node* props = c->find("properties")) hit = props->find(symbol);
      if ((!hit || !hit->is_scalar()) && !current_app_.empty())
        if (const Node* apps = c->find("applications"))
          if (const Node* app = apps->find(current_app_)) hit = app->find(symbol);
      if (!hit || !hit->is_scalar()) hit = c->find(symbol);
      if (hit && hit->is_scalar()) return hit;
    }
    return nullptr;
  }

  const Node& manifest_;
  Context& context_;
  std::string current_app_;
  std::optional<std::string> space_base_;
  std::size_t produced_ = 0;  // bytes made by substitution so far, against kMaxProduced
};

}  // namespace

std::string target_base_of(const std::string& url) {
  std::string host = url;
  if (auto scheme = host.find("://"); scheme != std::string::npos) host = host.substr(scheme + 3);
  if (auto slash = host.find('/'); slash != std::string::npos) host.resize(slash);
  host = strip_port(host);
  auto dot = host.find('.');
  return dot == std::string::npos ? host : host.substr(dot + 1);
}

Node resolve_symbols(const Node& manifest, Context& context) {
  return Resolver(manifest, context).run();
}

}  // namespace stackato::manifest
