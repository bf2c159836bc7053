#include "backup/output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace kato::backup {

Output::Output(int fd) : fd_(fd) {
  struct stat st{};
  file_ = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  off_t at = file_ ? ::lseek(fd, 0, SEEK_CUR) : 0;
  written_ = sent_ = at > 0 ? static_cast<std::uint64_t>(at) : 0;
}

void Output::write(const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw std::runtime_error(std::string("writing the archive: ") + std::strerror(errno));
    p += w;
    n -= static_cast<std::size_t>(w);
    written_ += static_cast<std::uint64_t>(w);
  }
  if (file_) send_to_disk();
}

void Output::send_to_disk() {
  while (written_ - sent_ >= kRange) {
    // Start writing this range; then wait for the one two before it to be on disk. Errors are
    // not lost: the fsync at the end reports them.
    ::sync_file_range(fd_, static_cast<off_t>(sent_), static_cast<off_t>(kRange), SYNC_FILE_RANGE_WRITE);
    if (sent_ >= 2 * kRange)
      ::sync_file_range(fd_, static_cast<off_t>(sent_ - 2 * kRange), static_cast<off_t>(kRange),
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    sent_ += kRange;
  }
}

}  // namespace kato::backup
