#pragma once
// What the api/ files share to build requests: a path segment or query value escaped, and a
// CAPI to-one relationship. Internal to api/.

#include <string>

#include <nlohmann/json.hpp>

#include "resources.hpp"

namespace stackato::client::api {

inline std::string q(const std::string& value) { return url_escape(value); }
inline nlohmann::json to_one(const std::string& guid) { return {{"data", {{"guid", guid}}}}; }

}  // namespace stackato::client::api
