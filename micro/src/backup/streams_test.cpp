// PartStreams: several sources read at once; every stream comes out whole, its parts numbered in
// order and the last one marked (an empty stream: one empty part); memory stays within its
// buffers; a source's failure reaches the caller, and the others are cancelled, not waited for.
#include "backup/streams.hpp"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "backup/archive.hpp"

using kato::backup::kPart;
using kato::backup::Part;
using kato::backup::PartStreams;
using kato::backup::StreamSource;

namespace {

std::string sample(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Streams written into pipes by threads, as dump tools write theirs. `endless`: the stream goes
// on until cancelled. `fail`: finished() throws after that stream, as for a tool's exit 1.
class PipeSource : public StreamSource {
 public:
  struct Stream {
    std::string name, bytes;
    bool endless = false, fail = false;
  };
  explicit PipeSource(std::vector<Stream> streams) : streams_(std::move(streams)) {}
  ~PipeSource() override { join(); }

  bool next(std::string& name, int& fd) override {
    if (at_ == streams_.size()) return false;
    int p[2];
    if (::pipe(p) != 0) throw std::runtime_error("pipe failed");
    const Stream& s = streams_[at_];
    writer_ = std::thread([this, w = p[1], &s] {
      std::size_t off = 0;
      while (!cancelled_ && (s.endless || off < s.bytes.size())) {
        std::size_t n = s.endless ? 4096 : std::min<std::size_t>(4096, s.bytes.size() - off);
        ssize_t r = ::write(w, s.endless ? s.bytes.data() : s.bytes.data() + off, n);
        if (r <= 0) break;
        off += static_cast<std::size_t>(r);
      }
      ::close(w);
    });
    read_end_ = p[0];
    name = s.name;
    fd = p[0];
    return true;
  }
  void finished() override {
    ::close(read_end_);  // first, as wait_tool does: a writer cut short gets EPIPE
    join();
    if (streams_[at_++].fail) throw std::runtime_error("the tool failed");
  }
  void cancel() override { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

 private:
  void join() {
    if (writer_.joinable()) writer_.join();
  }
  std::vector<Stream> streams_;
  std::size_t at_ = 0;
  int read_end_ = -1;
  std::thread writer_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

TEST_CASE("part streams: every stream whole and in order, several at once", "[backup]") {
  ::signal(SIGPIPE, SIG_IGN);
  std::map<std::string, std::string> want = {{"a/one", sample(2 * kPart + 5, 1)},
                                             {"a/empty", ""},
                                             {"a/exact", sample(kPart, 2)},
                                             {"b/one", sample(kPart + 77, 3)},
                                             {"b/small", "hello"}};
  PipeSource a({{"a/one", want["a/one"]}, {"a/empty", ""}, {"a/exact", want["a/exact"]}});
  PipeSource b({{"b/one", want["b/one"]}, {"b/small", "hello"}});
  std::map<std::string, std::string> got;
  std::map<std::string, std::size_t> next_index;
  std::set<std::string> ended;
  std::set<const char*> buffers;
  {
    PartStreams streams({&a, &b});
    Part part;
    while (streams.next(part)) {
      INFO(part.member << " part " << part.index);
      CHECK(ended.count(part.member) == 0);
      CHECK(part.index == next_index[part.member]++);
      CHECK(part.bytes.size() <= kPart);
      CHECK(part.last == (part.bytes.size() < kPart));
      got[part.member] += std::string(part.bytes.begin(), part.bytes.end());
      if (part.last) ended.insert(part.member);
      if (part.bytes.capacity() > 0) buffers.insert(part.bytes.data());
      streams.recycle(std::move(part.bytes));
    }
  }
  CHECK(ended.size() == want.size());
  for (const auto& [name, bytes] : want) {
    INFO(name);
    CHECK(got[name].size() == bytes.size());
    CHECK(got[name] == bytes);
  }
  CHECK(next_index["a/empty"] == 1);  // one empty part
  CHECK(next_index["a/exact"] == 2);  // a whole part, then an empty last one
  CHECK(buffers.size() <= 3);         // two sources: at most three buffers ever made
}

TEST_CASE("part streams: a failed source stops the others", "[backup]") {
  ::signal(SIGPIPE, SIG_IGN);
  PipeSource failing({{"x/dump", sample(1000, 4), false, true}, {"x/never", "not read"}});
  PipeSource endless({{"y/dump", sample(4096, 5), true}});
  std::string error;
  {
    PartStreams streams({&failing, &endless});
    Part part;
    try {
      while (streams.next(part)) {
        CHECK(part.member != "x/never");
        streams.recycle(std::move(part.bytes));
      }
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
  }  // returns: the endless stream was cut
  CHECK(error == "the tool failed");
  CHECK(endless.cancelled());
}

TEST_CASE("part streams: no sources, no parts", "[backup]") {
  PartStreams streams({});
  Part part;
  CHECK_FALSE(streams.next(part));
}
