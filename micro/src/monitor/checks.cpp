#include "monitor/checks.hpp"

#include <curl/curl.h>
#include <sys/statvfs.h>
#include <unistd.h>


#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "admin/state.hpp"

namespace kato::monitor {

namespace fs = std::filesystem;

namespace {

struct Unknown : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Reply {
  long status = 0;
  std::string body;
  double seconds = 0;
};

std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// GET https://HOST.DOMAIN:PORT/PATH on loopback (glibc does not resolve *.localhost), TLS
// verified with kato's CA. A connection failure is a Reply with status 0.
Reply get(const admin::State& st, const std::string& host, const std::string& path, const std::string& token,
          std::string* error) {
  Reply r;
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  std::string name = host + "." + st.domain;
  std::string url = "https://" + name + ":" + std::to_string(st.port) + path;
  curl_slist* resolve = curl_slist_append(nullptr, (name + ":" + std::to_string(st.port) + ":127.0.0.1").c_str());
  curl_slist* headers = token.empty() ? nullptr : curl_slist_append(nullptr, ("Authorization: bearer " + token).c_str());
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(curl.get(), CURLOPT_CAINFO, st.ca.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &r.body);
  if (headers) curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  auto started = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(curl.get());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (rc == CURLE_OK) curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &r.status);
  else if (error) *error = curl_easy_strerror(rc);
  curl_slist_free_all(resolve);
  curl_slist_free_all(headers);
  return r;
}

admin::State running(const fs::path& data) {
  auto st = admin::read_state(data);
  if (!st) throw Unknown("kato is not running on " + data.string() + " (no kato.json)");
  if (!admin::kato_running(data, st))
    throw Unknown("kato is not running on " + data.string() + " (pid " + std::to_string(st->pid) + " holds no lock)");
  return *st;
}

std::string token(const fs::path& data) {
  std::ifstream in(data / "metrics-token");
  std::string t;
  if (!in || !std::getline(in, t) || t.empty())
    throw Unknown("cannot read " + (data / "metrics-token").string() + " (run kato check as kato's user)");
  return t;
}

std::vector<Sample> scrape(const fs::path& data) {
  admin::State st = running(data);
  std::string error;
  Reply r = get(st, "api", "/metrics", token(data), &error);
  if (r.status != 200)
    throw Unknown("GET /metrics: " + (r.status ? "HTTP " + std::to_string(r.status) : error));
  return parse_samples(r.body);
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::optional<Range> range_or(const std::string& typed, const std::string& fallback) {
  std::string t = typed.empty() ? fallback : typed;
  if (t.empty()) return std::nullopt;
  return parse_range(t);
}

// check_disk's convention: "-w 20" or "-w 20%" is the free percentage below which it warns.
std::optional<Range> free_range(const std::string& typed, const std::string& fallback) {
  std::string t = typed.empty() ? fallback : typed;
  if (!t.empty() && t.back() == '%') t.pop_back();
  if (t.find_first_of(":@~") == std::string::npos) t += ":";
  try {
    return parse_range(t);
  } catch (const BadThreshold&) {
    throw BadThreshold("not a free-space threshold: '" + (typed.empty() ? fallback : typed) + "' (a percentage, or a range)");
  }
}

Result disk(const CheckOptions& o) {
  struct statvfs v {};
  if (::statvfs(o.data.c_str(), &v) != 0) throw Unknown("cannot read the filesystem of " + o.data.string());
  double size = static_cast<double>(v.f_blocks) * v.f_frsize, avail = static_cast<double>(v.f_bavail) * v.f_frsize;
  double used = size - static_cast<double>(v.f_bfree) * v.f_frsize;
  double free_pct = avail + used > 0 ? std::floor(100.0 * avail / (avail + used)) : 0;
  auto warn = free_range(o.warning, "20"), crit = free_range(o.critical, "10");
  Result r{judge(free_pct, warn, crit),
           fixed(free_pct, 0) + "% free on " + o.data.string() + " (" + fixed(avail / (1 << 30), 1) + " GiB of " +
               fixed(size / (1 << 30), 1) + " GiB)",
           "free=" + fixed(free_pct, 0) + "%;" + warn->text + ";" + crit->text + ";0;100"};
  return r;
}

// "w1,w5,w15": one range, or three.
std::vector<std::optional<Range>> load_ranges(const std::string& typed, const std::string& fallback) {
  std::string t = typed.empty() ? fallback : typed;
  std::vector<std::optional<Range>> out;
  std::stringstream in(t);
  for (std::string part; std::getline(in, part, ',');) out.push_back(parse_range(part));
  if (out.size() == 1) out.resize(3, out[0]);
  if (out.size() != 3) throw BadThreshold("load thresholds are one range or three: '" + t + "'");
  return out;
}

Result load(const CheckOptions& o) {
  double avg[3];
  if (::getloadavg(avg, 3) != 3) throw Unknown("cannot read the load averages");
  long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  auto warn = load_ranges(o.warning, std::to_string(cores * 2)), crit = load_ranges(o.critical, std::to_string(cores * 4));
  Result r{State::Ok, "load average: " + fixed(avg[0], 2) + ", " + fixed(avg[1], 2) + ", " + fixed(avg[2], 2), ""};
  const char* names[] = {"load1", "load5", "load15"};
  for (int i = 0; i < 3; ++i) {
    r.state = worse(r.state, judge(avg[i], warn[i], crit[i]));
    r.perf += std::string(i ? " " : "") + names[i] + "=" + fixed(avg[i], 3) + ";" + warn[i]->text + ";" + crit[i]->text + ";0";
  }
  return r;
}

Result http_check(const CheckOptions& o, bool router) {
  admin::State st = running(o.data);
  auto warn = range_or(o.warning, "1"), crit = range_or(o.critical, "5");
  std::string error;
  Reply r = router ? get(st, "kato-check-no-such-route", "/", "", &error) : get(st, "api", "/v3/info", "", &error);
  std::string perf = std::string(router ? "router_time=" : "api_time=") + fixed(r.seconds, 3) + "s;" + warn->text + ";" + crit->text + ";0";
  if (r.status == 0) return {State::Critical, (router ? "the router" : "the API") + std::string(" does not answer: ") + error, perf};
  bool right = router ? r.status == 404 && r.body.find("Requested route") != std::string::npos : r.status == 200;
  if (!right)
    return {State::Critical, "HTTP " + std::to_string(r.status) + (router ? " where the router's 404 was expected" : " from GET /v3/info"), perf};
  return {judge(r.seconds, warn, crit),
          "HTTP " + std::to_string(r.status) + (router ? " (no such route)" : "") + " in " + fixed(r.seconds, 3) + " s", perf};
}

Result services(const CheckOptions& o) {
  auto samples = scrape(o.data);
  std::map<std::string, std::pair<bool, bool>> seen;  // service -> (started, up)
  for (const auto& s : samples) {
    if (s.name == "kato_service_started") seen[s.label("service")].first = s.value > 0;
    if (s.name == "kato_service_up") seen[s.label("service")].second = s.value > 0;
  }
  Result r{State::Ok, "", ""};
  std::string down, rest;
  for (const auto& [name, st] : seen) {
    auto [started, up] = st;
    if (started && !up) {
      r.state = State::Critical;
      down += (down.empty() ? "" : ", ") + name + " down (no answer in 2 s)";
    } else {
      rest += (rest.empty() ? "" : ", ") + name + (started ? " up" : " not started");
    }
    r.perf += (r.perf.empty() ? "" : " ") + name + "=" + (started && !up ? "0" : "1") + ";;1:;0;1";
  }
  r.text = down.empty() ? (rest.empty() ? "no service servers" : rest) : down + (rest.empty() ? "" : "; " + rest);
  return r;
}

Result apps(const CheckOptions& o) {
  auto samples = scrape(o.data);
  struct Count {
    double wanted = 0, running = 0, crashed = 0;
    std::string name;
  };
  std::map<std::string, Count> apps;
  for (const auto& s : samples) {
    if (s.name == "kato_app_info") apps[s.label("app")].name = s.label("name");
    if (s.name != "kato_app_instances") continue;
    auto& c = apps[s.label("app")];
    std::string state = s.label("state");
    (state == "wanted" ? c.wanted : state == "running" ? c.running : c.crashed) = s.value;
  }
  Result r{State::Ok, "", ""};
  double wanted = 0, running = 0;
  std::string short_of;
  long started = 0;
  for (const auto& [guid, c] : apps) {
    wanted += c.wanted;
    running += std::min(c.running, c.wanted);
    started += c.wanted > 0;
    if (c.running < c.wanted) {
      r.state = State::Warning;
      short_of += (short_of.empty() ? "" : ", ") + c.name + ": " + fixed(c.running, 0) + " of " + fixed(c.wanted, 0) +
                  " running" + (c.crashed > 0 ? " (" + fixed(c.crashed, 0) + " crashed)" : "");
    }
  }
  r.text = short_of.empty() ? std::to_string(started) + " started apps, " + fixed(running, 0) + " of " +
                                  fixed(wanted, 0) + " instances running"
                            : short_of;
  r.perf = "running=" + fixed(running, 0) + ";;;0 wanted=" + fixed(wanted, 0) + ";;;0";
  return r;
}

}  // namespace

std::string Sample::label(const std::string& key) const {
  for (const auto& [k, v] : labels)
    if (k == key) return v;
  return "";
}

std::vector<Sample> parse_samples(const std::string& text) {
  static const std::regex line(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? +([^ ]+)( +[0-9]+)?$)");
  static const std::regex label(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?)re");
  std::vector<Sample> out;
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (l.empty() || l[0] == '#' || !std::regex_match(l, m, line)) continue;
    Sample s;
    s.name = m[1];
    std::string labels = m[3];
    for (std::sregex_iterator it(labels.begin(), labels.end(), label), end; it != end; ++it)
      s.labels.emplace_back((*it)[1], (*it)[2]);
    try {
      s.value = std::stod(m[4]);
    } catch (const std::exception&) {
      continue;
    }
    out.push_back(std::move(s));
  }
  return out;
}

const std::vector<std::string>& check_names() {
  static const std::vector<std::string> names = {"disk", "load", "api", "router", "services", "apps", "all"};
  return names;
}

Result check(const std::string& name, const CheckOptions& o) {
  try {
    if (name == "disk") return disk(o);
    if (name == "load") return load(o);
    if (name == "api") return http_check(o, false);
    if (name == "router") return http_check(o, true);
    if (name == "services") return services(o);
    if (name == "apps") return apps(o);
    if (name == "all") {
      // Thresholds belong to one check: `all` uses each one's defaults.
      Result all{State::Ok, "", ""};
      CheckOptions plain{o.data, "", ""};
      for (const auto& n : check_names()) {
        if (n == "all") continue;
        Result r = check(n, plain);
        all.state = worse(all.state, r.state);
        all.text += (all.text.empty() ? "" : ", ") + n + " " + state_name(r.state) +
                    (r.state == State::Ok ? "" : " (" + r.text + ")");
        if (!r.perf.empty()) all.perf += (all.perf.empty() ? "" : " ") + r.perf;
      }
      return all;
    }
    return {State::Unknown, "no check named '" + name + "'", ""};
  } catch (const Unknown& e) {
    return {State::Unknown, e.what(), ""};
  } catch (const BadThreshold& e) {
    return {State::Unknown, e.what(), ""};
  }
}

int run_check(const std::string& name, const CheckOptions& options) {
  Result r = check(name, options);
  std::string service = "KATO";
  if (name != "all")
    for (char ch : " " + name) service += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  std::cout << line(service, r) << "\n";
  return static_cast<int>(r.state);
}

}  // namespace kato::monitor
