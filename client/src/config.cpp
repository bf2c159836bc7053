#include "config.hpp"

#include "interrupt.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace stackato::client {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// An exclusive (or shared) flock on the directory's .lock file for the life of the object.
class Lock {
 public:
  Lock(const fs::path& dir, bool exclusive) {
    fd_ = ::open((dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || ::flock(fd_, exclusive ? LOCK_EX : LOCK_SH) != 0)
      throw std::runtime_error("cannot lock " + (dir / ".lock").string());
  }
  ~Lock() { ::close(fd_); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  int fd_ = -1;
};

std::optional<std::string> slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json read_json(const fs::path& p) {
  auto text = slurp(p);
  if (!text || text->empty()) return json::object();
  json j = json::parse(*text, nullptr, false);
  if (!j.is_object()) throw std::runtime_error("JSON error reading " + p.string() + "; fix or remove it");
  return j;
}

// Temp file created 0600 (never briefly world-readable), flushed, then renamed over the target.
void write_atomically(const fs::path& p, const std::string& text) {
  fs::path tmp = p;
  tmp += ".tmp." + std::to_string(::getpid());
  remove_on_interrupt(tmp);
  struct Forget {
    const fs::path& p;
    ~Forget() { forget_on_interrupt(p); }
  } forget{tmp};
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string());
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), p.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + p.string());
  }
}

ConfigFiles load(const fs::path& dir) {
  ConfigFiles f;
  if (auto t = slurp(dir / "target")) {
    f.target = *t;
    while (!f.target.empty() && (f.target.back() == '\n' || f.target.back() == '\r')) f.target.pop_back();
  }
  f.tokens = read_json(dir / "token");
  f.adjuncts = read_json(dir / "token2");
  if (auto names = slurp(dir / "names")) {  // a cache: a damaged one is simply rebuilt
    f.names = json::parse(*names, nullptr, false);
    if (!f.names.is_object()) f.names = json::object();
  }
  return f;
}

}  // namespace

Config::Config(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("cannot create " + dir_.string() + ": " + ec.message());
  ::chmod(dir_.c_str(), 0700);
}

fs::path Config::default_dir() {
  if (const char* h = std::getenv("STACKATO_HOME"); h && *h) return h;
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : ".") / ".stackato" / "client";
}

void write_private_file(const fs::path& path, const std::string& text) { write_atomically(path, text); }

ConfigFiles Config::read() const {
  Lock lock(dir_, false);
  return load(dir_);
}

void Config::update(const std::function<void(ConfigFiles&)>& change) const {
  Lock lock(dir_, true);
  ConfigFiles before = load(dir_);
  ConfigFiles after = before;
  change(after);
  if (after.target != before.target) write_atomically(dir_ / "target", after.target + "\n");
  if (after.tokens != before.tokens) write_atomically(dir_ / "token", after.tokens.dump(4) + "\n");
  if (after.adjuncts != before.adjuncts) write_atomically(dir_ / "token2", after.adjuncts.dump(4) + "\n");
  if (after.names != before.names) write_atomically(dir_ / "names", after.names.dump() + "\n");
}

}  // namespace stackato::client
