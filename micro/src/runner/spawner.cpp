#include "runner/spawner.hpp"

#include <stdexcept>

namespace kato::runner {

void Spawner::call(std::function<void()> work) {
  std::packaged_task<void()> task(std::move(work));
  auto done = task.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopped_) throw std::runtime_error("kato is stopping");
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  done.get();
}

void Spawner::run() {
  for (;;) {
    std::unique_lock lock(mutex_);
    wake_.wait(lock, [&] { return stopped_ || !queue_.empty(); });
    if (queue_.empty()) return;
    auto task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    task();
  }
}

void Spawner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  wake_.notify_all();
}

}  // namespace kato::runner
