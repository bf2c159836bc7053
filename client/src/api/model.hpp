#pragma once
// Typed V3 resources, parsed from what a Cloud Controller answers (kato, CF, Korifi). Parsing
// takes the fields the client uses and tolerates everything else: unknown fields, null where a
// field may be absent, relationships with `data: null`. A field the client needs that is missing
// or of the wrong type is a ShapeError naming the resource and the field, never a JSON library's
// message.
//
// Layers, as in the cf CLI: commands/ parse flags and render; api/ speaks HTTP and returns these.
// Commands do not build "/v3/..." paths or read JSON fields by name for what is here.

#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace stackato::client::api {

// The target answered with a shape the client cannot use: exit 1, one line.
struct ShapeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Organization {
  std::string guid, name;
  bool suspended = false;
};

struct Space {
  std::string guid, name, org_guid;
};

struct User {
  std::string guid;
  std::string username;  // presentation_name when username is null (a UAA client, not a person)
  std::string origin;    // "uaa", an identity provider, or "" for clients
};

// A role of a user in a space or an organization (one of the two guids is set).
struct Role {
  std::string guid, type, user_guid, space_guid, org_guid;
  bool in_space() const { return !space_guid.empty(); }
};

Organization parse_organization(const nlohmann::json& j);
Space parse_space(const nlohmann::json& j);
User parse_user(const nlohmann::json& j);
Role parse_role(const nlohmann::json& j);

// The role types, as CAPI names them, and the names cf's commands take (OrgManager,
// SpaceDeveloper, ...). Both are accepted; anything else is a UsageError listing the choices.
const std::vector<std::string>& org_role_types();
const std::vector<std::string>& space_role_types();
std::string org_role_type(const std::string& typed);
std::string space_role_type(const std::string& typed);
// "SpaceDeveloper" for "space_developer": how cf prints a role.
std::string role_title(const std::string& type);

}  // namespace stackato::client::api
