#include "http/client_address.hpp"

#include <gtest/gtest.h>

namespace archon::http {
namespace {

TrustedProxies proxies(std::vector<std::string> list) {
  auto p = TrustedProxies::parse(list);
  EXPECT_TRUE(p.has_value());
  return *p;
}

TEST(ClientAddress, WithoutTrustedProxiesHeadersAreIgnored) {
  TrustedProxies none;
  EXPECT_EQ(resolve_client_address("127.0.0.1", "1.2.3.4", "for=5.6.7.8", none), "127.0.0.1");
}

TEST(ClientAddress, UntrustedPeerHeadersAreIgnored) {
  auto p = proxies({"10.0.0.0/8"});
  EXPECT_EQ(resolve_client_address("192.0.2.1", "1.2.3.4", "", p), "192.0.2.1");
}

TEST(ClientAddress, RightMostUntrustedHopIsTheClient) {
  auto p = proxies({"10.0.0.0/8", "127.0.0.1"});
  // The client forged "6.6.6.6"; the edge proxy appended what it saw (203.0.113.9), then an
  // inner proxy appended the edge (10.1.1.1).
  EXPECT_EQ(resolve_client_address("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.1.1", "", p), "203.0.113.9");
  EXPECT_EQ(resolve_client_address("127.0.0.1", "203.0.113.9:5555", "", p), "203.0.113.9");
  EXPECT_EQ(resolve_client_address("127.0.0.1", "[2001:db8::5]:443", "", p), "2001:db8::5");
}

TEST(ClientAddress, ForwardedHeaderWhenNoXForwardedFor) {
  auto p = proxies({"127.0.0.1/32"});
  EXPECT_EQ(resolve_client_address("127.0.0.1", "", "for=192.0.2.60;proto=http;by=203.0.113.43", p), "192.0.2.60");
  EXPECT_EQ(resolve_client_address("127.0.0.1", "", "for=\"[2001:db8:cafe::17]:4711\"", p), "2001:db8:cafe::17");
  EXPECT_EQ(resolve_client_address("127.0.0.1", "", "For=198.51.100.1, for=192.0.2.43", p), "192.0.2.43");
}

TEST(ClientAddress, MalformedOrMissingFallsBackToTheTrustedHop) {
  auto p = proxies({"127.0.0.1"});
  EXPECT_EQ(resolve_client_address("127.0.0.1", "not-an-ip", "", p), "127.0.0.1");
  EXPECT_EQ(resolve_client_address("127.0.0.1", "", "", p), "127.0.0.1");
  EXPECT_EQ(resolve_client_address("127.0.0.1", "", "for=unknown", p), "127.0.0.1");
}

TEST(ClientAddress, V4MappedPeersAreV4) {
  auto p = proxies({"127.0.0.1"});
  EXPECT_EQ(resolve_client_address("::ffff:127.0.0.1", "198.51.100.2", "", p), "198.51.100.2");
  EXPECT_EQ(resolve_client_address("::ffff:192.0.2.1", "", "", TrustedProxies{}), "192.0.2.1");
}

TEST(ClientAddress, ParseRejectsGarbage) {
  EXPECT_FALSE(TrustedProxies::parse({"10.0.0.0/33"}).has_value());
  EXPECT_FALSE(TrustedProxies::parse({"example.com"}).has_value());
  EXPECT_FALSE(TrustedProxies::parse({"10.0.0.0/"}).has_value());
  EXPECT_TRUE(TrustedProxies::parse({"::1/128", "fd00::/8", "192.168.0.0/16"}).has_value());
}

TEST(ClientAddress, Ipv6IsLimitedPerSlash64) {
  EXPECT_EQ(address_limit_key("2001:db8:1:2:aaaa::1"), address_limit_key("2001:db8:1:2:bbbb::9"));
  EXPECT_NE(address_limit_key("2001:db8:1:2::1"), address_limit_key("2001:db8:1:3::1"));
  EXPECT_EQ(address_limit_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(address_limit_key("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(address_limit_key("::ffff:203.0.113.7"), "203.0.113.7");
}

}  // namespace
}  // namespace archon::http
