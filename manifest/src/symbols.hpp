#pragma once
// ${name} substitution in every scalar value and every mapping key (stackato-cli §2.5).

#include <string>
#include <vector>

#include "node.hpp"
#include "stackato/manifest/context.hpp"

namespace stackato::manifest {

// Returns the manifest with every symbol resolved. Throws Error for unknown symbols and cycles.
Node resolve_symbols(const Node& manifest, Context& context);

// Built-in symbols that need the target.
std::string target_base_of(const std::string& url);  // https://api.example.com:80 -> example.com

}  // namespace stackato::manifest
