#pragma once
// kato data export|import and kato relocate: the operator's commands over export.hpp,
// import.hpp and relocate.hpp. Each returns the exit status; errors are one line on stderr.

#include <filesystem>
#include <string>

#include "backup/import.hpp"

namespace kato::backup {

struct ExportCommand {
  std::filesystem::path data;
  std::string file;  // "" (kato-export-YYYYMMDD-HHMMSS.tgz here), "-" (stdout) or a path
  int keep = 0;      // --keep N: older exports of FILE's name pattern beyond N are deleted
  std::string compress;  // --compress gzip|zstd|none; default by FILE's extension (compression_for)
  bool cluster = false;
};
int export_command(const ExportCommand& c);

struct ImportCommand {
  ImportOptions options;
  std::string source;  // a file, "-" (stdin), or a running kato: https://api.HOST:PORT
  std::string password_file, cafile;
  bool cluster = false;
};
int import_command(const ImportCommand& c);

}  // namespace kato::backup
