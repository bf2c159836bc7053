// Feeds arbitrary bytes to kato's zip reader (package uploads). A std::runtime_error is a fine
// answer; an entry that could land outside the app directory is a bug, and so is a crash.

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "blobs/zip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    kato::blobs::each_entry(std::string_view(reinterpret_cast<const char*>(data), size), [](kato::blobs::Entry& e) {
      std::filesystem::path p(e.path);
      if (e.path.empty() || p.is_absolute()) std::abort();
      for (const auto& part : p)
        if (part == "..") std::abort();
      if (e.type == kato::blobs::Entry::Type::Link) {
        auto resolved = (p.parent_path() / e.data).lexically_normal();
        if (e.data.empty() || e.data[0] == '/' || (!resolved.empty() && *resolved.begin() == "..")) std::abort();
      }
    });
  } catch (const std::runtime_error&) {
  }
  return 0;
}
