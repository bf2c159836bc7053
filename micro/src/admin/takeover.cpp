#include "admin/takeover.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace kato::admin {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

void keep_across_exec(int fd) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) != 0)
    throw std::runtime_error("descriptor " + std::to_string(fd) + " is not open");
}

bool is_pipe(int fd) {
  struct stat st {};
  return fd >= 0 && ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

json to_json(const runner::Handover& h) {
  return {{"app", h.app},           {"process_guid", h.process_guid}, {"droplet", h.droplet}, {"index", h.index},
          {"pgid", h.pgid},         {"port", h.port},                 {"out", h.out},         {"err", h.err},
          {"running", h.running},   {"since_ms", h.since_ms},         {"memory_mb", h.memory_mb},
          {"crashes", h.crashes},   {"slot", h.slot}};
}

// A field by name; the error names it (never the JSON library's text).
template <class T>
T field(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) throw std::runtime_error(std::string("'") + key + "' is missing");
  try {
    return j[key].get<T>();
  } catch (const json::exception&) {
    throw std::runtime_error(std::string("'") + key + "' has the wrong type");
  }
}

runner::Handover from_json(const json& j) {
  runner::Handover h;
  h.app = field<std::string>(j, "app");
  h.process_guid = field<std::string>(j, "process_guid");
  h.droplet = field<std::string>(j, "droplet");
  h.index = field<int>(j, "index");
  h.pgid = field<pid_t>(j, "pgid");
  h.port = field<unsigned short>(j, "port");
  h.out = field<int>(j, "out");
  h.err = field<int>(j, "err");
  h.running = field<bool>(j, "running");
  h.since_ms = field<std::int64_t>(j, "since_ms");
  h.memory_mb = field<long>(j, "memory_mb");
  h.crashes = field<int>(j, "crashes");
  h.slot = field<std::string>(j, "slot");
  if (!is_pipe(h.out) || !is_pipe(h.err)) h.out = h.err = -1;
  return h;
}

}  // namespace

void write_takeover(const fs::path& file, const Takeover& t) {
  json j = {{"listen_fd", t.listen_fd}, {"lock_fd", t.lock_fd}, {"generation", t.generation}, {"instances", json::array()}};
  keep_across_exec(t.listen_fd);
  keep_across_exec(t.lock_fd);
  for (const auto& h : t.instances) {
    if (h.out >= 0) keep_across_exec(h.out);
    if (h.err >= 0) keep_across_exec(h.err);
    j["instances"].push_back(to_json(h));
  }
  std::string text = j.dump();
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + file.string());
}

Takeover read_takeover(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  std::error_code ec;
  fs::remove(file, ec);
  Takeover t;
  json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) throw std::runtime_error(file.string() + ": not JSON");
  try {
    t.listen_fd = field<int>(j, "listen_fd");
    t.lock_fd = field<int>(j, "lock_fd");
    t.generation = field<int>(j, "generation");
    for (const auto& i : field<json>(j, "instances")) t.instances.push_back(from_json(i));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(file.string() + ": " + e.what());
  }
  for (int fd : {t.listen_fd, t.lock_fd})
    if (fd < 0 || ::fcntl(fd, F_GETFD) < 0)
      throw std::runtime_error(file.string() + ": descriptor " + std::to_string(fd) + " was not handed over");
  return t;
}

}  // namespace kato::admin
