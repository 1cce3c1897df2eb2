// Strict JSON parsing for untrusted input (request bodies, JOSE headers and payloads).
// Stricter than boost::json::parse: a repeated key inside one object, nesting deeper than
// `max_depth`, invalid UTF-8, trailing data, or a number that does not fit a double are errors.
// Thread-safe (no shared state).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/expected.hpp"

namespace archon::json {

enum class StrictJsonError {
  kSyntax,         // not one well-formed JSON text (includes trailing garbage and empty input)
  kInvalidUtf8,    // a string or the text is not valid UTF-8
  kTooDeep,        // arrays/objects nested deeper than max_depth
  kDuplicateKey,   // the same key twice in one object
  kNumberRange,    // a number too large for a double (e.g. 1e400)
};

// A short English description for error details; never echoes the input.
const char* describe(StrictJsonError e) noexcept;

constexpr std::size_t kDefaultMaxDepth = 32;

Expected<boost::json::value, StrictJsonError> parse_strict(std::string_view text,
                                                           std::size_t max_depth = kDefaultMaxDepth);

}  // namespace archon::json
