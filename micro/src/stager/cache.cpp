#include "stager/cache.hpp"

#include <stdexcept>

#include "model/model.hpp"
#include "store/store.hpp"

namespace kato::stager {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
std::uintmax_t tree_size(const fs::path& dir, std::size_t* files = nullptr) {
  std::uintmax_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
      total += it->file_size(ec);
      if (files) ++*files;
    }
  return total;
}
}  // namespace

std::optional<StagingCache> StagingCache::find(store::Store& store, const model::App& app) {
  model::Model m(store);
  std::string wanted = app.name + "-cache";
  for (const auto& b : m.bindings_of(app.guid)) {
    auto si = m.service_instance(b.instance_guid);
    if (!si || si->name != wanted || si->label != "filesystem") continue;
    if (!b.credentials.contains("dir") || !b.credentials["dir"].is_string()) continue;
    StagingCache c;
    c.name_ = wanted;
    c.kept_ = fs::path(b.credentials["dir"].get<std::string>()) / "staging-cache";
    c.limit_mb_ = b.credentials.contains("size_mb") && b.credentials["size_mb"].is_number_integer()
                      ? b.credentials["size_mb"].get<long>() : 100L;
    return c;
  }
  return std::nullopt;
}

void StagingCache::check_fits(const fs::path& app_dir) const {
  auto size = tree_size(app_dir);
  if (size > static_cast<std::uintmax_t>(limit_mb_) * 1024 * 1024)
    throw std::runtime_error("the app (" + std::to_string(size / (1024 * 1024)) + " MB) is larger than its staging cache service " +
                             name_ + " (limit " + std::to_string(limit_mb_) +
                             " MB): use a larger filesystem plan for it, or unbind it");
}

void StagingCache::restore(const fs::path& work, runner::Env& env, const std::function<void(const std::string&)>& log,
                           const Copy& copy) const {
  fs::create_directories(work);
  std::error_code ec;
  if (fs::exists(kept_, ec)) {
    std::string failed = copy(kept_, work);
    std::size_t files = 0;
    auto size = tree_size(work, &files);
    log(!failed.empty() ? "Could not restore the staging cache from " + name_ + ": " + failed
           : "Restored the staging cache from " + name_ + " (" + std::to_string(files) + " files, " +
                 std::to_string(size / 1024) + " KB)");
  } else {
    log("The staging cache " + name_ + " is empty: this build fills it");
  }
  env["STACKATO_CACHE_DIR"] = work.string();
  env["PIP_CACHE_DIR"] = (work / "pip").string();
  env["npm_config_cache"] = (work / "npm").string();
}

void StagingCache::save(const fs::path& work, const std::function<void(const std::string&)>& log, const Copy& copy) const {
  fs::path next = kept_;
  next += ".new";
  std::error_code ec;
  fs::remove_all(next, ec);
  std::string failed = copy(work, next);  // creates `next`
  if (!failed.empty()) {
    fs::remove_all(next, ec);
    log("Could not save the staging cache to " + name_ + " (limit " + std::to_string(limit_mb_) + " MB): " + failed);
    return;
  }
  fs::remove_all(kept_, ec);
  fs::rename(next, kept_, ec);
  log(ec ? "Could not save the staging cache: " + ec.message() : "Saved the staging cache to " + name_);
}

}  // namespace kato::stager
