#include "backup/import.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <thread>

#include "admin/admin.hpp"
#include "admin/state.hpp"
#include "brokers/brokers.hpp"
#include "brokers/supervisor.hpp"
#include "model/schema.hpp"
#include "store/store.hpp"

namespace kato::backup {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// What of this kato an import keeps: its admin's password, its token key, its domain.
struct Current {
  std::size_t apps = 0;
  std::string admin_password, jwt_key, domain;
  std::vector<json> instances;
};

Current read_current(const fs::path& data, const std::optional<admin::State>& st) {
  Current c;
  if (!fs::exists(data / "kato.db")) return c;
  store::Store db(data / "kato.db");
  c.apps = db.list("app").size();
  for (const auto& u : db.list("user"))
    if (u.value("name", "") == "admin") c.admin_password = u.value("_password", "");
  c.jwt_key = db.setting("jwt_key").value_or("");
  c.instances = db.list("service_instance");
  c.domain = st ? st->domain : "";
  if (c.domain.empty())
    for (const auto& d : db.list("domain")) c.domain = d.value("name", "");
  return c;
}

// The staged blobs join this kato's: a name that exists here already is the same blob (by
// content or by guid), so only what is missing moves (a rename: the staging dir is beside).
void merge_tree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(to, ec))) {
    fs::create_directories(to.parent_path());
    fs::rename(from, to, ec);
    if (ec && brokers::run_tool({"cp", "-a", "--", from.string(), to.string()}, {}, "", {}, 24 * 3600).status != 0)
      throw std::runtime_error("copying " + from.string() + " to " + to.string() + " failed");
    return;
  }
  if (!fs::is_directory(fs::symlink_status(from)) || !fs::is_directory(fs::symlink_status(to))) return;
  for (const auto& e : fs::directory_iterator(from)) merge_tree(e.path(), to / e.path().filename());
}

// The import's own record of the instances it made, dropped again when it fails before the switch.
struct Restored {
  brokers::Broker* broker;
  json data;
};

// One instance to restore from the staged dumps, and how it went.
struct Restore {
  json si;
  brokers::Broker* broker = nullptr;
  std::vector<json> credentials;
  json data;  // the new instance's, when done
  bool done = false;
};
struct ServerRestores {
  std::vector<Restore> instances;  // in the state's order
  std::string error;               // the first failure: the instances after it were not tried
};

// Each server's instances in turn, the servers at once (as the export dumps them): an import
// takes about as long as its largest server's loads. A server whose restore fails stops there;
// the others finish, and the caller drops everything restored.
void restore_all(std::map<std::string, ServerRestores>& by_server, const fs::path& staging, const Progress& progress) {
  std::mutex progress_mu;
  auto say = [&](const std::string& what) {
    std::lock_guard lock(progress_mu);
    if (progress) progress(0, what);
  };
  std::vector<std::thread> threads;
  for (auto& [label, server] : by_server)
    threads.emplace_back([&, label = label, server = &server] {
      for (auto& r : server->instances) {
        std::string guid = r.si.value("guid", "");
        try {
          say("restoring " + r.si.value("name", guid) + " (" + label + ")");
          r.broker->attach();
          r.data = r.broker->restore(guid, r.si["_data"], r.credentials, staging / "services" / label / guid,
                                     staging / "services" / label / "server");
          r.done = true;
        } catch (const std::exception& e) {
          server->error = e.what();
          return;
        }
      }
    });
  for (auto& t : threads) t.join();
}

}  // namespace

ImportSummary import_data(const ImportOptions& o, int fd, const Progress& progress) {
  auto st = admin::read_state(o.data);
  bool running = admin::kato_running(o.data, st);
  if (running && !st->systemd && (st->exe.empty() || st->restart_args.empty()))
    throw std::runtime_error("the running kato did not record how it was started; stop it ('kato stop') and import again");
  Current current = read_current(o.data, st);
  if (running && st->systemd && !o.domain.empty() && o.domain != current.domain)
    throw std::runtime_error("--domain " + o.domain + ": systemd starts this kato with --domain " + current.domain +
                             "; change the unit's domain first ('systemctl edit kato'), then import");
  if (current.apps > 0 && !o.force)
    throw std::runtime_error("kato at " + o.data.string() + " already has " + std::to_string(current.apps) +
                             " apps; --force replaces them with the export's");

  fs::path staging = o.data / "import.staging";
  fs::remove_all(staging);  // what an import killed before left
  fs::create_directories(staging);
  fs::permissions(staging, fs::perms::owner_all, fs::perm_options::replace);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{staging};

  Staged staged = stage(fd, staging, progress);
  ImportSummary summary;
  summary.from_domain = staged.header.value("domain", "");
  summary.created = staged.header.value("created", "");
  summary.to_domain = !o.domain.empty() ? o.domain : !current.domain.empty() ? current.domain : summary.from_domain;
  if (!fs::exists(staging / "state" / "kato.db")) throw std::runtime_error("the export holds no state/kato.db");

  std::vector<Restored> restored;
  {
    store::Store db(staging / "state" / "kato.db");
    brokers::Brokers brokers(admin::real_place(o.data, "services"), brokers::Brokers::Mode::attached);
    try {
      // An older kato's state becomes today's here; a newer kato's is refused before anything
      // changes (this kato would not start with it).
      try {
        model::migrate(db);
      } catch (const model::TooNew& e) {
        throw std::runtime_error(std::string("the export's state is a newer kato's: ") + e.what() + "; upgrade kato first");
      }
      db.transaction([&] {
        // The shared domain takes this kato's name; its routes' URLs follow (routes keep theirs).
        for (auto d : db.list("domain")) {
          if (d.value("name", "") != summary.from_domain || summary.from_domain == summary.to_domain) continue;
          d["name"] = summary.to_domain;
          db.put("domain", d);
          for (auto r : db.list("route"))
            if (r.value("_domain", "") == d.value("guid", "")) {
              r["url"] = r.value("host", "") + "." + summary.to_domain + r.value("path", "");
              db.put("route", r);
            }
        }
        for (auto u : db.list("user")) {
          ++summary.users;
          if (u.value("name", "") == "admin" && !current.admin_password.empty()) {
            u["_password"] = current.admin_password;
            db.put("user", u);
          }
        }
        // Sessions of the old kato end; tokens this kato signed stay good.
        for (const auto& t : db.list("refresh_token")) db.remove("refresh_token", t.value("guid", ""));
        if (!current.jwt_key.empty()) db.set_setting("jwt_key", current.jwt_key);
      });
      std::map<std::string, std::vector<json>> bindings;
      for (const auto& b : db.list("binding")) bindings[b.value("_instance", "")].push_back(b);
      // Checked before any server is touched; then restored, the servers at once.
      std::map<std::string, ServerRestores> by_server;
      for (auto si : db.list("service_instance")) {
        if (si.value("type", "") != "managed" || !si.contains("_data")) continue;
        std::string label = si.value("_label", ""), guid = si.value("guid", "");
        // The guid names the staged directory: never a path of another shape.
        static const std::regex kGuid("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
        if (!std::regex_match(guid, kGuid)) throw std::runtime_error("service instance " + si.value("name", guid) + ": its guid is not one of kato's");
        brokers::Broker* broker = brokers.find(label);
        if (!broker) throw std::runtime_error("service instance " + si.value("name", guid) + ": this kato has no " + label + " broker");
        Restore r;
        r.si = si;
        r.broker = broker;
        for (const auto& b : bindings[guid]) r.credentials.push_back(b.value("_credentials", json::object()));
        by_server[label].instances.push_back(std::move(r));
      }
      restore_all(by_server, staging, progress);
      for (auto& [label, server] : by_server)
        for (auto& r : server.instances)
          if (r.done) restored.push_back({r.broker, r.data});
      for (auto& [label, server] : by_server)
        if (!server.error.empty()) throw std::runtime_error(server.error);
      db.transaction([&] {
        for (auto& [label, server] : by_server)
          for (auto& r : server.instances) {
            std::string guid = r.si.value("guid", "");
            r.si["_data"] = r.data;
            db.put("service_instance", r.si);
            for (auto b : bindings[guid]) {
              b["_credentials"] = r.broker->rebind(r.data, b.value("_credentials", json::object()));
              db.put("binding", b);
            }
            ++summary.instances;
          }
      });
      summary.apps = db.list("app").size();
    } catch (...) {
      for (auto& r : restored) {
        try {
          r.broker->deprovision(r.data);
        } catch (const std::exception&) {
        }
      }
      throw;
    }
  }  // the import's own servers, if it started any, stop here; the running kato's stay

  merge_tree(staging / "blobs", admin::real_place(o.data, "blobs"));

  // The switch: kato stops, the new database takes the old one's place in one rename.
  if (running) {
    if (progress) progress(0, "switching: stopping kato");
    if ((st->systemd ? admin::run_program({"systemctl", "stop", "kato"}) : admin::stop(o.data)) != 0)
      throw std::runtime_error("kato did not stop; nothing was switched");
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    fs::path file = o.data / (std::string("kato.db") + suffix);
    std::error_code ec;
    if (fs::exists(file)) fs::rename(file, o.data / (std::string("kato.db.before-import") + suffix));
    else fs::remove(o.data / (std::string("kato.db.before-import") + suffix), ec);
  }
  fs::rename(staging / "state" / "kato.db", o.data / "kato.db");
  if (int dir = ::open(o.data.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }

  // --force: this kato's instances that the import replaced go (their databases, volumes): those
  // not in the imported state, and those it restored elsewhere (a Redis database index taken by
  // the same instance before); one restored in the same place (the same database) stays.
  std::vector<json> replaced;
  {
    store::Store db(o.data / "kato.db");
    for (const auto& old : current.instances) {
      if (old.value("type", "") != "managed" || !old.contains("_data")) continue;
      auto now = db.get("service_instance", old.value("guid", ""));
      if (!now || now->value("_data", json::object()) != old["_data"]) replaced.push_back(old);
    }
  }
  if (!replaced.empty()) {
    brokers::Brokers brokers(admin::real_place(o.data, "services"));
    for (const auto& old : replaced)
      if (auto* b = brokers.find(old.value("_label", ""))) {
        try {
          b->deprovision(old["_data"]);
        } catch (const std::exception& e) {
          std::cerr << "kato: warning: the replaced service instance " << old.value("name", "") << " was not deleted: " << e.what() << "\n";
        }
      }
  }

  if (running) {
    if (progress) progress(0, "switching: starting kato");
    // kato start's banner is for a terminal (the import says what happened); its errors are in
    // its log, which the error below names.
    int rc = st->systemd ? admin::run_program({"systemctl", "start", "kato"})
                         : admin::run_program(admin::start_command(o.data, *st, summary.to_domain), true);
    if (rc != 0) throw std::runtime_error("the import is in place, but kato did not start again: see " + (o.data / "kato.log").string());
    summary.started = true;
  }
  return summary;
}

}  // namespace kato::backup
