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
#include "core/ip_networks.hpp"

namespace archon::http {

// The configured trusted proxies (server.trusted_proxies): a set of networks.
using TrustedProxies = IpNetworks;

// `peer` is the socket's address as text. `forwarded_for` and `forwarded` are the request's
// header values (all occurrences joined by ","), or empty. Returns a canonical address text.
std::string resolve_client_address(std::string_view peer, std::string_view forwarded_for, std::string_view forwarded,
                                   const TrustedProxies& proxies);

using archon::address_limit_key;

}  // namespace archon::http
