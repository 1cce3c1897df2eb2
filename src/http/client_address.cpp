#include "http/client_address.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace archon::http {
namespace asio_ip = boost::asio::ip;
using Err = Unexpected<std::string>;
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<asio_ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto a = asio_ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio_ip::address(asio_ip::make_address_v4(asio_ip::v4_mapped, a.to_v6()));
  return a;
}

asio_ip::address_v6 as_v6(const asio_ip::address& a) {
  return a.is_v4() ? asio_ip::make_address_v6(asio_ip::v4_mapped, a.to_v4()) : a.to_v6();
}

bool prefix_equal(const asio_ip::address_v6::bytes_type& a, const asio_ip::address_v6::bytes_type& b, unsigned bits) {
  for (unsigned i = 0; i < 16 && bits > 0; ++i, bits = bits >= 8 ? bits - 8 : 0) {
    unsigned char mask = bits >= 8 ? 0xFF : static_cast<unsigned char>(0xFF << (8 - bits));
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

// One element of X-Forwarded-For ("203.0.113.7", "2001:db8::1", "[2001:db8::1]:443" from some
// proxies, "203.0.113.7:5000") or of Forwarded's for= ("\"[2001:db8::1]:4711\"", "192.0.2.43").
std::optional<asio_ip::address> parse_hop(std::string_view hop) {
  hop = trim(hop);
  if (hop.size() >= 2 && hop.front() == '"' && hop.back() == '"') hop = hop.substr(1, hop.size() - 2);
  if (!hop.empty() && hop.front() == '[') {
    auto close = hop.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return parse_address(hop.substr(1, close - 1));
  }
  if (std::count(hop.begin(), hop.end(), ':') == 1) hop = hop.substr(0, hop.find(':'));  // v4:port
  return parse_address(hop);
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

Expected<TrustedProxies, std::string> TrustedProxies::parse(const std::vector<std::string>& entries) {
  TrustedProxies out;
  for (const auto& entry : entries) {
    std::string_view text = entry;
    std::optional<unsigned> bits;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
      unsigned b = 0;
      auto n = text.substr(slash + 1);
      auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), b);
      if (ec != std::errc() || p != n.data() + n.size() || n.empty()) return Err{"'" + entry + "' is not a CIDR"};
      bits = b;
      text = text.substr(0, slash);
    }
    auto addr = parse_address(text);
    if (!addr) return Err{"'" + entry + "' is not an IP address or CIDR"};
    unsigned max = addr->is_v4() ? 32 : 128;
    unsigned prefix = bits.value_or(max);
    if (prefix > max) return Err{"'" + entry + "': prefix longer than the address"};
    out.nets_.push_back({as_v6(*addr), addr->is_v4() ? prefix + 96 : prefix});
  }
  return out;
}

bool TrustedProxies::contains(const asio_ip::address& address) const {
  auto bytes = as_v6(address).to_bytes();
  return std::any_of(nets_.begin(), nets_.end(),
                     [&](const Net& n) { return prefix_equal(n.base.to_bytes(), bytes, n.prefix); });
}

std::string resolve_client_address(std::string_view peer, std::string_view forwarded_for, std::string_view forwarded,
                                   const TrustedProxies& proxies) {
  auto peer_addr = parse_address(peer);
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

std::string address_limit_key(std::string_view address) {
  // Hot path (every limited request): a peer address without ':' is IPv4 text already.
  if (address.find(':') == std::string_view::npos) return std::string(address);
  auto addr = parse_address(address);
  if (!addr) return std::string(address);
  if (addr->is_v4()) return addr->to_string();
  auto bytes = addr->to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return asio_ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace archon::http
