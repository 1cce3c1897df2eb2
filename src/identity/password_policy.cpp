#include "identity/password_policy.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "core/embedded_assets.hpp"

namespace archon::identity {
namespace {

constexpr std::string_view kCommonPasswordsAsset = "passwords/common.txt";

std::string fold_ascii_lowercase(std::string_view text) {
  std::string folded(text);
  for (char& c : folded)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return folded;
}

bool in_range(std::uint8_t byte, std::uint8_t low, std::uint8_t high) { return byte >= low && byte <= high; }

}  // namespace

// Hand-written because none of our libraries validates UTF-8 on its own (Boost.JSON does, but
// only while parsing JSON). Follows the Unicode standard's table of well-formed byte sequences
// (Table 3-7), which excludes overlong forms, surrogates and code points above U+10FFFF.
std::optional<std::size_t> count_utf8_code_points(std::string_view text) {
  std::size_t code_points = 0;
  std::size_t i = 0;
  const auto byte_at = [&](std::size_t at) { return static_cast<std::uint8_t>(text[at]); };
  while (i < text.size()) {
    const std::uint8_t lead = byte_at(i);
    std::size_t length = 0;
    std::uint8_t second_low = 0x80, second_high = 0xBF;
    if (lead <= 0x7F) {
      length = 1;
    } else if (in_range(lead, 0xC2, 0xDF)) {
      length = 2;
    } else if (in_range(lead, 0xE0, 0xEF)) {
      length = 3;
      if (lead == 0xE0) second_low = 0xA0;   // overlong
      if (lead == 0xED) second_high = 0x9F;  // surrogates U+D800..U+DFFF
    } else if (in_range(lead, 0xF0, 0xF4)) {
      length = 4;
      if (lead == 0xF0) second_low = 0x90;   // overlong
      if (lead == 0xF4) second_high = 0x8F;  // above U+10FFFF
    } else {
      return std::nullopt;  // continuation byte without a lead, C0, C1 or F5..FF
    }
    if (text.size() - i < length) return std::nullopt;
    if (length > 1 && !in_range(byte_at(i + 1), second_low, second_high)) return std::nullopt;
    for (std::size_t k = 2; k < length; ++k)
      if (!in_range(byte_at(i + k), 0x80, 0xBF)) return std::nullopt;
    i += length;
    ++code_points;
  }
  return code_points;
}

std::optional<std::string> check_password(std::string_view password, const PasswordPolicy& policy) {
  const auto length = count_utf8_code_points(password);
  if (!length) return "Password must be valid UTF-8 text.";
  if (*length < policy.min_chars)
    return "Password must be at least " + std::to_string(policy.min_chars) + " characters long.";
  if (*length > policy.max_chars)
    return "Password must be at most " + std::to_string(policy.max_chars) + " characters long.";
  if (CommonPasswords::instance().contains(password))
    return "This password is too common: choose one that is harder to guess.";
  return std::nullopt;
}

const CommonPasswords& CommonPasswords::instance() {
  static const CommonPasswords list([] {
    const auto text = assets::find(kCommonPasswordsAsset);
    // A build without the list would silently accept every common password: refuse to start.
    if (!text || text->empty())
      throw std::runtime_error("the common-password list (embedded asset passwords/common.txt) is missing");
    return *text;
  }());
  return list;
}

CommonPasswords::CommonPasswords(std::string_view list_text)
    : owned_text_(fold_ascii_lowercase(list_text)) {
  std::string_view rest = owned_text_;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) sorted_.push_back(line);
  }
  // The build script sorts already; sorting again costs milliseconds once and keeps lookups
  // correct whatever produced the text.
  std::sort(sorted_.begin(), sorted_.end());
  sorted_.erase(std::unique(sorted_.begin(), sorted_.end()), sorted_.end());
}

bool CommonPasswords::contains(std::string_view password) const {
  return std::binary_search(sorted_.begin(), sorted_.end(), std::string_view(fold_ascii_lowercase(password)));
}

}  // namespace archon::identity
