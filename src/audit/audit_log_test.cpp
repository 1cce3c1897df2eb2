#include "audit/audit_log.hpp"

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/sql/sql_identity_store.hpp"
#include "tokens/token_test_support.hpp"

namespace archon::audit {
namespace {

TEST(AuditLog, TheWriterThreadKeepsOneIntactChainUnderConcurrentRecords) {
  tokens::testing::TempStore ts;
  store::SqlIdentityStore store(*ts.sql);
  AuditLog log(store);
  log.start_writer(/*max_queue=*/64);  // small: some records take the synchronous path
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i)
        log.record({"req_" + std::to_string(t) + "_" + std::to_string(i), "127.0.0.1", "test"}, "agent_verify",
                   "allowed", "agent_1", std::nullopt, {{"i", i}});
    });
  for (auto& t : threads) t.join();
  log.flush();  // everything recorded is now readable
  EXPECT_EQ(store.all_audit_events().size(), 1000u);
  auto v = log.verify();
  EXPECT_TRUE(v.intact);
  EXPECT_EQ(v.events, 1000);
}

TEST(AuditLog, DestructionWritesWhatIsQueued) {
  tokens::testing::TempStore ts;
  store::SqlIdentityStore store(*ts.sql);
  {
    AuditLog log(store);
    log.start_writer();
    for (int i = 0; i < 100; ++i) log.record({"req", "127.0.0.1", "t"}, "login", "success", "u", "u");
  }
  EXPECT_EQ(store.all_audit_events().size(), 100u);
}

// The batch window: events wait for their batch, but a flush() or shutdown never waits it out.
TEST(AuditLog, EventsGatherForTheBatchWindowAndFlushOrShutdownCutsItShort) {
  tokens::testing::TempStore ts;
  store::SqlIdentityStore store(*ts.sql);
  const auto window = std::chrono::seconds(30);  // far longer than the test
  {
    AuditLog log(store);
    log.start_writer(/*max_queue=*/65536, window);
    log.record({"req_1", "127.0.0.1", "t"}, "login", "success", "u", "u");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(store.all_audit_events().size(), 0u);  // still gathering
    const auto start = std::chrono::steady_clock::now();
    log.flush();
    EXPECT_LT(std::chrono::steady_clock::now() - start, window / 3);
    EXPECT_EQ(store.all_audit_events().size(), 1u);
    log.record({"req_2", "127.0.0.1", "t"}, "login", "success", "u", "u");
    log.record({"req_3", "127.0.0.1", "t"}, "logout", "success", "u", "u");
  }  // destruction writes the gathering batch without waiting out the window
  EXPECT_EQ(store.all_audit_events().size(), 3u);
}

TEST(AuditLog, AFullBatchIsWrittenWithoutWaitingForTheWindow) {
  tokens::testing::TempStore ts;
  store::SqlIdentityStore store(*ts.sql);
  AuditLog log(store);
  log.start_writer(/*max_queue=*/65536, std::chrono::seconds(30));
  for (std::size_t i = 0; i < AuditLog::kMaxBatchEvents; ++i)
    log.record({"req", "127.0.0.1", "t"}, "agent_verify", "allowed", "agt_x", "u");
  for (int i = 0; i < 500 && store.all_audit_events().size() < AuditLog::kMaxBatchEvents; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(store.all_audit_events().size(), AuditLog::kMaxBatchEvents);
  EXPECT_TRUE(log.verify().intact);
}

TEST(AuditLog, ABatchIsOneChainedRun) {
  tokens::testing::TempStore ts;
  store::SqlIdentityStore store(*ts.sql);
  std::vector<store::AuditEventRecord> batch(5);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].at = 1000;
    batch[i].event = "login";
    batch[i].outcome = "success";
    batch[i].actor = "u";
    if (i % 2) batch[i].user_id = "u";  // alternate NULL and a value: binds are reset between rows
  }
  store.append_audit_batch(batch);
  auto events = store.all_audit_events();
  ASSERT_EQ(events.size(), 5u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(events[i].user_id.has_value(), i % 2 == 1);
    if (i) {
      EXPECT_EQ(events[i].prev_hash, events[i - 1].hash);
    }
  }
}

}  // namespace
}  // namespace archon::audit
