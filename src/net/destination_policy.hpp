// Where outbound requests (webhooks, later client metadata) may connect: public unicast
// addresses only. Loopback, private (RFC 1918, fc00::/7), link-local (169.254.0.0/16 with the
// cloud metadata address, fe80::/10), carrier-grade NAT, multicast, broadcast, unspecified and
// reserved ranges are refused, as are IPv4 addresses hidden inside IPv6 (v4-mapped, NAT64),
// unless an operator's allow-list names them (development and tests). Thread-safe after setup.
#pragma once
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/expected.hpp"
#include "core/ip_networks.hpp"

namespace archon::net {

// True for every address outside public unicast space (see above).
bool is_internal_address(const boost::asio::ip::address& address);

class DestinationPolicy {
 public:
  DestinationPolicy() = default;
  // CIDRs allowed despite being internal; the error names a bad entry.
  static Expected<DestinationPolicy, std::string> with_allowed(const std::vector<std::string>& networks);

  bool permits(const boost::asio::ip::address& address) const;

  // Every address `host` resolves to (an IP literal is itself); the error is one line.
  static Expected<std::vector<boost::asio::ip::address>, std::string> resolve(const std::string& host);

 private:
  IpNetworks allowed_;
};

}  // namespace archon::net
