// filesystem: a directory shared by the apps bound to it, with a size limit. Where kato may
// loop-mount (root, and a kernel that allows it), the directory is an ext4 volume of the plan's
// size, so writes beyond the limit fail with ENOSPC; elsewhere it is a plain directory and the
// limit is only reported. The directory's path is in the credentials (`dir`).

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "brokers/common.hpp"
#include "brokers/supervisor.hpp"

namespace kato::brokers {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

bool mounted(const fs::path& dir) {
  auto r = run_tool({"mountpoint", "-q", dir.string()}, {}, "", {}, 10);
  return r.status == 0;
}

class Filesystem : public Broker {
 public:
  explicit Filesystem(const fs::path& services) : dir_(services / "filesystem") {}
  std::string label() const override { return "filesystem"; }
  std::string description() const override { return "A persistent directory shared by the bound apps"; }
  std::vector<std::string> tags() const override { return {"filesystem", "persistent"}; }
  std::vector<Plan> plans() const override {
    return {{"default", "100 MB shared directory", 100}, {"small", "10 MB shared directory", 10},
            {"large", "1 GB shared directory", 1024}};
  }

  json provision(const std::string& id, const Plan& plan) override {
    std::string name = short_name('f', id);
    fs::path home = dir_ / name, volume = home / "volume.img", mnt = home / "fs";
    fs::create_directories(mnt);
    long size = plan.size_mb > 0 ? plan.size_mb : 100;
    json data = {{"name", name}, {"dir", mnt.string()}, {"size_mb", size}, {"enforced", false}};
    if (::geteuid() == 0) {
      auto mk = run_tool({"truncate", "-s", std::to_string(size) + "M", volume.string()}, {}, "");
      if (mk.status == 0) mk = run_tool({"mkfs.ext4", "-q", "-F", "-m", "0", volume.string()}, {}, "", {}, 120);
      if (mk.status == 0 && mount(data)) {
        data["enforced"] = true;
        ::chmod(mnt.c_str(), 0777);
        fs::remove_all(mnt / "lost+found");
      } else {
        fs::remove(volume);
      }
    }
    return data;
  }

  void deprovision(const json& data) override {
    fs::path mnt = data.value("dir", "");
    if (mnt.empty()) return;
    if (mounted(mnt)) ::umount2(mnt.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(mnt.parent_path(), ec);
  }

  json bind(const std::string&, const json& data) override {
    if (data.value("enforced", false) && !mounted(data["dir"].get<std::string>())) mount(data);
    return {{"name", data["name"]}, {"dir", data["dir"]}, {"size_mb", data["size_mb"]},
            {"size_limit_enforced", data.value("enforced", false)}};
  }
  void unbind(const json&, const json&) override {}

  void resume(const json& data) override {
    if (data.value("enforced", false) && !mounted(data["dir"].get<std::string>())) mount(data);
  }

  std::string state() override { return "ready (" + dir_.string() + ")"; }

  // The volume's files as they are (backup/ reads them while apps may write: a file being
  // written is taken as it is at that moment, as tar would).
  fs::path files_of(const json& data) override { return data.value("dir", ""); }

  // A volume of the same size here, with the exported files (owners, modes, links) copied in.
  json restore(const std::string& id, const json& data, const std::vector<json>&, const fs::path& dir,
               const fs::path&) override {
    fs::path leftover = dir_ / short_name('f', id) / "fs";
    if (fs::exists(leftover)) deprovision({{"dir", leftover.string()}});
    json made = provision(id, {"", "", data.value("size_mb", 100L)});
    if (fs::exists(dir / "files")) {
      auto r = run_tool({"cp", "-a", "--", (dir / "files").string() + "/.", made["dir"].get<std::string>()}, {}, "", {}, 3600);
      if (r.status != 0) {
        deprovision(made);
        throw std::runtime_error("filesystem: copying the files: " + r.output.substr(0, 400));
      }
    }
    // Unmounted again, for good (not lazily): the kato that owns the volume mounts it when it
    // starts with the imported state, and must find every byte in the image.
    std::string mnt = made["dir"];
    if (made.value("enforced", false) && mounted(mnt) && ::umount2(mnt.c_str(), 0) != 0) {
      deprovision(made);
      throw std::runtime_error("filesystem: unmounting the restored volume " + mnt + ": " + std::strerror(errno));
    }
    return made;
  }

  // Volumes an import mounted stay mounted: the kato they belong to uses them.
  void detach() override {}

  json rebind(const json& data, json credentials) override {
    credentials["dir"] = data["dir"];
    credentials["name"] = data["name"];
    return credentials;
  }

  // With kato: volumes are not left mounted (a data dir can then be moved or deleted); resume
  // mounts them again at the next start.
  void stop() override {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      fs::path mnt = entry.path() / "fs";
      if (fs::exists(entry.path() / "volume.img") && mounted(mnt)) ::umount2(mnt.c_str(), MNT_DETACH);
    }
  }

 private:
  bool mount(const json& data) {
    fs::path mnt = data["dir"].get<std::string>();
    auto r = run_tool({"mount", "-o", "loop,nosuid,nodev", (mnt.parent_path() / "volume.img").string(), mnt.string()},
                      {}, "", {}, 30);
    return r.status == 0;
  }

  fs::path dir_;
};

}  // namespace

std::unique_ptr<Broker> make_filesystem(const fs::path& dir) { return std::make_unique<Filesystem>(dir); }

}  // namespace kato::brokers
