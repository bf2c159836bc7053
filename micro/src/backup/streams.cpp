#include "backup/streams.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "backup/archive.hpp"

namespace kato::backup {

PartStreams::PartStreams(std::vector<StreamSource*> sources) : sources_(std::move(sources)) {
  running_ = sources_.size();
  buffers_left_ = sources_.size() + 1;  // one filling per source, and one being written
  for (std::size_t i = 0; i < sources_.size(); ++i) threads_.emplace_back([this, i] { read_source(i); });
}

PartStreams::~PartStreams() {
  bool cancel = false;
  {
    std::lock_guard lock(mu_);
    cancel = running_ > 0;
    stop_ = true;
  }
  cv_.notify_all();
  if (cancel) cancel_all();
  for (auto& t : threads_) t.join();
}

void PartStreams::cancel_all() {
  for (StreamSource* s : sources_) s->cancel();
}

void PartStreams::fail(const std::string& error) {
  {
    std::lock_guard lock(mu_);
    if (error_.empty()) error_ = error;
    stop_ = true;
  }
  cv_.notify_all();
}

bool PartStreams::next(Part& part) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !ready_.empty() || running_ == 0 || !error_.empty(); });
  if (!error_.empty()) {
    std::string error = error_;
    lock.unlock();
    cancel_all();  // the other tools end now rather than at their streams' ends
    throw std::runtime_error(error);
  }
  if (ready_.empty()) return false;
  part = std::move(ready_.front());
  ready_.pop_front();
  return true;
}

void PartStreams::recycle(std::vector<char> bytes) {
  {
    std::lock_guard lock(mu_);
    spare_.push_back(std::move(bytes));
  }
  cv_.notify_all();
}

bool PartStreams::take_buffer(std::vector<char>& buf) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stop_ || !spare_.empty() || buffers_left_ > 0; });
  if (stop_) return false;
  if (!spare_.empty()) {
    buf = std::move(spare_.back());  // maybe empty (a stream's last part), its capacity kept
    spare_.pop_back();
    return true;
  }
  --buffers_left_;
  return true;  // made by the caller's resize, outside the lock
}

void PartStreams::read_source(std::size_t i) {
  StreamSource& source = *sources_[i];
  try {
    std::string member;
    int fd = -1;
    while (source.next(member, fd)) {
      bool complete = read_stream(fd, member);
      source.finished();  // the tool's exit status: a dump cut short fails here
      if (!complete) break;
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  {
    std::lock_guard lock(mu_);
    --running_;
  }
  cv_.notify_all();
}

// Reads fd to its end in parts; false if stopped first.
bool PartStreams::read_stream(int fd, const std::string& member) {
  ::fcntl(fd, F_SETPIPE_SZ, 1 << 20);  // a pipe: the tool runs further ahead (refused for a file: fine)
  for (std::size_t index = 0;; ++index) {
    std::vector<char> buf;
    if (!take_buffer(buf)) return false;
    buf.resize(kPart);
    std::size_t have = 0;
    while (have < buf.size()) {
      ssize_t n = ::read(fd, buf.data() + have, buf.size() - have);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error("reading the dump for " + member + ": " + std::strerror(errno));
      if (n == 0) break;
      have += static_cast<std::size_t>(n);
    }
    buf.resize(have);
    bool last = have < kPart;
    {
      std::lock_guard lock(mu_);
      ready_.push_back(Part{member, index, std::move(buf), last});
    }
    cv_.notify_all();
    if (last) return true;
  }
}

}  // namespace kato::backup
