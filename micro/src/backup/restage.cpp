#include "backup/restage.hpp"

#include <curl/curl.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "admin/state.hpp"

namespace kato::backup {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::size_t append(char* p, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

// kato's API on loopback (the domain need not resolve), TLS verified with kato's CA.
class Api {
 public:
  explicit Api(admin::State st) : st_(std::move(st)) {}

  json call(const std::string& method, const std::string& path, const std::string& body = "",
            const std::string& type = "application/json") {
    std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
    std::string name = "api." + st_.domain, port = std::to_string(st_.port);
    std::string url = "https://" + name + ":" + port + path, out;
    curl_slist* resolve = curl_slist_append(nullptr, (name + ":" + port + ":127.0.0.1").c_str());
    curl_slist* headers = curl_slist_append(nullptr, ("Content-Type: " + type).c_str());
    if (!token_.empty()) headers = curl_slist_append(headers, ("Authorization: bearer " + token_).c_str());
    curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(c.get(), CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(c.get(), CURLOPT_CAINFO, st_.ca.c_str());
    curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
    if (!body.empty()) curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
    if (token_.empty()) curl_easy_setopt(c.get(), CURLOPT_USERPWD, "cf:");
    curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &out);
    CURLcode rc = curl_easy_perform(c.get());
    long status = 0;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(resolve);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) throw std::runtime_error(method + " " + path + ": " + curl_easy_strerror(rc));
    json j = json::parse(out, nullptr, false);
    if (status >= 300) {
      std::string detail = j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()
                               ? j["errors"][0].value("detail", "")
                               : out.substr(0, 200);
      throw std::runtime_error(method + " " + path + ": HTTP " + std::to_string(status) + ": " + detail);
    }
    return j;
  }

  void login(const std::string& password) {
    std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
    char* pw = curl_easy_escape(c.get(), password.c_str(), 0);
    std::string form = std::string("grant_type=password&username=admin&password=") + pw;
    curl_free(pw);
    json j = call("POST", "/oauth/token", form, "application/x-www-form-urlencoded");
    token_ = j.value("access_token", "");
  }

 private:
  admin::State st_;
  std::string token_;
};

}  // namespace

int restage_all(const fs::path& data, std::ostream& log) {
  auto st = admin::read_state(data);
  if (!admin::kato_running(data, st)) throw std::runtime_error("--restage: kato is not running");
  std::string password;
  std::ifstream in(data / "admin-password");
  if (!std::getline(in, password) || password.empty()) throw std::runtime_error("--restage: no admin password in " + (data / "admin-password").string());
  Api api(*st);
  api.login(password);
  int done = 0;
  json apps = api.call("GET", "/v3/apps?per_page=5000");
  for (const auto& app : apps.value("resources", json::array())) {
    std::string guid = app.value("guid", ""), name = app.value("name", guid);
    // The newest package that is ready: the bits the app runs.
    json pkgs = api.call("GET", "/v3/apps/" + guid + "/packages");
    std::string pkg, newest;
    for (const auto& p : pkgs.value("resources", json::array()))
      if (p.value("state", "") == "READY" && p.value("created_at", "") >= newest) {
        newest = p.value("created_at", "");
        pkg = p.value("guid", "");
      }
    if (pkg.empty()) continue;
    log << "Restaging " << name << "\n";
    json build = api.call("POST", "/v3/builds", json({{"package", {{"guid", pkg}}}}).dump());
    std::string state;
    for (int i = 0; i < 1200; ++i) {
      build = api.call("GET", "/v3/builds/" + build.value("guid", ""));
      state = build.value("state", "");
      if (state != "STAGING") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (state != "STAGED") throw std::runtime_error("--restage: staging " + name + " failed: " + build["error"].dump());
    std::string droplet = build["droplet"].value("guid", "");
    api.call("PATCH", "/v3/apps/" + guid + "/relationships/current_droplet", json({{"data", {{"guid", droplet}}}}).dump());
    if (app.value("state", "") == "STARTED") api.call("POST", "/v3/apps/" + guid + "/actions/restart");
    ++done;
  }
  return done;
}

}  // namespace kato::backup
