#include "redis/redis_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "redis/redis_test_server.hpp"

namespace archon::redis {
namespace {

using testing::RedisTestServer;
using testing::shared_redis_server;
using testing::test_client_config;
using Clock = std::chrono::steady_clock;

TEST(RedisClientTest, ValuesRoundTripBinarySafe) {
  RedisClient client(test_client_config(shared_redis_server().endpoint()));
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  binary += std::string("\0%s\r\n$3\r\n", 9);  // NULs, a format directive, RESP framing
  const std::string key = std::string("client:bin\0key", 14);
  EXPECT_TRUE(client.command({"SET", key, binary}).is_status("OK"));
  RedisReply got = client.command({"GET", key});
  ASSERT_TRUE(got.is_string());
  EXPECT_EQ(got.str, binary);
  EXPECT_TRUE(client.command({"GET", std::string("client:bin\0kez", 14)}).is_nil());

  const std::string big(1 << 20, 'x');
  std::string big_value = big;
  big_value[12345] = '\0';
  client.command(std::vector<std::string_view>{"SET", "client:big", big_value});
  EXPECT_EQ(client.command({"GET", "client:big"}).str, big_value);
  EXPECT_EQ(client.command({"STRLEN", "client:big"}).integer, 1 << 20);
}

TEST(RedisClientTest, RepliesOfEveryType) {
  RedisClient client(test_client_config(shared_redis_server().endpoint()));
  client.command({"DEL", "client:list", "client:n"});
  EXPECT_EQ(client.command({"INCRBY", "client:n", "41"}).integer, 41);
  client.command({"RPUSH", "client:list", "a", "", "c"});
  RedisReply list = client.command({"LRANGE", "client:list", "0", "-1"});
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.elements.size(), 3u);
  EXPECT_EQ(list.elements[0].str, "a");
  EXPECT_TRUE(list.elements[1].is_string());
  EXPECT_EQ(list.elements[1].str, "");
  RedisReply mget = client.command({"MGET", "client:n", "client:absent"});
  ASSERT_EQ(mget.elements.size(), 2u);
  EXPECT_EQ(mget.elements[0].str, "41");
  EXPECT_TRUE(mget.elements[1].is_nil());
}

TEST(RedisClientTest, ErrorReplyThrowsRedisErrorAndTheConnectionStaysUsable) {
  RedisClient client(test_client_config(shared_redis_server().endpoint(), 1));
  client.command({"DEL", "client:wrongtype"});
  client.command({"LPUSH", "client:wrongtype", "x"});
  try {
    client.command({"GET", "client:wrongtype"});
    FAIL() << "no RedisError";
  } catch (const RedisError& e) {
    EXPECT_NE(std::string(e.what()).find("WRONGTYPE"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(client.command({"PING"}).is_status("PONG"));
  EXPECT_EQ(client.open_connections(), 1);
}

TEST(RedisClientTest, ScriptsRunBySha1AndSurviveAFlushedScriptCache) {
  RedisClient client(test_client_config(shared_redis_server().endpoint()));
  RedisScript script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
  EXPECT_EQ(script.sha1().size(), 40u);
  client.command({"SCRIPT", "FLUSH"});
  const std::string key = std::string("client:script\0\xff", 15);
  client.command({"DEL", key});
  RedisReply first = client.eval_script(script, {key}, {std::string_view("a\0b", 3)});
  ASSERT_TRUE(first.is_array());
  EXPECT_EQ(first.elements[0].str, key);
  EXPECT_EQ(first.elements[1].str, std::string("a\0b", 3));
  EXPECT_EQ(first.elements[2].integer, 1);
  // EVAL cached it under the SHA1 computed here.
  EXPECT_EQ(client.command({"SCRIPT", "EXISTS", script.sha1()}).elements.at(0).integer, 1);
  client.command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(client.eval_script(script, {key}, {"x"}).elements[2].integer, 2);
  EXPECT_THROW(client.eval_script(RedisScript("return redis.call('NOSUCHCOMMAND')"), {}, {}), RedisError);
}

TEST(RedisClientTest, PingPublishDatabaseAndUnixSocket) {
  RedisTestServer& server = shared_redis_server();
  RedisClient client(test_client_config(server.endpoint()));
  auto rtt = client.ping();
  ASSERT_TRUE(rtt) << rtt.error();
  EXPECT_GT(rtt->count(), 0);
  EXPECT_EQ(client.publish("client:nobody-listens", "hello"), 0);

  RedisClient db2(test_client_config(server.endpoint(2)));
  db2.command({"SET", "client:db", "two"});
  EXPECT_EQ(db2.command({"GET", "client:db"}).str, "two");
  EXPECT_TRUE(client.command({"GET", "client:db"}).is_nil());

  auto ep = parse_redis_url("unix://" + server.socket_path() + "?db=2");
  ASSERT_TRUE(ep) << ep.error();
  RedisClient over_unix(test_client_config(*ep));
  EXPECT_EQ(over_unix.command({"GET", "client:db"}).str, "two");
}

TEST(RedisClientTest, ConcurrentCallersShareTheBoundedPool) {
  RedisClient client(test_client_config(shared_redis_server().endpoint(), 3));
  client.command({"DEL", "client:counter"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) client.command({"INCR", "client:counter"});
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(client.command({"GET", "client:counter"}).str, "600");
  EXPECT_LE(client.open_connections(), 3);
}

TEST(RedisClientTest, WaitingForAFreeConnectionIsBoundedByTheCommandTimeout) {
  auto config = test_client_config(shared_redis_server().endpoint(), 1);
  config.command_timeout = std::chrono::milliseconds(800);
  RedisClient client(config);
  // Three 500 ms commands (up to 600: Redis checks timeouts at 10 Hz) through one connection:
  // the first runs at once, one waiter gets the connection after it, and the other's 800 ms
  // wait runs out while that one holds it.
  std::atomic<int> ok{0}, busy{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&] {
      try {
        client.command({"BLPOP", "client:pool-bound", "0.5"});
        ++ok;
      } catch (const RedisUnavailable& e) {
        if (std::string(e.what()).find("busy") != std::string::npos) ++busy;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(busy.load(), 1);
}

TEST(RedisClientTest, PasswordIsSentAndNeverShown) {
  RedisTestServer server("correct-horse");
  RedisClient good(test_client_config(server.endpoint()));
  EXPECT_TRUE(good.command({"PING"}).is_status("PONG"));

  RedisEndpoint wrong = server.endpoint();
  wrong.password = "wrong-battery";
  RedisClient bad(test_client_config(wrong));
  try {
    bad.command({"PING"});
    FAIL() << "no RedisUnavailable";
  } catch (const RedisUnavailable& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("authentication failed"), std::string::npos) << message;
    EXPECT_EQ(message.find("wrong-battery"), std::string::npos) << message;
    EXPECT_EQ(message.find("correct-horse"), std::string::npos) << message;
  }
  auto ping = bad.ping();
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().find("wrong-battery"), std::string::npos) << ping.error();

  RedisEndpoint none = server.endpoint();
  none.password.clear();
  RedisClient anonymous(test_client_config(none));
  EXPECT_THROW(anonymous.command({"PING"}), RedisUnavailable);  // NOAUTH
}

TEST(RedisClientTest, CommandTimeoutDropsTheConnection) {
  auto config = test_client_config(shared_redis_server().endpoint(), 1);
  config.command_timeout = std::chrono::milliseconds(200);
  RedisClient client(config);
  auto start = Clock::now();
  EXPECT_THROW(client.command({"BLPOP", "client:never", "5"}), RedisUnavailable);
  auto took = Clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(190));
  EXPECT_LT(took, std::chrono::milliseconds(1000));
  EXPECT_EQ(client.open_connections(), 0);  // the late reply must never be read as another's
  EXPECT_TRUE(client.command({"PING"}).is_status("PONG"));
}

TEST(RedisClientTest, KilledRedisIsUnavailableFastAndTheClientRecoversAfterRestart) {
  RedisTestServer server;
  RedisClient client(test_client_config(server.endpoint()));
  client.command({"SET", "k", "v"});
  server.stop();

  auto start = Clock::now();
  EXPECT_THROW(client.command({"GET", "k"}), RedisUnavailable);
  EXPECT_THROW(client.command({"GET", "k"}), RedisUnavailable);
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1000));
  auto ping = client.ping();
  ASSERT_FALSE(ping);
  EXPECT_NE(ping.error().find(server.endpoint().target()), std::string::npos) << ping.error();

  server.start();
  EXPECT_TRUE(client.command({"PING"}).is_status("PONG"));  // no save: the data is gone
  EXPECT_TRUE(client.command({"GET", "k"}).is_nil());
}

TEST(RedisClientTest, IdleConnectionsClosedByARestartAreReplacedUnnoticed) {
  RedisTestServer server;
  RedisClient client(test_client_config(server.endpoint()));
  EXPECT_TRUE(client.command({"PING"}).is_status("PONG"));
  server.stop();
  server.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(client.command({"PING"}).is_status("PONG"));
}

}  // namespace
}  // namespace archon::redis
