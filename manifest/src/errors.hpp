#pragma once
// Building one-line manifest errors that point at the source.

#include <string>

#include "node.hpp"
#include "stackato/manifest/manifest.hpp"

namespace stackato::manifest {

// "FILE:LINE:COL: " (or "FILE: " without a position, "" without a file).
std::string where(const Mark& mark);

// Error at `mark`; kind is the original client's prefix ("Manifest error" or
// "Manifest validation error").
Error make_error(const Mark& mark, const std::string& text, const char* kind = "Manifest error");

// "Expected a yaml scalar for key "x", got a mapping" unless node is of one of the kinds.
void expect(const Node& node, Node::Kind kind, const std::string& what);
void expect2(const Node& node, Node::Kind a, Node::Kind b, const std::string& what);

}  // namespace stackato::manifest
