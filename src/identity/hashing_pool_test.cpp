#include "identity/hashing_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

namespace archon::identity {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Work that blocks its pool thread until the test opens the gate.
struct Gate {
  std::promise<void> opener;
  std::shared_future<void> opened = opener.get_future().share();
  void open() { opener.set_value(); }
};

TEST(HashingPool, ResultArrivesOnTheAwaitingIoContextThread) {
  HashingPool pool(2, 4);
  asio::io_context io;
  std::thread::id work_thread, resumed_thread;
  std::optional<int> result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const auto executor_before = co_await asio::this_coro::executor;
        result = co_await pool.run<int>([&] {
          work_thread = std::this_thread::get_id();
          return 42;
        });
        resumed_thread = std::this_thread::get_id();
        EXPECT_TRUE(executor_before == co_await asio::this_coro::executor);
      },
      asio::detached);
  io.run();  // returns only once the coroutine is done: the pending job keeps `io` busy
  ASSERT_EQ(result, 42);
  EXPECT_EQ(resumed_thread, std::this_thread::get_id());
  EXPECT_NE(work_thread, std::this_thread::get_id());
  EXPECT_NE(work_thread, std::thread::id{});
}

TEST(HashingPool, FullPoolAnswersNulloptAtOnceWithoutRunningTheWork) {
  HashingPool pool(1, 2);  // one running + two waiting; the fourth is refused
  asio::io_context io;
  Gate gate;
  std::atomic<int> ran{0};
  std::vector<std::optional<int>> results(4);
  int finished = 0;
  for (int i = 0; i < 4; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          results[i] = co_await pool.run<int>([&, i] {
            gate.opened.wait();
            ++ran;
            return i;
          });
          ++finished;
          if (i == 3) {
            // Refused while the others still wait on the gate: nothing has run yet.
            EXPECT_EQ(ran.load(), 0);
            EXPECT_EQ(finished, 1);
            EXPECT_EQ(pool.busy() + pool.queued(), 3u);
            gate.open();
          }
        },
        asio::detached);
  }
  io.run_for(20s);  // a refusal that waited for the gate would deadlock until this deadline
  EXPECT_EQ(finished, 4);
  EXPECT_EQ(results[0], 0);
  EXPECT_EQ(results[1], 1);
  EXPECT_EQ(results[2], 2);
  EXPECT_EQ(results[3], std::nullopt);
  EXPECT_EQ(ran.load(), 3);
  EXPECT_EQ(pool.busy(), 0u);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(HashingPool, CountsQueuedAndBusyJobs) {
  HashingPool pool(1, 5);
  asio::io_context io;
  Gate gate;
  for (int i = 0; i < 3; ++i)
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await pool.run<bool>([&] {
            gate.opened.wait();
            return true;
          });
        },
        asio::detached);
  io.poll();  // starts the coroutines: each submits and suspends
  for (int i = 0; i < 200 && pool.busy() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(pool.busy(), 1u);
  EXPECT_EQ(pool.queued(), 2u);
  gate.open();
  io.run_for(20s);
  EXPECT_EQ(pool.busy(), 0u);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(HashingPool, ExceptionFromTheWorkReachesTheAwaiter) {
  HashingPool pool(1, 1);
  asio::io_context io;
  std::string caught;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await pool.run<int>([]() -> int { throw std::runtime_error("argon2 exploded"); });
        } catch (const std::runtime_error& e) {
          caught = e.what();
        }
        // The pool is still usable afterwards.
        EXPECT_EQ(co_await pool.run<int>([] { return 7; }), 7);
      },
      asio::detached);
  io.run();
  EXPECT_EQ(caught, "argon2 exploded");
}

TEST(HashingPool, ManyIoThreadsEachResumeOnTheirOwnContext) {
  HashingPool pool(2, 1000);
  constexpr int kContexts = 3, kJobsPerContext = 100;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::atomic<int> correct{0};
  for (int c = 0; c < kContexts; ++c) contexts.push_back(std::make_unique<asio::io_context>());
  std::vector<std::thread::id> context_threads(kContexts);
  for (int c = 0; c < kContexts; ++c)
    for (int j = 0; j < kJobsPerContext; ++j)
      asio::co_spawn(
          *contexts[c],
          [&, c, j]() -> asio::awaitable<void> {
            const auto value = co_await pool.run<int>([c, j] { return c * 1000 + j; });
            if (value == c * 1000 + j && std::this_thread::get_id() == context_threads[c]) ++correct;
          },
          asio::detached);
  std::vector<std::thread> threads;
  std::promise<void> ids_known;
  std::shared_future<void> ids_ready = ids_known.get_future().share();
  for (int c = 0; c < kContexts; ++c)
    threads.emplace_back([&, c] {
      ids_ready.wait();
      contexts[c]->run();
    });
  for (int c = 0; c < kContexts; ++c) context_threads[c] = threads[c].get_id();
  ids_known.set_value();
  for (auto& t : threads) t.join();
  EXPECT_EQ(correct.load(), kContexts * kJobsPerContext);
}

TEST(HashingPool, DestructionWithQueuedWorkIsClean) {
  asio::io_context io;
  auto pool = std::make_unique<HashingPool>(1, 10);
  Gate gate;
  std::atomic<int> ran{0};
  int answered = 0, refused = 0;
  for (int i = 0; i < 6; ++i)
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          // A capture that owns memory, so that a leak or a double free would show under ASan.
          // Named before the co_await: see the GCC 12 note in hashing_pool.hpp.
          auto payload = std::make_shared<std::vector<char>>(4096, static_cast<char>(i));
          std::function<int()> work = [&, payload] {
            gate.opened.wait();
            ++ran;
            return static_cast<int>(payload->size());
          };
          const auto result = co_await pool->run(std::move(work));
          result ? ++answered : ++refused;
        },
        asio::detached);
  io.poll();  // every coroutine has submitted; job 0 blocks the only thread
  for (int i = 0; i < 200 && pool->busy() == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(pool->busy(), 1u);
  ASSERT_EQ(pool->queued(), 5u);

  std::thread opener([&] {
    std::this_thread::sleep_for(50ms);  // let the destructor start waiting on the running job
    gate.open();
  });
  pool.reset();  // cancels the five queued jobs, waits for the running one
  opener.join();
  EXPECT_EQ(ran.load(), 1);
  io.run();  // the answers were posted to `io`; run them
  EXPECT_EQ(answered, 1);
  EXPECT_EQ(refused, 5);
}

TEST(HashingPool, DestroyingTheIoContextWithPendingAnswersLeaksNothing) {
  auto io = std::make_unique<asio::io_context>();
  {
    HashingPool pool(1, 4);
    for (int i = 0; i < 3; ++i)
      asio::co_spawn(
          *io,
          [&]() -> asio::awaitable<void> {
            co_await pool.run<std::string>([] { return std::string(1000, 'x'); });
          },
          asio::detached);
    io->poll();
  }  // the pool finishes or cancels each job and posts its answer to `io`, never run
  io.reset();  // destroys the suspended coroutines with the posted answers (LeakSanitizer checks)
  SUCCEED();
}

// The hasher keeps its memory per thread and gives it back from this hook.
TEST(HashingPool, AWorkerThatFallsIdleCallsOnIdleOnceOnItsOwnThread) {
  std::atomic<int> idle_calls{0};
  std::mutex seen_mutex;
  std::thread::id work_thread, idle_thread;
  HashingPool pool(
      2, 4,
      [&] {
        std::lock_guard lock(seen_mutex);
        idle_thread = std::this_thread::get_id();
        ++idle_calls;
      },
      50ms);
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(idle_calls.load(), 0) << "a worker that never worked has nothing to give back";

  asio::io_context io;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await pool.run<bool>([&] {
          std::lock_guard lock(seen_mutex);
          work_thread = std::this_thread::get_id();
          return true;
        });
      },
      asio::detached);
  io.run_for(20s);
  for (int i = 0; i < 400 && idle_calls.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(200ms);  // several idle periods: still one call
  EXPECT_EQ(idle_calls.load(), 1);
  std::lock_guard lock(seen_mutex);
  EXPECT_EQ(idle_thread, work_thread);
}

TEST(HashingPool, NeedsAThread) { EXPECT_THROW(HashingPool(0, 1), std::invalid_argument); }

}  // namespace
}  // namespace archon::identity
