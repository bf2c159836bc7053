#pragma once
// kato data import: an export (archive.hpp) into this kato. The archive is staged and verified
// beside the current state (DATA/import.staging), the service instances are made anew in this
// kato's servers with the same users and passwords, and a new controller database is prepared
// (the old shared domain rewritten to this kato's, the bindings' credentials pointing at its
// servers). Only then is kato stopped, the database switched in with one rename, and kato started
// again: killed or failed before that rename, the import leaves the current state as it was.

#include <filesystem>
#include <string>

#include "backup/archive.hpp"

namespace kato::backup {

struct ImportOptions {
  std::filesystem::path data;
  std::string domain;    // --domain: the apps' new shared domain (default: this kato's)
  bool force = false;    // replace a kato that already has apps
  bool restage = false;  // restage every app after the switch
};

struct ImportSummary {
  std::size_t apps = 0, instances = 0, users = 0;
  std::string from_domain, to_domain, created;
  bool started = false;  // kato was running, and runs again with the imported state
};

// Reads the archive from fd. Throws std::runtime_error with one line.
ImportSummary import_data(const ImportOptions& options, int fd, const Progress& progress = {});

}  // namespace kato::backup
