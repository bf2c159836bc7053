#include "patch/commands.hpp"

#include <curl/curl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "admin/admin.hpp"
#include "admin/state.hpp"
#include "brokers/supervisor.hpp"
#include "patch/bundle.hpp"
#include "patch/patcher.hpp"
#include "patch/signing.hpp"
#include "stackato/version.hpp"

namespace kato::patch {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct FeedEntry {
  std::string file;
  std::optional<Bundle> bundle;
  std::string error;  // why the bundle was refused
};

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

size_t to_file(char* p, size_t size, size_t n, void* out) {
  static_cast<std::ofstream*>(out)->write(p, static_cast<std::streamsize>(size * n));
  return size * n;
}

// GET url into `file`, TLS verified (with `cafile` when given), at most 512 MiB (a bundle's limit).
void download(const std::string& url, const fs::path& file, const std::string& cafile) {
  std::ofstream out(file, std::ios::binary);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), curl_easy_cleanup);
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  if (!cafile.empty()) curl_easy_setopt(c.get(), CURLOPT_CAINFO, cafile.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c.get(), CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(512) << 20);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 300L);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, to_file);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &out);
  CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) throw std::runtime_error("cannot fetch " + url + ": " + curl_easy_strerror(rc));
}

// The feed's bundles, each verified (or why not). A feed is a directory of bundles, or an
// https:// URL serving them with their `index` (kato patch make writes it).
std::vector<FeedEntry> read_feed(const PatchOptions& o, PatchState& state) {
  std::string feed = o.feed.empty() ? state.feed() : o.feed;
  if (feed.empty()) throw std::runtime_error("no patch feed: give --feed DIR|URL, or set one with 'kato patch feed DIR|URL'");
  std::vector<fs::path> files;
  if (feed.starts_with("http://")) throw std::runtime_error("the feed " + feed + " is plain HTTP: patches come over https:// only");
  if (feed.starts_with("https://")) {
    fs::path dl = state.dir() / "download";
    fs::remove_all(dl);
    fs::create_directories(dl);
    std::string base = feed.back() == '/' ? feed : feed + "/";
    download(base + "index", dl / "index", o.cafile);
    std::ifstream index(dl / "index");
    for (std::string name; std::getline(index, name);) {
      if (name.empty()) continue;
      if (name.find('/') != std::string::npos || name[0] == '.') throw std::runtime_error("the feed's index names '" + name + "'");
      download(base + name, dl / name, o.cafile);
      files.push_back(dl / name);
    }
  } else {
    if (!fs::is_directory(feed)) throw std::runtime_error("the feed " + feed + " is not a directory");
    for (const auto& e : fs::directory_iterator(feed)) {
      std::string n = e.path().filename().string();
      if (e.is_regular_file() && (n.ends_with(".tar.gz") || n.ends_with(".tgz"))) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
  }
  std::vector<std::string> trusted = state.trusted();
  std::vector<FeedEntry> out;
  for (const auto& f : files) {
    FeedEntry e{f.filename().string(), std::nullopt, ""};
    try {
      e.bundle = open_bundle(f, trusted);
    } catch (const BundleError& err) {
      e.error = err.what();
    }
    out.push_back(std::move(e));
  }
  return out;
}

fs::path kato_executable(const fs::path& data) {
  auto st = admin::read_state(data);
  if (admin::kato_running(data, st) && !st->exe.empty()) return st->exe;
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec);
}

// The running kato execs its (maybe patched) executable in place (admin/upgrade.hpp): the same
// pid, the listening socket handed over, apps and service servers kept running, no request
// failed. Waits for the new image to say it serves (kato.json's generation goes up).
int upgrade_kato(const fs::path& data, const admin::State& st) {
  // Tried here first for a clear error; kato tries it again before it stops anything.
  std::string version = brokers::run_tool({st.exe, "--version"}, {}, "", {}, 20).output;
  if (version.rfind("kato ", 0) != 0) {
    std::cerr << "kato: " << st.exe << " does not run (its --version fails); kato keeps running as it is\n";
    return 1;
  }
  std::cerr << "Upgrading kato in place (pid " << st.pid << "): requests in progress finish, apps keep running\n";
  if (::kill(static_cast<pid_t>(st.pid), SIGUSR2) != 0) {
    std::cerr << "kato: cannot signal kato (pid " << st.pid << "): " << std::strerror(errno) << "\n";
    return 1;
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (std::chrono::steady_clock::now() < until) {
    auto now = admin::read_state(data);
    if (!admin::kato_running(data, now)) {
      std::cerr << "kato: kato stopped during its upgrade; see " << (data / "kato.log").string() << "\n";
      return 1;
    }
    if (now->pid == st.pid && now->generation > st.generation) {
      std::cout << "kato upgraded in place (pid " << now->pid << ", " << now->exe << "): apps and service servers kept running\n";
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cerr << "kato: the upgrade did not finish within 2 minutes; see " << (data / "kato.log").string() << "\n";
  return 1;
}

// Runs the running kato's (maybe patched) executable: in place when that kato can (every kato
// since in-place upgrades), else it is stopped and started again with the arguments it was
// started with, or by systemctl for systemd's.
int restart_kato(const fs::path& data) {
  auto st = admin::read_state(data);
  if (!admin::kato_running(data, st)) {
    std::cerr << "kato: not running; 'kato start' starts it\n";
    return 1;
  }
  if (st->upgrades_in_place && !st->exe.empty()) return upgrade_kato(data, *st);
  if (st->systemd) return admin::run_program({"systemctl", "restart", "kato"});
  if (st->exe.empty() || st->restart_args.empty()) {
    std::cerr << "kato: this kato did not record how it was started; restart it by hand\n";
    return 1;
  }
  std::cerr << "Restarting kato (every role runs in its one process)\n";
  if (int rc = admin::stop(data); rc != 0) return rc;
  for (const auto& a : st->restart_args)
    if (a == "--foreground") std::cerr << "kato ran in the foreground elsewhere; it now runs as a daemon\n";
  return admin::run_program(admin::start_command(data, *st));
}

std::vector<std::string> restart_roles(const std::vector<std::string>& roles) {
  std::vector<std::string> out;
  for (const auto& r : roles)
    if (r != "helpers") out.push_back(r);
  return out;
}

// After an install or a revert: restart the running kato for `roles`, or with --no-restart
// record them for `kato status` and `kato restart`.
int restart_for(PatchState& state, const std::set<std::string>& roles, const PatchOptions& o) {
  auto st = admin::read_state(o.data);
  if (roles.empty() || !admin::kato_running(o.data, st)) return 0;
  std::vector<std::string> affected(roles.begin(), roles.end());
  if (o.no_restart) {
    state.add_pending(affected);
    std::cout << "Not restarted (--no-restart): " << join(affected) << " run the old code until 'kato restart'\n";
    return 0;
  }
  return restart_kato(o.data);
}

}  // namespace

int keygen_command(const fs::path& key) {
  std::string fp = keygen(key);
  std::cout << "Wrote " << key.string() << " (private, 0600) and " << key.string() << ".pub\n"
            << "Fingerprint " << fp << "; operators trust it with 'kato patch trust " << key.string() << ".pub'\n";
  return 0;
}

int make_command(const fs::path& key, const fs::path& out, const fs::path& dir) {
  make_bundle(dir, key, out);
  std::cout << "Wrote " << out.string() << "\n";
  return 0;
}

int trust_command(const fs::path& data, const fs::path& public_key) {
  PatchState state(data);
  std::string fp = state.trust(public_key);  // before printing: a refusal prints nothing else
  std::cout << "Trusting patches signed by key " << fp << "\n";
  return 0;
}

int feed_command(const fs::path& data, const std::string& feed) {
  PatchState state(data);
  if (feed.empty()) {
    std::string f = state.feed();
    std::cout << (f.empty() ? "No feed set ('kato patch feed DIR|URL' sets one)" : f) << "\n";
    return 0;
  }
  if (feed.starts_with("http://")) throw std::runtime_error("patches come over https:// only, not " + feed);
  state.set_feed(feed.starts_with("https://") ? feed : fs::absolute(feed).string());
  std::cout << "Patch feed: " << state.feed() << "\n";
  return 0;
}

int status_command(const PatchOptions& o) {
  PatchState state(o.data);
  auto feed = read_feed(o, state);
  json installed = state.installed();
  std::string version = stackato::kVersion;
  std::vector<const Bundle*> available;
  int other_versions = 0;
  for (const auto& e : feed) {
    if (!e.bundle || installed.contains(e.bundle->info.name)) continue;
    if (e.bundle->info.applies(version)) available.push_back(&*e.bundle);
    else ++other_versions;
  }
  std::vector<std::string> pending = state.pending();
  if (o.json) {
    json j = {{"version", version}, {"available", json::array()}, {"installed", json::array()},
              {"refused", json::array()}, {"pending_restart", pending}};
    for (const auto* b : available)
      j["available"].push_back({{"name", b->info.name}, {"description", b->info.description},
                                {"severity", b->info.severity}, {"roles", b->info.roles}});
    for (const auto& [name, p] : installed.items())
      j["installed"].push_back({{"name", name}, {"description", p["description"]}, {"installed_at", p["installed_at"]}});
    for (const auto& e : feed)
      if (!e.bundle) j["refused"].push_back({{"file", e.file}, {"error", e.error}});
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  // The seed's format: a count, then each update, its severity and the roles it restarts.
  std::cout << available.size() << (available.size() == 1 ? " update" : " updates") << " available to be installed.\n";
  std::cout << "Known updates for kato " << version << ":\n";
  for (const auto* b : available)
    std::cout << b->info.name << ": " << b->info.description << "\n"
              << "severity: " << b->info.severity << "\n"
              << "roles affected: " << (b->info.roles.empty() ? "none" : join(b->info.roles)) << "\n";
  if (other_versions) std::cout << "(" << other_versions << " more for other versions of kato)\n";
  if (!installed.empty()) {
    std::cout << "Installed:\n";
    for (const auto& [name, p] : installed.items())
      std::cout << name << ": " << p.value("description", "") << " (" << p.value("installed_at", "") << ")\n";
  }
  for (const auto& e : feed)
    if (!e.bundle) std::cout << "Refused: " << e.error << "\n";
  if (!pending.empty()) std::cout << "Waiting for a restart: " << join(pending) << " ('kato restart')\n";
  return 0;
}

int install_command(const PatchOptions& o) {
  if (o.only_this_node) std::cerr << "kato is a single node: --only-this-node is what it always does\n";
  PatchState state(o.data);
  auto feed = read_feed(o, state);
  json installed = state.installed();
  std::string version = stackato::kVersion;
  std::map<std::string, const Bundle*> by_name;
  for (const auto& e : feed)
    if (e.bundle) by_name[e.bundle->info.name] = &*e.bundle;
  // Everything is checked before anything is touched.
  std::vector<const Bundle*> todo;
  if (o.names.empty()) {
    for (const auto& [name, b] : by_name)
      if (!installed.contains(name) && b->info.applies(version)) todo.push_back(b);
  } else {
    for (const auto& name : o.names) {
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        std::string refused;
        for (const auto& e : feed)
          if (!e.bundle) refused += "; refused: " + e.error;
        throw std::runtime_error("no patch " + name + " in the feed" + refused);
      }
      if (!it->second->info.applies(version))
        throw std::runtime_error("patch " + name + " is for kato " + join(it->second->info.applies_to) + ", not " + version);
      if (installed.contains(name)) {
        std::cout << "Patch " << name << " is installed already\n";
        continue;
      }
      todo.push_back(it->second);
    }
  }
  if (todo.empty()) {
    std::cout << "No updates available to be installed.\n";
    return 0;
  }
  fs::path exe = kato_executable(o.data);
  std::set<std::string> roles;
  for (const auto* b : todo) {
    state.apply(*b, exe);
    std::cout << "Installed " << b->info.name << ": " << b->info.description << "\n";
    for (const auto& r : restart_roles(b->info.roles)) roles.insert(r);
  }
  return restart_for(state, roles, o);
}

int revert_command(const PatchOptions& o) {
  PatchState state(o.data);
  fs::path exe = kato_executable(o.data);
  std::set<std::string> roles;
  for (const auto& name : o.names) {
    for (const auto& r : restart_roles(state.revert(name, exe))) roles.insert(r);
    std::cout << "Reverted " << name << "\n";
  }
  return restart_for(state, roles, o);
}

int restart_command(const fs::path& data, const std::string& role) {
  const auto& known = known_roles();
  if (!role.empty() && std::find(known.begin(), known.end(), role) == known.end())
    throw std::runtime_error("unknown role '" + role + "' (" + join(known) + ")");
  if (role == "helpers") {
    std::cout << "helpers need no restart: each remote command reads them\n";
    return 0;
  }
  return restart_kato(data);
}

}  // namespace kato::patch
