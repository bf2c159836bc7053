#pragma once
// Ed25519 keys and detached signatures for kato's patches (OpenSSL). A maintainer signs a
// bundle's patch.json with a private key; kato accepts it only under a public key its operator
// trusts (`kato patch trust`). Keys are PEM files: PKCS#8 private, SubjectPublicKeyInfo public.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kato::patch {

// A key file that is missing, unreadable, or not an Ed25519 key of the kind asked for.
struct KeyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Writes a new key pair: `key` (0600, private) and `key`.pub (0644); returns its fingerprint.
// Refuses to overwrite.
std::string keygen(const std::filesystem::path& key);

// The 64-byte signature of `data` by the private key in `key`.
std::string sign(const std::filesystem::path& key, std::string_view data);

// Whether `signature` is the signature of `data` by the public key in PEM `public_pem`.
bool verify(const std::string& public_pem, std::string_view data, std::string_view signature);

// A public key's fingerprint: SHA-256 of its raw 32 bytes, hex, first 16 characters. Names the
// trusted key files and the key that signed a patch. Throws KeyError for a PEM that is no
// Ed25519 public key.
std::string fingerprint(const std::string& public_pem);

// SHA-256 of `data`, lower-case hex.
std::string sha256_hex(std::string_view data);

}  // namespace kato::patch
