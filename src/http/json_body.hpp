// Steps 3 and 6 of the spec's validation pipeline for JSON endpoints: the Content-Type check
// and strict parsing plus per-field validation against a declared schema. Pure functions.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/errors.hpp"
#include "core/expected.hpp"
#include "http/types.hpp"

namespace archon::http {

enum class FieldType { kString, kInteger, kNumber, kBoolean, kObject, kArray };

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  bool required = false;
  // Integers and numbers: inclusive value bounds.
  std::optional<double> min_value, max_value;
  // Strings: length in Unicode code points; arrays: number of items.
  std::optional<std::size_t> min_length, max_length;
  // Objects: size of the member as serialized JSON, in bytes.
  std::optional<std::size_t> max_bytes;
};

struct BodySchema {
  std::vector<FieldSpec> fields;
  // Fields the client must never set (mass assignment), reported by name as unknown fields.
  bool allow_unknown = false;
};

// True for application/json with an optional charset=utf-8 parameter (case-insensitive).
bool is_json_content_type(std::string_view content_type);

// Checks the Content-Type, parses the body strictly (see core/strict_json.hpp), requires a JSON
// object and validates it against `schema` if given. Errors carry per-field `details`.
Expected<boost::json::object, ApiError> read_json_body(const Request& request, const BodySchema* schema);

// Validation alone, for callers that already hold the object.
std::optional<ApiError> validate_object(const boost::json::object& body, const BodySchema& schema);

}  // namespace archon::http
