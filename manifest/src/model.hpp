#pragma once
// The typed view of one normalised, validated application definition.

#include "node.hpp"
#include "stackato/manifest/manifest.hpp"

namespace stackato::manifest {

App to_app(const Node& def);

}  // namespace stackato::manifest
