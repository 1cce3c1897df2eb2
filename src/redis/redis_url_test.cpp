#include "redis/redis_url.hpp"

#include <gtest/gtest.h>

namespace archon::redis {
namespace {

TEST(RedisUrlTest, HostAloneTakesTheDefaults) {
  auto ep = parse_redis_url("redis://localhost");
  ASSERT_TRUE(ep) << ep.error();
  EXPECT_EQ(ep->host, "localhost");
  EXPECT_EQ(ep->port, 6379);
  EXPECT_EQ(ep->db, 0);
  EXPECT_EQ(ep->user, "");
  EXPECT_EQ(ep->password, "");
  EXPECT_EQ(ep->target(), "localhost:6379/0");
  EXPECT_EQ(parse_redis_url("redis://localhost/")->db, 0);
}

TEST(RedisUrlTest, EveryPartIsParsedAndThePasswordDecoded) {
  auto ep = parse_redis_url("redis://app:p%40ss%2Fw%3Ard@10.0.0.5:6380/3");
  ASSERT_TRUE(ep) << ep.error();
  EXPECT_EQ(ep->host, "10.0.0.5");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->db, 3);
  EXPECT_EQ(ep->user, "app");
  EXPECT_EQ(ep->password, "p@ss/w:rd");
  EXPECT_EQ(ep->target(), "10.0.0.5:6380/3");
}

TEST(RedisUrlTest, PasswordWithoutUser) {
  auto ep = parse_redis_url("redis://:hunter2@cache.internal/1");
  ASSERT_TRUE(ep) << ep.error();
  EXPECT_EQ(ep->user, "");
  EXPECT_EQ(ep->password, "hunter2");
  EXPECT_EQ(ep->target().find("hunter2"), std::string::npos);
}

TEST(RedisUrlTest, Ipv6HostIsBracketedOnlyInTheTarget) {
  auto ep = parse_redis_url("redis://[::1]:7000/2");
  ASSERT_TRUE(ep) << ep.error();
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->port, 7000);
  EXPECT_EQ(ep->target(), "[::1]:7000/2");
}

TEST(RedisUrlTest, UnixSocket) {
  auto ep = parse_redis_url("unix:///run/redis/redis.sock?db=4");
  ASSERT_TRUE(ep) << ep.error();
  EXPECT_EQ(ep->unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(ep->db, 4);
  EXPECT_EQ(ep->target(), "unix:/run/redis/redis.sock/4");

  auto with_password = parse_redis_url("unix://:s3cret@/tmp/r.sock");
  ASSERT_TRUE(with_password) << with_password.error();
  EXPECT_EQ(with_password->password, "s3cret");
  EXPECT_EQ(with_password->unix_path, "/tmp/r.sock");
  EXPECT_EQ(with_password->db, 0);
}

TEST(RedisUrlTest, MalformedUrlsAreRefusedWithoutShowingThePassword) {
  const char* bad[] = {
      "http://host",
      "rediss://:hunter2@host",
      "redis://:hunter2@host:99999",
      "redis://:hunter2@host:0",
      "redis://:hunter2@host/abc",
      "redis://:hunter2@host/1/2",
      "redis://:hunter2@host/-1",
      "redis://:hun#ter2@host",
      "redis://:hun@ter2@host",
      "redis://hunter2@host",
      "redis://:hunter2@host?timeout=1",
      "redis://:hunter2@",
      "redis:hunter2",
      "hunter2",
      "",
      "unix://:hunter2@host/tmp/r.sock",
      "unix://:hunter2@/tmp/r.sock?db=x",
      "unix://:hunter2@/tmp/r.sock?timeout=1",
  };
  for (const char* url : bad) {
    auto ep = parse_redis_url(url);
    ASSERT_FALSE(ep) << url;
    EXPECT_EQ(ep.error().find("hunter2"), std::string::npos) << ep.error();
    EXPECT_EQ(ep.error().find("hun"), std::string::npos) << ep.error();
    EXPECT_EQ(ep.error().rfind("Redis URL: ", 0), 0u) << ep.error();
  }
}

}  // namespace
}  // namespace archon::redis
