#include "core/ip_networks.hpp"

#include <algorithm>
#include <charconv>

namespace archon {
namespace asio_ip = boost::asio::ip;
using Err = Unexpected<std::string>;
namespace {

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

}  // namespace

std::optional<asio_ip::address> parse_ip_address(std::string_view text) {
  boost::system::error_code ec;
  auto a = asio_ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio_ip::address(asio_ip::make_address_v4(asio_ip::v4_mapped, a.to_v6()));
  return a;
}

Expected<IpNetworks, std::string> IpNetworks::parse(const std::vector<std::string>& entries) {
  IpNetworks out;
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
    auto addr = parse_ip_address(text);
    if (!addr) return Err{"'" + entry + "' is not an IP address or CIDR"};
    unsigned max = addr->is_v4() ? 32 : 128;
    unsigned prefix = bits.value_or(max);
    if (prefix > max) return Err{"'" + entry + "': prefix longer than the address"};
    out.nets_.push_back({as_v6(*addr), addr->is_v4() ? prefix + 96 : prefix});
  }
  return out;
}

bool IpNetworks::contains(const asio_ip::address& address) const {
  auto bytes = as_v6(address).to_bytes();
  return std::any_of(nets_.begin(), nets_.end(),
                     [&](const Net& n) { return prefix_equal(n.base.to_bytes(), bytes, n.prefix); });
}

std::string address_limit_key(std::string_view address) {
  // Hot path (every limited request): a peer address without ':' is IPv4 text already.
  if (address.find(':') == std::string_view::npos) return std::string(address);
  auto addr = parse_ip_address(address);
  if (!addr) return std::string(address);
  if (addr->is_v4()) return addr->to_string();
  auto bytes = addr->to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return asio_ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace archon
