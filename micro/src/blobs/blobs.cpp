#include "blobs/blobs.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <vector>

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
  // Every file goes to the cache as it is read (64 KiB at a time, never whole in memory): to a
  // temporary file while its SHA-1 is computed, then renamed to its name. A failed upload takes
  // back the files it added.
  std::vector<fs::path> added;
  std::vector<std::string> links;  // matched resources must not land under one
  try {
    if (!zip.empty())
      each_entry(zip, [&](Entry& e) {
        if (e.type == Entry::Type::Link) links.push_back(e.path);
        if (e.type != Entry::Type::File) return;
        fs::path tmp = root_ / "resources" / ("upload-" + guid + ".tmp");
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) throw std::runtime_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
        std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
        EVP_DigestInit_ex(md.get(), EVP_sha1(), nullptr);
        std::uint64_t size = 0;
        try {
          e.read([&](std::string_view chunk) {
            EVP_DigestUpdate(md.get(), chunk.data(), chunk.size());
            size += chunk.size();
            while (!chunk.empty()) {
              ssize_t n = ::write(fd, chunk.data(), chunk.size());
              if (n <= 0) throw std::runtime_error("cannot write the resource cache: " + std::string(std::strerror(errno)));
              chunk.remove_prefix(static_cast<std::size_t>(n));
            }
          });
        } catch (...) {
          ::close(fd);
          fs::remove(tmp);
          throw;
        }
        ::close(fd);
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        EVP_DigestFinal_ex(md.get(), digest, &len);
        static const char* hex = "0123456789abcdef";
        std::string sha;
        for (unsigned i = 0; i < len; ++i) sha += {hex[digest[i] >> 4], hex[digest[i] & 15]};
        if (has_resource(sha, size)) {
          fs::remove(tmp);
          return;
        }
        fs::create_directories(resource(sha).parent_path());
        fs::rename(tmp, resource(sha));
        added.push_back(resource(sha));
      });
    for (const auto& r : matched) check_not_under_links(fs::path(r.value("path", "")).lexically_normal().generic_string(), links);
  } catch (...) {
    std::error_code ec;
    for (const auto& f : added) fs::remove(f, ec);
    throw;
  }
  write_file(package_zip(guid), zip);
  write_file(package_matches(guid), matched.dump());
  return auth::sha256_hex(zip);
}

}  // namespace kato::blobs
