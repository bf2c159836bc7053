#pragma once
// The blob store under the data dir: the resource cache (files by SHA-1, for resource
// matching), uploaded packages, and droplets.
//   blobs/resources/ab/abcdef...   package bits by content
//   blobs/packages/GUID.zip        the uploaded zip
//   blobs/packages/GUID.json       the matched resources that were not in the zip
//   blobs/droplets/GUID/           a staged app, ready to run

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace kato::blobs {

class Blobs {
 public:
  explicit Blobs(std::filesystem::path root);
  std::filesystem::path resource(const std::string& sha1) const;
  bool has_resource(const std::string& sha1, std::uint64_t size) const;
  std::filesystem::path package_zip(const std::string& guid) const;
  std::filesystem::path package_matches(const std::string& guid) const;
  std::filesystem::path droplet(const std::string& guid) const;

  // Stores the upload: the zip as is, every file of it in the resource cache, and the
  // matched resources (which must be in the cache). Returns the zip's SHA-256, or throws
  // std::runtime_error naming the bad entry.
  std::string store_package(const std::string& guid, std::string_view zip, const nlohmann::json& matched);

 private:
  std::filesystem::path root_;
};

}  // namespace kato::blobs
