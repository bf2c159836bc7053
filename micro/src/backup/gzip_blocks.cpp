#include "backup/gzip_blocks.hpp"

#include "backup/output.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kato::backup {

namespace {

struct Block {
  std::vector<char> in, out;
  bool done = false;  // guarded by Impl::mu
};

}  // namespace

struct ParallelGzip::Impl {
  Output* out = nullptr;
  int level = 1;
  std::size_t max_in_flight = 2;
  std::mutex mu;
  std::condition_variable work, done;
  std::deque<std::shared_ptr<Block>> in_flight;  // guarded by mu: in the stream's order
  std::deque<Block*> todo;                       // guarded by mu: not yet taken by a thread
  bool stopping = false;                         // guarded by mu
  std::vector<std::thread> pool;
  std::shared_ptr<Block> filling;  // the caller's
  std::string error;               // the caller's: a failed write, repeated
  std::size_t submitted = 0;       // the caller's

  void compress_loop() {
    libdeflate_compressor* c = libdeflate_alloc_compressor(level);
    for (;;) {
      Block* b = nullptr;
      {
        std::unique_lock lock(mu);
        work.wait(lock, [&] { return stopping || !todo.empty(); });
        if (stopping) break;
        b = todo.front();
        todo.pop_front();
      }
      // The bound holds for any input, so compression cannot fail for want of room.
      b->out.resize(libdeflate_gzip_compress_bound(c, b->in.size()));
      std::size_t n = c ? libdeflate_gzip_compress(c, b->in.data(), b->in.size(), b->out.data(), b->out.size()) : 0;
      b->out.resize(n);
      {
        std::lock_guard lock(mu);
        b->done = true;
      }
      done.notify_all();
    }
    libdeflate_free_compressor(c);
  }

  // Writes the oldest block once compressed (the caller's thread).
  void write_oldest() {
    std::shared_ptr<Block> b;
    {
      std::unique_lock lock(mu);
      done.wait(lock, [&] { return in_flight.front()->done; });
      b = in_flight.front();
      in_flight.pop_front();
    }
    if (b->out.empty()) throw std::runtime_error("writing the archive: libdeflate could not compress a block");
    out->write(b->out.data(), b->out.size());
  }

  void submit() {
    while (in_flight_size() >= max_in_flight) write_oldest();
    {
      std::lock_guard lock(mu);
      in_flight.push_back(filling);
      todo.push_back(filling.get());
    }
    work.notify_one();
    ++submitted;
    filling = std::make_shared<Block>();
    filling->in.reserve(kBlock);
  }

  std::size_t in_flight_size() {
    std::lock_guard lock(mu);
    return in_flight.size();
  }

  // Runs `step`; a failure is kept so that every later call says the same.
  template <typename F>
  void guarded(F step) {
    if (!error.empty()) throw std::runtime_error(error);
    try {
      step();
    } catch (const std::exception& e) {
      error = e.what();
      throw;
    }
  }
};

ParallelGzip::ParallelGzip(Output& out, int level, unsigned threads) : impl_(std::make_unique<Impl>()) {
  impl_->out = &out;
  impl_->level = level;
  // Eight cores compress faster than any dump tool writes; more would only hold more memory.
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  impl_->max_in_flight = 2 * threads;
  impl_->filling = std::make_shared<Block>();
  impl_->filling->in.reserve(kBlock);
  for (unsigned i = 0; i < threads; ++i) impl_->pool.emplace_back([impl = impl_.get()] { impl->compress_loop(); });
}

ParallelGzip::~ParallelGzip() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->work.notify_all();
  for (auto& t : impl_->pool) t.join();
}

void ParallelGzip::write(const char* p, std::size_t n) {
  impl_->guarded([&] {
    while (n > 0) {
      auto& in = impl_->filling->in;
      std::size_t take = std::min(n, kBlock - in.size());
      in.insert(in.end(), p, p + take);
      p += take;
      n -= take;
      if (in.size() == kBlock) impl_->submit();
    }
  });
}

void ParallelGzip::finish() {
  impl_->guarded([&] {
    // A stream that ends on a block's end needs no empty member; one that never began does.
    if (!impl_->filling->in.empty() || impl_->submitted == 0) impl_->submit();
    while (impl_->in_flight_size() > 0) impl_->write_oldest();
  });
}

}  // namespace kato::backup
