#include "net/destination_policy.hpp"

#include <gtest/gtest.h>

namespace archon::net {
namespace {

bool internal(const char* text) { return is_internal_address(boost::asio::ip::make_address(text)); }

}  // namespace

TEST(DestinationPolicy, RefusesEveryInternalRange) {
  for (const char* a : {"127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                        "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.2.5",
                        "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1",
                        "::ffff:10.1.2.3", "64:ff9b::a9fe:a9fe", "2001:db8::1", "2002:7f00:1::1", "::127.0.0.1"})
    EXPECT_TRUE(internal(a)) << a;
}

TEST(DestinationPolicy, AllowsPublicUnicast) {
  for (const char* a : {"93.184.216.34", "1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                        "::ffff:93.184.216.34", "64:ff9b::808:808"})
    EXPECT_FALSE(internal(a)) << a;
}

TEST(DestinationPolicy, AllowListOpensOnlyWhatItNames) {
  auto policy = DestinationPolicy::with_allowed({"127.0.0.0/8", "::1/128"});
  ASSERT_TRUE(policy.has_value());
  EXPECT_TRUE(policy->permits(boost::asio::ip::make_address("127.0.0.1")));
  EXPECT_TRUE(policy->permits(boost::asio::ip::make_address("::1")));
  EXPECT_FALSE(policy->permits(boost::asio::ip::make_address("10.0.0.1")));
  EXPECT_FALSE(policy->permits(boost::asio::ip::make_address("169.254.169.254")));
  EXPECT_FALSE(DestinationPolicy::with_allowed({"not-a-cidr"}).has_value());
}

TEST(DestinationPolicy, ResolvesLiteralsWithoutDns) {
  auto v4 = DestinationPolicy::resolve("10.0.0.1");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->front().to_string(), "10.0.0.1");
  auto local = DestinationPolicy::resolve("localhost");
  ASSERT_TRUE(local.has_value());
  for (const auto& a : *local) EXPECT_TRUE(is_internal_address(a)) << a.to_string();
}

}  // namespace archon::net
