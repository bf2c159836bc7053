#pragma once
// Push step "services": create the manifest's services that do not exist yet, check that those
// that exist have the type and plan asked for, and bind them all to the app.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/model.hpp"
#include "session.hpp"
#include "stackato/manifest/manifest.hpp"

namespace stackato::client {

// Creates one service (managed: the plan asked for, else "default"; user-provided: its
// credentials) and waits until it is usable; a failed creation is deleted again.
nlohmann::json create_service(Session& s, const manifest::Service& service);

// True when a binding was added (a running app needs a restart to see it).
bool ensure_services(Session& s, const api::App& app, const std::vector<manifest::Service>& services);

}  // namespace stackato::client
