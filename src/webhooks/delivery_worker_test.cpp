#include "webhooks/delivery_worker.hpp"

#include <gtest/gtest.h>

namespace archon::webhooks {

TEST(DeliveryWorker, RetriesFollowTheScheduleWithinTheJitterThenStop) {
  using std::chrono::seconds;
  std::vector<seconds> schedule{seconds(5), seconds(300), seconds(1800)};
  EXPECT_EQ(DeliveryWorker::next_attempt(1'000'000, 1, schedule, 0.5), 1005);
  EXPECT_EQ(DeliveryWorker::next_attempt(1'000'000, 2, schedule, 0.0), 1000 + 240);       // -20%
  EXPECT_EQ(DeliveryWorker::next_attempt(1'000'000, 3, schedule, 0.999999), 1000 + 2160);  // +20%
  EXPECT_FALSE(DeliveryWorker::next_attempt(1'000'000, 4, schedule, 0.5).has_value());  // 1 + 3 attempts made
  EXPECT_FALSE(DeliveryWorker::next_attempt(1'000'000, 0, schedule, 0.5).has_value());
}

TEST(DeliveryWorker, AWaitIsNeverShorterThanDrawnOnAWholeSecondClock) {
  using std::chrono::seconds;
  // 1 s at -20% from 1000.9 s is 1001.7 s: the attempt is due from second 1002, not 1001.
  EXPECT_EQ(DeliveryWorker::next_attempt(1'000'900, 1, {seconds(1)}, 0.0), 1002);
  EXPECT_EQ(DeliveryWorker::next_attempt(1'000'000, 1, {seconds(1)}, 0.5), 1001);
}

}  // namespace archon::webhooks
