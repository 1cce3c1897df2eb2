#include "identity/hashing_pool.hpp"

#include <pthread.h>

#include <stdexcept>

namespace archon::identity {

HashingPool::HashingPool(std::size_t threads, std::size_t max_queued, std::function<void()> on_idle,
                         std::chrono::milliseconds idle_after)
    : thread_count_(threads), max_queued_(max_queued), on_idle_(std::move(on_idle)), idle_after_(idle_after) {
  if (threads == 0) throw std::invalid_argument("the hashing pool needs at least one thread");
  workers_.reserve(threads);
  try {
    for (std::size_t i = 0; i < threads; ++i) {
      workers_.emplace_back([this] { worker_loop(); });
      // Named so that top -H and debuggers show where CPU time goes (15 characters at most).
      pthread_setname_np(workers_.back().native_handle(), "archon-hashing");
    }
  } catch (...) {
    stop_and_join();  // threads already started would otherwise std::terminate on destruction
    throw;
  }
}

HashingPool::~HashingPool() { stop_and_join(); }

void HashingPool::stop_and_join() noexcept {
  std::deque<std::unique_ptr<Job>> abandoned;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    abandoned.swap(queue_);
  }
  wake_.notify_all();
  for (auto& job : abandoned) job->cancel();
  abandoned.clear();
  for (auto& worker : workers_)
    if (worker.joinable()) worker.join();
}

bool HashingPool::try_enqueue(std::unique_ptr<Job>& job) {
  {
    std::lock_guard lock(mutex_);
    // Counting running jobs too makes the bound exact: a job handed to an idle thread that has
    // not woken yet still leaves room for `max_queued_` waiting ones.
    if (stopping_ || queue_.size() + running_ >= thread_count_ + max_queued_) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void HashingPool::worker_loop() {
  bool worked_since_idle = false;
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      auto has_work = [this] { return stopping_ || !queue_.empty(); };
      if (worked_since_idle && on_idle_ && !wake_.wait_for(lock, idle_after_, has_work)) {
        worked_since_idle = false;
        lock.unlock();
        on_idle_();
        continue;
      }
      wake_.wait(lock, has_work);
      if (stopping_) return;  // stop_and_join() answers whatever is still queued
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    job->execute();
    worked_since_idle = true;
    {
      // Before completing: a coroutine resumed by this job may submit again at once and must
      // find the slot free.
      std::lock_guard lock(mutex_);
      --running_;
    }
    job->complete();
  }
}

std::size_t HashingPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::size_t HashingPool::busy() const {
  std::lock_guard lock(mutex_);
  return running_;
}

}  // namespace archon::identity
