#include "http/client_address.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace archon::http {
namespace asio_ip = boost::asio::ip;
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}




// One element of X-Forwarded-For ("203.0.113.7", "2001:db8::1", "[2001:db8::1]:443" from some
// proxies, "203.0.113.7:5000") or of Forwarded's for= ("\"[2001:db8::1]:4711\"", "192.0.2.43").
std::optional<asio_ip::address> parse_hop(std::string_view hop) {
  hop = trim(hop);
  if (hop.size() >= 2 && hop.front() == '"' && hop.back() == '"') hop = hop.substr(1, hop.size() - 2);
  if (!hop.empty() && hop.front() == '[') {
    auto close = hop.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return parse_ip_address(hop.substr(1, close - 1));
  }
  if (std::count(hop.begin(), hop.end(), ':') == 1) hop = hop.substr(0, hop.find(':'));  // v4:port
  return parse_ip_address(hop);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    auto p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) break;
    s.remove_prefix(p + 1);
  }
  return out;
}

// The for= values of a Forwarded header, in order (RFC 7239 §4: elements separated by ",",
// pairs by ";").
std::vector<std::string_view> forwarded_for_values(std::string_view header) {
  std::vector<std::string_view> out;
  for (auto element : split(header, ',')) {
    std::string_view value;
    for (auto pair : split(element, ';')) {
      pair = trim(pair);
      if (pair.size() > 4 && (pair[0] == 'f' || pair[0] == 'F') && (pair[1] == 'o' || pair[1] == 'O') &&
          (pair[2] == 'r' || pair[2] == 'R') && pair[3] == '=')
        value = pair.substr(4);
    }
    out.push_back(value);
  }
  return out;
}

}  // namespace



std::string resolve_client_address(std::string_view peer, std::string_view forwarded_for, std::string_view forwarded,
                                   const TrustedProxies& proxies) {
  auto peer_addr = parse_ip_address(peer);
  if (!peer_addr) return std::string(peer);
  if (proxies.empty() || !proxies.contains(*peer_addr)) return peer_addr->to_string();
  std::vector<std::string_view> hops =
      !trim(forwarded_for).empty() ? split(forwarded_for, ',') : forwarded_for_values(forwarded);
  // Right to left: each trusted proxy vouches for the hop before it; the first hop that is not
  // a trusted proxy is the client. A malformed hop where we would stop means a proxy sent
  // something we cannot read: fall back to the closest address we can vouch for.
  asio_ip::address client = *peer_addr;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto hop = parse_hop(*it);
    if (!hop) break;
    client = *hop;
    if (!proxies.contains(*hop)) break;
  }
  return client.to_string();
}


}  // namespace archon::http
