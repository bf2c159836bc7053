#pragma once
// The application's bits on the client: each file hashed (SHA-1, as resource matching needs),
// and a zip of the files the server does not have yet, written by libarchive to a temporary file
// one block at a time so that memory use does not grow with the app.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace stackato::client {

struct LocalFile {
  std::string path;  // relative, '/'-separated
  std::uint64_t size = 0;
  unsigned mode = 0644;
  std::string sha1;    // hex; empty for a symbolic link
  std::string link;    // target of a symbolic link
};

// Stats and hashes `files` (relative to dir). Throws std::runtime_error naming an unreadable file.
std::vector<LocalFile> hash_files(const std::filesystem::path& dir, const std::vector<std::string>& files);

// Writes the zip: `files` read from dir, then `extra` entries (name, content) such as the
// compiled manifest. Returns the zip's size. Directories get mode 0755, files keep theirs.
std::uint64_t write_zip(const std::filesystem::path& dir, const std::vector<const LocalFile*>& files,
                        const std::vector<std::pair<std::string, std::string>>& extra,
                        const std::filesystem::path& out);

// A file removed when this goes out of scope (or at exit on Ctrl-C; see interrupt.hpp).
class TempFile {
 public:
  explicit TempFile(const std::string& prefix);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace stackato::client
