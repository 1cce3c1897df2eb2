#include "crypto/base64url.hpp"

#include <array>
#include <cstdint>

namespace archon::crypto {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}
constexpr auto kDecodeTable = make_decode_table();

}  // namespace

const char* describe(Base64UrlError e) noexcept {
  switch (e) {
    case Base64UrlError::kInvalidCharacter:
      return "character outside the base64url alphabet";
    case Base64UrlError::kInvalidLength:
      return "impossible base64url length";
    case Base64UrlError::kNonCanonical:
      return "non-canonical base64url (trailing bits set)";
  }
  return "invalid base64url";
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                                std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out.push_back(kAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kAlphabet[(group >> 12) & 0x3F]);
    out.push_back(kAlphabet[(group >> 6) & 0x3F]);
    out.push_back(kAlphabet[group & 0x3F]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t group = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    out.push_back(kAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kAlphabet[(group >> 12) & 0x3F]);
  } else if (rest == 2) {
    const std::uint32_t group = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8);
    out.push_back(kAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kAlphabet[(group >> 12) & 0x3F]);
    out.push_back(kAlphabet[(group >> 6) & 0x3F]);
  }
  return out;
}

Expected<std::string, Base64UrlError> base64url_decode(std::string_view text) {
  // Validate every character before the length, so that "a=" reports the '=' and not the length.
  for (const char c : text)
    if (kDecodeTable[static_cast<unsigned char>(c)] == kInvalid)
      return Unexpected{Base64UrlError::kInvalidCharacter};
  const std::size_t rest = text.size() % 4;
  if (rest == 1) return Unexpected{Base64UrlError::kInvalidLength};

  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  auto sextet = [&](std::size_t pos) {
    return std::uint32_t{kDecodeTable[static_cast<unsigned char>(text[pos])]};
  };
  std::size_t i = 0;
  for (; i + 4 <= text.size(); i += 4) {
    const std::uint32_t group =
        (sextet(i) << 18) | (sextet(i + 1) << 12) | (sextet(i + 2) << 6) | sextet(i + 3);
    out.push_back(static_cast<char>((group >> 16) & 0xFF));
    out.push_back(static_cast<char>((group >> 8) & 0xFF));
    out.push_back(static_cast<char>(group & 0xFF));
  }
  // Two characters carry one byte (4 unused bits), three carry two (2 unused bits). Unused bits
  // must be zero: otherwise several spellings decode to the same bytes, and a token could be
  // altered without touching its signature's meaning (a malleability RFC 8725 warns against).
  if (rest == 2) {
    if ((sextet(i + 1) & 0x0F) != 0) return Unexpected{Base64UrlError::kNonCanonical};
    out.push_back(static_cast<char>(((sextet(i) << 2) | (sextet(i + 1) >> 4)) & 0xFF));
  } else if (rest == 3) {
    if ((sextet(i + 2) & 0x03) != 0) return Unexpected{Base64UrlError::kNonCanonical};
    const std::uint32_t group = (sextet(i) << 10) | (sextet(i + 1) << 4) | (sextet(i + 2) >> 2);
    out.push_back(static_cast<char>((group >> 8) & 0xFF));
    out.push_back(static_cast<char>(group & 0xFF));
  }
  return out;
}

}  // namespace archon::crypto
