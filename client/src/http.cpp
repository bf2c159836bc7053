#include "http.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <chrono>
#include <iostream>
#include <mutex>
#include <regex>
#include <thread>

namespace stackato::client {

std::string url_escape(const std::string& text) {
  char* e = curl_easy_escape(nullptr, text.data(), static_cast<int>(text.size()));
  std::string out = e ? e : "";
  curl_free(e);
  return out;
}

std::optional<std::string> base64url_decode(std::string text) {
  // Padded (log payloads) or not (JWT parts): drop the padding, then pad to a whole block and
  // trim what the padding decodes to, or the result carries NUL bytes.
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (auto& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  std::size_t pad = (4 - text.size() % 4) % 4;
  if (pad == 3) return std::nullopt;
  text.append(pad, '=');
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string redact(const std::string& text) {
  static const std::regex auth("(Authorization:\\s*)(\\S+)(\\s+)?\\S*", std::regex::icase);
  static const std::regex tunnel_auth("(X-Tunnel-Auth:\\s*)\\S+", std::regex::icase);
  static const std::regex json_secret(
      "(\"(?:access_token|refresh_token|id_token|password|oldPassword|newPassword|secret|credentials|token|TUNNEL_AUTH)\"\\s*:\\s*)(\"(?:[^\"\\\\]|\\\\.)*\"|\\{[^}]*\\})",
      std::regex::icase);
  static const std::regex form_secret("((?:^|&)(?:password|refresh_token|passcode|access_token)=)[^&\\s]*",
                                      std::regex::icase);
  static const std::regex userinfo("(://)[^/@\\s]+@");
  std::string out = std::regex_replace(text, auth, "$1[REDACTED]");
  out = std::regex_replace(out, tunnel_auth, "$1[REDACTED]");
  out = std::regex_replace(out, json_secret, "$1\"[REDACTED]\"");
  out = std::regex_replace(out, form_secret, "$1[REDACTED]");
  return std::regex_replace(out, userinfo, "$1[REDACTED]@");
}

namespace {
struct Global {
  Global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~Global() { curl_global_cleanup(); }
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
  } else if (line.rfind("HTTP/", 0) == 0) {
    static_cast<std::map<std::string, std::string>*>(user)->clear();  // a new response (redirect, 100)
  }
  return size * n;
}

int on_trace(CURL*, curl_infotype type, char* data, std::size_t size, void*) {
  const char* prefix = nullptr;
  switch (type) {
    case CURLINFO_HEADER_OUT: prefix = "> "; break;
    case CURLINFO_HEADER_IN: prefix = "< "; break;
    case CURLINFO_DATA_OUT: prefix = ">> "; break;
    case CURLINFO_DATA_IN: prefix = "<< "; break;
    default: return 0;
  }
  std::string text(data, std::min<std::size_t>(size, 4096));
  if (type == CURLINFO_DATA_OUT && size > 4096) text += "... (" + std::to_string(size) + " bytes)";
  std::string shown = redact(text), lines;
  std::size_t start = 0;
  while (start < shown.size()) {
    auto nl = shown.find('\n', start);
    std::string line = shown.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines += prefix + line + '\n';
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  // Session::get_many traces from several threads: a block at a time, never a mixed line.
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::cerr << lines;
  return 0;
}

// NAME.localhost (and localhost) always mean loopback, whatever the system resolver says.
std::string loopback_entry(const std::string& url) {
  auto scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  std::string rest = url.substr(scheme + 3);
  std::string hostport = rest.substr(0, rest.find('/'));
  if (auto at = hostport.rfind('@'); at != std::string::npos) hostport = hostport.substr(at + 1);
  std::string host = hostport, port = url.compare(0, 5, "https") == 0 ? "443" : "80";
  if (auto colon = hostport.rfind(':'); colon != std::string::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool local = host == "localhost" || (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0);
  return local ? host + ":" + port + ":127.0.0.1" : std::string();
}

}  // namespace

struct Http::Impl {
  HttpOptions options;
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;  // kept until the next request: curl reads them while performing
  curl_slist* resolve = nullptr;
  curl_mime* mime = nullptr;
  void release() {
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
    curl_mime_free(mime);
    headers = resolve = nullptr;
    mime = nullptr;
  }
};

Http::Http(HttpOptions options) : impl_(std::make_unique<Impl>()) {
  static Global global;
  impl_->options = std::move(options);
  impl_->curl = curl_easy_init();
  if (!impl_->curl) throw NetworkError("cannot initialise libcurl");
}

Http::~Http() {
  impl_->release();
  curl_easy_cleanup(impl_->curl);
}

void Http::setup(const std::string& url, const std::vector<std::string>& headers, Reply& reply) {
  CURL* c = impl_->curl;
  curl_easy_reset(c);
  impl_->release();
  for (const auto& h : headers) impl_->headers = curl_slist_append(impl_->headers, h.c_str());
  if (auto entry = loopback_entry(url); !entry.empty()) impl_->resolve = curl_slist_append(nullptr, entry.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, impl_->headers);
  if (impl_->resolve) curl_easy_setopt(c, CURLOPT_RESOLVE, impl_->resolve);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, impl_->options.timeout_s);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "stackato-cpp");
  if (!impl_->options.cafile.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, impl_->options.cafile.c_str());
  if (impl_->options.skip_ssl_validation) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (impl_->options.trace) {
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_trace);
  }
}

Reply Http::finish(int code, const std::string& url, Reply& reply) {
  auto rc = static_cast<CURLcode>(code);
  if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CONNECT_ERROR)
    throw NetworkError("TLS verification failed for " + redact(url) + ": " + curl_easy_strerror(rc) +
                       " (trust the server's CA with --cafile FILE)");
  if (rc == CURLE_ABORTED_BY_CALLBACK) throw NetworkError("interrupted");
  if (rc != CURLE_OK) throw NetworkError("cannot reach " + redact(url) + ": " + curl_easy_strerror(rc));
  return std::move(reply);
}

Reply Http::request(const std::string& method, const std::string& url, const std::string& body,
                    const std::vector<std::string>& headers) {
  bool idempotent = method == "GET" || method == "PUT" || method == "DELETE" || method == "HEAD";
  for (int attempt = 0;; ++attempt) {
    CURL* c = impl_->curl;
    Reply reply;
    setup(url, headers, reply);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method != "GET" && method != "HEAD") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    if (method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    bool retry = idempotent && attempt < 3 &&
                 (rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_GOT_NOTHING ||
                  rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
                  (rc == CURLE_OK && (reply.status == 502 || reply.status == 503 || reply.status == 504)));
    if (retry) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200 << attempt));
      continue;
    }
    return finish(rc, url, reply);
  }
}

namespace {
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t total, curl_off_t sent) {
  const auto* progress = static_cast<const Progress*>(user);
  if (*progress && total > 0) (*progress)(static_cast<std::uint64_t>(sent), static_cast<std::uint64_t>(total));
  return 0;
}
}  // namespace

Reply Http::post_form(const std::string& url, const std::vector<FormPart>& parts,
                      const std::vector<std::string>& headers, const Progress& progress) {
  CURL* c = impl_->curl;
  Reply reply;
  setup(url, headers, reply);
  impl_->mime = curl_mime_init(c);
  for (const auto& p : parts) {
    curl_mimepart* part = curl_mime_addpart(impl_->mime);
    curl_mime_name(part, p.name.c_str());
    if (p.file.empty()) {
      curl_mime_data(part, p.value.data(), p.value.size());
    } else {
      if (curl_mime_filedata(part, p.file.c_str()) != CURLE_OK) throw NetworkError("cannot read " + p.file);
      curl_mime_filename(part, p.filename.c_str());
      curl_mime_type(part, "application/zip");
    }
  }
  curl_easy_setopt(c, CURLOPT_MIMEPOST, impl_->mime);
  // A large upload may take longer than one API call: only a stall of a minute is an error.
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 0L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, std::max(60L, impl_->options.timeout_s));
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &progress);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
  return finish(rc, url, reply);
}

}  // namespace stackato::client
