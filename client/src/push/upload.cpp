#include "push/upload.hpp"

#include "api/cloud_controller.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>
#include <thread>

#include "push/bits.hpp"
#include "push/events.hpp"
#include "resources.hpp"

namespace stackato::client {

using json = nlohmann::json;

namespace {

constexpr std::size_t kMatchChunk = 5000;  // the cf CLI's MaxNumberOfResourcesForMatching

json resource(const LocalFile& f) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%o", f.mode & 0777);
  return {{"checksum", {{"value", f.sha1}}}, {"size_in_bytes", f.size}, {"path", f.path}, {"mode", mode}};
}

// (sha1, size) of every file the server already holds. A server without resource matching
// (or one that fails at it) simply gets every file.
std::set<std::pair<std::string, std::uint64_t>> match(Session& s, const std::vector<LocalFile>& files) {
  std::set<std::pair<std::string, std::uint64_t>> have;
  json chunk = json::array();
  auto ask = [&] {
    if (chunk.empty()) return;
    for (auto& match : api::CloudController(s).resource_matches(chunk)) have.insert(std::move(match));
    chunk = json::array();
  };
  try {
    for (const auto& f : files) {
      if (f.size == 0 || f.sha1.empty()) continue;  // CC never matches empty files
      chunk.push_back(resource(f));
      if (chunk.size() == kMatchChunk) ask();
    }
    ask();
  } catch (const ApiError&) {
    have.clear();
  }
  return have;
}

std::string human(std::uint64_t bytes) {
  char buf[32];
  if (bytes >= (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1fM", static_cast<double>(bytes) / (1 << 20));
  else if (bytes >= 1024)
    std::snprintf(buf, sizeof buf, "%.1fK", static_cast<double>(bytes) / 1024);
  else
    std::snprintf(buf, sizeof buf, "%lluB", static_cast<unsigned long long>(bytes));
  return buf;
}

}  // namespace

Uploaded upload_app(Session& s, const std::string& app_guid, const manifest::App& app, const std::string& compiled,
                    bool show_progress) {
  std::vector<std::string> names = manifest::upload_files(app);
  std::erase(names, "manifest.yml");  // the compiled manifest takes its place at the root
  std::vector<LocalFile> files = hash_files(app.path, names);
  auto have = match(s, files);

  Uploaded up;
  up.files = files.size();
  json matched = json::array();
  std::vector<const LocalFile*> send;
  for (const auto& f : files) {
    if (!f.sha1.empty() && have.count({f.sha1, f.size})) {
      matched.push_back(resource(f));
      ++up.matched;
    } else {
      send.push_back(&f);
    }
  }
  TempFile zip("stackato-push");
  up.zip_bytes = write_zip(app.path, send, {{"manifest.yml", compiled}}, zip.path());

  api::CloudController cc(s);
  up.package_guid = cc.create_package(app_guid).guid;
  emit(PushEvent::Uploading, app.name,
       std::to_string(files.size()) + " files, " + std::to_string(up.matched) + " already on the server, " +
           human(up.zip_bytes) + " to send");

  auto last = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  std::uint64_t shown = ~std::uint64_t{0};
  Progress progress;
  if (show_progress)
    progress = [&](std::uint64_t sent, std::uint64_t total) {
      auto now = std::chrono::steady_clock::now();
      if (sent == shown || (sent < total && now - last < std::chrono::milliseconds(100))) return;
      last = now;
      shown = sent;
      emit(PushEvent::UploadProgress, app.name,
           human(sent) + "/" + human(total) + ") " + std::to_string(sent * 100 / total) + "%");
    };
  std::vector<FormPart> parts = {{"resources", matched.dump(), "", ""}, {"bits", "", zip.path().string(), "package.zip"}};
  for (int attempt = 0;; ++attempt) {
    try {
      cc.upload_package(up.package_guid, parts, progress);
      break;
    } catch (const NetworkError& e) {
      // Upload again from the zip on disk, but only while the server has not taken the package.
      if (attempt >= 3) throw;
      if (cc.package(up.package_guid).state != "AWAITING_UPLOAD") break;
      if (show_progress) emit(PushEvent::UploadSent, app.name);
      emit(PushEvent::UploadRetry, app.name, e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(500 << attempt));
    }
  }
  if (show_progress) emit(PushEvent::UploadSent, app.name);
  for (int i = 0;; ++i) {
    api::Package p = cc.package(up.package_guid);
    if (p.state == "READY") break;
    if (p.state == "FAILED" || p.state == "EXPIRED")
      throw ApiError(422, "the upload of " + app.name + " failed: " + (p.error.empty() ? p.state : p.error));
    if (i > 600) throw ApiError(504, "the package of " + app.name + " did not become READY");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return up;
}

}  // namespace stackato::client
