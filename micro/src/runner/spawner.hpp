#pragma once
// The one thread that forks app instances, and the thread that replaces kato's image in an
// in-place upgrade.
//
// Why one thread, and why it is kato's main thread: an instance's parent-death signal
// (sandbox::Policy::die_with_parent) is tied to the *thread* that forked it, not to the process.
// Instances must die with kato (a kill -9 too), but neither when some worker thread ends nor
// when kato execs its new executable in place (execve keeps only the calling thread: the
// children of any other thread get their parent-death signal). So every instance is forked by
// the thread that runs Spawner::run(), which is kato's main thread in every image, and an
// upgrade's execve runs there too (Spawner::call).
//
// Lock order: Spawner::mutex_ is a leaf; the work itself runs without it.

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>

namespace kato::runner {

class Spawner {
 public:
  // Runs `work` on the spawner's thread and waits for it; the work's exception comes out here.
  // Throws std::runtime_error when the spawner has stopped (kato is shutting down).
  void call(std::function<void()> work);
  // The loop, on the calling thread, until stop(): work queued before stop() still runs.
  void run();
  void stop();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<void()>> queue_;  // guarded by mutex_
  bool stopped_ = false;                           // guarded by mutex_
};

}  // namespace kato::runner
