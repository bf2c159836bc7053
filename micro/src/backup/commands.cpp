#include "backup/commands.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include "backup/export.hpp"
#include "backup/restage.hpp"

namespace kato::backup {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// A progress line on a terminal (stderr), twice a second at most; nothing for cron.
class ProgressLine {
 public:
  explicit ProgressLine(const std::string& verb) : verb_(verb), tty_(::isatty(2)) {}
  ~ProgressLine() { done(); }
  Progress callback() {
    if (!tty_) return {};
    return [this](std::uint64_t bytes, const std::string& member) {
      auto now = std::chrono::steady_clock::now();
      if (bytes != 0 && now - last_ < std::chrono::milliseconds(500)) return;
      last_ = now;
      std::string what = member.size() > 50 ? "..." + member.substr(member.size() - 47) : member;
      if (bytes != 0) mb_ = bytes >> 20;
      std::fprintf(stderr, "\r\033[K%s: %llu MB, %s", verb_.c_str(), static_cast<unsigned long long>(mb_), what.c_str());
      shown_ = true;
    };
  }
  void done() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }

 private:
  std::string verb_;
  bool tty_;
  bool shown_ = false;
  std::uint64_t mb_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

std::string default_name() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof buf, "kato-export-%Y%m%d-%H%M%S.tgz", std::localtime(&t));
  return buf;
}

// FILE's name with each run of digits as "any digits": the pattern --keep prunes by.
std::regex name_pattern(const std::string& name) {
  std::string re;
  for (std::size_t i = 0; i < name.size();) {
    if (std::isdigit(static_cast<unsigned char>(name[i]))) {
      while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
      re += "[0-9]+";
    } else {
      if (std::strchr(".^$|()[]{}*+?\\", name[i])) re += '\\';
      re += name[i++];
    }
  }
  return std::regex(re);
}

// Partial files of exports whose process is gone (killed with -9): .NAME.partial-PID.
void remove_stale_partials(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  std::string prefix = "." + name + ".partial-";
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string f = e.path().filename().string();
    if (f.rfind(prefix, 0) != 0) continue;
    pid_t pid = static_cast<pid_t>(std::atol(f.c_str() + prefix.size()));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove(e.path(), ec);
  }
}

void keep_newest(const fs::path& dir, const std::string& name, int keep) {
  std::regex re = name_pattern(name);
  std::vector<std::pair<fs::file_time_type, fs::path>> found;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && std::regex_match(e.path().filename().string(), re)) found.emplace_back(e.last_write_time(), e.path());
  std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (std::size_t i = static_cast<std::size_t>(keep); i < found.size(); ++i) {
    fs::remove(found[i].second);
    std::cout << "Deleted the older export " << found[i].second.string() << "\n";
  }
}

}  // namespace

namespace {
Compression compression_of(const ExportCommand& c, const std::string& name) {
  if (c.compress == "zstd") return Compression::zstd;
  if (c.compress == "none") return Compression::none;
  if (c.compress == "gzip") return Compression::gzip;
  return compression_for(name);
}
}  // namespace

int export_command(const ExportCommand& c) {
  if (c.cluster) std::cerr << "kato is a single node: --cluster exports this node, as --only-this-node does\n";
  if (c.file == "-") {
    if (::isatty(1)) {
      std::cerr << "kato: data export: refusing to write an archive to a terminal (redirect it, or name a FILE)\n";
      return 2;
    }
    ProgressLine line("Exporting");
    auto s = export_data(c.data, 1, line.callback(), compression_of(c, ""));
    line.done();
    std::cerr << "Exported " << s.apps << " apps and " << s.instances << " service instances (" << (s.bytes >> 20) << " MB of data)\n";
    return 0;
  }
  fs::path file = c.file.empty() ? fs::path(default_name()) : fs::path(c.file);
  file = fs::absolute(file);
  fs::path dir = file.parent_path();
  std::string name = file.filename().string();
  if (!fs::is_directory(dir)) throw std::runtime_error(dir.string() + ": no such directory");
  remove_stale_partials(dir, name);
  // Written beside FILE and renamed over it only when complete and on disk: a failed or killed
  // export never leaves a truncated FILE (nor replaces a good one with it).
  fs::path partial = dir / ("." + name + ".partial-" + std::to_string(::getpid()));
  int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error(partial.string() + ": " + std::strerror(errno));
  ExportSummary s;
  try {
    ProgressLine line("Exporting");
    s = export_data(c.data, fd, line.callback(), compression_of(c, name));
    line.done();
    if (::fsync(fd) != 0) throw std::runtime_error(partial.string() + ": " + std::strerror(errno));
    ::close(fd);
    fd = -1;
    fs::rename(partial, file);
    if (int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
      ::fsync(d);
      ::close(d);
    }
  } catch (...) {
    if (fd >= 0) ::close(fd);
    std::error_code ec;
    fs::remove(partial, ec);
    throw;
  }
  std::cout << "Exported " << s.apps << " apps and " << s.instances << " service instances (" << (s.bytes >> 20)
            << " MB of data) to " << file.string() << "\n";
  if (c.keep > 0) keep_newest(dir, name, c.keep);
  return 0;
}

namespace {

// A running kato's export, pulled over its API: the admin's token from its token endpoint, then
// GET /v2/kato/export streamed into a pipe that the import reads (never a whole copy in memory).
class Remote {
 public:
  Remote(std::string url, std::string password, std::string cafile)
      : url_(std::move(url)), password_(std::move(password)), cafile_(std::move(cafile)) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
  }

  // Starts the download; returns the descriptor to read the archive from.
  int open() {
    std::string token = login();
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    out_ = p[1];
    thread_ = std::thread([this, token] { download(token); });
    return p[0];
  }
  // After the import read it all (or failed): the download's own error, if any.
  std::string finish() {
    if (thread_.joinable()) thread_.join();
    return error_;
  }
  ~Remote() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  CURL* handle(const std::string& path) {
    CURL* c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, (url_ + path).c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!cafile_.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cafile_.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    return c;
  }

  static std::size_t append(char* p, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, size * n);
    return size * n;
  }

  std::string login() {
    CURL* c = handle("/oauth/token");
    char* user = curl_easy_escape(c, "admin", 0);
    char* pw = curl_easy_escape(c, password_.c_str(), 0);
    std::string form = std::string("grant_type=password&username=") + user + "&password=" + pw;
    curl_free(user);
    curl_free(pw);
    std::string body;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/x-www-form-urlencoded");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, form.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, "cf:");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) throw std::runtime_error(url_ + ": " + curl_easy_strerror(rc));
    if (status == 401) throw std::runtime_error(url_ + ": the admin password is not accepted");
    json j = json::parse(body, nullptr, false);
    if (status != 200 || !j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
      throw std::runtime_error(url_ + ": no token from its token endpoint (HTTP " + std::to_string(status) + ")");
    return j["access_token"];
  }

  static std::size_t to_pipe(char* p, std::size_t size, std::size_t n, void* self) {
    auto* r = static_cast<Remote*>(self);
    std::size_t len = size * n;
    if (r->status_ == 0) curl_easy_getinfo(r->curl_, CURLINFO_RESPONSE_CODE, &r->status_);
    if (r->status_ != 200) {  // an error's body: kept for the message, not fed to the import
      if (r->error_body_.size() < 4096) r->error_body_.append(p, len);
      return len;
    }
    for (std::size_t off = 0; off < len;) {
      ssize_t w = ::write(r->out_, p + off, len - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return 0;  // the import stopped reading: abort the transfer
      off += static_cast<std::size_t>(w);
    }
    return len;
  }

  void download(const std::string& token) {
    curl_ = handle("/v2/kato/export");
    std::string auth = "Authorization: bearer " + token;
    curl_slist* headers = curl_slist_append(nullptr, auth.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, to_pipe);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, this);
    CURLcode rc = curl_easy_perform(curl_);
    if (status_ == 0) curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status_);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl_);
    ::close(out_);  // the import sees the end (a truncated archive, if the transfer failed)
    if (status_ != 200 && status_ != 0) {
      json j = json::parse(error_body_, nullptr, false);
      std::string detail = j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()
                               ? j["errors"][0].value("detail", "")
                               : "";
      error_ = url_ + ": the export was refused (HTTP " + std::to_string(status_) + (detail.empty() ? "" : ": " + detail) + ")";
    } else if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR) {
      error_ = url_ + ": " + curl_easy_strerror(rc);
    }
  }

  std::string url_, password_, cafile_;
  int out_ = -1;
  CURL* curl_ = nullptr;
  long status_ = 0;
  std::string error_body_, error_;
  std::thread thread_;
};

std::string read_password(const std::string& file) {
  std::string line;
  if (file.empty() || file == "-") {
    if (::isatty(0)) std::cerr << "Admin password of the exporting kato: ";
    std::getline(std::cin, line);
  } else {
    std::ifstream in(file);
    if (!in) throw std::runtime_error("--password-file: cannot read " + file);
    std::getline(in, line);
  }
  if (line.empty()) throw std::runtime_error("no admin password given (on stdin, or --password-file FILE)");
  return line;
}

}  // namespace

int import_command(const ImportCommand& c) {
  ::signal(SIGPIPE, SIG_IGN);  // a remote export's download ends with EPIPE when the import refuses early
  if (c.cluster) std::cerr << "kato is a single node: --cluster imports into this node, as --only-this-node does\n";
  int fd = -1;
  std::unique_ptr<Remote> remote;
  std::string source = c.source;
  bool is_file = source == "-" || fs::exists(source);
  if (!is_file && source.rfind("http://", 0) == 0)
    throw std::runtime_error(source + ": a running kato is reached over https:// only");
  if (!is_file && source.find("://") == std::string::npos && source.find('/') == std::string::npos && source.find('.') != std::string::npos)
    source = "https://" + source;  // the seed's `kato data import --cluster stackato-host.example.com`
  if (source == "-") {
    fd = 0;
  } else if (is_file) {
    fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(source + ": " + std::strerror(errno));
  } else if (source.rfind("https://", 0) == 0) {
    remote = std::make_unique<Remote>(source, read_password(c.password_file), c.cafile);
    fd = remote->open();
  } else {
    throw std::runtime_error(source + ": no such file (a running kato is named by its URL, https://api.HOST:PORT)");
  }
  ImportSummary s;
  try {
    ProgressLine line("Importing");
    s = import_data(c.options, fd, line.callback());
  } catch (const std::exception& e) {
    if (fd > 0) ::close(fd);
    // The download's own failure explains a truncated archive better than the archive does.
    std::string why = remote ? remote->finish() : "";
    throw std::runtime_error(why.empty() ? e.what() : why);
  }
  if (fd > 0) ::close(fd);
  if (remote)
    if (std::string why = remote->finish(); !why.empty()) throw std::runtime_error(why);
  std::cout << "Imported " << s.apps << " apps, " << s.instances << " service instances and " << s.users << " users from "
            << (s.from_domain.empty() ? "an export" : s.from_domain) << " (exported " << s.created << ")";
  if (s.from_domain != s.to_domain) std::cout << "; its apps' routes are now under " << s.to_domain;
  std::cout << "\n";
  if (!s.started) {
    std::cout << "kato was not running: 'kato start' starts it with the imported state"
              << (c.options.restage ? ", then 'kato data import' cannot restage: restage the apps with 'stackato restage'" : "") << "\n";
    return 0;
  }
  if (c.options.restage) {
    int n = restage_all(c.options.data, std::cout);
    std::cout << "Restaged " << n << " apps\n";
  }
  return 0;
}

}  // namespace kato::backup
