// A bounded pool of worker threads for CPU-heavy work (password hashing), awaited from Asio
// coroutines so I/O threads never block. Thread-safe: run(), queued(), busy() from any thread.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace archon::identity {

// Why not asio::thread_pool: its queue has no bound, and a bound is the point here.
//
// Lifetime: destroy the pool after the last run() has been called but before the io_contexts
// whose coroutines await it are destroyed (declare it after them). The destructor answers queued
// jobs std::nullopt without running them, lets running jobs finish, and joins the threads.
class HashingPool {
 public:
  // `threads` workers (at least 1); up to `max_queued` jobs may wait while all of them are busy.
  // A worker that has found no job for `idle_after` since its last one calls `on_idle` once on
  // its own thread (the hasher gives back the memory it keeps per thread there).
  // Throws std::invalid_argument for threads == 0, std::system_error when a thread cannot start.
  HashingPool(std::size_t threads, std::size_t max_queued, std::function<void()> on_idle = {},
              std::chrono::milliseconds idle_after = std::chrono::seconds(1));
  ~HashingPool();
  HashingPool(const HashingPool&) = delete;
  HashingPool& operator=(const HashingPool&) = delete;

  // Runs `work` on a pool thread and resumes the awaiting coroutine on its own executor with the
  // result. std::nullopt, without running `work`, when the pool is full (every thread busy and
  // `max_queued` jobs waiting) or shutting down: the caller answers 503 with Retry-After. An
  // exception thrown by `work` is rethrown in the awaiting coroutine. `work` and what it captures
  // are destroyed on the pool thread before the coroutine resumes. Not cancellable once accepted.
  //
  // GCC 12 destroys an aggregate temporary (a lambda's closure included) twice when it is
  // created inside a co_await expression. Capturing by reference ([&]) is harmless; a lambda
  // that captures by value something with a destructor (a std::string, a shared_ptr) must be
  // named first, or it is freed twice:
  //   std::function<std::string()> work = [&hasher, password] { return hasher.hash(password); };
  //   auto stored = co_await pool.run(std::move(work));
  template <class T>
  boost::asio::awaitable<std::optional<T>> run(std::function<T()> work);

  // For metrics and health: jobs waiting for a thread, and jobs running now.
  std::size_t queued() const;
  std::size_t busy() const;

 private:
  // One accepted job, type-erased. Exactly one of execute()+complete() or cancel() is called.
  class Job {
   public:
    virtual ~Job() = default;
    virtual void execute() noexcept = 0;   // on a pool thread: runs the work, keeps the outcome
    virtual void complete() noexcept = 0;  // hands the outcome to the awaiting coroutine
    virtual void cancel() noexcept = 0;    // answers std::nullopt without running the work
  };
  template <class T, class Handler>
  class TypedJob;

  // Takes `job` when there is room; otherwise leaves it with the caller and returns false.
  bool try_enqueue(std::unique_ptr<Job>& job);
  void worker_loop();
  void stop_and_join() noexcept;

  const std::size_t thread_count_;
  const std::size_t max_queued_;
  const std::function<void()> on_idle_;
  const std::chrono::milliseconds idle_after_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<Job>> queue_;  // guarded by mutex_
  std::size_t running_ = 0;                 // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  std::vector<std::thread> workers_;
};

template <class T, class Handler>
class HashingPool::TypedJob final : public Job {
 public:
  TypedJob(std::function<T()> work, Handler handler)
      : work_(std::move(work)),
        handler_(std::move(handler)),
        // Keeps the awaiting io_context from running out of work while the job is pending.
        work_guard_(boost::asio::make_work_guard(boost::asio::get_associated_executor(handler_))) {}

  void execute() noexcept override {
    try {
      result_.emplace(work_());
    } catch (...) {
      error_ = std::current_exception();
    }
    work_ = nullptr;  // free the captures (e.g. a password) here, not on the I/O thread
  }

  void complete() noexcept override {
    auto executor = work_guard_.get_executor();
    boost::asio::post(executor, [handler = std::move(handler_), error = error_, result = std::move(result_)]() mutable {
      std::move(handler)(error, std::move(result));
    });
    work_guard_.reset();
  }

  void cancel() noexcept override {
    work_ = nullptr;
    result_.reset();
    error_ = nullptr;
    complete();
  }

 private:
  std::function<T()> work_;
  Handler handler_;
  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> work_guard_;
  std::optional<T> result_;
  std::exception_ptr error_;
};

template <class T>
boost::asio::awaitable<std::optional<T>> HashingPool::run(std::function<T()> work) {
  static_assert(!std::is_void_v<T>, "return a value (e.g. bool) from the work");
  // The (exception_ptr, value) signature makes use_awaitable rethrow the work's exception.
  co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                 void(std::exception_ptr, std::optional<T>)>(
      [this](auto handler, std::function<T()> job_work) {
        std::unique_ptr<Job> job =
            std::make_unique<TypedJob<T, decltype(handler)>>(std::move(job_work), std::move(handler));
        // Refused: complete through a post, as asio requires of an initiation (never inline).
        if (!try_enqueue(job)) job->cancel();
      },
      boost::asio::use_awaitable, std::move(work));
}

}  // namespace archon::identity
