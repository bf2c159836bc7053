#pragma once
// Streams of unknown length (dump tools' pipes) read at once and cut into parts of at most kPart
// bytes, for the archive's writer. One thread per source reads that source's streams in turn;
// the writer takes parts as they come: a stream's parts in order, different streams' parts
// interleaved (the reader of the archive joins each stream's parts by name).
//
// Why: an export dumps every service's server. One after another, the export took the sum of
// the dumps' times; at once, about the longest one's (docs/benchmarks.md). And a tool never waits
// on its pipe while a part is hashed, compressed and written.
//
// Memory is bounded: at most one kPart buffer more than there are sources exists, made as
// needed; they circulate between the readers and the writer, which gives each back (recycle)
// once it is written (a .tgz export of two servers peaks at ~66 MB: docs/benchmarks.md).
//
// Threads: the caller's (next, recycle, the destructor) and one per source. One lock, mu_,
// guards the queue, the spare buffers and the error; no I/O happens under it, and no source's
// method is called under it (a source's own lock is never taken inside mu_).

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kato::backup {

// Where one source's streams come from (a server's dumps, each a tool run in turn). Its
// methods but cancel run on the source's own thread.
class StreamSource {
 public:
  virtual ~StreamSource() = default;
  // The next stream's member name and the descriptor to read it from (to its end, then
  // finished() is called); false when there is none left. May throw (a tool that won't start).
  virtual bool next(std::string& name, int& fd) = 0;
  // After the current stream ended: waits for what wrote it; throws if that failed.
  virtual void finished() = 0;
  // From another thread, after an error elsewhere: ends the current stream early (kills its
  // tool, so that a blocked read returns). finished() still follows.
  virtual void cancel() = 0;
};

struct Part {
  std::string member;     // the stream's name
  std::size_t index = 0;  // 0, 1, ... within its stream
  std::vector<char> bytes;
  bool last = false;  // the stream's final part: shorter than kPart (an empty stream: one empty part)
};

class PartStreams {
 public:
  explicit PartStreams(std::vector<StreamSource*> sources);
  // Cancels the sources still reading and waits for their threads.
  ~PartStreams();
  PartStreams(const PartStreams&) = delete;
  PartStreams& operator=(const PartStreams&) = delete;

  // The next part of any stream; false once every source is done. Throws the first error of any
  // source (after which the others are cancelled).
  bool next(Part& part);
  // Gives a part's buffer back to be filled again.
  void recycle(std::vector<char> bytes);

 private:
  void read_source(std::size_t i);
  bool read_stream(int fd, const std::string& member);
  bool take_buffer(std::vector<char>& buf);  // waits for a spare buffer; false when stopping
  void fail(const std::string& error);
  void cancel_all();

  std::vector<StreamSource*> sources_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Part> ready_;                // GUARDED_BY(mu_)
  std::vector<std::vector<char>> spare_;  // GUARDED_BY(mu_)
  std::size_t buffers_left_ = 0;          // GUARDED_BY(mu_): buffers that may still be made
  std::size_t running_ = 0;               // GUARDED_BY(mu_): sources not done yet
  std::string error_;                     // GUARDED_BY(mu_): the first failure
  bool stop_ = false;                     // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;      // the caller's thread only
};

}  // namespace kato::backup
