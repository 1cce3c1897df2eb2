#include "core/strict_json.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

namespace archon::json {
namespace {

namespace bj = boost::json;
using boost::system::error_code;

enum class Flag { kNone, kDuplicate, kRange };

// First pass: a SAX handler that only looks for what boost::json::parse forgives
// (repeated keys, infinite doubles). Keys of each open object are kept in a small vector;
// objects in request bodies are small, and the 64 KiB body cap bounds the quadratic worst case.
struct CheckingHandler {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::vector<std::vector<std::string>> open_objects;
  std::string key;
  Flag flag = Flag::kNone;

  bool fail(Flag f, error_code& ec) {
    flag = f;
    ec = bj::error::syntax;  // any error stops the parser; `flag` says which
    return false;
  }
  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_object_begin(error_code&) {
    open_objects.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    open_objects.pop_back();
    return true;
  }
  bool on_string_part(bj::string_view, std::size_t, error_code&) { return true; }
  bool on_string(bj::string_view, std::size_t, error_code&) { return true; }
  bool on_key_part(bj::string_view s, std::size_t, error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, error_code& ec) {
    key.append(s.data(), s.size());
    auto& keys = open_objects.back();
    for (const auto& k : keys)
      if (k == key) return fail(Flag::kDuplicate, ec);
    keys.push_back(std::move(key));
    key.clear();
    return true;
  }
  bool on_number_part(bj::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, bj::string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, bj::string_view, error_code&) { return true; }
  bool on_double(double d, bj::string_view, error_code& ec) {
    if (!std::isfinite(d)) return fail(Flag::kRange, ec);
    return true;
  }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(bj::string_view, error_code&) { return true; }
  bool on_comment(bj::string_view, error_code&) { return true; }
};

StrictJsonError classify(const error_code& ec) {
  if (ec == bj::error::too_deep) return StrictJsonError::kTooDeep;
  if (ec == bj::error::syntax) return StrictJsonError::kSyntax;
  if (ec == bj::error::exponent_overflow) return StrictJsonError::kNumberRange;
  // Boost.JSON reports bad UTF-8 as a syntax error in some positions; the caller-facing
  // distinction matters only for the message, so check the bytes ourselves below.
  return StrictJsonError::kSyntax;
}

// RFC 3629 validation, used to give invalid UTF-8 its own error.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    unsigned c = p[i];
    std::size_t n;
    unsigned min;
    if (c < 0x80) { ++i; continue; }
    else if ((c & 0xE0) == 0xC0) { n = 1; min = 0x80; c &= 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; min = 0x800; c &= 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; min = 0x10000; c &= 0x07; }
    else return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size() || (p[i + k] & 0xC0) != 0x80) return false;
      c = (c << 6) | (p[i + k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

const char* describe(StrictJsonError e) noexcept {
  switch (e) {
    case StrictJsonError::kSyntax: return "The body is not well-formed JSON";
    case StrictJsonError::kInvalidUtf8: return "The body is not valid UTF-8";
    case StrictJsonError::kTooDeep: return "The body nests arrays or objects too deeply";
    case StrictJsonError::kDuplicateKey: return "An object repeats a key";
    case StrictJsonError::kNumberRange: return "A number is out of range";
  }
  return "The body is not acceptable JSON";
}

Expected<boost::json::value, StrictJsonError> parse_strict(std::string_view text, std::size_t max_depth) {
  if (!valid_utf8(text)) return Unexpected{StrictJsonError::kInvalidUtf8};

  bj::parse_options opts;
  opts.max_depth = max_depth;
  opts.allow_comments = false;
  opts.allow_trailing_commas = false;
  opts.allow_invalid_utf8 = false;

  bj::basic_parser<CheckingHandler> checker(opts);
  error_code ec;
  checker.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    switch (checker.handler().flag) {
      case Flag::kDuplicate: return Unexpected{StrictJsonError::kDuplicateKey};
      case Flag::kRange: return Unexpected{StrictJsonError::kNumberRange};
      case Flag::kNone: return Unexpected{classify(ec)};
    }
  }

  bj::value v = bj::parse(bj::string_view(text.data(), text.size()), ec, {}, opts);
  if (ec) return Unexpected{classify(ec)};
  return v;
}

}  // namespace archon::json
