#pragma once
// Reading uploaded zip archives with libarchive, in bounded memory and within limits, and
// unpacking them through directory file descriptors so that nothing can land outside the
// target: absolute paths, "..", links pointing out, and writes through links (a link chain
// that looks harmless to a lexical check) are all refused.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kato::blobs {

// What one archive may expand to. The defaults follow Cloud Controller's (1 GB of app bits);
// an archive that expands more than max_ratio times its own size past ratio_floor is a bomb.
struct Limits {
  std::uint64_t max_bytes = std::uint64_t(1) << 30;
  std::uint64_t max_entries = 100000;
  std::uint64_t max_ratio = 100;
  std::uint64_t ratio_floor = std::uint64_t(32) << 20;
};

// An archive over a limit (the API answers 422 CF-PackageBitsError, like a bad entry, but the
// message names the limit).
struct TooLarge : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Entry {
  enum class Type { File, Dir, Link } type = Type::File;
  std::string path;   // relative, normalised, '/'-separated
  unsigned mode = 0;  // permission bits
  std::string link;   // a link's target
  // For a file: its content, in pieces of at most 64 KiB, each valid during the call. Counted
  // against the limits (TooLarge is thrown from here). Content not read is skipped.
  std::function<void(const std::function<void(std::string_view)>&)> read;
};

// Calls f for each entry of the zip held in `data` or in `file`. Throws std::runtime_error for a
// corrupt archive or an unsafe entry, naming it (an absolute path, "..", a link pointing out,
// an entry under a link an earlier entry made), and TooLarge past a limit.
void each_entry(std::string_view data, const std::function<void(Entry&)>& f, const Limits& limits = {});
void each_entry(const std::filesystem::path& file, const std::function<void(Entry&)>& f, const Limits& limits = {});

// Throws std::runtime_error when `path` (a matched resource's) lies under one of `links`.
void check_not_under_links(const std::string& path, const std::vector<std::string>& links);

// A directory written only through file descriptors: every component of every path is opened
// with O_NOFOLLOW, so an existing link is never followed, wherever it is on the path.
class Tree {
 public:
  explicit Tree(const std::filesystem::path& root);  // created if missing
  ~Tree();
  Tree(const Tree&) = delete;
  Tree& operator=(const Tree&) = delete;
  void mkdir(const std::string& path);
  // A new file (an entry of the same name is replaced, a directory is an error); returns its
  // descriptor, to be closed by the caller.
  int create(const std::string& path, unsigned mode);
  void symlink(const std::string& path, const std::string& target);

 private:
  int parent(const std::string& path, std::string& name);  // descriptor of path's directory
  int root_ = -1;
};

// Unpacks into dir (created), keeping modes. On failure dir may hold part of the archive: the
// caller removes it (the stager's work directory goes as a whole).
void unpack(const std::filesystem::path& zip, const std::filesystem::path& dir, const Limits& limits = {});

}  // namespace kato::blobs
