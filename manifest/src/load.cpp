// load(): find the file, read it and what it inherits, normalise, substitute, validate, select.

#include <algorithm>
#include <map>
#include <set>

#include "errors.hpp"
#include "model.hpp"
#include "node.hpp"
#include "stackato/manifest/manifest.hpp"
#include "symbols.hpp"
#include "transform.hpp"
#include "validate.hpp"

namespace stackato::manifest {

namespace fs = std::filesystem;

namespace {

fs::path absolute_normal(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::weakly_canonical(fs::absolute(p), ec);
  if (ec) abs = fs::absolute(p).lexically_normal();
  return abs;
}

// How a file is named in messages: relative to the cwd when below it.
std::string display_name(const fs::path& file) {
  std::error_code ec;
  fs::path rel = fs::proximate(file, fs::current_path(ec), ec);
  if (ec || rel.empty() || *rel.begin() == "..") return file.generic_string();
  return rel.generic_string();
}

class Loader {
 public:
  explicit Loader(Context& context) : context_(context) {
    types_.known = true;
    types_.list = [this]() -> const std::vector<std::string>& {
      if (!cached_types_) {
        cached_types_ = context_.service_types();
        if (!cached_types_) {
          cached_types_ = builtin_service_types();
          types_.known = false;
          context_.warn("Manifest warning: not logged in; service types are checked against the "
                        "built-in list (mysql, postgresql, redis, ...), not the target's");
        }
      }
      return *cached_types_;
    };
  }

  // Reads `file`, then what it inherits: the including file wins, earlier parents win over later.
  // default_name names a stackato part without `name:`: the command line's name for the root
  // file, the including file's app for a parent (a shared base usually has no name of its own).
  Node load_inherit(const fs::path& file, std::vector<fs::path> chain, const Mark& from,
                    const std::string& default_name) {
    if (std::find(chain.begin(), chain.end(), file) != chain.end()) {
      std::string list;
      for (const auto& f : chain) list += (list.empty() ? "" : ", ") + display_name(f);
      throw make_error(from, "Circular manifest inheritance detected involving: " + list + ", " +
                                 display_name(file));
    }
    chain.push_back(file);

    std::vector<std::string> warnings;
    Node raw = parse_file(file.string(), display_name(file), warnings);
    for (auto& w : warnings) context_.warn(w);
    Node inherit = raw.take("inherit");
    std::string name = default_name;
    if (const Node* n = raw.find("name"); n && n->is_scalar()) name = n->text;
    Node data = normalize_file(std::move(raw), file.parent_path(), types_, context_, default_name);
    data.erase("inherit");

    expect2(inherit, Node::Kind::Scalar, Node::Kind::Seq, "key \"inherit\"");
    std::vector<Node> parents;
    if (inherit.is_scalar()) parents.push_back(inherit);
    for (const auto& p : inherit.items) {
      expect(p, Node::Kind::Scalar, "inheritance element");
      parents.push_back(p);
    }
    for (const auto& p : parents) {
      fs::path parent = absolute_normal(file.parent_path() / p.text);
      std::error_code ec;
      if (!fs::is_regular_file(parent, ec))
        throw make_error(p.mark, "Inherited manifest \"" + p.text + "\" does not exist");
      data = deep_merge(std::move(data), load_inherit(parent, chain, p.mark, name));
    }
    return data;
  }

  private:
  Context& context_;
  std::optional<std::vector<std::string>> cached_types_;
  ServiceTypes types_;
};

// --as: the one app is copied under its new name before symbols are resolved, so that ${name}
// means the new name.
void rename_app(Node& manifest, const std::string& new_name) {
  Node* apps = manifest.find("applications");
  if (!apps || apps->entries.empty()) return;
  if (apps->entries.size() > 1)
    throw make_error(apps->mark, "--as can only rename a single application; the manifest has " +
                                     std::to_string(apps->entries.size()));
  auto& [name, def] = apps->entries.front();
  name = new_name;
  def.set("name", Node::scalar(new_name, def.mark));
}

bool inside(const fs::path& where, const fs::path& dir) {
  auto w = where.lexically_normal(), d = dir.lexically_normal();
  auto [a, b] = std::mismatch(d.begin(), d.end(), w.begin(), w.end());
  return a == d.end() || (std::next(a) == d.end() && a->empty());
}

// The apps whose path holds the base directory; all apps when it is the manifest's directory.
std::vector<std::string> select_apps(const Node& apps, const fs::path& base, const fs::path& file) {
  std::vector<std::string> all, selected;
  for (const auto& [name, def] : apps.entries) {
    all.push_back(name);
    const Node* p = def.find("path");
    if (p && inside(base, p->text)) selected.push_back(name);
  }
  if (!selected.empty()) return selected;
  if (base != file.parent_path())
    throw Error(display_name(file), 0, 0,
                "Manifest error: The path '" + base.generic_string() + "' is not known to the manifest '" +
                    display_name(file) + "'.");
  return all;
}

// Kahn's algorithm, keeping manifest order among apps that are ready together.
std::vector<std::string> dependency_order(const Node& apps, const std::vector<std::string>& wanted) {
  std::map<std::string, std::vector<std::string>> deps;
  for (const auto& [name, def] : apps.entries) {
    auto& d = deps[name];
    if (const Node* on = def.find("depends-on"))
      for (const auto& item : on->items) {
        if (!apps.has(item.text))
          throw make_error(item.mark, "Reference '" + item.text + "' in key \"depends-on\" is unknown.");
        d.push_back(item.text);
      }
  }
  // Apps that selected apps depend on come along.
  std::set<std::string> needed;
  std::vector<std::string> todo = wanted;
  while (!todo.empty()) {
    std::string n = todo.back();
    todo.pop_back();
    if (!needed.insert(n).second) continue;
    for (const auto& d : deps[n]) todo.push_back(d);
  }
  std::vector<std::string> order, remaining;
  for (const auto& [name, def] : apps.entries)
    if (needed.count(name)) remaining.push_back(name);
  std::set<std::string> placed;
  while (!remaining.empty()) {
    std::vector<std::string> keep;
    for (const auto& n : remaining) {
      bool ready = std::all_of(deps[n].begin(), deps[n].end(),
                               [&](const std::string& d) { return placed.count(d) > 0; });
      if (ready) {
        order.push_back(n);
        placed.insert(n);
      } else {
        keep.push_back(n);
      }
    }
    if (keep.size() == remaining.size()) {
      std::string list;
      for (const auto& n : keep) list += (list.empty() ? "" : ", ") + n;
      const Node* on = apps.find(keep.front())->find("depends-on");
      throw make_error(on ? on->mark : apps.mark,
                       "Circular application dependency detected involving: " + list);
    }
    remaining = std::move(keep);
  }
  return order;
}

// The original's dump order: name first, then the keys sorted; the same inside `stackato:`.
// Order within env, services and hooks stays as written.
Node canonical(Node def) {
  auto by_key = [](const Node::Entry& a, const Node::Entry& b) {
    if ((a.first == "name") != (b.first == "name")) return a.first == "name";
    return a.first < b.first;
  };
  std::stable_sort(def.entries.begin(), def.entries.end(), by_key);
  if (Node* st = def.find("stackato"))
    std::stable_sort(st->entries.begin(), st->entries.end(), by_key);
  return def;
}

}  // namespace

std::optional<fs::path> find_manifest(const LoadOptions& options) {
  if (options.file) return absolute_normal(*options.file);
  fs::path base = absolute_normal(options.path);
  std::error_code ec;
  if (fs::is_regular_file(base, ec)) base = absolute_normal(fs::current_path());  // --path app.zip
  if (fs::exists(base / "stackato.yml", ec)) return base / "stackato.yml";
  for (fs::path dir = base;; dir = dir.parent_path()) {
    if (fs::exists(dir / "manifest.yml", ec)) return dir / "manifest.yml";
    if (dir == dir.parent_path()) break;
  }
  return std::nullopt;
}

Manifest load(const LoadOptions& options, Context& context) {
  Manifest result;
  auto file = find_manifest(options);
  if (!file) {
    result.json = nlohmann::ordered_json::object();
    return result;
  }
  std::error_code ec;
  if (!fs::exists(*file, ec))
    throw Error(display_name(*file), 0, 0, "Manifest error: the manifest file does not exist");
  result.file = *file;

  Loader loader(context);
  Node tree = loader.load_inherit(*file, {}, Mark{}, options.as_name.value_or(options.name.value_or("")));
  transform_global(tree);
  if (options.as_name) rename_app(tree, *options.as_name);
  tree = resolve_symbols(tree, context);
  validate(tree, context);

  Node* apps = tree.find("applications");
  Node ordered = Node::map(apps ? apps->mark : Mark{});
  if (apps && !apps->entries.empty()) {
    fs::path base = absolute_normal(options.path);
    if (fs::is_regular_file(base, ec)) base = absolute_normal(fs::current_path());
    std::vector<std::string> wanted;
    if (options.name && !options.as_name) {
      if (!apps->has(*options.name))
        throw Error(display_name(*file), 0, 0,
                    "Manifest error: Failed to find '" + *options.name + "' in manifest.");
      wanted.push_back(*options.name);
    } else {
      wanted = select_apps(*apps, base, *file);
    }
    for (const auto& name : dependency_order(*apps, wanted)) {
      const Node& def = *apps->find(name);
      result.apps.push_back(to_app(def));
      ordered.set(name, canonical(def));
    }
  }
  result.json = nlohmann::ordered_json::object();
  result.json["applications"] = to_json(ordered);
  if (const Node* props = tree.find("properties")) result.json["properties"] = to_json(*props);
  return result;
}

}  // namespace stackato::manifest
