#include "errors.hpp"

namespace stackato::manifest {

namespace {
std::string location(const std::string& file, int line, int column) {
  if (file.empty()) return {};
  if (line <= 0) return file + ": ";
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
}
}  // namespace

Error::Error(std::string file, int line, int column, const std::string& message)
    : std::runtime_error(location(file, line, column) + message),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

std::string where(const Mark& mark) {
  return location(mark.file ? *mark.file : std::string(), mark.line, mark.column);
}

Error make_error(const Mark& mark, const std::string& text, const char* kind) {
  return Error(mark.file ? *mark.file : std::string(), mark.line, mark.column,
               std::string(kind) + ": " + text);
}

namespace {
const char* article_name(Node::Kind kind) {
  switch (kind) {
    case Node::Kind::Null: return "null";
    case Node::Kind::Scalar: return "a scalar";
    case Node::Kind::Seq: return "a sequence";
    case Node::Kind::Map: return "a mapping";
  }
  return "?";
}
}  // namespace

// An empty value (`key:`) is accepted wherever a value is expected; it reads as "" or as empty.
void expect(const Node& node, Node::Kind kind, const std::string& what) {
  if (node.kind == kind || node.is_null()) return;
  throw make_error(node.mark,
                   std::string("Expected a yaml ") + kind_name(kind) + " for " + what + ", got " +
                       article_name(node.kind),
                   "Manifest validation error");
}

void expect2(const Node& node, Node::Kind a, Node::Kind b, const std::string& what) {
  if (node.kind == a || node.kind == b || node.is_null()) return;
  throw make_error(node.mark,
                   std::string("Expected a yaml ") + kind_name(a) + " or " + kind_name(b) + " for " +
                       what + ", got " + article_name(node.kind),
                   "Manifest validation error");
}

}  // namespace stackato::manifest
