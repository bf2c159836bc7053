// kato stop, status, info, and the state file they read.

#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>

#include <cerrno>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "admin/admin.hpp"
#include "auth/tokens.hpp"
#include "controller/api.hpp"
#include "model/schema.hpp"
#include "store/store.hpp"
#include "admin/state.hpp"
#include "patch/patcher.hpp"
#include "runner/process.hpp"

namespace kato::admin {

namespace fs = std::filesystem;
using json = nlohmann::json;

fs::path default_data_dir() {
  if (const char* d = std::getenv("KATO_DATA"); d && *d) return d;
  const char* home = std::getenv("HOME");
  fs::path own = fs::path(home ? home : ".") / ".kato";
  // The packaged service's data dir, so that `sudo kato status` or `kato check` from Nagios
  // find the kato that systemd runs without being told; a kato of one's own comes first.
  std::error_code ec;
  if (!fs::exists(own, ec) && fs::is_directory(kPackagedDataDir, ec)) return kPackagedDataDir;
  return own;
}

void write_state(const fs::path& data, const State& s) {
  json j = {{"pid", s.pid}, {"port", s.port}, {"domain", s.domain}, {"api", s.api}, {"ca", s.ca}, {"memory", s.memory},
            {"sandbox", s.sandbox}, {"exe", s.exe}, {"restart_args", s.restart_args}, {"systemd", s.systemd},
            {"upgrades_in_place", s.upgrades_in_place}, {"generation", s.generation}};
  fs::path tmp = data / "kato.json.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string text = j.dump(2) + "\n";
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) throw std::runtime_error("cannot write " + tmp.string());
  ::close(fd);
  fs::rename(tmp, data / "kato.json");
}

std::optional<State> read_state(const fs::path& data) {
  std::ifstream in(data / "kato.json");
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  State st{j.value("pid", 0L), j.value("port", static_cast<unsigned short>(0)), j.value("domain", ""),
           j.value("api", ""), j.value("ca", ""), j.value("memory", ""), j.value("sandbox", ""), j.value("exe", ""),
           {}, j.value("systemd", false), j.value("upgrades_in_place", false), j.value("generation", 0)};
  if (j.contains("restart_args") && j["restart_args"].is_array())
    for (const auto& a : j["restart_args"])
      if (a.is_string()) st.restart_args.push_back(a);
  return st;
}

namespace {
bool alive(long pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0; }

}  // namespace

// kato runs while it holds its data dir's lock (daemon.cpp takes it for its whole life). A
// process killed with -9 lets go of it as it dies, before it is reaped: its pid alone would still
// answer kill(pid, 0) as a zombie, and `kato status` said "running" for that moment.
bool kato_running(const fs::path& data, const std::optional<State>& st) {
  if (!st || !alive(st->pid)) return false;
  int fd = ::open((data / "kato.lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

fs::path real_place(const fs::path& data, const std::string& part) {
  std::error_code ec;
  fs::path real = fs::canonical(data / part, ec);
  return ec ? data / part : real;
}

std::vector<std::string> start_command(const fs::path& data, const State& st, const std::string& domain) {
  std::vector<std::string> args = {st.exe, "--data", data.string()};
  for (std::size_t i = 0; i < st.restart_args.size(); ++i) {
    const std::string& a = st.restart_args[i];
    if (a == "--foreground") continue;
    args.push_back(a);
    if (a == "--domain" && !domain.empty() && i + 1 < st.restart_args.size()) {
      args.push_back(domain);
      ++i;
    }
  }
  return args;
}

int run_program(const std::vector<std::string>& args, bool quiet) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (quiet) {
      int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      ::dup2(null, 1);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) < 0) return 1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int stop(const fs::path& data) {
  auto st = read_state(data);
  if (!kato_running(data, st)) {
    std::cout << "kato is not running (" << data.string() << ")\n";
    return 0;
  }
  ::kill(static_cast<pid_t>(st->pid), SIGTERM);
  // Room for what kato promised its apps (their drains and the 10 s grace period after
  // SIGTERM) and for the database servers' own clean stop; killed after that, kato takes its
  // instances with it (their parent-death signal).
  constexpr int kStopSeconds = 30;
  for (int i = 0; i < kStopSeconds * 10 && kato_running(data, st); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (kato_running(data, st)) {
    ::kill(static_cast<pid_t>(st->pid), SIGKILL);
    std::cerr << "kato: did not stop within " << kStopSeconds << " s; killed\n";
  }
  std::cout << "kato stopped\n";
  return 0;
}

namespace {
std::string port_of(const fs::path& data, const std::string& server) {
  std::ifstream in(data / "services" / "ports.json");
  auto ports = nlohmann::json::parse(in, nullptr, false);
  return ports.is_object() && ports.contains(server) ? ports[server].dump() : "?";
}
}  // namespace

int status(const fs::path& data) {
  auto st = read_state(data);
  bool running = kato_running(data, st);
  bool serving = running && runner::tcp_answers(st->port);
  std::cout << "kato " << (running ? "running" : "stopped") << " (" << data.string() << ")\n";
  if (running) std::cout << "  pid " << st->pid << ", " << st->api << "\n";
  auto role = [&](const char* name, const char* state) { std::cout << "  " << name << ": " << state << "\n"; };
  // All roles live in the one kato process: they run exactly when it serves.
  const char* state = serving ? "running" : "stopped";
  for (const char* name : {"controller", "token endpoint", "router", "stager", "runner"}) role(name, state);
  if (running && !st->memory.empty()) role("app memory limits", st->memory.c_str());
  if (running && !st->sandbox.empty()) role("app sandbox", st->sandbox.c_str());
  // The database servers are processes of their own, started on first use: their pid files say.
  for (const char* service : {"postgresql", "mysql", "redis"}) {
    fs::path dir = data / "services" / service;
    std::ifstream external(data / "services" / "external.json");
    auto ext = nlohmann::json::parse(external, nullptr, false);
    if (ext.is_object() && ext.contains(service) && ext[service].is_object()) {
      role(service, ("external (" + ext[service].value("host", std::string("127.0.0.1")) + ":" +
                     ext[service].value("port", nlohmann::json(0)).dump() + ")").c_str());
      continue;
    }
    std::ifstream pidfile(dir / "server.pid");
    pid_t pid = 0;
    std::string text = !running ? "stopped"
                       : !(pidfile >> pid) ? (fs::exists(dir) ? "stopped" : "not started (starts on first use)")
                       : alive(pid) ? "running (pid " + std::to_string(pid) + ", port " + port_of(data, service) + ")"
                                    : "down (kato restarts it)";
    role(service, text.c_str());
  }
  role("filesystem", running ? "ready" : "stopped");
  if (std::size_t n = patch::installed_count(data); n > 0) role("patches", (std::to_string(n) + " installed").c_str());
  if (auto pending = patch::pending_roles(data); running && !pending.empty()) {
    std::string roles;
    for (const auto& r : pending) roles += (roles.empty() ? "" : ", ") + r;
    role("restart pending", (roles + ": patched with --no-restart, the old code runs until 'kato restart'").c_str());
  }
  return running ? 0 : 3;
}

int info(const fs::path& data) {
  auto st = read_state(data);
  if (!st) {
    std::cerr << "kato: not running; start it with 'kato start'\n";
    return 1;
  }
  std::cout << "API:      " << st->api << "\n"
            << "Domain:   " << st->domain << "\n"
            << "CA file:  " << st->ca << "\n"
            << "Admin:    admin (password in " << (data / "admin-password").string() << ")\n"
            << "Org/space: kato / dev\n"
            << "Metrics:  " << st->api << "/metrics (bearer token in " << (data / "metrics-token").string() << ")\n";
  return 0;
}

}  // namespace kato::admin

namespace kato::admin {

int set_quota(const fs::path& data, long memory_mb) {
  store::Store store(data / "kato.db");
  store.set_setting("org_memory_quota_mb", std::to_string(memory_mb));
  std::cout << (memory_mb > 0 ? "Organization memory quota: " + std::to_string(memory_mb) + " MB" : std::string("No memory quota")) << "\n";
  return 0;
}

int add_user(const fs::path& data, const std::string& name, const std::vector<std::string>& spaces,
             const std::vector<std::string>& auditor_of) {
  std::string password;
  std::getline(std::cin, password);
  if (password.size() < 8) {
    std::cerr << "kato: add-user reads the password (at least 8 characters) from stdin\n";
    return 2;
  }
  store::Store store(data / "kato.db");
  // Space names to guids; an unknown name is the error (no user is made).
  auto guids_of = [&](const std::vector<std::string>& names, std::vector<std::string>& out) {
    for (const auto& wanted : names) {
      std::string guid;
      for (const auto& sp : store.list("space"))
        if (sp["name"] == wanted) guid = sp["guid"];
      if (guid.empty()) {
        std::cerr << "kato: no space named '" << wanted << "'\n";
        return false;
      }
      out.push_back(guid);
    }
    return true;
  };
  std::vector<std::string> members, audited;
  if (!guids_of(spaces, members) || !guids_of(auditor_of, audited)) return 1;
  for (const auto& u : store.list("user"))
    if (u["name"] == name) {
      std::cerr << "kato: a user named '" << name << "' exists\n";
      return 1;
    }
  std::string user_guid = auth::new_guid(), now = controller::now_iso();
  store.transaction([&] {
    // --space: space_developer roles; --auditor: space_auditor roles.
    store.put("user", {{"guid", user_guid}, {"name", name}, {"_password", auth::hash_password(password)},
                       {"_admin", false}, {"created_at", now}});
    auto grant = [&](const std::string& type, const std::string& space) {
      store.put("role", {{"guid", auth::new_guid()}, {"type", type}, {"_user", user_guid}, {"_space", space},
                         {"created_at", now}, {"updated_at", now}});
    };
    for (const auto& space : members) grant("space_developer", space);
    for (const auto& space : audited) grant("space_auditor", space);
    model::add_org_users_for_space_roles(store);  // as POST /v3/roles does
  });
  std::cout << "Added user " << name << (members.empty() && audited.empty() ? " (no space)" : "") << "\n";
  return 0;
}

}  // namespace kato::admin
