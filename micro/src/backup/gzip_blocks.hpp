#pragma once
// gzip on every core: the stream is cut into blocks, each compressed into a gzip member of its
// own by libdeflate (about twice zlib's speed at level 1, at a slightly better ratio) on a pool
// of threads, and the members written to the output in order. A file of several members is
// one gzip file (RFC 1952, 2.2): gzip -d, tar xzf, libarchive and Python's gzip read it whole.
// An export's default .tgz otherwise ran at 0.6 of the dump tools' speed, zlib's one thread
// being the slowest step (docs/benchmarks.md).
//
// Memory: at most 2 blocks per thread in flight, each with its compressed copy (16 MiB on two
// cores, 64 MiB at most).
// Threads: the caller's (write, finish: it also writes the finished members) and the pool's.

#include <cstddef>
#include <memory>

namespace kato::backup {

class Output;

class ParallelGzip {
 public:
  static constexpr std::size_t kBlock = std::size_t(2) << 20;
  // threads 0: one per core, at most 8.
  explicit ParallelGzip(Output& out, int level = 1, unsigned threads = 0);
  ~ParallelGzip();  // stops the pool; what was not finished stays unwritten
  ParallelGzip(const ParallelGzip&) = delete;
  ParallelGzip& operator=(const ParallelGzip&) = delete;
  // Throws std::runtime_error when writing the output fails (then every later call throws it too).
  void write(const char* p, std::size_t n);
  // Compresses what is left and writes every member; an empty stream is one empty member.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kato::backup
