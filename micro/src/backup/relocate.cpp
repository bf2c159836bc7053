#include "backup/relocate.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "admin/state.hpp"
#include "brokers/supervisor.hpp"

namespace kato::backup {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// statfs(2)'s f_type of the filesystems it warns about.
constexpr unsigned long kTmpfsMagic = 0x01021994, kNfsMagic = 0x6969, kCifsMagic = 0xFF534D42, kSmb2Magic = 0xFE534D42;

void write_atomically(const fs::path& file, const std::string& text) {
  fs::path tmp = file.string() + ".tmp";
  {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error(tmp.string() + ": cannot write");
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) throw std::runtime_error(tmp.string() + ": cannot write");
  }
  fs::rename(tmp, file);
}

std::uint64_t tree_size(const fs::path& dir) {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  return total;
}

// A mount below `dir` (a service volume left mounted by a kato killed with -9): moving or
// deleting the directory would touch the volume's files instead.
std::string mount_below(const fs::path& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string prefix = dir.string() + "/";
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string id, parent, dev, root, point;
    words >> id >> parent >> dev >> root >> point;
    if (point.rfind(prefix, 0) == 0) return point;
  }
  return "";
}

int run(const std::vector<std::string>& argv, std::string* output = nullptr) {
  auto r = brokers::run_tool(argv, {}, "", {}, 24 * 3600);
  if (output) *output = r.output;
  return r.status;
}

// Points DATA/part at `to`: a new link renamed over the old one (or into the emptied place).
void link_part(const fs::path& place, const fs::path& to) {
  fs::path tmp = place.string() + ".link-tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_directory_symlink(to, tmp);
  fs::rename(tmp, place);
}

}  // namespace

fs::path part_dir(const fs::path& data, const std::string& part) {
  if (part == "services") return data / "services";
  if (part == "droplets") return data / "blobs";
  if (part == "containers") return data / "instances";
  throw std::runtime_error("kato relocate: unknown part '" + part + "' (services, droplets or containers)");
}

std::vector<std::string> relocate_warnings(const std::string& part, const fs::path& dir) {
  std::vector<std::string> out;
  fs::path probe = dir;
  while (!fs::exists(probe) && probe.has_parent_path() && probe != probe.parent_path()) probe = probe.parent_path();
  struct statvfs v{};
  struct statfs f{};
  if (::statvfs(probe.c_str(), &v) == 0 && (v.f_flag & ST_NOEXEC) && part == "containers")
    out.push_back(dir.string() + " is on a noexec filesystem: apps cannot run from there (mount it without noexec)");
  bool have_type = ::statfs(probe.c_str(), &f) == 0;
  auto type = static_cast<unsigned long>(f.f_type);
  if (have_type && part == "services" && (type == kNfsMagic || type == kCifsMagic || type == kSmb2Magic))
    out.push_back(dir.string() + " is on a network filesystem: the database servers and the loop-mounted filesystem "
                  "service volumes need a local one (locking, O_DIRECT, loop devices)");
  if (have_type && type == kTmpfsMagic) out.push_back(dir.string() + " is on a tmpfs: its contents are lost at reboot");
  return out;
}

std::vector<std::string> relocate(const fs::path& data, const std::string& part, const fs::path& target) {
  fs::path place = part_dir(data, part);
  fs::path journal = data / "relocate.json";
  auto st = admin::read_state(data);
  if (admin::kato_running(data, st))
    throw std::runtime_error("kato is running: stop it first ('kato stop'), relocate, then 'kato start'");
  fs::path to = fs::absolute(target).lexically_normal();
  if (to.filename().empty()) to = to.parent_path();
  std::vector<std::string> messages;

  json j;
  if (std::ifstream in(journal); in) j = json::parse(in, nullptr, false);
  if (j.is_object() && j.value("part", "") != part)
    throw std::runtime_error("a relocation of " + j.value("part", std::string("?")) + " was interrupted: run 'kato relocate " +
                             j.value("part", std::string("?")) + " " + j.value("to", std::string("DIR")) + "' again first");
  fs::path from;
  if (j.is_object()) {
    if (fs::path(j.value("to", "")) != to)
      throw std::runtime_error("a relocation of " + part + " to " + j.value("to", "") + " was interrupted: run 'kato relocate " +
                               part + " " + j.value("to", "") + "' again first");
    from = j.value("from", "");
    messages.push_back("Resuming the interrupted relocation of " + part + " from " + from.string());
  } else {
    if (!fs::exists(place)) fs::create_directories(place);
    from = fs::canonical(place);
    if (from == to) return {part + " is already at " + to.string()};
    if (to.string().rfind(from.string() + "/", 0) == 0 || from.string().rfind(to.string() + "/", 0) == 0)
      throw std::runtime_error(to.string() + " lies inside " + from.string() + " or contains it");
    if (fs::exists(to) && !(fs::is_directory(to) && fs::is_empty(to)))
      throw std::runtime_error(to.string() + " exists and is not an empty directory");
    if (!fs::is_directory(to.parent_path())) throw std::runtime_error(to.parent_path().string() + ": no such directory");
    if (std::string m = mount_below(from); !m.empty())
      throw std::runtime_error(m + " is mounted (left by a kato that was killed): 'umount " + m + "' first");
    for (auto& w : relocate_warnings(part, to)) messages.push_back("Warning: " + w);
    j = {{"part", part}, {"from", from.string()}, {"to", to.string()}, {"state", "moving"}};
    write_atomically(journal, j.dump() + "\n");
  }

  fs::path partial = to.string() + ".partial";
  std::error_code ec;
  if (j.value("state", "") == "moving") {
    if (fs::exists(from)) {
      fs::remove_all(partial, ec);  // an interrupted copy starts over; the original is whole
      if (fs::exists(to) && fs::is_empty(to)) fs::remove(to);
      if (::rename(from.c_str(), to.c_str()) == 0) {
        messages.push_back("Moved " + from.string() + " to " + to.string() + " (same filesystem)");
      } else if (errno == EXDEV) {
        struct statvfs v{};
        std::uint64_t need = tree_size(from);
        if (::statvfs(to.parent_path().c_str(), &v) == 0 && std::uint64_t(v.f_bavail) * v.f_frsize < need + (std::uint64_t(64) << 20))
          throw std::runtime_error(to.parent_path().string() + " has " + std::to_string(std::uint64_t(v.f_bavail) * v.f_frsize >> 20) +
                                   " MB free; " + part + " needs " + std::to_string(need >> 20) + " MB");
        std::string out;
        if (run({"cp", "-a", "--", from.string(), partial.string()}, &out) != 0)
          throw std::runtime_error("copying " + from.string() + " to " + partial.string() + " failed: " + out.substr(0, out.find('\n')));
        if (run({"diff", "-r", "-q", "--no-dereference", "--", from.string(), partial.string()}, &out) != 0)
          throw std::runtime_error("the copy in " + partial.string() + " differs from " + from.string() + ": " + out.substr(0, out.find('\n')));
        ::sync();
        if (fs::exists(to)) fs::remove(to);
        fs::rename(partial, to);
        messages.push_back("Copied " + from.string() + " to " + to.string() + " and compared it");
      } else {
        throw std::runtime_error("moving " + from.string() + " to " + to.string() + ": " + std::strerror(errno));
      }
    } else if (!fs::exists(to)) {
      throw std::runtime_error(from.string() + " and " + to.string() + " are both missing: nothing to relocate");
    }
    j["state"] = "moved";
    write_atomically(journal, j.dump() + "\n");
  }
  // `to` is complete: the original goes (what is left of it), the link points at the new place.
  if (fs::exists(from) && !fs::is_symlink(from)) fs::remove_all(from);
  link_part(place, to);
  fs::remove(journal);
  messages.push_back(part + " is now at " + to.string() + " (" + place.string() + " links there); 'kato start' uses it");
  return messages;
}

int relocate_command(const fs::path& data, const std::string& part, const std::string& dir) {
  for (const auto& m : relocate(data, part, dir)) std::cout << m << "\n";
  return 0;
}

}  // namespace kato::backup
