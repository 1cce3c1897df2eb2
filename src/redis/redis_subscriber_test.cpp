#include "redis/redis_subscriber.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "redis/redis_test_server.hpp"

namespace archon::redis {
namespace {

using testing::RedisTestServer;
using testing::shared_redis_server;
using testing::test_client_config;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// What the callbacks saw, for a test thread to wait on.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> messages;
  int connects = 0;
  int disconnects = 0;

  RedisSubscriberCallbacks callbacks() {
    return {[this](std::string_view payload) { bump([&] { messages.emplace_back(payload); }); },
            [this] { bump([&] { ++connects; }); }, [this] { bump([&] { ++disconnects; }); }};
  }
  template <class F>
  void bump(F f) {
    std::lock_guard lock(mu);
    f();
    cv.notify_all();
  }
  template <class P>
  bool wait_for(P predicate, milliseconds timeout = milliseconds(3000)) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, predicate);
  }
};

RedisSubscriberConfig config_for(const RedisEndpoint& endpoint, std::string channel) {
  RedisSubscriberConfig config;
  config.endpoint = endpoint;
  config.channel = std::move(channel);
  config.connect_timeout = milliseconds(500);
  config.command_timeout = milliseconds(500);
  return config;
}

TEST(RedisSubscriberTest, ReceivesEveryMessageInOrder) {
  RedisTestServer& server = shared_redis_server();
  RedisClient client(test_client_config(server.endpoint()));
  Recorder rec;
  RedisSubscriber sub(config_for(server.endpoint(), "sub:orders"), rec.callbacks());
  ASSERT_TRUE(rec.wait_for([&] { return rec.connects == 1; }));
  EXPECT_TRUE(sub.connected());

  const std::string binary("a\0b\r\n", 5);
  const std::string big(200'000, 'z');
  EXPECT_EQ(client.publish("sub:orders", "one"), 1);
  client.publish("sub:other", "not for us");
  client.publish("sub:orders", binary);
  client.publish("sub:orders", big);
  client.publish("sub:orders", "");
  ASSERT_TRUE(rec.wait_for([&] { return rec.messages.size() == 4; }));
  EXPECT_EQ(rec.messages[0], "one");
  EXPECT_EQ(rec.messages[1], binary);
  EXPECT_EQ(rec.messages[2], big);
  EXPECT_EQ(rec.messages[3], "");
}

TEST(RedisSubscriberTest, NoticesAKillAndResubscribesAfterRestart) {
  RedisTestServer server("pub-sub-secret");
  RedisClient client(test_client_config(server.endpoint()));
  Recorder rec;
  RedisSubscriber sub(config_for(server.endpoint(), "sub:restart"), rec.callbacks());
  ASSERT_TRUE(rec.wait_for([&] { return rec.connects == 1; }));

  server.stop();
  auto killed = Clock::now();
  ASSERT_TRUE(rec.wait_for([&] { return rec.disconnects == 1; }, milliseconds(1000)));
  EXPECT_LT(Clock::now() - killed, milliseconds(1000));
  EXPECT_FALSE(sub.connected());

  std::this_thread::sleep_for(milliseconds(300));  // a few reconnect attempts fail
  server.start();
  // Backoff is capped at 1 s, so the subscription is back within about that.
  ASSERT_TRUE(rec.wait_for([&] { return rec.connects == 2; }, milliseconds(2500)));
  EXPECT_TRUE(sub.connected());
  EXPECT_EQ(rec.disconnects, 1);
  client.publish("sub:restart", "after");
  ASSERT_TRUE(rec.wait_for([&] { return rec.messages.size() == 1; }));
  EXPECT_EQ(rec.messages[0], "after");
}

TEST(RedisSubscriberTest, NoticesASilentServerThroughPing) {
  RedisTestServer server;
  Recorder rec;
  RedisSubscriber sub(config_for(server.endpoint(), "sub:frozen"), rec.callbacks());
  ASSERT_TRUE(rec.wait_for([&] { return rec.connects == 1; }));
  server.pause();  // the socket stays open; nothing answers
  auto frozen = Clock::now();
  bool noticed = rec.wait_for([&] { return rec.disconnects == 1; }, milliseconds(2000));
  auto took = Clock::now() - frozen;
  server.resume();
  ASSERT_TRUE(noticed);
  EXPECT_LT(took, milliseconds(1000));  // command_timeout 500 ms
  ASSERT_TRUE(rec.wait_for([&] { return rec.connects == 2; }, milliseconds(3000)));
}

TEST(RedisSubscriberTest, StopsPromptlyWhateverItIsDoing) {
  RedisTestServer& server = shared_redis_server();
  {
    Recorder rec;
    auto sub = std::make_unique<RedisSubscriber>(config_for(server.endpoint(), "sub:stop"), rec.callbacks());
    ASSERT_TRUE(rec.wait_for([&] { return rec.connects == 1; }));
    auto start = Clock::now();
    sub.reset();
    EXPECT_LT(Clock::now() - start, milliseconds(100));
    EXPECT_EQ(rec.disconnects, 0);  // stopping is not losing the connection
  }
  {
    RedisEndpoint nowhere = server.endpoint();
    nowhere.port = 1;  // nothing listens: connect is refused, it backs off
    Recorder rec;
    auto sub = std::make_unique<RedisSubscriber>(config_for(nowhere, "sub:stop"), rec.callbacks());
    std::this_thread::sleep_for(milliseconds(150));
    EXPECT_FALSE(sub->connected());
    auto start = Clock::now();
    sub.reset();
    EXPECT_LT(Clock::now() - start, milliseconds(100));
    EXPECT_EQ(rec.connects, 0);
  }
}

}  // namespace
}  // namespace archon::redis
