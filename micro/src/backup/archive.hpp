#pragma once
// The export archive: a gzip'd tar whose first member, kato-export.json, says what it is (format,
// kato version, when, the source's domain) and whose last, manifest.json, lists every member with
// its size and SHA-256. Streams of unknown length (a dump on a pipe) are written in parts of at
// most kPart bytes (NAME.part00000, ...), so that nothing is spooled and memory stays bounded;
// parts of different streams may interleave (the servers' dumps are read at once: streams.hpp),
// and the reader joins each stream's parts again, in order.
//
// The reader stages an archive into an empty directory through descriptors only (openat with
// O_NOFOLLOW, never a path string), accepts only relative names without "." or "..", and only
// files, directories and symbolic links; it refuses a newer format at once, and at the end any
// member whose size or checksum is not the manifest's, naming it.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kato::backup {

class StreamSource;

inline constexpr int kFormat = 1;
inline constexpr std::size_t kPart = std::size_t(8) << 20;
inline constexpr const char* kHeaderMember = "kato-export.json";
inline constexpr const char* kManifestMember = "manifest.json";

// What has been done so far, for a progress line: bytes of members, and the member's name.
using Progress = std::function<void(std::uint64_t bytes, const std::string& member)>;

// How the tar is compressed: gzip (a .tgz, as the seed names exports; blocks compressed on
// every core, gzip_blocks.hpp), zstd (faster still at a like ratio: docs/benchmarks.md), or not
// at all. The reader takes each.
enum class Compression { gzip, zstd, none };
// By a file name's extension, as GNU tar -a: .tar.zst/.tzst zstd, .tar none, else gzip.
Compression compression_for(const std::string& file_name);

class Writer {
 public:
  Writer(int fd, Progress progress = {}, Compression compression = Compression::gzip);  // fd is not owned
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  void add_bytes(const std::string& name, const std::string& content);
  void add_file(const std::string& name, const std::filesystem::path& file);  // its mode and owner kept
  // Every directory, file and symbolic link below `dir`, as prefix/relative-path.
  void add_tree(const std::string& prefix, const std::filesystem::path& dir);
  // Reads fd to its end (add_streams with one source); returns the number of bytes.
  std::uint64_t add_stream(const std::string& name, int fd);
  // Every source's streams, the sources read at once (streams.hpp); returns the number of bytes.
  std::uint64_t add_streams(const std::vector<StreamSource*>& sources);
  // Writes manifest.json (`info` and the members) and the archive's end.
  void finish(nlohmann::json info);
  std::uint64_t bytes() const { return bytes_; }

 private:
  // uid and gid: a service volume's files keep their owners (the apps' sandbox users).
  void begin(const std::string& name, std::uint64_t size, unsigned type, unsigned mode, const std::string& link = "",
             long uid = 0, long gid = 0);
  void data(const char* p, std::size_t n);
  void end();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::uint64_t bytes_ = 0;
};

struct Staged {
  nlohmann::json header;    // kato-export.json
  nlohmann::json manifest;  // manifest.json
};

// Reads the archive on fd into `dir` (which must exist and be empty). Throws std::runtime_error
// with one line naming the member and what is wrong.
Staged stage(int fd, const std::filesystem::path& dir, Progress progress = {});

// Whether `name` is acceptable as a member's name (relative, no ".", "..", empty components or
// NUL, not too long).
bool safe_member_name(const std::string& name);

}  // namespace kato::backup
