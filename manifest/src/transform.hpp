#pragma once
// From the forms users write to one internal form:
//   {applications: {NAME: {name, path, memory, urls, services, stackato: {...}, ...}},
//    properties: {...}}
// The steps and their order are the original client's (lib/mgr/manifest.tcl).

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "node.hpp"
#include "stackato/manifest/context.hpp"

namespace stackato::manifest {

// Service types for telling `mysql: customerdb` from `customerdb: mysql`; asked lazily because
// asking may cost a round trip (or a warning when offline).
struct ServiceTypes {
  std::function<const std::vector<std::string>&()> list;
  bool known = true;  // false: the built-in list, the target's own is unknown (offline)
};

// One file: split the stackato part from the CF part, transform each, merge (stackato wins).
// Relative paths (app-dir, CF v1 keys, depends-on by path) become absolute against `dir`.
// default_name: the name given on the command line, for a stackato.yml without `name:`.
Node normalize_file(Node data, const std::filesystem::path& dir, const ServiceTypes& types,
                    Context& context, const std::string& default_name);

// The whole merged manifest: depends-on by path to by name, legacy-worker rules.
void transform_global(Node& manifest);

// Stackato-only keys that live under `stackato:` in the internal form.
bool is_stackato_only_key(const std::string& key);

}  // namespace stackato::manifest
