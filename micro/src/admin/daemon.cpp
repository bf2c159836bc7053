// `kato start`: set up the data dir on first start, then serve until SIGTERM.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <csignal>
#include <boost/asio/ssl/context.hpp>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include "admin/admin.hpp"
#include "admin/takeover.hpp"
#include "admin/upgrade.hpp"
#include "patch/patcher.hpp"
#include "admin/state.hpp"
#include "auth/tokens.hpp"
#include "blobs/blobs.hpp"
#include "router/router.hpp"
#include "brokers/brokers.hpp"
#include "exec/exec.hpp"
#include "runner/runner.hpp"
#include "runner/spawner.hpp"
#include "stager/stager.hpp"
#include "controller/controller.hpp"
#include "metrics/metrics.hpp"
#include "stackato/net/tls_stream.hpp"
#include "http/server.hpp"
#include "pki/pki.hpp"
#include "store/store.hpp"

namespace kato::admin {

namespace fs = std::filesystem;

namespace {

void write_private(const fs::path& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw std::runtime_error("cannot write " + path.string());
  ::close(fd);
}

// The token a Prometheus scraper (and `kato check`) sends for GET /metrics: made at the first
// start, kept 0600 in the data dir beside the admin password.
std::string metrics_token(const fs::path& data) {
  fs::path file = data / "metrics-token";
  std::string token;
  if (std::ifstream in(file); in) std::getline(in, token);
  if (token.size() < 32) {
    token = auth::random_hex(24);
    write_private(file, token + "\n");
  }
  return token;
}

// Everything from "the data dir exists" to "serving"; `ready` is told the outcome.
int serve(const StartOptions& o, int ready_fd) {
  // A server never dies of a peer going away: writes to a closed pipe (a command's stdin, a
  // tool's) are EPIPE errors. Set before any thread starts; children get the default back.
  ::signal(SIGPIPE, SIG_IGN);
  auto tell = [&](const std::string& line) {
    if (ready_fd >= 0) {
      std::string l = line + "\n";
      (void)!::write(ready_fd, l.data(), l.size());
      ::close(ready_fd);
      ready_fd = -1;
    }
  };
  // Everything kato writes is its own alone (the state database with the token key, blobs,
  // logs); what others must read is opened up one by one (helpers, an app's own directory).
  ::umask(077);
  try {
    fs::create_directories(o.data);
    fs::permissions(o.data, fs::perms::owner_all, fs::perm_options::replace);
    // Files made by an older kato before the umask: the state database and its journals.
    for (const char* f : {"kato.db", "kato.db-wal", "kato.db-shm", "kato.log", "kato.json"})
      if (std::error_code ec; fs::exists(o.data / f, ec))
        fs::permissions(o.data / f, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
    // An in-place upgrade's new image: what the previous one handed over (admin/takeover.hpp).
    Takeover handed;
    if (!o.takeover.empty()) handed = read_takeover(o.takeover);
    // O_CLOEXEC: a child that kept the lock (a database server) would make kato look alive.
    // After an upgrade, the lock is the inherited descriptor: it never let go of the data dir.
    int lock = handed.lock_fd >= 0 ? handed.lock_fd : ::open((o.data / "kato.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock >= 0) ::fcntl(lock, F_SETFD, FD_CLOEXEC);
    if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
      auto st = read_state(o.data);
      throw std::runtime_error("kato is already running on " + o.data.string() +
                               (st ? " (pid " + std::to_string(st->pid) + ", " + st->api + ")" : ""));
    }

    auto files = pki::ensure(o.data / "tls", o.domain);
    store::Store store(o.data / "kato.db");
    auto key = store.setting("jwt_key");
    if (!key) {
      key = auth::random_hex(32);
      store.set_setting("jwt_key", *key);
    }
    // The admin password matters only on the first start, when the admin user is made.
    std::string password, generated;
    if (store.list("user").empty()) {
      password = o.admin_password.value_or("");
      if (const char* env = std::getenv("KATO_ADMIN_PASSWORD"); password.empty() && env) password = env;
      if (password.empty()) password = generated = auth::random_hex(12);
      write_private(o.data / "admin-password", password + "\n");
    }
    controller::Config config;
    config.domain = o.domain;
    controller::Controller::bootstrap(store, config, "admin", password);

    // One io_context per thread: a connection stays on its thread, with no shared scheduler.
    unsigned threads = std::max(2u, std::thread::hardware_concurrency());
    if (const char* t = std::getenv("KATO_THREADS"); t && std::atoi(t) > 0) threads = static_cast<unsigned>(std::atoi(t));
    std::vector<std::unique_ptr<boost::asio::io_context>> ios;
    std::vector<boost::asio::io_context*> workers;
    for (unsigned i = 0; i < threads; ++i) {
      ios.push_back(std::make_unique<boost::asio::io_context>(1));
      workers.push_back(ios.back().get());
    }
    boost::asio::io_context& io = *ios.front();
    boost::asio::ssl::context tls(boost::asio::ssl::context::tls_server);
    tls.set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                    boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                    boost::asio::ssl::context::no_tlsv1_1);
    tls.use_certificate_chain_file(files.cert.string());
    tls.use_private_key_file(files.key.string(), boost::asio::ssl::context::pem);
    pki::Issuer issuer(files, o.domain);
    issuer.attach(tls.native_handle());
    stackato::net::prefer_fast_ciphers(tls.native_handle());

    auth::Tokens tokens(*key, "https://api." + o.domain + "/oauth/token", std::chrono::seconds(o.token_ttl));
    // A part moved by `kato relocate` is a link to its new place: kato works on the place itself.
    auto place = [&](const char* part) {
      std::error_code ec;
      fs::create_directories(o.data / part, ec);
      return real_place(o.data, part);
    };
    const fs::path instances = place("instances");
    blobs::Blobs blobs(place("blobs"));
    // Apps never run unsandboxed unless the operator says so.
    sandbox::Sandbox sandbox = sandbox::Sandbox::none();
    if (!o.no_sandbox) {
      try {
        sandbox = sandbox::Sandbox::bubblewrap({fs::absolute(o.data)});
        sandbox.probe();
      } catch (const std::exception& e) {
        throw std::runtime_error(std::string("cannot sandbox apps: ") + e.what() +
                                 " (kato start --no-sandbox runs them without one, as kato's own user)");
      }
    }
    // Instances are forked by this thread, the main one (runner/spawner.hpp): it runs the
    // spawner's loop below, and execs in an upgrade.
    runner::Spawner spawner;
    runner::Runner runner(store, blobs, o.domain, instances, spawner,
                          o.memory_limits == "cgroup"   ? runner::MemoryLimits::Cgroup
                          : o.memory_limits == "rlimit" ? runner::MemoryLimits::Rlimit
                                                        : runner::MemoryLimits::Auto,
                          sandbox, handed.instances);
    metrics::Metrics metrics;
    stager::Stager stager(store, blobs, o.domain, sandbox);
    stager.set_metrics(&metrics);
    router::Router router(store, runner, o.domain, &metrics);
    runner.set_inflight([&router](unsigned short port) { return router.inflight(port); });
    brokers::Brokers brokers(place("services"));
    config.data_dir = o.data.string();
    config.metrics_token = metrics_token(o.data);
    controller::Controller api(store, tokens, config, {&blobs, &stager, &runner, &brokers, &metrics});
    exec::install_helpers(o.data / "helpers");
    patch::overlay_helpers(o.data, o.data / "helpers");  // installed patches' helpers on top
    patch::restarted(o.data);                           // every role now runs what is installed
    exec::Exec exec(store, tokens, o.domain, instances, o.data / "helpers", sandbox, o.data);
    http::Server server(workers, tls, {o.listen, o.port, handed.listen_fd}, [&](http::Request& req) {
      // Hosts the router does not want (api.<domain>, localhost, an IP) are the API's.
      return api.handle(req);
    }, &router, {}, &exec);
    server.start();
    // Apps that were STARTED come back: those bound to a service once the database servers are
    // up again (queued behind the servers' resumes), so that their first requests find them;
    // the others at once.
    std::vector<std::string> after_services;
    const auto bindings = store.list("binding");
    for (const auto& app : store.list("app")) {
      if (app["state"] != "STARTED") continue;
      bool bound = std::any_of(bindings.begin(), bindings.end(), [&](const auto& b) { return b["_app"] == app["guid"]; });
      if (bound) after_services.push_back(app["guid"]);
      else runner.reconcile(app["guid"]);
    }
    brokers.submit([&runner, after_services] {
      for (const auto& guid : after_services) runner.reconcile(guid);
    });

    std::error_code ec;
    std::vector<std::string> again = {"start", "--port", std::to_string(server.port()), "--listen", o.listen,
                                      "--domain", o.domain, "--token-ttl", std::to_string(o.token_ttl),
                                      "--memory-limits", o.memory_limits};
    if (o.no_sandbox) again.push_back("--no-sandbox");
    if (o.foreground) again.push_back("--foreground");
    const char* invocation = std::getenv("INVOCATION_ID");  // set by systemd for its services
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);  // the path a patch replaces
    State st{::getpid(), server.port(), o.domain, "https://api." + o.domain + ":" + std::to_string(server.port()),
             files.ca_cert.string(), runner.memory_limits(), sandbox.describe(),
             exe.string(), again, o.foreground && invocation && *invocation,
             true, o.takeover.empty() ? 0 : handed.generation + 1};
    auto shut_down = [&] {
      server.stop();
      for (auto* w : workers) w->stop();
    };
    boost::asio::signal_set signals(io, SIGTERM, SIGINT);
    signals.async_wait([&](const boost::system::error_code&, int) { shut_down(); });
    // SIGUSR2: an in-place upgrade (admin/upgrade.hpp), on a thread of its own: it waits for
    // requests that these io threads serve.
    boost::asio::signal_set upgrade_signal(io, SIGUSR2);
    std::thread upgrader;
    std::function<void()> await_upgrade = [&] {
      upgrade_signal.async_wait([&](const boost::system::error_code& e, int) {
        if (e || upgrader.joinable()) return;
        upgrader = std::thread([&] {
          auto outcome = upgrade({server, stager, brokers, runner, spawner, o.data, exe, again, lock, st.generation});
          boost::asio::post(io, [&, outcome] {
            upgrader.join();
            if (outcome == UpgradeOutcome::Failed) shut_down();
            else await_upgrade();
          });
        });
      });
    };
    await_upgrade();
    write_state(o.data, st);  // once SIGUSR2 is handled: `kato restart` may send it from now on
    std::string ready = "ready " + std::to_string(server.port());
    if (!generated.empty()) ready += " " + generated;
    tell(ready);

    // Idle workers must not return before there is work: keep them alive until stopped.
    std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> keep;
    for (auto* w : workers) keep.push_back(boost::asio::make_work_guard(*w));
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([w = workers[i]] { w->run(); });
    std::thread first([&] {
      io.run();
      router.close_idle();  // this thread's pooled connections, before the io_contexts go
      for (auto& t : pool) t.join();
      if (upgrader.joinable()) upgrader.join();
      // Builds end before the controller and the brokers go (a build waits for its services'
      // servers through them); ~Stager would wait for them as long, only later.
      while (!stager.wait_idle(std::chrono::seconds(60))) {
      }
      runner.stop_all();  // before the router and the rest go away
      brokers.stop_all();  // after the apps that use them
      spawner.stop();
    });
    spawner.run();  // until `first` is done, or an upgrade's execve
    first.join();
    fs::remove(o.data / "kato.json");
    return 0;
  } catch (const std::exception& e) {
    if (ready_fd >= 0) {
      tell(std::string("error ") + e.what());
    } else {
      std::cerr << "kato: " << e.what() << "\n";
    }
    return 1;
  }
}

void print_started(const StartOptions& o, unsigned short port, const std::string& generated) {
  std::string api = "https://api." + o.domain + ":" + std::to_string(port);
  std::cout << "kato is running.\n"
            << "  API:      " << api << "\n"
            << "  CA file:  " << (o.data / "tls" / "ca.pem").string() << "\n"
            << "  Data dir: " << o.data.string() << "\n";
  if (!generated.empty())
    std::cout << "  Admin password (shown once; also in " << (o.data / "admin-password").string()
              << "): " << generated << "\n";
  std::cout << "Log in with:\n"
            << "  stackato target " << api << " --cafile " << (o.data / "tls" / "ca.pem").string() << "\n"
            << "  stackato login admin\n";
}

}  // namespace

int start(const StartOptions& o) {
  // An in-place upgrade's new image: already a daemon (or systemd's), with nobody to tell.
  if (!o.takeover.empty()) return serve(o, -1);
  if (o.foreground) {
    int pipefd[2];
    if (::pipe(pipefd) != 0) return 1;
    std::thread reporter([&] {
      std::string line;
      char c;
      while (::read(pipefd[0], &c, 1) == 1 && c != '\n') line += c;
      ::close(pipefd[0]);
      if (line.rfind("ready ", 0) == 0) {
        auto rest = line.substr(6);
        auto sp = rest.find(' ');
        print_started(o, static_cast<unsigned short>(std::stoi(rest.substr(0, sp))),
                      sp == std::string::npos ? "" : rest.substr(sp + 1));
        std::cout.flush();
      }
    });
    int rc = serve(o, pipefd[1]);
    reporter.join();
    return rc;
  }
  int pipefd[2];
  if (::pipe(pipefd) != 0) return 1;
  pid_t pid = ::fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    ::close(pipefd[0]);
    ::setsid();
    // The daemon's own output goes to the data dir's log.
    fs::create_directories(o.data);
    int log = ::open((o.data / "kato.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    if (log >= 0) {
      ::dup2(log, 1);
      ::dup2(log, 2);
    }
    std::_Exit(serve(o, pipefd[1]));
  }
  ::close(pipefd[1]);
  std::string line;
  char c;
  while (::read(pipefd[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(pipefd[0]);
  if (line.rfind("ready ", 0) != 0) {
    std::cerr << "kato: " << (line.rfind("error ", 0) == 0 ? line.substr(6) : "failed to start; see " +
                                                                                 (o.data / "kato.log").string())
              << "\n";
    return 1;
  }
  auto rest = line.substr(6);
  auto sp = rest.find(' ');
  print_started(o, static_cast<unsigned short>(std::stoi(rest.substr(0, sp))),
                sp == std::string::npos ? "" : rest.substr(sp + 1));
  return 0;
}

}  // namespace kato::admin
