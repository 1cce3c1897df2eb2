#include "net/destination_policy.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

namespace archon::net {
namespace {

using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;

bool in_v4(std::uint32_t a, std::uint32_t base, int prefix) {
  std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (a & mask) == (base & mask);
}

constexpr std::uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) { return (a << 24) | (b << 16) | (c << 8) | d; }

bool is_internal_v4(const address_v4& v4) {
  std::uint32_t a = v4.to_uint();
  struct Range {
    std::uint32_t base;
    int prefix;
  };
  static constexpr Range kInternal[] = {
      {ip4(0, 0, 0, 0), 8},        // "this network", unspecified
      {ip4(10, 0, 0, 0), 8},       // private
      {ip4(100, 64, 0, 0), 10},    // carrier-grade NAT
      {ip4(127, 0, 0, 0), 8},      // loopback
      {ip4(169, 254, 0, 0), 16},   // link-local, cloud metadata (169.254.169.254)
      {ip4(172, 16, 0, 0), 12},    // private
      {ip4(192, 0, 0, 0), 24},     // IETF protocol assignments
      {ip4(192, 0, 2, 0), 24},     // documentation
      {ip4(192, 88, 99, 0), 24},   // 6to4 relay anycast
      {ip4(192, 168, 0, 0), 16},   // private
      {ip4(198, 18, 0, 0), 15},    // benchmarking
      {ip4(198, 51, 100, 0), 24},  // documentation
      {ip4(203, 0, 113, 0), 24},   // documentation
      {ip4(224, 0, 0, 0), 4},      // multicast
      {ip4(240, 0, 0, 0), 4},      // reserved, broadcast
  };
  for (const auto& r : kInternal)
    if (in_v4(a, r.base, r.prefix)) return true;
  return false;
}

bool is_internal_v6(const address_v6& v6) {
  if (v6.is_v4_mapped()) return is_internal_v4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  auto b = v6.to_bytes();
  // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
  static constexpr unsigned char kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b.data(), kNat64, sizeof kNat64) == 0)
    return is_internal_v4(address_v4(address_v4::bytes_type{b[12], b[13], b[14], b[15]}));
  if (v6.is_unspecified() || v6.is_loopback() || v6.is_multicast()) return true;
  if ((b[0] & 0xfe) == 0xfc) return true;                   // fc00::/7 unique local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;   // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;   // fec0::/10 site-local (deprecated)
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true;  // 2001:db8::/32 documentation
  if (b[0] == 0x20 && b[1] == 0x02) return true;            // 6to4: its IPv4 part could be anything
  // ::a.b.c.d (IPv4-compatible, deprecated) and the rest of ::/96.
  bool zero96 = true;
  for (int i = 0; i < 12; ++i) zero96 = zero96 && b[static_cast<std::size_t>(i)] == 0;
  return zero96;
}

}  // namespace

bool is_internal_address(const boost::asio::ip::address& address) {
  return address.is_v4() ? is_internal_v4(address.to_v4()) : is_internal_v6(address.to_v6());
}

Expected<DestinationPolicy, std::string> DestinationPolicy::with_allowed(const std::vector<std::string>& networks) {
  auto parsed = IpNetworks::parse(networks);
  if (!parsed) return Unexpected{parsed.error()};
  DestinationPolicy policy;
  policy.allowed_ = std::move(*parsed);
  return policy;
}

bool DestinationPolicy::permits(const boost::asio::ip::address& address) const {
  return !is_internal_address(address) || allowed_.contains(address);
}

Expected<std::vector<boost::asio::ip::address>, std::string> DestinationPolicy::resolve(const std::string& host) {
  if (auto literal = parse_ip_address(host)) return std::vector<boost::asio::ip::address>{*literal};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0) return Unexpected{std::string("cannot resolve ") + host + ": " + gai_strerror(rc)};
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found, &freeaddrinfo);
  std::vector<boost::asio::ip::address> out;
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(ai->ai_addr);
      out.emplace_back(address_v4(ntohl(sin->sin_addr.s_addr)));
    } else if (ai->ai_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
      address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), sin6->sin6_addr.s6_addr, 16);
      out.emplace_back(address_v6(bytes, sin6->sin6_scope_id));
    }
  }
  if (out.empty()) return Unexpected{"cannot resolve " + host + ": no address"};
  return out;
}

}  // namespace archon::net
