#pragma once
// Reading zip archives with libarchive, refusing entries that would land outside the target:
// absolute paths, "..", and links pointing out of the tree.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace kato::blobs {

struct Entry {
  enum class Type { File, Dir, Link } type;
  std::string path;   // relative, normalised, '/'-separated
  unsigned mode = 0;  // permission bits
  std::string data;   // file contents, or the link's target
};

// Calls f for each entry of the zip held in `data`. Throws std::runtime_error for a corrupt
// archive or an unsafe entry, naming it.
void each_entry(std::string_view data, const std::function<void(Entry&)>& f);
void each_entry(const std::filesystem::path& file, const std::function<void(Entry&)>& f);

// Unpacks into dir (created), keeping modes.
void unpack(const std::filesystem::path& zip, const std::filesystem::path& dir);

}  // namespace kato::blobs
