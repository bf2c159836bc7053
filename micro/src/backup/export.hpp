#pragma once
// kato data export: the whole micro cloud in one archive (archive.hpp) while it serves. The
// controller's state through SQLite's online backup, the blob store (packages, droplets, the
// resource cache) as files, each service instance as its engine backs up while serving
// (brokers::Broker::backup), filesystem volumes as files.

#include <filesystem>
#include <string>

#include "backup/archive.hpp"

namespace kato::backup {

struct ExportSummary {
  std::size_t apps = 0, instances = 0;
  std::uint64_t bytes = 0;  // of members, before compression
};

// Writes the archive to fd. A running kato's servers are used as they are; for a stopped kato
// they are started for the export and stopped after it.
ExportSummary export_data(const std::filesystem::path& data, int fd, const Progress& progress = {},
                          Compression compression = Compression::gzip);

// The controller's database copied to `to` with SQLite's online backup: a consistent snapshot
// while kato writes.
void snapshot_database(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace kato::backup
