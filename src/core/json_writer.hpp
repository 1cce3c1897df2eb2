// Serializes a boost::json::value compactly, writing doubles in their shortest round-trip
// decimal form ("0.349", not Boost 1.81's "3.49E-1") so envelopes read like the spec's
// examples. Strings are escaped per RFC 8259, control characters as \uXXXX. Thread-safe.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace archon::json {

std::string write(const boost::json::value& value);
void write_to(std::string& out, const boost::json::value& value);
// Pieces, for documents written directly (the response envelope): a quoted, escaped string
// and numbers in the same forms write() uses.
void write_string_to(std::string& out, std::string_view s);
void write_number_to(std::string& out, std::int64_t v);
void write_number_to(std::string& out, std::uint64_t v);
void write_number_to(std::string& out, double v);

}  // namespace archon::json
