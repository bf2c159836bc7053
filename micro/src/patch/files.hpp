#pragma once
// The two file operations patches need: reading a whole file, and replacing one so that a
// reader sees the old file or the new one, whole.

#include <filesystem>
#include <optional>
#include <string>

namespace kato::patch {

// The file's bytes, or nothing when it cannot be read (callers say what it was for).
std::optional<std::string> read_file(const std::filesystem::path& path);

// Writes `data` to `target` with `mode`: a temporary file beside it, fsync, rename. Throws
// std::runtime_error naming the file.
void replace_file(const std::filesystem::path& target, const std::string& data, unsigned mode);

}  // namespace kato::patch
