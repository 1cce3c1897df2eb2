// Serializes a boost::json::value compactly, writing doubles in their shortest round-trip
// decimal form ("0.349", not Boost 1.81's "3.49E-1") so envelopes read like the spec's
// examples. Strings are escaped per RFC 8259, control characters as \uXXXX. Thread-safe.
#pragma once
#include <string>

#include <boost/json/value.hpp>

namespace archon::json {

std::string write(const boost::json::value& value);
void write_to(std::string& out, const boost::json::value& value);

}  // namespace archon::json
