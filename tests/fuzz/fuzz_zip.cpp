// Feeds arbitrary bytes to kato's upload path: the zip reader (package uploads), then the
// unpacking the stager does, then matched resources written under every entry's path. A
// std::runtime_error is a fine answer; a write outside the app directory is a bug, and so is a
// crash. The app directory sits beside a sentinel directory and the zip in a folder of its own:
// an escape lands in one of them.

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string_view>

#include "blobs/zip.hpp"

namespace fs = std::filesystem;

namespace {

const fs::path& base() {
  static fs::path b = [] {
    char tmpl[] = "/tmp/fuzz-zip-XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    fs::create_directories(fs::path(tmpl) / "outside");
    return fs::path(tmpl);
  }();
  return b;
}

void check_nothing_escaped() {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(base())) names.insert(e.path().filename().string());
  if (names != std::set<std::string>{"app", "in.zip", "outside"}) std::abort();
  if (!fs::is_empty(base() / "outside")) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  kato::blobs::Limits limits;
  limits.max_bytes = 4 << 20;
  limits.max_entries = 2000;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::set<std::string> paths;
  try {
    kato::blobs::each_entry(bytes, [&](kato::blobs::Entry& e) {
      fs::path p(e.path);
      if (e.path.empty() || p.is_absolute()) std::abort();
      for (const auto& part : p)
        if (part == "..") std::abort();
      if (e.type == kato::blobs::Entry::Type::Link) {
        auto resolved = (p.parent_path() / e.link).lexically_normal();
        if (e.link.empty() || e.link[0] == '/' || (!resolved.empty() && *resolved.begin() == "..")) std::abort();
      }
      paths.insert(e.path);
    }, limits);
  } catch (const std::runtime_error&) {
  }
  std::error_code ec;
  fs::remove_all(base() / "app", ec);
  fs::create_directories(base() / "app");
  { std::ofstream(base() / "in.zip", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size())); }
  try {
    kato::blobs::unpack(base() / "in.zip", base() / "app", limits);
  } catch (const std::runtime_error&) {
  }
  // Matched resources: one under every path the archive named, as an upload's `resources`
  // may ask; the zip's own links may stand in the way.
  kato::blobs::Tree tree(base() / "app");
  for (const auto& p : paths) {
    try {
      int fd = tree.create(p + "/resource", 0644);
      ::close(fd);
    } catch (const std::runtime_error&) {
    }
    try {
      int fd = tree.create(p + "/../../../../../../../../outside/x", 0644);
      ::close(fd);
    } catch (const std::runtime_error&) {
    }
  }
  check_nothing_escaped();
  return 0;
}
