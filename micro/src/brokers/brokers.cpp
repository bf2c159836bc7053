#include "brokers/brokers.hpp"

#include <netdb.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "brokers/common.hpp"

namespace kato::brokers {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string short_name(char prefix, const std::string& guid) {
  std::string out(1, prefix);
  for (char c : guid)
    if (std::isxdigit(static_cast<unsigned char>(c)) && out.size() < 17) out += static_cast<char>(std::tolower(c));
  return out;
}

void check_sql_name(const std::string& name, const std::string& what) {
  bool ok = !name.empty() && name.size() <= 63 && std::islower(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_');
  if (!ok) throw std::runtime_error(what + " '" + name.substr(0, 80) + "' is not a name kato makes");
}

std::string random_password() {
  static const char* chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 24; ++i) out += chars[rd() % 62];
  return out;
}

unsigned short stable_port(const fs::path& dir, const std::string& server) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  fs::path file = dir / "ports.json";
  json ports = json::object();
  if (std::ifstream in(file); in) ports = json::parse(in, nullptr, false);
  if (!ports.is_object()) ports = json::object();
  if (ports.contains(server)) return ports[server].get<unsigned short>();
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  unsigned short port = ntohs(a.sin_port);
  ports[server] = port;
  std::ofstream(file) << ports.dump(2) << "\n";
  return port;
}

json db_credentials(const std::string& scheme, const std::string& host, unsigned short port, const std::string& name,
                    const std::string& user, const std::string& password) {
  return {{"hostname", host},        {"host", host},         {"port", port},
          {"name", name},            {"user", user},         {"username", user},
          {"password", password},
          {"uri", scheme + "://" + user + ":" + password + "@" + host + ":" + std::to_string(port) + "/" + name}};
}

std::optional<External> external_server(const fs::path& services, const std::string& type) {
  std::ifstream in(services / "external.json");
  if (!in) return std::nullopt;
  json all = json::parse(in, nullptr, false);
  if (!all.is_object() || !all.contains(type) || !all[type].is_object()) return std::nullopt;
  const json& e = all[type];
  External x;
  x.host = e.value("host", "127.0.0.1");
  x.port = e.value("port", static_cast<unsigned short>(0));
  x.user = e.value("admin_user", "");
  x.password = e.value("admin_password", "");
  if (x.port == 0) throw std::runtime_error((services / "external.json").string() + ": " + type + " needs a port");
  return x;
}

void ServerBroker::start() {
  if (external_) {
    if (!ping())
      throw std::runtime_error(label() + " at " + external_->host + ":" + std::to_string(external_->port) +
                               " does not answer its admin login (see external.json)");
    return;
  }
  std::lock_guard lock(mu_);
  if (!server_) server_ = std::make_unique<Server>(prepare());
  server_->ensure_running();
}

std::string ServerBroker::state() {
  if (external_) return "external (" + external_->host + ":" + std::to_string(external_->port) + ")";
  std::lock_guard lock(mu_);
  return server_ ? server_->state() : "not started (starts on first use)";
}

bool ServerBroker::started() {
  if (external_) return true;
  std::lock_guard lock(mu_);
  return server_ != nullptr;
}

bool ServerBroker::answers() { return probe(host(), server_port(), probe_hello(), 2000); }

bool probe(const std::string& host, unsigned short port, const std::string& hello, int timeout_ms) {
  addrinfo hints{}, *found = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) return false;
  int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  bool ok = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto wait = [&](short events) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    pollfd p{fd, events, 0};
    return left > 0 && ::poll(&p, 1, left) == 1 && (p.revents & events);
  };
  if (fd >= 0 && (::connect(fd, found->ai_addr, found->ai_addrlen) == 0 || errno == EINPROGRESS) && wait(POLLOUT)) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    bool sent = err == 0 && (hello.empty() || ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(hello.size()));
    char byte;
    ok = sent && wait(POLLIN) && ::recv(fd, &byte, 1, 0) == 1;
  }
  if (fd >= 0) ::close(fd);
  ::freeaddrinfo(found);
  return ok;
}

void ServerBroker::stop() {
  std::lock_guard lock(mu_);
  if (server_) server_->stop();
}

struct Brokers::Impl {
  Mode mode = Mode::owner;
  std::vector<std::unique_ptr<Broker>> brokers;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> queue;  // guarded by mu
  bool working = false;                      // guarded by mu: the worker runs a piece of work
  bool stopping = false;
  std::thread worker;
};

namespace {
// A server of ours still running from a kato killed with -9 is stopped at once, whether or not
// its type is used again (a lazy start would never find it). Ours: it works in our tree, so a
// reused pid is never mistaken for it.
void reap_orphan(const fs::path& type_dir) {
  std::ifstream in(type_dir / "server.pid");
  pid_t pid = 0;
  if (!(in >> pid) || pid <= 0 || ::kill(pid, 0) != 0) return;
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == 0) return;  // our child: kept across an upgrade, adopted on use
  // (Its working directory may lie in a mount namespace of its own, where it reads otherwise:
  // its command line names the directory too.)
  std::error_code ec;
  fs::path cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
  bool ours = (!ec && cwd.string().rfind(type_dir.string(), 0) == 0) || cmdline.find(type_dir.string() + "/") != std::string::npos;
  if (!ours) return;
  ::kill(-pid, SIGTERM);
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
}
}  // namespace

Brokers::Brokers(const fs::path& dir, Mode mode) : impl_(std::make_unique<Impl>()) {
  impl_->mode = mode;
  fs::create_directories(dir);
  if (mode == Mode::owner)
    for (const char* type : {"mysql", "postgresql", "redis"}) reap_orphan(fs::absolute(dir) / type);
  // The servers run as their own unprivileged users (kato as root) and reach their own
  // directories through a private mount namespace (RunAs::home): no directory of kato's, nor any
  // of its parents, is opened to others for them.
  impl_->brokers.push_back(make_mysql(dir));
  impl_->brokers.push_back(make_postgresql(dir));
  impl_->brokers.push_back(make_redis(dir));
  impl_->brokers.push_back(make_filesystem(dir));
  impl_->worker = std::thread([this] {
    for (;;) {
      std::function<void()> work;
      {
        std::unique_lock lock(impl_->mu);
        impl_->cv.wait(lock, [&] { return impl_->stopping || !impl_->queue.empty(); });
        if (impl_->queue.empty()) return;
        work = std::move(impl_->queue.front());
        impl_->queue.pop_front();
        impl_->working = true;
      }
      work();
      {
        std::lock_guard lock(impl_->mu);
        impl_->working = false;
      }
      impl_->cv.notify_all();
    }
  });
}

Brokers::~Brokers() { stop_all(); }

Broker* Brokers::find(const std::string& label) {
  for (auto& b : impl_->brokers)
    if (b->label() == label) return b.get();
  return nullptr;
}

std::vector<Broker*> Brokers::all() {
  std::vector<Broker*> out;
  for (auto& b : impl_->brokers) out.push_back(b.get());
  return out;
}

void Brokers::submit(std::function<void()> work) {
  {
    std::lock_guard lock(impl_->mu);
    impl_->queue.push_back(std::move(work));
  }
  impl_->cv.notify_one();
}

void Brokers::wait_idle() {
  std::unique_lock lock(impl_->mu);
  impl_->cv.wait(lock, [&] { return impl_->stopping || (impl_->queue.empty() && !impl_->working); });
}

void Brokers::stop_all() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
  for (auto& b : impl_->brokers) impl_->mode == Mode::owner ? b->stop() : b->detach();
}

}  // namespace kato::brokers
