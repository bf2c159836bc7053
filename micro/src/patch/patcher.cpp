#include "patch/patcher.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <set>

#include "patch/files.hpp"
#include "patch/signing.hpp"

namespace kato::patch {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string slurp(const fs::path& p) {
  auto text = read_file(p);
  if (!text) throw std::runtime_error("cannot read " + p.string());
  return *text;
}

json read_json(const fs::path& p, json fallback) {
  std::ifstream in(p);
  if (!in) return fallback;
  json j = json::parse(in, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

PatchState::PatchState(fs::path data) : data_(std::move(data)), dir_(data_ / "patches") {
  // Trusting a key may come before the first start: the data dir is made 0700 as kato makes it.
  if (fs::create_directories(data_)) fs::permissions(data_, fs::perms::owner_all);
  fs::create_directories(dir_ / "trusted");
  fs::permissions(dir_, fs::perms::owner_all);
}

std::string PatchState::trust(const fs::path& public_key) {
  std::string pem = slurp(public_key);
  std::string fp = fingerprint(pem);
  replace_file(dir_ / "trusted" / (fp + ".pub"), pem, 0644);
  return fp;
}

std::vector<std::string> PatchState::trusted() const {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir_ / "trusted"))
    if (e.path().extension() == ".pub") out.push_back(slurp(e.path()));
  return out;
}

std::string PatchState::feed() const {
  std::ifstream in(dir_ / "feed");
  std::string line;
  std::getline(in, line);
  return line;
}

void PatchState::set_feed(const std::string& feed) { replace_file(dir_ / "feed", feed + "\n", 0600); }

json PatchState::installed() const { return read_json(dir_ / "installed.json", json::object()); }

void PatchState::save_installed(const json& installed) const {
  replace_file(dir_ / "installed.json", installed.dump(2) + "\n", 0600);
}

std::vector<std::string> PatchState::pending() const {
  json j = read_json(dir_ / "pending.json", json::array());
  std::vector<std::string> out;
  for (const auto& r : j)
    if (r.is_string()) out.push_back(r);
  return out;
}

void PatchState::add_pending(const std::vector<std::string>& roles) {
  std::set<std::string> all;
  for (const auto& r : pending()) all.insert(r);
  for (const auto& r : roles)
    if (r != "helpers") all.insert(r);
  replace_file(dir_ / "pending.json", json(std::vector<std::string>(all.begin(), all.end())).dump() + "\n", 0600);
}

void PatchState::restore(const json& file, const fs::path& exe) const {
  std::string target = file["target"], backup = file["backup"];
  std::error_code ec;
  if (target.starts_with("helpers/")) fs::remove(dir_ / "overlay" / target, ec);
  if (backup.empty()) fs::remove(target_path(target, exe), ec);  // the patch added it
  else replace_file(target_path(target, exe), slurp(backup), 0755);
}

fs::path PatchState::target_path(const std::string& target, const fs::path& exe) const {
  if (target == "kato") return exe;
  return data_ / "helpers" / target.substr(8);
}

void PatchState::apply(const Bundle& bundle, const fs::path& exe) {
  json all = installed();
  const std::string& name = bundle.info.name;
  if (all.contains(name)) throw std::runtime_error("patch " + name + " is installed already");
  fs::path backups = dir_ / "backup" / name;
  fs::remove_all(backups);
  fs::create_directories(backups);
  json files = json::array();
  // First every backup, so that nothing is replaced before all could be kept.
  for (std::size_t i = 0; i < bundle.info.files.size(); ++i) {
    fs::path target = target_path(bundle.info.files[i].target, exe);
    std::string backup;
    if (fs::exists(target)) {
      backup = (backups / std::to_string(i)).string();
      fs::copy_file(target, backup, fs::copy_options::overwrite_existing);
    }
    files.push_back({{"target", bundle.info.files[i].target}, {"backup", backup}});
  }
  std::size_t done = 0;
  try {
    for (; done < bundle.info.files.size(); ++done) {
      const PatchFile& f = bundle.info.files[done];
      const std::string& data = bundle.payload.at(f.source);
      if (f.target.starts_with("helpers/")) {
        fs::create_directories(dir_ / "overlay" / "helpers");
        replace_file(dir_ / "overlay" / f.target, data, 0755);
      }
      replace_file(target_path(f.target, exe), data, 0755);
    }
  } catch (...) {
    for (std::size_t i = 0; i < done; ++i) restore(files[i], exe);  // put back what was replaced
    throw;
  }
  all[name] = {{"description", bundle.info.description}, {"severity", bundle.info.severity},
               {"roles", bundle.info.roles}, {"installed_at", now_iso()}, {"signer", bundle.signer},
               {"order", static_cast<long>(all.size())}, {"files", files}};
  save_installed(all);
}

std::vector<std::string> PatchState::revert(const std::string& name, const fs::path& exe) {
  json all = installed();
  if (!all.contains(name)) throw std::runtime_error("patch " + name + " is not installed");
  json& p = all[name];
  // A later patch that replaced one of the same files must go first: its backup holds this one's.
  for (const auto& [other, q] : all.items()) {
    if (other == name || q.value("order", 0L) < p.value("order", 0L)) continue;
    for (const auto& f : q["files"])
      for (const auto& g : p["files"])
        if (f["target"] == g["target"])
          throw std::runtime_error("patch " + other + " replaced " + f["target"].get<std::string>() + " after " + name +
                                   ": revert " + other + " first");
  }
  for (const auto& f : p["files"]) restore(f, exe);
  std::vector<std::string> roles = p.value("roles", std::vector<std::string>{});
  all.erase(name);
  save_installed(all);
  fs::remove_all(dir_ / "backup" / name);
  return roles;
}

void overlay_helpers(const fs::path& data, const fs::path& helpers) {
  fs::path overlay = data / "patches" / "overlay" / "helpers";
  std::error_code ec;
  for (auto it = fs::directory_iterator(overlay, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
    if (it->is_regular_file()) replace_file(helpers / it->path().filename(), slurp(it->path()), 0755);
}

std::vector<std::string> pending_roles(const fs::path& data) {
  json j = read_json(data / "patches" / "pending.json", json::array());
  std::vector<std::string> out;
  for (const auto& r : j)
    if (r.is_string()) out.push_back(r);
  return out;
}

std::size_t installed_count(const fs::path& data) {
  return read_json(data / "patches" / "installed.json", json::object()).size();
}

void restarted(const fs::path& data) {
  std::error_code ec;
  fs::remove(data / "patches" / "pending.json", ec);
}

}  // namespace kato::patch
