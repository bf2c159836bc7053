#pragma once
// What crosses an in-place upgrade's execve (admin/upgrade.hpp): the listening socket and the
// data dir's lock as inherited descriptors, and the app instances, which keep running. The old
// image writes it (0600, beside kato.json) just before its execve; the new image reads and
// deletes it first thing, and adopts what it names.

#include <filesystem>
#include <vector>

#include "runner/runner.hpp"

namespace kato::admin {

struct Takeover {
  int listen_fd = -1;
  int lock_fd = -1;
  int generation = 0;  // images this kato has had before the new one (kato.json's "generation")
  std::vector<runner::Handover> instances;
};

// Writes `t` to `file`, fsynced, and clears FD_CLOEXEC on every descriptor it names, so that
// they stay open across the execve (and only they: every other descriptor of kato is O_CLOEXEC).
void write_takeover(const std::filesystem::path& file, const Takeover& t);

// Reads `file` and deletes it. Throws std::runtime_error naming the file and the field when it
// is malformed, or when the listening socket or the lock is not open. An instance whose pipes are
// not open pipes keeps running without its output (-1): it must not read someone else's file.
Takeover read_takeover(const std::filesystem::path& file);

}  // namespace kato::admin
