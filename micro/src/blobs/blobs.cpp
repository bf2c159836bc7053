#include "blobs/blobs.hpp"

#include <fstream>
#include <stdexcept>

#include "auth/tokens.hpp"
#include "blobs/zip.hpp"

namespace kato::blobs {

namespace fs = std::filesystem;

namespace {
void write_file(const fs::path& path, std::string_view data) {
  fs::create_directories(path.parent_path());
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}
}  // namespace

Blobs::Blobs(fs::path root) : root_(std::move(root)) {
  for (const char* d : {"resources", "packages", "droplets"}) fs::create_directories(root_ / d);
}

fs::path Blobs::resource(const std::string& sha1) const { return root_ / "resources" / sha1.substr(0, 2) / sha1; }

bool Blobs::has_resource(const std::string& sha1, std::uint64_t size) const {
  std::error_code ec;
  if (sha1.size() != 40 || sha1.find_first_not_of("0123456789abcdef") != std::string::npos) return false;
  return fs::file_size(resource(sha1), ec) == size && !ec;
}

fs::path Blobs::package_zip(const std::string& guid) const { return root_ / "packages" / (guid + ".zip"); }
fs::path Blobs::package_matches(const std::string& guid) const { return root_ / "packages" / (guid + ".json"); }
fs::path Blobs::droplet(const std::string& guid) const { return root_ / "droplets" / guid; }

std::string Blobs::store_package(const std::string& guid, std::string_view zip, const nlohmann::json& matched) {
  if (!matched.is_array()) throw std::runtime_error("resources must be a JSON array");
  for (const auto& r : matched) {
    std::string sha = r.value("checksum", nlohmann::json::object()).value("value", "");
    std::uint64_t size = r.value("size_in_bytes", static_cast<std::uint64_t>(0));
    std::string path = r.value("path", "");
    if (path.empty() || path[0] == '/' || fs::path(path).lexically_normal().begin()->string() == "..")
      throw std::runtime_error("resource with a bad path: " + path);
    if (!has_resource(sha, size)) throw std::runtime_error("resource not in the cache: " + path);
  }
  if (!zip.empty())
    each_entry(zip, [&](Entry& e) {
      if (e.type != Entry::Type::File) return;
      std::string sha = auth::sha1_hex(e.data);
      if (!has_resource(sha, e.data.size())) write_file(resource(sha), e.data);
    });
  write_file(package_zip(guid), zip);
  write_file(package_matches(guid), matched.dump());
  return auth::sha256_hex(zip);
}

}  // namespace kato::blobs
