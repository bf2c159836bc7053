#include "backup/archive.hpp"

#include "backup/gzip_blocks.hpp"
#include "backup/output.hpp"
#include "backup/streams.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

namespace kato::backup {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Fast over small: an export is mostly dumps, which the fastest levels already shrink about as
// much as the default ones would, at a fraction of the time (docs/benchmarks.md).
constexpr int kGzipLevel = 1;  // libdeflate's
constexpr const char* kZstdLevel = "1";
// Written in 1 MiB writes rather than tar's 10 KiB records: a hundredth of the system calls.
constexpr int kBlock = 1 << 20;
// An import stops before it fills the disk: this much stays free.
constexpr std::uint64_t kKeepFree = std::uint64_t(256) << 20;

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 15];
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string part_name(const std::string& name, std::size_t n) {
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, ".part%05zu", n);
  return name + suffix;
}

}  // namespace

bool safe_member_name(const std::string& name) {
  if (name.empty() || name.size() > 1024 || name.front() == '/' || name.find('\0') != std::string::npos) return false;
  std::size_t at = 0;
  while (at <= name.size()) {
    std::size_t end = name.find('/', at);
    if (end == std::string::npos) end = name.size();
    std::string part = name.substr(at, end - at);
    if (part.empty() || part == "." || part == "..") return false;
    at = end + 1;
  }
  return true;
}

struct Writer::Impl {
  archive* a = nullptr;
  std::unique_ptr<Output> out;
  std::unique_ptr<ParallelGzip> gzip;  // .tgz: the tar goes through it (gzip_blocks.hpp)
  Progress progress;
  json members = json::object();
  std::string current;
  std::uint64_t size = 0, written = 0;
  std::unique_ptr<Sha256> sum;
  void check(int rc, const std::string& what) {
    if (rc < ARCHIVE_WARN) throw std::runtime_error("writing the archive (" + what + "): " + archive_error_string(a));
  }
};

Compression compression_for(const std::string& name) {
  if (name.ends_with(".tar.zst") || name.ends_with(".tzst")) return Compression::zstd;
  if (name.ends_with(".tar")) return Compression::none;
  return Compression::gzip;
}

namespace {
// libarchive's client callbacks onto an Output or a ParallelGzip (no exception may cross
// libarchive).
template <typename Sink>  // Output or ParallelGzip
la_ssize_t write_to(archive* a, void* sink, const void* buf, size_t n) {
  try {
    static_cast<Sink*>(sink)->write(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  } catch (const std::exception& e) {
    archive_set_error(a, EIO, "%s", e.what());
    return -1;
  }
}
int gzip_close(archive* a, void* gzip) {
  try {
    static_cast<ParallelGzip*>(gzip)->finish();
    return ARCHIVE_OK;
  } catch (const std::exception& e) {
    archive_set_error(a, EIO, "%s", e.what());
    return ARCHIVE_FATAL;
  }
}
}  // namespace

Writer::Writer(int fd, Progress progress, Compression compression) : impl_(std::make_unique<Impl>()) {
  impl_->a = archive_write_new();
  impl_->progress = std::move(progress);
  if (compression == Compression::zstd) {
    impl_->check(archive_write_add_filter_zstd(impl_->a), "zstd");
    archive_write_set_filter_option(impl_->a, "zstd", "compression-level", kZstdLevel);
  }
  archive_write_set_format_pax_restricted(impl_->a);
  archive_write_set_bytes_per_block(impl_->a, kBlock);
  archive_write_set_bytes_in_last_block(impl_->a, 1);
  impl_->out = std::make_unique<Output>(fd);
  if (compression == Compression::gzip) {
    impl_->gzip = std::make_unique<ParallelGzip>(*impl_->out, kGzipLevel);
    impl_->check(archive_write_open2(impl_->a, impl_->gzip.get(), nullptr, write_to<ParallelGzip>, gzip_close, nullptr), "open");
  } else {
    impl_->check(archive_write_open2(impl_->a, impl_->out.get(), nullptr, write_to<Output>, nullptr, nullptr), "open");
  }
}

Writer::~Writer() {
  if (impl_->a) archive_write_free(impl_->a);  // after an error: no end, the reader calls it truncated
}

void Writer::begin(const std::string& name, std::uint64_t size, unsigned type, unsigned mode, const std::string& link,
                   long uid, long gid) {
  if (!safe_member_name(name)) throw std::runtime_error("bad member name: " + name);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, name.c_str());
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, mode & 07777);
  archive_entry_set_size(e, type == AE_IFREG ? static_cast<la_int64_t>(size) : 0);
  archive_entry_set_mtime(e, ::time(nullptr), 0);
  archive_entry_set_uid(e, uid);
  archive_entry_set_gid(e, gid);
  if (type == AE_IFLNK) archive_entry_set_symlink(e, link.c_str());
  int rc = archive_write_header(impl_->a, e);
  archive_entry_free(e);
  impl_->check(rc, name);
  impl_->current = name;
  impl_->size = size;
  impl_->written = 0;
  impl_->sum = std::make_unique<Sha256>();
  if (type == AE_IFLNK) impl_->sum->update(link.data(), link.size());
  const char* kind = type == AE_IFDIR ? "dir" : type == AE_IFLNK ? "link" : "file";
  impl_->members[name] = {{"type", kind}};
}

void Writer::data(const char* p, std::size_t n) {
  if (n == 0) return;
  la_ssize_t w = archive_write_data(impl_->a, p, n);
  if (w < 0 || static_cast<std::size_t>(w) != n) impl_->check(ARCHIVE_FATAL, impl_->current);
  impl_->sum->update(p, n);
  impl_->written += n;
  bytes_ += n;
  if (impl_->progress) impl_->progress(bytes_, impl_->current);
}

void Writer::end() {
  auto& m = impl_->members[impl_->current];
  m["size"] = impl_->written;
  m["sha256"] = impl_->sum->hex();
}

void Writer::add_bytes(const std::string& name, const std::string& content) {
  begin(name, content.size(), AE_IFREG, 0600);
  data(content.data(), content.size());
  end();
}

void Writer::add_file(const std::string& name, const fs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(file.string() + ": " + std::strerror(errno));
  struct stat st{};
  ::fstat(fd, &st);
  auto size = static_cast<std::uint64_t>(st.st_size);
  try {
    begin(name, size, AE_IFREG, st.st_mode, "", st.st_uid, st.st_gid);
    // Exactly the size the header says, even when the file changes meanwhile (a volume apps
    // write to): what is missing is zeros, what was added is left out, as tar does.
    std::vector<char> buf(1 << 20);
    std::uint64_t left = size;
    while (left > 0) {
      ssize_t n = ::read(fd, buf.data(), std::min<std::uint64_t>(left, buf.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        std::fill(buf.begin(), buf.end(), 0);
        n = static_cast<ssize_t>(std::min<std::uint64_t>(left, buf.size()));
      }
      data(buf.data(), static_cast<std::size_t>(n));
      left -= static_cast<std::uint64_t>(n);
    }
    end();
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

void Writer::add_tree(const std::string& prefix, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return;
  struct stat top{};
  ::lstat(dir.c_str(), &top);
  begin(prefix, 0, AE_IFDIR, top.st_mode, "", top.st_uid, top.st_gid);  // a volume's root keeps its mode (0777)
  end();
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string name = prefix + "/" + it->path().lexically_relative(dir).generic_string();
    auto st = it->symlink_status(ec);
    if (ec) break;
    struct stat raw{};
    if (::lstat(it->path().c_str(), &raw) != 0) continue;  // gone meanwhile
    if (fs::is_symlink(st)) {
      begin(name, 0, AE_IFLNK, 0777, fs::read_symlink(it->path(), ec).string(), raw.st_uid, raw.st_gid);
      end();
    } else if (fs::is_directory(st)) {
      begin(name, 0, AE_IFDIR, raw.st_mode, "", raw.st_uid, raw.st_gid);
      end();
    } else if (fs::is_regular_file(st)) {
      add_file(name, it->path());
    }  // sockets, fifos, devices: not data
  }
  if (ec) throw std::runtime_error(dir.string() + ": " + ec.message());
}

namespace {
// One descriptor's stream, for add_stream.
class FdSource : public StreamSource {
 public:
  FdSource(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  bool next(std::string& name, int& fd) override {
    if (taken_) return false;
    taken_ = true;
    name = name_;
    fd = fd_;
    return true;
  }
  void finished() override {}
  void cancel() override {}

 private:
  std::string name_;
  int fd_;
  bool taken_ = false;
};
}  // namespace

std::uint64_t Writer::add_stream(const std::string& name, int fd) {
  FdSource source(name, fd);
  return add_streams({&source});
}

std::uint64_t Writer::add_streams(const std::vector<StreamSource*>& sources) {
  PartStreams streams(sources);
  std::uint64_t total = 0;
  Part part;
  while (streams.next(part)) {
    // A stream of a whole number of parts ends with an empty one: not worth a member.
    if (!(part.last && part.bytes.empty() && part.index > 0)) {
      begin(part_name(part.member, part.index), part.bytes.size(), AE_IFREG, 0600);
      data(part.bytes.data(), part.bytes.size());
      end();
      total += part.bytes.size();
    }
    streams.recycle(std::move(part.bytes));
  }
  return total;
}

void Writer::finish(json info) {
  info["members"] = impl_->members;
  std::string text = info.dump(1) + "\n";
  begin(kManifestMember, text.size(), AE_IFREG, 0600);
  la_ssize_t w = archive_write_data(impl_->a, text.data(), text.size());
  if (w < 0) impl_->check(ARCHIVE_FATAL, kManifestMember);
  impl_->check(archive_write_close(impl_->a), "close");
  archive_write_free(impl_->a);
  impl_->a = nullptr;
}

// ---- reading ----

namespace {

struct Dir {
  int fd = -1;
  explicit Dir(int f) : fd(f) {}
  ~Dir() {
    if (fd >= 0) ::close(fd);
  }
  Dir(Dir&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Dir& operator=(Dir&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  Dir(const Dir&) = delete;
};

// The directory that holds `name`'s last component, made as needed, reached without following
// any link; returns its descriptor and the last component.
Dir parent_of(int root, const std::string& name, std::string& leaf) {
  Dir dir(::dup(root));
  std::size_t at = 0;
  for (;;) {
    std::size_t slash = name.find('/', at);
    if (slash == std::string::npos) {
      leaf = name.substr(at);
      return dir;
    }
    std::string part = name.substr(at, slash - at);
    ::mkdirat(dir.fd, part.c_str(), 0700);  // EEXIST is fine: opened below without following
    int next = ::openat(dir.fd, part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) throw std::runtime_error("member " + name + ": " + part + " is not a directory");
    dir = Dir(next);
    at = slash + 1;
  }
}

// NAME.partNNNNN: the part's number, and NAME.
bool split_part(const std::string& name, std::string& base, std::size_t& n) {
  std::size_t dot = name.rfind(".part");
  if (dot == std::string::npos || name.size() != dot + 10) return false;
  for (std::size_t i = dot + 5; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  base = name.substr(0, dot);
  n = std::stoul(name.substr(dot + 5));
  return true;
}

struct Seen {
  std::uint64_t size = 0;
  std::string sha256, type;
};

}  // namespace

Staged stage(int fd, const fs::path& dir, Progress progress) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK)
    throw std::runtime_error(std::string("not a kato export: ") + archive_error_string(a.get()));
  int root = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) throw std::runtime_error(dir.string() + ": " + std::strerror(errno));
  Dir root_dir(root);
  Staged staged;
  std::map<std::string, Seen> seen;
  std::map<std::string, std::size_t> next_part;
  std::uint64_t total = 0, since_check = 0;
  std::vector<char> buf(1 << 20);
  std::string last = "(the start)";
  bool manifest = false;
  for (std::size_t index = 0;; ++index) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN)
      throw std::runtime_error("the archive is damaged after member " + last + ": " + archive_error_string(a.get()));
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    auto type = archive_entry_filetype(e);
    if (type == AE_IFDIR && name.size() > 1 && name.back() == '/') name.pop_back();  // tar's way of naming a directory
    if (manifest) throw std::runtime_error("member " + name + " follows the manifest: not a kato export");
    if (!safe_member_name(name)) throw std::runtime_error("member " + name + ": refused (absolute, or with . or ..)");
    if (seen.count(name)) throw std::runtime_error("member " + name + " appears twice");
    if (index == 0 && name != kHeaderMember) throw std::runtime_error("not a kato export (it does not start with kato-export.json)");
    auto size = static_cast<std::uint64_t>(archive_entry_size(e));
    Seen s;
    Sha256 sum;
    if (name == kHeaderMember || name == kManifestMember) {
      // Read whole and parsed: bounded (a manifest lists ~100,000 members in 16 MB).
      if (type != AE_IFREG || size > (std::uint64_t(32) << 20)) throw std::runtime_error("member " + name + ": not a small file");
      std::string text(size, '\0');
      if (archive_read_data(a.get(), text.data(), text.size()) != static_cast<la_ssize_t>(size))
        throw std::runtime_error("the archive is damaged in member " + name);
      json j = json::parse(text, nullptr, false);
      if (!j.is_object()) throw std::runtime_error("member " + name + " is not JSON");
      int format = j.value("format", 0);
      if (format > kFormat)
        throw std::runtime_error("this export has format " + std::to_string(format) + " (kato " + j.value("kato_version", "?") +
                                 "); this kato reads format " + std::to_string(kFormat) + " and older: upgrade kato first");
      if (format < 1) throw std::runtime_error("member " + name + ": no format version: not a kato export");
      if (name == kHeaderMember) {
        staged.header = j;
        sum.update(text.data(), text.size());
        s = {size, sum.hex(), "file"};
        seen[name] = s;
      } else {
        staged.manifest = j;
        manifest = true;
      }
      last = name;
      continue;
    }
    std::string leaf;
    Dir parent = parent_of(root_dir.fd, name, leaf);
    if (type == AE_IFDIR) {
      if (::mkdirat(parent.fd, leaf.c_str(), 0700) != 0 && errno != EEXIST)
        throw std::runtime_error("member " + name + ": " + std::strerror(errno));
      int d = ::openat(parent.fd, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (d < 0) throw std::runtime_error("member " + name + ": not a directory");
      ::fchmod(d, archive_entry_perm(e) & 01777);
      if (::geteuid() == 0 && ::fchown(d, archive_entry_uid(e), archive_entry_gid(e)) != 0) {
      }
      ::close(d);
      s.type = "dir";
    } else if (type == AE_IFLNK) {
      const char* target = archive_entry_symlink(e);
      std::string t = target ? target : "";
      if (::symlinkat(t.c_str(), parent.fd, leaf.c_str()) != 0)
        throw std::runtime_error("member " + name + ": " + std::strerror(errno));
      if (::geteuid() == 0 && ::fchownat(parent.fd, leaf.c_str(), archive_entry_uid(e), archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) != 0) {
      }
      sum.update(t.data(), t.size());
      s.type = "link";
      s.sha256 = sum.hex();
    } else if (type == AE_IFREG) {
      std::string base;
      std::size_t part = 0;
      int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
      std::string file = leaf;
      if (split_part(leaf, base, part)) {
        std::string whole = name.substr(0, name.size() - 10);
        if (part != next_part[whole]) throw std::runtime_error("member " + name + ": parts out of order");
        next_part[whole] = part + 1;
        file = base;
        if (part > 0) flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
      }
      int out = ::openat(parent.fd, file.c_str(), flags, 0600);
      if (out < 0) throw std::runtime_error("member " + name + ": " + std::strerror(errno));
      Dir out_fd(out);
      for (;;) {
        la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
        if (n < 0) throw std::runtime_error("the archive is damaged in member " + name + ": " + archive_error_string(a.get()));
        if (n == 0) break;
        sum.update(buf.data(), static_cast<std::size_t>(n));
        for (la_ssize_t off = 0; off < n;) {
          ssize_t w = ::write(out, buf.data() + off, static_cast<std::size_t>(n - off));
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) throw std::runtime_error("member " + name + ": " + std::strerror(errno));
          off += w;
        }
        s.size += static_cast<std::uint64_t>(n);
        total += static_cast<std::uint64_t>(n);
        since_check += static_cast<std::uint64_t>(n);
        if (progress) progress(total, name);
        if (since_check > (std::uint64_t(64) << 20)) {
          since_check = 0;
          struct statvfs v{};
          if (::fstatvfs(out, &v) == 0 && std::uint64_t(v.f_bavail) * v.f_frsize < kKeepFree)
            throw std::runtime_error("not enough space for the import in " + dir.parent_path().string() + " (stopped at member " + name + ")");
        }
      }
      if (part == 0) ::fchmod(out, archive_entry_perm(e) & 0777);
      if (::geteuid() == 0 && part == 0 && ::fchown(out, archive_entry_uid(e), archive_entry_gid(e)) != 0) {
      }
      s.type = "file";
      s.sha256 = sum.hex();
    } else {
      throw std::runtime_error("member " + name + ": not a file, directory or link");
    }
    seen[name] = s;
    last = name;
  }
  if (!manifest) throw std::runtime_error("the archive ends before its manifest (truncated; last member " + last + ")");
  const json& members = staged.manifest.value("members", json::object());
  for (const auto& [name, s] : seen) {
    if (!members.contains(name)) throw std::runtime_error("member " + name + " is not in the manifest");
    const json& m = members[name];
    if (m.value("type", "") != s.type) throw std::runtime_error("member " + name + " is not what the manifest says");
    if (s.type == "dir") continue;
    if (s.type == "file" && m.value("size", std::uint64_t(0)) != s.size)
      throw std::runtime_error("member " + name + ": " + std::to_string(s.size) + " bytes, the manifest says " +
                               std::to_string(m.value("size", std::uint64_t(0))) + " (the archive is corrupted)");
    if (m.value("sha256", "") != s.sha256)
      throw std::runtime_error("member " + name + ": its SHA-256 does not match the manifest (the archive is corrupted)");
  }
  for (const auto& [name, m] : members.items())
    if (!seen.count(name)) throw std::runtime_error("member " + name + " of the manifest is missing from the archive");
  return staged;
}

}  // namespace kato::backup
