#include "runner/runner.hpp"

#include "runner/cgroup.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "blobs/blobs.hpp"
#include "runner/env.hpp"
#include "runner/process.hpp"
#include "model/model.hpp"
#include "store/store.hpp"

namespace kato::runner {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kGrace = std::chrono::seconds(10);
constexpr auto kDrain = std::chrono::seconds(10);
constexpr int kDefaultStartTimeoutS = 60;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// GET endpoint over HTTP/1.0; healthy on a 2xx status line.
bool http_answers(unsigned short port, const std::string& endpoint, int timeout_s) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::string req = "GET " + endpoint + " HTTP/1.0\r\nHost: localhost\r\nUser-Agent: kato-health\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[64] = {};
      ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
      ok = n >= 12 && std::string(buf, 9).rfind("HTTP/1.", 0) == 0 && buf[9] == '2';
    }
  }
  ::close(fd);
  return ok;
}

struct Usage {
  long ticks = 0, rss = 0;  // CPU ticks and resident bytes
};

// The usage of every process in each of the process groups, in one pass over /proc.
std::map<pid_t, Usage> group_usage(const std::set<pid_t>& pgids) {
  std::map<pid_t, Usage> out;
  static const long page = ::sysconf(_SC_PAGESIZE);
  for (const auto& e : fs::directory_iterator("/proc", fs::directory_options::skip_permission_denied)) {
    const std::string name = e.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream in(e.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    long ppid, pgrp, session, tty, tpgid;
    unsigned long flags, minflt, cminflt, majflt, cmajflt, utime, stime;
    long cutime, cstime, priority, nice, threads, itreal;
    unsigned long long starttime;
    unsigned long vsize;
    long rss_pages;
    rest >> state >> ppid >> pgrp >> session >> tty >> tpgid >> flags >> minflt >> cminflt >> majflt >> cmajflt >>
        utime >> stime >> cutime >> cstime >> priority >> nice >> threads >> itreal >> starttime >> vsize >> rss_pages;
    if (!rest || !pgids.count(static_cast<pid_t>(pgrp))) continue;
    Usage& u = out[static_cast<pid_t>(pgrp)];
    u.ticks += static_cast<long>(utime + stime);
    u.rss += rss_pages * page;
  }
  return out;
}

long dir_bytes(const fs::path& dir) {
  long total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += static_cast<long>(it->file_size(ec));
  }
  return total;
}

}  // namespace

struct Instance {
  std::string app, process_guid, droplet;
  int index = 0;
  // Its directory under the app's and its memory group: the index, or during a rolling
  // deployment "INDEX-TAG" for a new instance that runs beside the old one of that index.
  std::string slot;
  pid_t pgid = 0;
  unsigned short port = 0;
  std::string state = "STARTING";  // STARTING, RUNNING, CRASHED, STOPPING
  Clock::time_point started, deadline, restart_at;
  std::chrono::system_clock::time_point since;
  int crashes = 0;
  bool want = true;
  bool replaced = false;   // a restart was asked for: stats stop calling it RUNNING at once
  bool launching = false;  // launch() is copying and spawning without the lock; terminate() waits
  std::string health_type = "port", endpoint = "/";
  int invocation_timeout = 1;
  fs::path dir;
  int out = -1, err = -1;  // the pipes `output` reads (and closes at their end)
  std::thread output;  // copies stdout/stderr into the log
  long last_ticks = 0;
  Clock::time_point last_sample;
  double cpu = 0;
  long disk = 0;
  Clock::time_point disk_at;
  long memory_mb = 0;
  long oom_kills = 0;  // of its memory group, as last seen
  std::string group() const { return app + "-" + slot; }
};

struct Runner::Impl {
  Impl(store::Store& s, blobs::Blobs& b, std::string d, fs::path r)
      : store(s), blobs(b), domain(std::move(d)), root(std::move(r)) {}
  store::Store& store;
  blobs::Blobs& blobs;
  std::string domain;
  fs::path root;
  // Guards `apps` and every Instance. Never held across slow work (copies, spawns, health
  // checks, drains, /proc scans): the router asks for ports under it on every request.
  std::mutex mutex;
  std::condition_variable wake;   // the monitor's tick; also a launch finishing
  std::map<std::string, std::vector<std::shared_ptr<Instance>>> apps;  // app guid -> instances
  std::map<std::string, long> restarts;  // app guid -> crashes since kato started (monitoring)
  std::set<std::string> canceled;        // apps whose deployment was canceled (deploy_locked)
  std::function<int(unsigned short)> inflight;
  std::atomic<bool> quit{false};
  std::thread monitor;
  std::unique_ptr<MemoryGroups> groups;  // null: RLIMIT_AS instead
  sandbox::Sandbox sandbox;
  bool rlimit_chosen = false;            // --memory-limits rlimit

  // Reconcile work: in order for one app, apps in parallel (an app that takes its grace period
  // to stop must not hold up another's start).
  static constexpr int kWorkers = 4;
  std::mutex queue_mutex;
  std::condition_variable queue_wake;
  struct Task {
    std::string app;
    bool restart = false;
    std::function<void(bool, const std::string&)> deployed;  // set: a rolling deployment
  };
  std::deque<Task> queue;
  std::set<std::string> busy;                      // apps a worker is reconciling
  bool queue_quit = false;
  std::vector<std::thread> workers;

  Spawner* spawner = nullptr;  // forks instances on kato's main thread (runner/spawner.hpp)

  Child spawn_on_spawner(const std::function<Child()>& fork_it) {
    Child child;
    spawner->call([&] { child = fork_it(); });
    return child;
  }

  auto next_task() {
    return std::find_if(queue.begin(), queue.end(), [&](const Task& t) { return !busy.count(t.app); });
  }

  void work() {
    std::unique_lock lock(queue_mutex);
    for (;;) {
      queue_wake.wait(lock, [&] { return queue_quit || next_task() != queue.end(); });
      if (queue_quit) return;
      auto it = next_task();
      Task task = std::move(*it);
      const std::string app = task.app;
      queue.erase(it);
      busy.insert(app);
      lock.unlock();
      {
        std::unique_lock l(mutex);
        try {
          if (task.deployed) deploy_locked(app, l, task.deployed);
          else if (task.restart) reconcile_locked(app, l, true);
          if (!task.deployed) reconcile_locked(app, l, false);
        } catch (const std::exception& e) {
          log(app, 0, std::string("runner: ") + e.what(), true, "CELL");
        }
      }
      lock.lock();
      busy.erase(app);
      queue_wake.notify_all();  // the app's next task, if any, may go now
    }
  }

  void enqueue(Task task) {
    {
      std::lock_guard lock(queue_mutex);
      if (queue_quit) return;
      queue.push_back(std::move(task));
    }
    queue_wake.notify_all();
  }

  void stop_workers() {
    {
      std::lock_guard lock(queue_mutex);
      queue_quit = true;
      queue.clear();
    }
    queue_wake.notify_all();
    for (auto& w : workers)
      if (w.joinable()) w.join();
  }

  void log(const std::string& app, int index, const std::string& text, bool err, const char* source = "APP/PROC/WEB") {
    store.append_log(app, {now_ns(), source, std::to_string(index), err, text});
  }

  // Kill what a previous kato (killed with -9) left running: pids are recorded per instance.
  // Whether pid works in `dir`: its working directory is there (no sandbox), or it is the
  // sandbox made for it (bubblewrap's command line names the directory).
  static bool works_in(pid_t pid, const fs::path& dir) {
    std::error_code ec;
    std::string proc = "/proc/" + std::to_string(pid);
    fs::path cwd = fs::read_symlink(proc + "/cwd", ec);
    if (!ec && cwd.string().rfind(dir.string(), 0) == 0) return true;
    std::ifstream in(proc + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string exe = cmdline.substr(0, cmdline.find('\0'));
    return exe.ends_with("/bwrap") && cmdline.find('\0' + (dir / "app").string() + '\0') != std::string::npos;
  }

  void kill_orphans(const std::set<pid_t>& adopted) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->path().filename() != "pgid") continue;
      std::ifstream in(it->path());
      long pg = 0;
      if (in >> pg && adopted.count(static_cast<pid_t>(pg))) continue;
      if (pg > 0) {
        // Only a process still working in its instance directory is ours: pids get reused.
        if (works_in(static_cast<pid_t>(pg), it->path().parent_path())) signal_group(static_cast<pid_t>(pg), SIGKILL);
      }
      fs::remove(it->path(), ec);
    }
  }

  // CRASHED, to be started again after a back-off that grows while crashes come close together.
  std::chrono::seconds crashed(Instance& inst) {
    if (std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - inst.started).count() > 60) inst.crashes = 0;
    ++inst.crashes;
    ++restarts[inst.app];
    inst.state = "CRASHED";
    inst.since = std::chrono::system_clock::now();
    auto backoff = std::chrono::seconds(std::min(30, 1 << std::min(inst.crashes - 1, 5)));
    inst.restart_at = Clock::now() + backoff;
    return backoff;
  }

  // Called with the lock held; lets go of it while the droplet is copied and the process
  // spawned (terminate() waits for that to end, the monitor leaves the instance alone).
  void launch(const std::shared_ptr<Instance>& inst, const model::App& app, const model::Process& process,
              const model::Droplet& droplet, std::unique_lock<std::mutex>& lock) {
    inst->state = "STARTING";
    inst->replaced = false;
    inst->since = std::chrono::system_clock::now();
    inst->started = Clock::now();
    inst->health_type = process.health.type;
    inst->endpoint = process.health.endpoint;
    inst->invocation_timeout = process.health.invocation_timeout_s;
    inst->deadline = inst->started + std::chrono::seconds(process.health.timeout_s.value_or(kDefaultStartTimeoutS));
    inst->droplet = droplet.guid;
    inst->dir = root / inst->app / inst->slot;
    inst->port = free_port();
    inst->memory_mb = process.memory_mb;
    inst->launching = true;
    lock.unlock();

    Child child;
    std::string failure, command;
    long oom_kills = 0;
    try {
      command = spawn_instance(*inst, app, process, droplet, child, oom_kills);
    } catch (const std::exception& e) {
      failure = e.what();
    }

    lock.lock();
    inst->launching = false;
    wake.notify_all();
    if (!failure.empty()) {
      auto backoff = inst->state == "STARTING" ? crashed(*inst) : std::chrono::seconds(0);
      log(inst->app, inst->index, failure + (backoff.count() ? "; trying again in " + std::to_string(backoff.count()) + " s" : ""),
          true, "CELL");
      return;
    }
    inst->pgid = child.pid;  // stopped at once by terminate() if it came meanwhile
    inst->oom_kills = oom_kills;
    log(inst->app, inst->index, "Starting instance " + std::to_string(inst->index) + " on port " + std::to_string(inst->port) +
                                    ": " + command, false, "CELL");
    start_output(*inst, child.out, child.err);
  }

  // Copies the instance's output into its log, from a thread of its own.
  void start_output(Instance& inst, int out, int err) {
    inst.out = out;
    inst.err = err;
    inst.output = std::thread([this, app_guid = inst.app, index = inst.index, out, err] {
      read_lines(out, err, [&](const std::string& text, bool is_err) { log(app_guid, index, text, is_err); });
    });
  }

  // An instance the previous image handed over: running still, and a child of this process.
  void adopt(const Handover& h) {
    int status = 0;
    if (h.pgid <= 1 || ::waitpid(h.pgid, &status, WNOHANG) != 0) return;  // gone, or not our child
    auto inst = std::make_shared<Instance>();
    inst->app = h.app;
    inst->process_guid = h.process_guid;
    inst->droplet = h.droplet;
    inst->index = h.index;
    inst->slot = h.slot.empty() ? std::to_string(h.index) : h.slot;
    inst->pgid = h.pgid;
    inst->port = h.port;
    inst->state = h.running ? "RUNNING" : "STARTING";
    inst->since = std::chrono::system_clock::time_point(std::chrono::milliseconds(h.since_ms));
    inst->started = Clock::now();
    inst->crashes = h.crashes;
    inst->memory_mb = h.memory_mb;
    inst->dir = root / inst->app / inst->slot;
    model::Model m(store);
    std::optional<model::Process> process = m.process(h.process_guid);
    if (process) {
      inst->health_type = process->health.type;
      inst->endpoint = process->health.endpoint;
      inst->invocation_timeout = process->health.invocation_timeout_s;
    }
    inst->deadline = inst->started + std::chrono::seconds(process ? process->health.timeout_s.value_or(kDefaultStartTimeoutS)
                                                                   : kDefaultStartTimeoutS);
    if (groups) inst->oom_kills = groups->oom_kills(inst->group());
    if (h.out >= 0 && h.err >= 0) start_output(*inst, h.out, h.err);
    log(inst->app, inst->index, "Instance " + std::to_string(inst->index) + " (pid " + std::to_string(inst->pgid) +
                                    ") kept running across kato's upgrade", false, "CELL");
    apps[inst->app].push_back(std::move(inst));
  }


  // The slow part of launch(), without the lock: a fresh copy of the droplet, the memory
  // group, the process. Reads only fields launch() set. Returns the command; throws with the
  // reason the instance cannot start.
  std::string spawn_instance(const Instance& inst, const model::App& app, const model::Process& process,
                             const model::Droplet& droplet, Child& child,
                             long& oom_kills) {
    std::error_code ec;
    fs::remove_all(inst.dir, ec);
    fs::create_directories(inst.dir);
    fs::copy(blobs.droplet(inst.droplet) / "app", inst.dir / "app",
             fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    if (ec) throw std::runtime_error("cannot prepare the instance: " + ec.message());
    sandbox.hand_over(inst.dir / "app");
    Env env = app_env(store, app, domain, (inst.dir / "app").string());
    env["PORT"] = env["VCAP_APP_PORT"] = std::to_string(inst.port);
    env["CF_INSTANCE_INDEX"] = env["INSTANCE_INDEX"] = std::to_string(inst.index);
    env["CF_INSTANCE_GUID"] = inst.process_guid + "-" + std::to_string(inst.index);

    // pre-running hooks, then the command; all in the instance's process group.
    std::string script;
    for (const auto& hook : droplet.pre_running) {
      bool tolerant = !hook.empty() && hook[0] == '-';
      script += (tolerant ? "(" + hook.substr(1) + ") || true" : "(" + hook + ") || exit $?") + "\n";
    }
    std::string command = process.command.value_or(droplet.process_types.count("web") ? droplet.process_types.at("web") : "");
    // A simple command replaces the shell (signals reach it directly); a compound one
    // ("a; b", "a && b") must keep the shell, or only its first part would run.
    bool compound = command.find_first_of(";&|\n") != std::string::npos;
    script += (compound ? "" : "exec ") + command + "\n";

    // The memory limit: the instance's memory group where there is one; else its address
    // space, with room for code and libraries.
    std::string procs;
    if (groups) {
      try {
        procs = groups->prepare(inst.group(), inst.memory_mb);
        oom_kills = groups->oom_kills(inst.group());
      } catch (const std::exception& e) {
        log(inst.app, inst.index, std::string(e.what()) + "; limiting address space instead", true, "CELL");
      }
    }
    try {
      sandbox::Policy policy{inst.dir / "app", {{inst.dir / "app", true}}, true};
      for (const auto& v : volume_dirs(store, inst.app)) policy.binds.push_back({v, true});
      sandbox::Launch launch = sandbox.prepare(policy, script);
      std::optional<long> address_space = procs.empty() ? std::optional<long>(inst.memory_mb + 128) : std::nullopt;
      child = spawn_on_spawner([&] { return spawn(launch, env, address_space, procs); });
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("cannot start the instance: ") + e.what());
    }
    std::ofstream(inst.dir / "pgid") << child.pid << "\n";
    return command;
  }

  // Stops instances together (an app's instances share one grace period, not one each): waits
  // for their in-flight requests, then SIGTERM, the grace period, SIGKILL of each whole group.
  // The lock is let go while waiting; the monitor leaves STOPPING instances alone, so their
  // pids are this function's to reap.
  void terminate(const std::vector<std::shared_ptr<Instance>>& insts, std::unique_lock<std::mutex>& lock) {
    for (const auto& inst : insts) inst->state = "STOPPING";
    wake.wait(lock, [&] { return std::none_of(insts.begin(), insts.end(), [](const auto& i) { return i->launching; }); });
    struct Victim {
      Instance* inst;
      pid_t pgid;
      unsigned short port;
      bool reaped = false;
    };
    std::vector<Victim> victims;
    for (const auto& inst : insts)
      if (inst->pgid > 1) victims.push_back({inst.get(), inst->pgid, inst->port});
    if (!victims.empty()) {
      auto in_flight = inflight;  // set_inflight() may change it while the lock is let go
      lock.unlock();
      auto draining = [&] {
        return std::any_of(victims.begin(), victims.end(), [&](const Victim& v) { return in_flight(v.port) > 0; });
      };
      auto until = Clock::now() + kDrain;
      while (in_flight && draining() && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      for (const auto& v : victims) signal_group(v.pgid, SIGTERM);
      auto reap = [&](int flags) {
        bool all = true;
        for (auto& v : victims) {
          int status = 0;
          if (!v.reaped) v.reaped = ::waitpid(v.pgid, &status, flags) == v.pgid;
          all = all && v.reaped;
        }
        return all;
      };
      until = Clock::now() + kGrace;
      while (!reap(WNOHANG) && Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      for (const auto& v : victims) signal_group(v.pgid, SIGKILL);  // the rest of each group, or all of it
      reap(0);
      // Nobody else touches a STOPPING instance; the pipes may outlive the group (a daemon
      // that left it), so this wait must not hold the lock.
      for (const auto& v : victims)
        if (v.inst->output.joinable()) v.inst->output.join();
      lock.lock();
    }
    for (const auto& inst : insts) {
      if (inst->output.joinable()) inst->output.join();
      std::error_code ec;
      fs::remove(inst->dir / "pgid", ec);
      if (groups) groups->remove(inst->group());
      inst->pgid = 0;
      log(inst->app, inst->index, "Stopped instance " + std::to_string(inst->index), false, "CELL");
    }
  }

  // kill(-0) or kill(-1) would hit kato's own group or every process: never.
  static void signal_group(pid_t pgid, int sig) {
    if (pgid > 1) ::kill(-pgid, sig);
  }

  // Desired instances of an app: (web process, its instance count, the droplet) or nothing.
  void reconcile_locked(const std::string& app_guid, std::unique_lock<std::mutex>& lock, bool restart_all) {
    model::Model m(store);
    auto app = m.app(app_guid);
    std::optional<model::Process> process;
    std::optional<model::Droplet> droplet;
    long want = 0;
    if (app && app->runnable()) {
      process = m.web_process(app_guid);
      droplet = m.droplet(app->droplet_guid);
      if (process && droplet) want = process->instances;
    }
    auto& list = apps[app_guid];
    // Stop instances beyond the count, of another droplet, or all of them on restart.
    std::vector<std::shared_ptr<Instance>> keep, stale;
    for (auto& inst : list) {
      bool old = restart_all || inst->index >= want || (want > 0 && inst->droplet != droplet->guid);
      (old ? stale : keep).push_back(inst);
      if (old) inst->want = false;
    }
    terminate(stale, lock);
    list = keep;
    for (long i = 0; i < want; ++i) {
      bool have = std::any_of(list.begin(), list.end(), [&](const auto& x) { return x->index == i; });
      if (have) continue;
      auto inst = std::make_shared<Instance>();
      inst->app = app_guid;
      inst->process_guid = process->guid;
      inst->index = static_cast<int>(i);
      inst->slot = std::to_string(i);
      list.push_back(inst);
      launch(inst, *app, *process, *droplet, lock);
    }
    if (list.empty()) apps.erase(app_guid);
  }

  // A rolling deployment: the app's instances of its current droplet start beside the ones
  // that serve now (the router sends requests to both once the new ones are RUNNING), then the
  // old ones drain and stop. A new instance that crashes or is not healthy in time, or a cancel,
  // stops the new ones instead: the old ones never stopped serving.
  void deploy_locked(const std::string& app_guid, std::unique_lock<std::mutex>& lock,
                     const std::function<void(bool, const std::string&)>& deployed) {
    model::Model m(store);
    auto app = m.app(app_guid);
    auto process = app ? m.web_process(app_guid) : std::nullopt;
    auto droplet = app ? m.droplet(app->droplet_guid) : std::nullopt;
    canceled.erase(app_guid);
    std::vector<std::shared_ptr<Instance>> old;
    if (auto it = apps.find(app_guid); it != apps.end()) old = it->second;
    if (!app || !app->runnable() || !process || !droplet || old.empty()) {
      reconcile_locked(app_guid, lock, false);  // nothing serves yet: a plain start
      lock.unlock();
      deployed(true, "");
      lock.lock();
      return;
    }
    // Unique across kato's lives too (instances adopted in an upgrade keep their slots).
    const std::string tag = "-" + std::to_string(now_ns() / 1000000);
    std::vector<std::shared_ptr<Instance>> fresh;
    for (long i = 0; i < process->instances; ++i) {
      auto inst = std::make_shared<Instance>();
      inst->app = app_guid;
      inst->process_guid = process->guid;
      inst->index = static_cast<int>(i);
      inst->slot = std::to_string(i) + tag;
      apps[app_guid].push_back(inst);
      fresh.push_back(inst);
      launch(inst, *app, *process, *droplet, lock);
    }
    log(app_guid, 0, "Deploying " + std::to_string(fresh.size()) + " new instances beside " + std::to_string(old.size()) +
                         " running ones", false, "CELL");
    std::string why = await_running(app_guid, fresh, process->health.timeout_s.value_or(kDefaultStartTimeoutS), lock);
    auto& retired = why.empty() ? old : fresh;
    for (const auto& inst : retired) inst->want = false;
    terminate(retired, lock);
    auto& list = apps[app_guid];
    for (const auto& inst : retired) {
      list.erase(std::remove(list.begin(), list.end(), inst), list.end());
      std::error_code ec;
      fs::remove_all(inst->dir, ec);
    }
    if (list.empty()) apps.erase(app_guid);
    log(app_guid, 0, why.empty() ? "Deployed: the new instances serve, the old ones stopped"
                                 : "Deployment canceled: " + why + "; the previous instances serve on",
        !why.empty(), "CELL");
    lock.unlock();
    deployed(why.empty(), why);
    lock.lock();
  }

  // Until every instance of `fresh` is RUNNING: "" then, else why not (a crash, the health
  // check's time passed, a cancel).
  std::string await_running(const std::string& app_guid, const std::vector<std::shared_ptr<Instance>>& fresh,
                            long timeout_s, std::unique_lock<std::mutex>& lock) {
    // The monitor kills an instance not healthy within timeout_s (a crash): this is a backstop.
    auto until = Clock::now() + std::chrono::seconds(timeout_s + 30);
    for (;;) {
      bool all = true;
      for (const auto& inst : fresh) {
        if (inst->crashes > 0 || inst->state == "CRASHED")
          return "new instance " + std::to_string(inst->index) + " crashed";
        all = all && inst->state == "RUNNING";
      }
      if (all) return "";
      if (canceled.count(app_guid)) return "canceled";
      if (Clock::now() > until) return "the new instances were not healthy within " + std::to_string(timeout_s) + " s";
      wake.wait_for(lock, std::chrono::milliseconds(100));
    }
  }

  // Health checks, crash detection and restarts with back-off. Health checks run without the
  // lock and side by side: an http check may wait its invocation timeout.
  void tick() {
    struct Check {
      std::shared_ptr<Instance> inst;
      pid_t pgid;
      std::string type, endpoint;
      unsigned short port;
      int timeout;
      bool healthy = false;
    };
    std::vector<Check> checks;
    std::vector<std::shared_ptr<Instance>> relaunch;
    std::vector<std::thread> readers;  // output threads of exited instances, joined without the lock
    std::unique_lock lock(mutex);
    for (auto& [app_guid, list] : apps) {
      for (auto& inst : list) {
        if (inst->state == "STOPPING" || inst->launching) continue;  // terminate() or launch() owns it
        if (inst->pgid > 0) {
          int status = 0;
          pid_t r = ::waitpid(inst->pgid, &status, WNOHANG);
          if (r == inst->pgid) {
            signal_group(inst->pgid, SIGKILL);
            inst->pgid = 0;
            if (inst->output.joinable()) readers.push_back(std::move(inst->output));
            int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
            auto backoff = crashed(*inst);
            std::string why;
            if (groups) {
              long ooms = groups->oom_kills(inst->group());
              if (ooms > inst->oom_kills) why = " (out of memory: its limit is " + std::to_string(inst->memory_mb) + " MB)";
              inst->oom_kills = ooms;
            }
            log(app_guid, inst->index, "App instance exited with status " + std::to_string(code) + why + "; restarting in " +
                                           std::to_string(backoff.count()) + " s", true, "CELL");
            continue;
          }
        }
        if (inst->state == "STARTING" && inst->pgid > 0)
          checks.push_back({inst, inst->pgid, inst->health_type, inst->endpoint, inst->port, inst->invocation_timeout});
        if (inst->state == "CRASHED" && inst->want && Clock::now() >= inst->restart_at) relaunch.push_back(inst);
      }
    }
    lock.unlock();

    for (auto& t : readers) t.join();
    auto probe = [](const Check& c) {
      return c.type == "process" || (c.type == "http" ? http_answers(c.port, c.endpoint, c.timeout) : tcp_answers(c.port));
    };
    if (checks.size() == 1) {
      checks[0].healthy = probe(checks[0]);
    } else {
      std::vector<std::future<bool>> answers;
      for (const auto& c : checks) answers.push_back(std::async(std::launch::async, probe, std::cref(c)));
      for (std::size_t i = 0; i < checks.size(); ++i) checks[i].healthy = answers[i].get();
    }

    lock.lock();
    for (const auto& c : checks) {
      auto& inst = c.inst;
      if (inst->state != "STARTING" || inst->pgid != c.pgid) continue;  // stopped or crashed meanwhile
      if (c.healthy) {
        inst->state = "RUNNING";
        inst->since = std::chrono::system_clock::now();
        log(inst->app, inst->index, "Instance " + std::to_string(inst->index) + " is running", false, "CELL");
      } else if (Clock::now() > inst->deadline) {
        log(inst->app, inst->index, "Instance " + std::to_string(inst->index) + " failed its " + inst->health_type +
                                        " health check in time; killing it", true, "CELL");
        signal_group(inst->pgid, SIGKILL);  // reaped as a crash on the next tick
      }
    }
    for (const auto& inst : relaunch) {
      if (inst->state != "CRASHED" || !inst->want || inst->launching) continue;  // stopped meanwhile
      model::Model m(store);
      auto app = m.app(inst->app);
      auto droplet = app ? m.droplet(app->droplet_guid) : std::nullopt;
      auto process = m.process(inst->process_guid);
      if (app && droplet && process) launch(inst, *app, *process, *droplet, lock);
    }
  }

  void loop() {
    while (!quit) {
      tick();
      std::unique_lock lock(mutex);
      wake.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
};

Runner::Runner(store::Store& store, blobs::Blobs& blobs, std::string domain, fs::path root, Spawner& spawner,
               MemoryLimits limits, sandbox::Sandbox sandbox, std::vector<Handover> adopted)
    : impl_(std::make_unique<Impl>(store, blobs, std::move(domain), std::move(root))) {
  impl_->sandbox = std::move(sandbox);
  impl_->spawner = &spawner;
  fs::create_directories(impl_->root);
  // One group name per data directory: stable across restarts, distinct between katos.
  if (limits != MemoryLimits::Rlimit)
    impl_->groups = MemoryGroups::detect(std::to_string(std::hash<std::string>{}(fs::absolute(impl_->root).string()) % 1000000007));
  impl_->rlimit_chosen = limits == MemoryLimits::Rlimit;
  if (limits == MemoryLimits::Cgroup && !impl_->groups)
    throw std::runtime_error(
        "--memory-limits cgroup: no memory cgroup kato can write (cgroup v2: the memory controller "
        "must be delegated to kato's group; cgroup v1: the memory hierarchy must be writable)");
  std::set<pid_t> kept;
  for (const auto& h : adopted) kept.insert(h.pgid);
  impl_->kill_orphans(kept);
  for (const auto& h : adopted) impl_->adopt(h);
  impl_->monitor = std::thread([this] { impl_->loop(); });
  for (int i = 0; i < Impl::kWorkers; ++i) impl_->workers.emplace_back([this] { impl_->work(); });
}

Runner::~Runner() {
  stop_all();
  impl_->quit = true;
  impl_->wake.notify_all();
  if (impl_->monitor.joinable()) impl_->monitor.join();
}

std::vector<Handover> Runner::hand_over() {
  impl_->stop_workers();
  impl_->quit = true;
  impl_->wake.notify_all();
  if (impl_->monitor.joinable()) impl_->monitor.join();
  std::unique_lock lock(impl_->mutex);
  impl_->wake.wait(lock, [&] {
    for (const auto& [app, list] : impl_->apps)
      for (const auto& inst : list)
        if (inst->launching) return false;
    return true;
  });
  std::vector<Handover> out;
  for (const auto& [app, list] : impl_->apps)
    for (const auto& inst : list) {
      if (inst->pgid <= 1 || (inst->state != "RUNNING" && inst->state != "STARTING")) continue;
      auto since = std::chrono::duration_cast<std::chrono::milliseconds>(inst->since.time_since_epoch()).count();
      out.push_back({inst->app, inst->process_guid, inst->droplet, inst->index, inst->pgid, inst->port, inst->out, inst->err,
                     inst->state == "RUNNING" && !inst->replaced, since, inst->memory_mb, inst->crashes, inst->slot});
    }
  return out;
}

void Runner::stop_all() {
  impl_->stop_workers();  // no reconcile starts an instance behind our back
  std::unique_lock lock(impl_->mutex);
  impl_->inflight = nullptr;  // the router may already be gone
  std::vector<std::shared_ptr<Instance>> all;
  for (auto& [app, list] : impl_->apps)
    for (auto& inst : list) {
      inst->want = false;
      all.push_back(inst);
    }
  impl_->apps.clear();
  impl_->terminate(all, lock);  // one drain and one grace period for all
}

void Runner::reconcile(const std::string& app_guid) { impl_->enqueue({app_guid, false, nullptr}); }

void Runner::deploy(const std::string& app_guid, std::function<void(bool, const std::string&)> deployed) {
  impl_->enqueue({app_guid, false, std::move(deployed)});
}

void Runner::cancel_deployment(const std::string& app_guid) {
  std::lock_guard lock(impl_->mutex);
  impl_->canceled.insert(app_guid);
  impl_->wake.notify_all();
}

void Runner::restart(const std::string& app_guid) {
  // The app's worker may be busy for a while (stopping it after a scale down takes up to the
  // grace period); until the restart gets its turn the old instances still serve, but stats must
  // not call them RUNNING or a client waiting for the restart (push, set-env --restart) would
  // take them for the new ones and return early.
  {
    std::lock_guard lock(impl_->mutex);
    if (auto it = impl_->apps.find(app_guid); it != impl_->apps.end())
      for (auto& inst : it->second) inst->replaced = true;
  }
  impl_->enqueue({app_guid, true, nullptr});
}

void Runner::set_inflight(std::function<int(unsigned short)> inflight) {
  std::lock_guard lock(impl_->mutex);
  impl_->inflight = std::move(inflight);
}

void Runner::ports(const std::string& app_guid, const std::string& type, std::vector<unsigned short>& out) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->apps.find(app_guid);
  if (it == impl_->apps.end() || type != "web") return;
  for (const auto& inst : it->second)
    if (inst->state == "RUNNING" && inst->pgid > 0) out.push_back(inst->port);
}

std::string Runner::memory_limits() const {
  if (impl_->groups) return impl_->groups->describe();
  return impl_->rlimit_chosen ? "RLIMIT_AS (address space: --memory-limits rlimit)"
                              : "RLIMIT_AS (address space: no writable memory cgroup)";
}

std::vector<Runner::Census> Runner::census() {
  std::lock_guard lock(impl_->mutex);
  std::vector<Census> out;
  for (const auto& [app, list] : impl_->apps) {
    Census c{app};
    for (const auto& inst : list) {
      if (!inst->want) continue;
      c.running += inst->state == "RUNNING" && !inst->replaced ? 1 : 0;
      c.crashed += inst->state == "CRASHED" ? 1 : 0;
    }
    out.push_back(c);
  }
  for (auto& c : out)
    if (auto it = impl_->restarts.find(c.app); it != impl_->restarts.end()) c.restarts = it->second;
  return out;
}

json Runner::stats(const model::Process& process) {
  // /proc and the instance directories are read without the lock: the router needs it.
  struct Sample {
    std::shared_ptr<Instance> inst;
    pid_t pgid;
    fs::path dir;
    long disk = -1;  // -1: not measured this time (every 10 s at most)
  };
  std::vector<Sample> samples;
  std::set<pid_t> pgids;
  auto now = Clock::now();
  {
    std::lock_guard lock(impl_->mutex);
    if (auto it = impl_->apps.find(process.app_guid); it != impl_->apps.end())
      for (auto& inst : it->second)
        if (inst->pgid > 0) {
          samples.push_back({inst, inst->pgid, now - inst->disk_at > std::chrono::seconds(10) ? inst->dir : fs::path()});
          pgids.insert(inst->pgid);
        }
  }
  auto usage = group_usage(pgids);
  for (auto& smp : samples)
    if (!smp.dir.empty()) smp.disk = dir_bytes(smp.dir);

  std::lock_guard lock(impl_->mutex);
  json out = json::array();
  long desired = process.instances;
  auto it = impl_->apps.find(process.app_guid);
  static const long hz = ::sysconf(_SC_CLK_TCK);
  for (long i = 0; i < desired; ++i) {
    json entry = {{"type", process.type}, {"index", i}, {"state", "DOWN"}, {"routable", nullptr},
                  {"usage", json::object()}, {"host", ""}, {"instance_internal_ip", "127.0.0.1"},
                  {"instance_ports", json::array()}, {"uptime", 0},
                  {"mem_quota", process.memory_mb << 20},
                  {"disk_quota", process.disk_mb << 20}, {"log_rate_limit", -1},
                  {"fds_quota", 16384}, {"isolation_segment", nullptr}, {"details", nullptr}};
    if (it != impl_->apps.end())
      for (auto& inst : it->second) {
        if (inst->index != i) continue;
        entry["state"] = inst->state == "STOPPING" || inst->replaced ? "DOWN" : inst->state;
        entry["routable"] = inst->state == "RUNNING";
        entry["host"] = "127.0.0.1";
        entry["instance_ports"] = {{{"external", inst->port}, {"internal", inst->port}}};
        entry["uptime"] = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - inst->since).count();
        auto smp = std::find_if(samples.begin(), samples.end(), [&](const Sample& x) { return x.inst == inst; });
        if (inst->pgid <= 0 || smp == samples.end() || smp->pgid != inst->pgid) continue;  // not the process sampled
        Usage u = usage[inst->pgid];
        double secs = std::chrono::duration<double>(now - inst->last_sample).count();
        if (inst->last_sample != Clock::time_point{} && secs > 0)
          inst->cpu = static_cast<double>(u.ticks - inst->last_ticks) / static_cast<double>(hz) / secs;
        inst->last_ticks = u.ticks;
        inst->last_sample = now;
        if (smp->disk >= 0) {
          inst->disk = smp->disk;
          inst->disk_at = now;
        }
        entry["usage"] = {{"time", ""}, {"cpu", inst->cpu}, {"cpu_entitlement", nullptr}, {"mem", u.rss},
                          {"disk", inst->disk}, {"log_rate", 0}};
      }
    out.push_back(entry);
  }
  return out;
}

}  // namespace kato::runner
