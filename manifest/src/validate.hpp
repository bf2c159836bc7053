#pragma once
// Checks the types and values of every key of a resolved manifest and brings values to one form:
// sizes in MB, hooks and cron as lists, booleans marked as such, URLs lower-cased. Unknown keys
// warn; wrong types and values throw Error.

#include "node.hpp"
#include "stackato/manifest/context.hpp"

namespace stackato::manifest {

void validate(Node& manifest, Context& context);

}  // namespace stackato::manifest
