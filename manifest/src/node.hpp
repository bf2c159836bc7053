#pragma once
// The manifest as a tree that remembers where every value came from (file, line, column), so
// that errors found after merging and substitution still point at the source. yaml-cpp's own
// nodes lose their marks when cloned, hence this small tree.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace stackato::manifest {

struct Mark {
  std::shared_ptr<const std::string> file;  // as shown to the user
  int line = 0, column = 0;                 // 1-based, 0 = unknown
};

// How a scalar is written out as JSON. Auto infers from plain YAML (true/false, numbers).
enum class Hint { Auto, String, Int, Bool };

struct Node {
  enum class Kind { Null, Scalar, Seq, Map };
  struct Entry;  // {first: key, second: value}; defined below, as Node is incomplete here

  Kind kind = Kind::Null;
  std::string text;     // Scalar
  bool quoted = false;  // Scalar written in quotes: never a bool, number or null
  Hint hint = Hint::Auto;
  std::vector<Node> items;     // Seq
  std::vector<Entry> entries;  // Map, in file order
  Mark mark;

  static Node scalar(std::string text, Mark mark = {});
  static Node map(Mark mark = {});
  static Node seq(Mark mark = {});

  bool is_null() const { return kind == Kind::Null; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_seq() const { return kind == Kind::Seq; }
  bool is_map() const { return kind == Kind::Map; }

  // Map access. find returns nullptr when absent or when this is not a map.
  const Node* find(std::string_view key) const;
  Node* find(std::string_view key);
  bool has(std::string_view key) const { return find(key) != nullptr; }
  Node& set(std::string_view key, Node value);  // replaces in place or appends
  bool erase(std::string_view key);
  // Removes and returns the value (a Null node when absent).
  Node take(std::string_view key);
};

struct Node::Entry {
  std::string first;
  Node second;
};

const char* kind_name(Node::Kind kind);  // "scalar", "sequence", "mapping", "null"

// a wins over b: mappings merge key by key, anything else is replaced by a.
Node deep_merge(Node a, const Node& b);

// Parses one YAML file. Throws Error (syntax, not a file, too large, nesting too deep);
// appends warnings (duplicate keys) to `warnings`.
Node parse_file(const std::string& path, const std::string& display_name,
                std::vector<std::string>& warnings);
Node parse_text(const std::string& text, const std::string& display_name,
                std::vector<std::string>& warnings);

nlohmann::ordered_json to_json(const Node& node);

// Boolean spellings accepted by the original client (YAML 1.1).
bool is_boolean_text(std::string_view text);
bool boolean_value(std::string_view text);

}  // namespace stackato::manifest
