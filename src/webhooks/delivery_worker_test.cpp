#include "webhooks/delivery_worker.hpp"

#include <gtest/gtest.h>

namespace archon::webhooks {

TEST(DeliveryWorker, RetriesFollowTheScheduleWithinTheJitterThenStop) {
  using std::chrono::seconds;
  std::vector<seconds> schedule{seconds(5), seconds(300), seconds(1800)};
  EXPECT_EQ(DeliveryWorker::next_attempt(1000, 1, schedule, 0.5), 1005);
  EXPECT_EQ(DeliveryWorker::next_attempt(1000, 2, schedule, 0.0), 1000 + 240);   // -20%
  EXPECT_EQ(DeliveryWorker::next_attempt(1000, 3, schedule, 0.999999), 1000 + 2160);  // +20%
  EXPECT_FALSE(DeliveryWorker::next_attempt(1000, 4, schedule, 0.5).has_value());  // 1 + 3 attempts made
  EXPECT_FALSE(DeliveryWorker::next_attempt(1000, 0, schedule, 0.5).has_value());
  EXPECT_EQ(DeliveryWorker::next_attempt(1000, 1, {seconds(1)}, 0.0), 1001);  // never sooner than a second
}

}  // namespace archon::webhooks
