#pragma once
// Push step "upload": hash the app's files, ask the server which it already has (resource
// matching, chunks of 5000), zip the rest with the compiled manifest at the root, upload the zip
// from disk (re-sent from the file if the connection drops), and wait for the package.

#include <cstdint>
#include <string>

#include "session.hpp"
#include "stackato/manifest/manifest.hpp"

namespace stackato::client {

struct Uploaded {
  std::string package_guid;
  std::size_t files = 0, matched = 0;
  std::uint64_t zip_bytes = 0;
};

// `compiled` is the manifest the stager reads (manifest.yml at the zip root).
Uploaded upload_app(Session& s, const std::string& app_guid, const manifest::App& app, const std::string& compiled,
                    bool show_progress);

}  // namespace stackato::client
