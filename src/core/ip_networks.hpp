// IP addresses and networks as configuration and limits use them: a set of CIDRs (the trusted
// proxies), and the key a per-address limit counts. In core because configuration validates the
// CIDRs and the HTTP and rate-limit layers both use them.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/expected.hpp"

namespace archon {

// An IPv4 or IPv6 address; a v4-mapped IPv6 address becomes the IPv4 address.
std::optional<boost::asio::ip::address> parse_ip_address(std::string_view text);

class IpNetworks {
 public:
  // CIDRs ("10.0.0.0/8", "::1/128") or plain addresses; the error names the bad entry.
  static Expected<IpNetworks, std::string> parse(const std::vector<std::string>& entries);
  bool empty() const { return nets_.empty(); }
  bool contains(const boost::asio::ip::address& address) const;

 private:
  struct Net {
    boost::asio::ip::address_v6 base;  // IPv4 as v4-mapped
    unsigned prefix = 0;               // in v6 bits
  };
  std::vector<Net> nets_;
};

// The identity a per-address limit counts: IPv4 as is, IPv6 by its /64 (one subscriber's
// network, which hands out addresses from a /64 at will), v4-mapped IPv6 as IPv4.
std::string address_limit_key(std::string_view address);

}  // namespace archon
