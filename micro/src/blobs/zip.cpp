#include "blobs/zip.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

namespace kato::blobs {

namespace fs = std::filesystem;

namespace {

using Archive = std::unique_ptr<archive, int (*)(archive*)>;

// libarchive may have no message (NULL): never build a std::string from it directly.
std::string why(archive* a) {
  const char* e = archive_error_string(a);
  return e ? e : "malformed archive";
}

std::string safe_path(const char* raw) {
  if (!raw || !*raw) throw std::runtime_error("zip entry without a name");
  std::string p(raw);
  if (p[0] == '/' || p.find('\\') != std::string::npos) throw std::runtime_error("zip entry with an absolute path: " + p);
  if (p.find('\0') != std::string::npos) throw std::runtime_error("zip entry with a NUL in its name");
  fs::path norm = fs::path(p).lexically_normal();
  for (const auto& part : norm)
    if (part == "..") throw std::runtime_error("zip entry leaving the app directory: " + p);
  std::string out = norm.generic_string();
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

// A link is kept only if its target stays inside the tree, seen from the link's directory.
// (Lexically: a chain of links can still point out, which is why nothing is ever written
// through a link; see Tree.)
void check_link(const std::string& path, const std::string& target) {
  if (target.empty() || target[0] == '/') throw std::runtime_error("zip link pointing outside the app: " + path + " -> " + target);
  fs::path resolved = (fs::path(path).parent_path() / target).lexically_normal();
  if (!resolved.empty() && *resolved.begin() == "..")
    throw std::runtime_error("zip link pointing outside the app: " + path + " -> " + target);
}

// Refuses an entry whose path goes through a link an earlier entry made: harmless-looking
// links can chain to anywhere, and nothing is written through one (Tree, unpack).
struct Links {
  std::set<std::string> paths;
  void check(const std::string& path) const {
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1))
      if (paths.count(path.substr(0, slash)))
        throw std::runtime_error("zip entry " + path + " goes through the link " + path.substr(0, slash) + ": refused");
  }
};

struct Budget {
  const Limits& limits;
  std::uint64_t archive_size;
  std::uint64_t bytes = 0, entries = 0;
  void add_entry() {
    if (++entries > limits.max_entries)
      throw TooLarge("the package has more than " + std::to_string(limits.max_entries) + " entries");
  }
  void add_bytes(std::size_t n, const std::string& path) {
    bytes += n;
    if (bytes > limits.max_bytes)
      throw TooLarge("the package expands to more than " + std::to_string(limits.max_bytes >> 20) + " MB (at " + path + ")");
    if (bytes > limits.ratio_floor && archive_size > 0 && bytes / archive_size > limits.max_ratio)
      throw TooLarge("the package expands more than " + std::to_string(limits.max_ratio) + " times its size (at " + path +
                     "): refused as a zip bomb");
  }
};

void walk(archive* a, Budget& budget, const std::function<void(Entry&)>& f) {
  archive_entry* e = nullptr;
  Links links;
  for (;;) {
    int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) return;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) throw std::runtime_error(std::string("corrupt zip: ") + why(a));
    budget.add_entry();
    Entry entry;
    entry.path = safe_path(archive_entry_pathname(e));
    entry.mode = archive_entry_perm(e) & 07777;
    switch (archive_entry_filetype(e)) {
      case AE_IFDIR: entry.type = Entry::Type::Dir; break;
      case AE_IFLNK: {
        entry.type = Entry::Type::Link;
        const char* t = archive_entry_symlink(e);
        entry.link = t ? t : "";
        check_link(entry.path, entry.link);
        break;
      }
      case AE_IFREG:
      case 0: {  // some writers leave the type out for plain files
        entry.type = Entry::Type::File;
        if (entry.mode == 0) entry.mode = 0644;
        break;
      }
      default: throw std::runtime_error("zip entry of an unsupported type: " + entry.path);
    }
    if (entry.path.empty() || entry.path == ".") continue;
    links.check(entry.path);
    if (entry.type == Entry::Type::Link) links.paths.insert(entry.path);
    else links.paths.erase(entry.path);  // a later entry of that name replaces the link
    bool consumed = false;
    if (entry.type == Entry::Type::File)
      entry.read = [&](const std::function<void(std::string_view)>& chunk) {
        consumed = true;
        char buf[65536];
        for (;;) {
          la_ssize_t n = archive_read_data(a, buf, sizeof buf);
          if (n < 0) throw std::runtime_error("corrupt zip entry " + entry.path + ": " + why(a));
          if (n == 0) break;
          budget.add_bytes(static_cast<std::size_t>(n), entry.path);
          chunk(std::string_view(buf, static_cast<std::size_t>(n)));
        }
      };
    f(entry);
    // Unread content is still decompressed to be checked: a corrupt entry fails the archive.
    if (entry.type == Entry::Type::File && !consumed) entry.read([](std::string_view) {});
  }
}

Archive open_reader() {
  Archive a(archive_read_new(), archive_read_free);
  archive_read_support_format_zip(a.get());
  return a;
}

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  if (errno == ELOOP || errno == ENOTDIR)
    throw std::runtime_error("zip entry " + path + " goes through a link or a file: refused");
  throw std::runtime_error("cannot " + what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

void each_entry(std::string_view data, const std::function<void(Entry&)>& f, const Limits& limits) {
  Archive a = open_reader();
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
    throw std::runtime_error(std::string("not a zip: ") + why(a.get()));
  Budget budget{limits, data.size()};
  walk(a.get(), budget, f);
}

void each_entry(const fs::path& file, const std::function<void(Entry&)>& f, const Limits& limits) {
  Archive a = open_reader();
  if (archive_read_open_filename(a.get(), file.c_str(), 65536) != ARCHIVE_OK)
    throw std::runtime_error(std::string("not a zip: ") + why(a.get()));
  std::error_code ec;
  Budget budget{limits, fs::file_size(file, ec)};
  walk(a.get(), budget, f);
}

void check_not_under_links(const std::string& path, const std::vector<std::string>& links) {
  Links l;
  l.paths.insert(links.begin(), links.end());
  l.check(path);
  if (l.paths.count(path)) throw std::runtime_error("resource " + path + " would replace the link of that name: refused");
}

Tree::Tree(const fs::path& root) {
  fs::create_directories(root);
  root_ = ::open(root.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (root_ < 0) throw std::runtime_error("cannot open " + root.string() + ": " + std::strerror(errno));
}

Tree::~Tree() {
  if (root_ >= 0) ::close(root_);
}

// Walks path's directories from the root, each opened with O_NOFOLLOW (made when missing).
int Tree::parent(const std::string& path, std::string& name) {
  int dir = ::dup(root_);
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) {
      name = path.substr(start);
      if (name.empty() || name == "." || name == "..") {
        ::close(dir);
        throw std::runtime_error("not a file name: " + path);
      }
      return dir;
    }
    std::string part = path.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {  // callers pass normalised paths; this is the last line of defence
      ::close(dir);
      throw std::runtime_error("path leaving the app directory: " + path);
    }
    if (::mkdirat(dir, part.c_str(), 0755) != 0 && errno != EEXIST) {
      ::close(dir);
      fail("create the directory of", path);
    }
    int next = ::openat(dir, part.c_str(), O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ::close(dir);
    if (next < 0) fail("open the directory of", path);
    dir = next;
  }
}

void Tree::mkdir(const std::string& path) {
  std::string name;
  int dir = parent(path, name);
  int rc = ::mkdirat(dir, name.c_str(), 0755);
  if (rc != 0 && errno == EEXIST) {
    struct stat st {};
    rc = ::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
    if (rc != 0) errno = ENOTDIR;
  }
  ::close(dir);
  if (rc != 0) fail("create the directory", path);
}

int Tree::create(const std::string& path, unsigned mode) {
  std::string name;
  int dir = parent(path, name);
  // An earlier entry of the same name (a duplicate, or a link planted to redirect this write)
  // is replaced, never followed.
  ::unlinkat(dir, name.c_str(), 0);
  int fd = ::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
  int saved = errno;
  ::close(dir);
  errno = saved;
  if (fd < 0) fail("write", path);
  ::fchmod(fd, mode & 07777);
  return fd;
}

void Tree::symlink(const std::string& path, const std::string& target) {
  std::string name;
  int dir = parent(path, name);
  ::unlinkat(dir, name.c_str(), 0);
  int rc = ::symlinkat(target.c_str(), dir, name.c_str());
  int saved = errno;
  ::close(dir);
  errno = saved;
  if (rc != 0) fail("create the link", path);
}

void unpack(const fs::path& zip, const fs::path& dir, const Limits& limits) {
  Tree tree(dir);
  each_entry(zip, [&](Entry& e) {
    switch (e.type) {
      case Entry::Type::Dir: tree.mkdir(e.path); break;
      case Entry::Type::Link: tree.symlink(e.path, e.link); break;
      case Entry::Type::File: {
        int fd = tree.create(e.path, e.mode);
        try {
          e.read([&](std::string_view chunk) {
            while (!chunk.empty()) {
              ssize_t n = ::write(fd, chunk.data(), chunk.size());
              if (n <= 0) throw std::runtime_error("cannot write " + e.path + ": " + std::strerror(errno));
              chunk.remove_prefix(static_cast<std::size_t>(n));
            }
          });
        } catch (...) {
          ::close(fd);
          throw;
        }
        ::close(fd);
        break;
      }
    }
  }, limits);
}

}  // namespace kato::blobs
