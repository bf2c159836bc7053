#pragma once
// UAA-compatible tokens: HS256-signed JWTs carrying the claims the cf CLI reads, opaque refresh
// tokens, and password hashes (PBKDF2-SHA256).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace kato::auth {

struct User {
  std::string guid, name;
  bool admin = false;  // issue(): cloud_controller.admin among the scopes
};

struct Verified {
  std::optional<User> user;
  std::string error;  // why not: "expired", "malformed", "bad signature"
};

class Tokens {
 public:
  Tokens(std::string key, std::string issuer, std::chrono::seconds ttl);
  std::chrono::seconds ttl() const { return ttl_; }
  std::string issue(const User& user) const;
  Verified verify(const std::string& jwt) const;

 private:
  std::string key_, issuer_;
  std::chrono::seconds ttl_;
};

std::string random_hex(std::size_t bytes);
std::string new_guid();  // a random (v4) UUID
std::string hash_password(const std::string& password);
bool check_password(const std::string& password, const std::string& hash);
std::string sha256_hex(std::string_view data);
std::string sha1_hex(std::string_view data);  // resource matching, as CC does
bool constant_time_equal(const std::string& a, const std::string& b);
std::string base64(const std::string& data);  // standard, padded
std::string base64url(const std::string& data);
std::optional<std::string> base64url_decode(const std::string& text);

}  // namespace kato::auth
