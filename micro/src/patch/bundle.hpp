#pragma once
// A patch bundle: a tar.gz holding patch.json (what the patch is and the SHA-256 of each payload
// file), patch.sig (the Ed25519 signature of patch.json's exact bytes) and payload/<file>.
// Verifying the signature of patch.json and then each payload's hash proves the whole bundle,
// as a Debian Release file and its hashes do. `kato patch make` writes bundles; `open_bundle`
// reads one within limits and accepts it only signed by a trusted key.

#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace kato::patch {

// A bundle or a patch.json that is refused: the message names the file and what is wrong.
struct BundleError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct PatchFile {
  std::string source;  // payload/<source> in the bundle; a path relative to DIR for `make`
  std::string target;  // "kato" (the executable) or "helpers/NAME" (a remote command's helper)
  std::string sha256;  // of the payload; empty in the DIR given to `make`
};

struct PatchInfo {
  std::string name, description;
  std::string severity;                 // required, recommended or optional
  std::vector<std::string> applies_to;  // kato versions, or "*"
  std::vector<std::string> roles;       // controller, router, stager, runner, brokers, helpers
  std::vector<PatchFile> files;
  bool applies(const std::string& version) const;
};

// The roles a patch may name; "helpers" needs no restart (each remote command reads them).
const std::vector<std::string>& known_roles();

// Parses and checks patch.json; `where` names it in errors. `hashed`: the bundle's form, where
// every file carries its sha256.
PatchInfo parse_info(const std::string& text, const std::string& where, bool hashed);

// Builds the bundle `out` from DIR (DIR/patch.json and the files it names), signed with `key`;
// written to a temporary file and renamed, so `out` is whole or absent. Also writes `index` in
// out's directory: the bundles there, one name per line, for a feed served over HTTPS.
void make_bundle(const std::filesystem::path& dir, const std::filesystem::path& key, const std::filesystem::path& out);

struct Bundle {
  PatchInfo info;
  std::string signer;                          // the fingerprint of the key that signed it
  std::map<std::string, std::string> payload;  // by source
};

// Reads `file` (at most 512 MiB unpacked, 1000 members, only the members above) and verifies
// it: patch.sig over patch.json under one of `trusted` (public PEMs), then each payload's hash.
Bundle open_bundle(const std::filesystem::path& file, const std::vector<std::string>& trusted);

}  // namespace kato::patch
