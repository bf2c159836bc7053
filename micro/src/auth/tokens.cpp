#include "auth/tokens.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>
#include <stdexcept>

namespace kato::auth {

using json = nlohmann::json;

namespace {

std::string hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::string hmac(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64url(const std::string& data) {
  std::string out = base64(data);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> base64url_decode(const std::string& text) {
  std::string s = text;
  for (auto& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
  }
  std::size_t pad = (4 - s.size() % 4) % 4;
  if (pad == 3) return std::nullopt;
  s.append(pad, '=');
  std::string out(s.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()),
                          static_cast<int>(s.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::string buf(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(buf.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("no randomness");
  return hex(reinterpret_cast<const unsigned char*>(buf.data()), bytes);
}

std::string new_guid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("no randomness");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string h = hex(b, sizeof b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string sha256_hex(std::string_view data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return hex(d, sizeof d);
}

std::string sha1_hex(std::string_view data) {
  unsigned char d[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return hex(d, sizeof d);
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hash_password(const std::string& password) {
  std::string salt = random_hex(16);
  constexpr int iterations = 100000;
  unsigned char out[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof out, out);
  return "pbkdf2-sha256$" + std::to_string(iterations) + "$" + salt + "$" + hex(out, sizeof out);
}

bool check_password(const std::string& password, const std::string& hash) {
  auto p1 = hash.find('$'), p2 = hash.find('$', p1 + 1), p3 = hash.find('$', p2 + 1);
  if (p1 == std::string::npos || p2 == std::string::npos || p3 == std::string::npos) return false;
  int iterations = std::stoi(hash.substr(p1 + 1, p2 - p1 - 1));
  std::string salt = hash.substr(p2 + 1, p3 - p2 - 1);
  unsigned char out[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof out, out);
  return constant_time_equal(hex(out, sizeof out), hash.substr(p3 + 1));
}

Tokens::Tokens(std::string key, std::string issuer, std::chrono::seconds ttl)
    : key_(std::move(key)), issuer_(std::move(issuer)), ttl_(ttl) {}

std::string Tokens::issue(const User& user) const {
  std::int64_t iat = now_s();
  json header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "kato"}};
  json claims = {{"jti", random_hex(16)},
                 {"sub", user.guid},
                 {"user_id", user.guid},
                 {"user_name", user.name},
                 {"email", user.name},
                 {"origin", "uaa"},
                 {"client_id", "cf"},
                 {"cid", "cf"},
                 {"azp", "cf"},
                 {"grant_type", "password"},
                 {"scope", user.admin ? json{"cloud_controller.read", "cloud_controller.write", "cloud_controller.admin", "openid"}
                                      : json{"cloud_controller.read", "cloud_controller.write", "openid"}},
                 {"aud", {"cloud_controller", "cf", "openid"}},
                 {"iss", issuer_},
                 {"zid", "uaa"},
                 {"iat", iat},
                 {"exp", iat + ttl_.count()}};
  std::string signing = base64url(header.dump()) + "." + base64url(claims.dump());
  return signing + "." + base64url(hmac(key_, signing));
}

Verified Tokens::verify(const std::string& jwt) const {
  auto d1 = jwt.find('.');
  auto d2 = d1 == std::string::npos ? d1 : jwt.find('.', d1 + 1);
  if (d2 == std::string::npos || jwt.find('.', d2 + 1) != std::string::npos) return {std::nullopt, "malformed"};
  auto sig = base64url_decode(jwt.substr(d2 + 1));
  if (!sig || !constant_time_equal(*sig, hmac(key_, jwt.substr(0, d2)))) return {std::nullopt, "bad signature"};
  auto payload = base64url_decode(jwt.substr(d1 + 1, d2 - d1 - 1));
  if (!payload) return {std::nullopt, "malformed"};
  json claims = json::parse(*payload, nullptr, false);
  if (!claims.is_object() || !claims["exp"].is_number_integer() || !claims["user_id"].is_string())
    return {std::nullopt, "malformed"};
  if (claims["exp"].get<std::int64_t>() <= now_s()) return {std::nullopt, "expired"};
  return {User{claims["user_id"], claims.value("user_name", "")}, ""};
}

}  // namespace kato::auth
