// Who the client is. The peer address, unless the peer is a configured trusted proxy: then the
// right-most address in X-Forwarded-For (or, without it, RFC 7239 Forwarded: for=) that is not
// itself a trusted proxy. With no trusted proxies (the default) the headers are never read, so
// a client cannot pick its own identity and reset a limit by spoofing them.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "core/expected.hpp"

namespace archon::http {

class TrustedProxies {
 public:
  // CIDRs ("10.0.0.0/8", "::1/128") or plain addresses; the error names the bad entry.
  static Expected<TrustedProxies, std::string> parse(const std::vector<std::string>& entries);
  bool empty() const { return nets_.empty(); }
  bool contains(const boost::asio::ip::address& address) const;

 private:
  struct Net {
    boost::asio::ip::address_v6 base;  // IPv4 as v4-mapped
    unsigned prefix = 0;               // in v6 bits
  };
  std::vector<Net> nets_;
};

// `peer` is the socket's address as text. `forwarded_for` and `forwarded` are the request's
// header values (all occurrences joined by ","), or empty. Returns a canonical address text.
std::string resolve_client_address(std::string_view peer, std::string_view forwarded_for, std::string_view forwarded,
                                   const TrustedProxies& proxies);

// The identity a per-address limit counts: IPv4 as is, IPv6 by its /64 (one subscriber's
// network, which hands out addresses from a /64 at will), v4-mapped IPv6 as IPv4.
std::string address_limit_key(std::string_view address);

}  // namespace archon::http
