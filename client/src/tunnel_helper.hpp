#pragma once
// The tunnel helper app on the target: found (and checked) or pushed, with the service bound.

#include <string>

#include <nlohmann/json.hpp>

#include "session.hpp"

namespace stackato::client {

struct TunnelHelper {
  std::string url;     // https://tunnel-xxxx.DOMAIN[:PORT]
  std::string secret;  // its TUNNEL_AUTH
};

// The helper app "tunnel" of the current space, pushed on first use with a random 256-bit
// secret, updated in place (same secret) when its version is not ours, and with `service` bound
// (restarted when that binding is new). `allow_http`: the target is plain http.
TunnelHelper ensure_tunnel_helper(Session& s, const std::string& service);

// GET URL/PATH on the helper with the secret; nullopt when it does not answer 200.
std::optional<nlohmann::json> helper_get(Session& s, const TunnelHelper& h, const std::string& path);

}  // namespace stackato::client
