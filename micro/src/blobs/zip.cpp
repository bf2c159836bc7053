#include "blobs/zip.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>

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
  fs::path norm = fs::path(p).lexically_normal();
  for (const auto& part : norm)
    if (part == "..") throw std::runtime_error("zip entry leaving the app directory: " + p);
  std::string out = norm.generic_string();
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

// A link is kept only if its target stays inside the tree, seen from the link's directory.
void check_link(const std::string& path, const std::string& target) {
  if (target.empty() || target[0] == '/') throw std::runtime_error("zip link pointing outside the app: " + path + " -> " + target);
  fs::path resolved = (fs::path(path).parent_path() / target).lexically_normal();
  if (!resolved.empty() && *resolved.begin() == "..")
    throw std::runtime_error("zip link pointing outside the app: " + path + " -> " + target);
}

void walk(archive* a, const std::function<void(Entry&)>& f) {
  archive_entry* e = nullptr;
  for (;;) {
    int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) return;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) throw std::runtime_error(std::string("corrupt zip: ") + why(a));
    Entry entry;
    entry.path = safe_path(archive_entry_pathname(e));
    entry.mode = archive_entry_perm(e) & 07777;
    switch (archive_entry_filetype(e)) {
      case AE_IFDIR: entry.type = Entry::Type::Dir; break;
      case AE_IFLNK: {
        entry.type = Entry::Type::Link;
        const char* t = archive_entry_symlink(e);
        entry.data = t ? t : "";
        check_link(entry.path, entry.data);
        break;
      }
      case AE_IFREG:
      case 0: {  // some writers leave the type out for plain files
        entry.type = Entry::Type::File;
        if (entry.mode == 0) entry.mode = 0644;
        char buf[65536];
        for (;;) {
          la_ssize_t n = archive_read_data(a, buf, sizeof buf);
          if (n < 0) throw std::runtime_error("corrupt zip entry " + entry.path + ": " + why(a));
          if (n == 0) break;
          entry.data.append(buf, static_cast<std::size_t>(n));
        }
        break;
      }
      default: throw std::runtime_error("zip entry of an unsupported type: " + entry.path);
    }
    if (entry.path.empty() || entry.path == ".") continue;
    f(entry);
  }
}

Archive open_reader() {
  Archive a(archive_read_new(), archive_read_free);
  archive_read_support_format_zip(a.get());
  return a;
}

}  // namespace

void each_entry(std::string_view data, const std::function<void(Entry&)>& f) {
  Archive a = open_reader();
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK)
    throw std::runtime_error(std::string("not a zip: ") + why(a.get()));
  walk(a.get(), f);
}

void each_entry(const fs::path& file, const std::function<void(Entry&)>& f) {
  Archive a = open_reader();
  if (archive_read_open_filename(a.get(), file.c_str(), 65536) != ARCHIVE_OK)
    throw std::runtime_error(std::string("not a zip: ") + why(a.get()));
  walk(a.get(), f);
}

void unpack(const fs::path& zip, const fs::path& dir) {
  fs::create_directories(dir);
  each_entry(zip, [&](Entry& e) {
    fs::path target = dir / e.path;
    switch (e.type) {
      case Entry::Type::Dir: fs::create_directories(target); break;
      case Entry::Type::Link:
        fs::create_directories(target.parent_path());
        fs::remove(target);
        fs::create_symlink(e.data, target);
        break;
      case Entry::Type::File: {
        fs::create_directories(target.parent_path());
        // A link planted by an earlier entry must not redirect this write.
        if (fs::is_symlink(target)) fs::remove(target);
        int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, e.mode & 0777);
        if (fd < 0 || ::write(fd, e.data.data(), e.data.size()) != static_cast<ssize_t>(e.data.size()))
          throw std::runtime_error("cannot write " + e.path);
        ::fchmod(fd, e.mode & 07777);
        ::close(fd);
        break;
      }
    }
  });
}

}  // namespace kato::blobs
