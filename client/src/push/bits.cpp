#include "push/bits.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <set>
#include <stdexcept>

#include "interrupt.hpp"

namespace stackato::client {

namespace fs = std::filesystem;

namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string hex(const unsigned char* p, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

}  // namespace

std::vector<LocalFile> hash_files(const fs::path& dir, const std::vector<std::string>& files) {
  std::vector<LocalFile> out;
  out.reserve(files.size());
  std::array<char, 1 << 16> buf{};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  for (const auto& rel : files) {
    fs::path p = dir / rel;
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) throw std::runtime_error("cannot read " + p.string());
    LocalFile f;
    f.path = rel;
    f.mode = st.st_mode & 07777;
    if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      f.link = fs::read_symlink(p, ec).string();
      // The server refuses links that leave the app; say so before anything is uploaded.
      fs::path target = (fs::path(rel).parent_path() / f.link).lexically_normal();
      if (fs::path(f.link).is_absolute() || (!target.empty() && *target.begin() == ".."))
        throw std::runtime_error(p.string() + " is a link to '" + f.link +
                                 "' outside the application; copy the file in or add the link to .stackatoignore");
      out.push_back(std::move(f));
      continue;
    }
    Fd fd{::open(p.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) throw std::runtime_error("cannot read " + p.string());
    EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr);
    for (;;) {
      ssize_t n = ::read(fd.fd, buf.data(), buf.size());
      if (n < 0) throw std::runtime_error("cannot read " + p.string());
      if (n == 0) break;
      f.size += static_cast<std::uint64_t>(n);
      EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n));
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx.get(), md, &len);
    f.sha1 = hex(md, len);
    out.push_back(std::move(f));
  }
  return out;
}

std::uint64_t write_zip(const fs::path& dir, const std::vector<const LocalFile*>& files,
                        const std::vector<std::pair<std::string, std::string>>& extra, const fs::path& out) {
  std::unique_ptr<archive, decltype(&archive_write_free)> a(archive_write_new(), archive_write_free);
  archive_write_set_format_zip(a.get());
  // Deflate costs more CPU than it saves on loopback for already-compressed files, but most apps
  // are text: keep the default compression.
  if (archive_write_open_filename(a.get(), out.c_str()) != ARCHIVE_OK)
    throw std::runtime_error("cannot write " + out.string() + ": " + archive_error_string(a.get()));
  auto fail = [&](const std::string& what) {
    const char* why = archive_error_string(a.get());
    return std::runtime_error(what + (why ? std::string(": ") + why : std::string()));
  };
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(), archive_entry_free);
  std::set<std::string> dirs;
  auto add_dirs = [&](const std::string& rel) {  // parents first, each once, 0755
    for (auto slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
      std::string d = rel.substr(0, slash + 1);
      if (!dirs.insert(d).second) continue;
      archive_entry_clear(e.get());
      archive_entry_set_pathname(e.get(), d.c_str());
      archive_entry_set_filetype(e.get(), AE_IFDIR);
      archive_entry_set_perm(e.get(), 0755);
      if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) throw fail("cannot write the zip");
    }
  };
  std::array<char, 1 << 16> buf{};
  for (const LocalFile* f : files) {
    add_dirs(f->path);
    archive_entry_clear(e.get());
    archive_entry_set_pathname(e.get(), f->path.c_str());
    archive_entry_set_perm(e.get(), f->mode & 0777);
    if (!f->link.empty()) {
      archive_entry_set_filetype(e.get(), AE_IFLNK);
      archive_entry_set_symlink(e.get(), f->link.c_str());
      if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) throw fail("cannot write the zip");
      continue;
    }
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(f->size));
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) throw fail("cannot write the zip");
    fs::path p = dir / f->path;
    Fd fd{::open(p.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) throw std::runtime_error("cannot read " + p.string());
    std::uint64_t left = f->size;  // exactly the size announced, even if the file changed meanwhile
    while (left > 0) {
      ssize_t n = ::read(fd.fd, buf.data(), std::min<std::uint64_t>(buf.size(), left));
      if (n < 0) throw std::runtime_error("cannot read " + p.string());
      if (n == 0) throw std::runtime_error(p.string() + " changed while it was being zipped; push again");
      if (archive_write_data(a.get(), buf.data(), static_cast<std::size_t>(n)) != n) throw fail("cannot write the zip");
      left -= static_cast<std::uint64_t>(n);
    }
  }
  for (const auto& [name, content] : extra) {
    archive_entry_clear(e.get());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(content.size()));
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), content.data(), content.size()) != static_cast<la_ssize_t>(content.size()))
      throw fail("cannot write the zip");
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) throw fail("cannot write " + out.string());
  std::error_code ec;
  return fs::file_size(out, ec);
}

TempFile::TempFile(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) throw std::runtime_error("cannot create a temporary file in " + fs::path(pattern).parent_path().string());
  ::close(fd);
  path_ = pattern;
  remove_on_interrupt(path_);
}

TempFile::~TempFile() {
  std::error_code ec;
  fs::remove(path_, ec);
  forget_on_interrupt(path_);
}

}  // namespace stackato::client
