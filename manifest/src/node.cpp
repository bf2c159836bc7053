#include "node.hpp"

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "errors.hpp"

namespace stackato::manifest {

namespace {

// Limits that keep a hostile or broken file from exhausting the stack or memory: aliases let a
// few lines expand into billions of nodes ("billion laughs").
constexpr int kMaxDepth = 100;
constexpr std::size_t kMaxNodes = 200000;
constexpr std::uintmax_t kMaxFileBytes = 4u << 20;

struct Converter {
  std::shared_ptr<const std::string> file;
  std::size_t nodes = 0;
  std::vector<YAML::Node> ancestors;  // to tell an alias to itself (`&a [*a]`) from deep data

  Mark mark_of(const YAML::Node& n) const {
    auto m = n.Mark();
    if (m.is_null()) return {file, 0, 0};
    return {file, m.line + 1, m.column + 1};
  }

  Node convert(const YAML::Node& n, int depth) {
    Mark mark = mark_of(n);
    if (++nodes > kMaxNodes)
      throw make_error(mark, "the file expands to more than " + std::to_string(kMaxNodes) +
                                 " values (recursive aliases?)");
    for (const auto& a : ancestors)
      if (a.is(n)) throw make_error(mark, "an alias refers to a value that contains it");
    if (depth > kMaxDepth)
      throw make_error(mark, "values nested deeper than " + std::to_string(kMaxDepth) + " levels");
    ancestors.push_back(n);
    struct Pop {
      std::vector<YAML::Node>& v;
      ~Pop() { v.pop_back(); }
    } pop{ancestors};
    switch (n.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null: {
        Node out;
        out.mark = mark;
        return out;
      }
      case YAML::NodeType::Scalar: {
        Node out = Node::scalar(n.Scalar(), mark);
        out.quoted = n.Tag() != "?";
        return out;
      }
      case YAML::NodeType::Sequence: {
        Node out = Node::seq(mark);
        for (const auto& item : n) out.items.push_back(convert(item, depth + 1));
        return out;
      }
      case YAML::NodeType::Map: {
        Node out = Node::map(mark);
        for (const auto& kv : n) {
          if (!kv.first.IsScalar())
            throw make_error(mark_of(kv.first), "mapping keys must be plain strings");
          std::string key = kv.first.Scalar();
          // Later duplicates win, as in the original client; say so, it is usually a mistake.
          if (out.has(key))
            warnings.push_back(where(mark_of(kv.first)) + "Manifest warning: duplicate key \"" +
                               key + "\", the last one wins");
          out.set(key, convert(kv.second, depth + 1));
        }
        return out;
      }
    }
    return {};
  }
  std::vector<std::string>& warnings;
};

}  // namespace

Node Node::scalar(std::string text, Mark mark) {
  Node n;
  n.kind = Kind::Scalar;
  n.text = std::move(text);
  n.mark = std::move(mark);
  return n;
}
Node Node::map(Mark mark) {
  Node n;
  n.kind = Kind::Map;
  n.mark = std::move(mark);
  return n;
}
Node Node::seq(Mark mark) {
  Node n;
  n.kind = Kind::Seq;
  n.mark = std::move(mark);
  return n;
}

const Node* Node::find(std::string_view key) const {
  if (kind != Kind::Map) return nullptr;
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}
Node* Node::find(std::string_view key) {
  return const_cast<Node*>(static_cast<const Node*>(this)->find(key));
}
Node& Node::set(std::string_view key, Node value) {
  if (Node* existing = find(key)) return *existing = std::move(value);
  entries.push_back(Entry{std::string(key), std::move(value)});
  return entries.back().second;
}
bool Node::erase(std::string_view key) {
  for (auto it = entries.begin(); it != entries.end(); ++it)
    if (it->first == key) {
      entries.erase(it);
      return true;
    }
  return false;
}
Node Node::take(std::string_view key) {
  for (auto it = entries.begin(); it != entries.end(); ++it)
    if (it->first == key) {
      Node out = std::move(it->second);
      entries.erase(it);
      return out;
    }
  return {};
}

const char* kind_name(Node::Kind kind) {
  switch (kind) {
    case Node::Kind::Null: return "null";
    case Node::Kind::Scalar: return "scalar";
    case Node::Kind::Seq: return "sequence";
    case Node::Kind::Map: return "mapping";
  }
  return "?";
}

Node deep_merge(Node a, const Node& b) {
  if (!a.is_map() || !b.is_map()) return a;
  for (const auto& [key, value] : b.entries) {
    if (Node* mine = a.find(key))
      *mine = deep_merge(std::move(*mine), value);
    else
      a.entries.push_back(Node::Entry{key, value});
  }
  return a;
}

namespace {
// The first byte that is not UTF-8, as line and column; yaml-cpp would pass it on, and the
// JSON library would throw on it much later with a message of its own.
void check_utf8(const std::string& text, const std::shared_ptr<const std::string>& file) {
  // A UTF-16 or UTF-32 stream (with its byte order mark) is YAML too: yaml-cpp converts it.
  if (text.size() >= 2 && ((unsigned char)text[0] == 0xFE || (unsigned char)text[0] == 0xFF || text[0] == 0)) return;
  int line = 1, column = 1;
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = n > 0 && i + n <= text.size() && !(n == 2 && c < 0xC2);
    for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!ok)
      throw make_error(Mark{file, line, column}, "The file is not UTF-8: byte 0x" +
                                                     std::string(1, "0123456789abcdef"[c >> 4]) +
                                                     std::string(1, "0123456789abcdef"[c & 15]) + " here");
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
    i += n;
  }
}

Node parse_stream(std::istream& stream, const std::string& display_name,
                  std::vector<std::string>& warnings) {
  auto file = std::make_shared<const std::string>(display_name);
  std::string text((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  check_utf8(text, file);
  std::istringstream in(text);
  YAML::Node root;
  try {
    root = YAML::Load(in);
  } catch (const YAML::ParserException& e) {
    Mark mark{file, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
    throw make_error(mark, "Syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw make_error(Mark{file, 0, 0}, std::string("Syntax error: ") + e.what());
  }
  Converter c{file, 0, {}, warnings};
  Node out = c.convert(root, 0);
  if (out.is_null()) out = Node::map(Mark{file, 1, 1});  // an empty file is an empty mapping
  if (!out.is_map())
    throw make_error(out.mark, std::string("Expected a yaml mapping at the top of the file, got a ") +
                                   kind_name(out.kind));
  return out;
}
}  // namespace

Node parse_file(const std::string& path, const std::string& display_name,
                std::vector<std::string>& warnings) {
  std::error_code ec;
  auto file = std::make_shared<const std::string>(display_name);
  if (std::filesystem::is_directory(path, ec))
    throw make_error(Mark{file, 0, 0}, "Bad manifest \"" + display_name + "\", expected a file, got a directory");
  auto size = std::filesystem::file_size(path, ec);
  if (ec) throw make_error(Mark{file, 0, 0}, "cannot read the file: " + ec.message());
  if (size > kMaxFileBytes)
    throw make_error(Mark{file, 0, 0}, "the file is larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw make_error(Mark{file, 0, 0}, std::string("cannot read the file: ") + std::strerror(errno));
  return parse_stream(in, display_name, warnings);
}

Node parse_text(const std::string& text, const std::string& display_name,
                std::vector<std::string>& warnings) {
  std::istringstream in(text);
  return parse_stream(in, display_name, warnings);
}

namespace {
// YAML 1.2 core schema for plain scalars; used only where no key says what a value is.
nlohmann::ordered_json infer(const Node& n) {
  if (n.quoted) return n.text;
  const std::string& t = n.text;
  if (t == "true" || t == "True" || t == "TRUE") return true;
  if (t == "false" || t == "False" || t == "FALSE") return false;
  if (t == "null" || t == "Null" || t == "NULL" || t == "~") return nullptr;
  long long i = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), i);
  if (!t.empty() && ec == std::errc() && p == t.data() + t.size() && (t[0] != '0' || t.size() == 1)) return i;
  return t;
}
}  // namespace

nlohmann::ordered_json to_json(const Node& node) {
  switch (node.kind) {
    case Node::Kind::Null: return nullptr;
    case Node::Kind::Scalar:
      switch (node.hint) {
        case Hint::String: return node.text;
        case Hint::Bool: return boolean_value(node.text);
        case Hint::Int: return std::stoll(node.text);
        case Hint::Auto: return infer(node);
      }
      return node.text;
    case Node::Kind::Seq: {
      auto out = nlohmann::ordered_json::array();
      for (const auto& item : node.items) out.push_back(to_json(item));
      return out;
    }
    case Node::Kind::Map: {
      auto out = nlohmann::ordered_json::object();
      for (const auto& [k, v] : node.entries) out[k] = to_json(v);
      return out;
    }
  }
  return nullptr;
}

bool is_boolean_text(std::string_view t) {
  static constexpr std::array<std::string_view, 22> words = {
      "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
      "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"};
  for (auto w : words)
    if (w == t) return true;
  return false;
}

bool boolean_value(std::string_view t) {
  return t == "y" || t == "Y" || t == "yes" || t == "Yes" || t == "YES" || t == "true" ||
         t == "True" || t == "TRUE" || t == "on" || t == "On" || t == "ON";
}

}  // namespace stackato::manifest
