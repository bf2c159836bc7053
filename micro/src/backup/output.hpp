#pragma once
// Where an export's bytes go: a descriptor, written to its end. When it is a regular file, the
// file's pages are sent to disk while it grows (sync_file_range, in 8 MiB ranges, waiting for
// the range two back): the fsync that ends an export then finds little left to write, and an
// export of any size holds at most ~24 MiB of dirty pages, so that the apps kato serves meanwhile
// never stall behind the kernel flushing gigabytes at once. A pipe or socket (export to stdout,
// or over kato's API) is written as it is.

#include <cstddef>
#include <cstdint>

namespace kato::backup {

class Output {
 public:
  static constexpr std::uint64_t kRange = std::uint64_t(8) << 20;
  explicit Output(int fd);  // not owned
  // All n bytes; throws std::runtime_error with one line when the write fails (a full disk).
  void write(const char* p, std::size_t n);
  std::uint64_t written() const { return written_; }
  // Where the ranges given to the disk so far end (0 for a pipe).
  std::uint64_t sent() const { return sent_; }

 private:
  void send_to_disk();
  int fd_;
  bool file_ = false;
  std::uint64_t written_ = 0, sent_ = 0;  // sent_: where the ranges given to the disk end
};

}  // namespace kato::backup
