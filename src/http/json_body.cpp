#include "http/json_body.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <boost/json/serialize.hpp>

#include "core/strict_json.hpp"

namespace archon::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

const char* type_name(FieldType t) {
  switch (t) {
    case FieldType::kString: return "a string";
    case FieldType::kInteger: return "an integer";
    case FieldType::kNumber: return "a number";
    case FieldType::kBoolean: return "true or false";
    case FieldType::kObject: return "an object";
    case FieldType::kArray: return "an array";
  }
  return "a value";
}

bool has_type(const boost::json::value& v, FieldType t) {
  switch (t) {
    case FieldType::kString: return v.is_string();
    case FieldType::kInteger: return v.is_int64() || v.is_uint64();
    case FieldType::kNumber: return v.is_number();
    case FieldType::kBoolean: return v.is_bool();
    case FieldType::kObject: return v.is_object();
    case FieldType::kArray: return v.is_array();
  }
  return false;
}

std::string fmt_number(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
  return std::to_string(d);
}

// Returns a constraint message or nullopt.
std::optional<std::string> check_constraints(const boost::json::value& v, const FieldSpec& f) {
  if (f.type == FieldType::kInteger || f.type == FieldType::kNumber) {
    double d = v.is_int64() ? static_cast<double>(v.get_int64())
               : v.is_uint64() ? static_cast<double>(v.get_uint64())
                               : v.get_double();
    if ((f.min_value && d < *f.min_value) || (f.max_value && d > *f.max_value))
      return "Must be between " + fmt_number(f.min_value.value_or(-1e300)) + " and " +
             fmt_number(f.max_value.value_or(1e300));
  }
  if (f.type == FieldType::kString || f.type == FieldType::kArray) {
    std::size_t n = v.is_string() ? code_points(v.get_string()) : v.get_array().size();
    const char* unit = v.is_string() ? " characters" : " items";
    if (f.min_length && n < *f.min_length) return "Must have at least " + std::to_string(*f.min_length) + unit;
    if (f.max_length && n > *f.max_length) return "Must have at most " + std::to_string(*f.max_length) + unit;
  }
  if (f.type == FieldType::kObject && f.max_bytes && boost::json::serialize(v).size() > *f.max_bytes)
    return "Must be at most " + std::to_string(*f.max_bytes) + " bytes as JSON";
  return std::nullopt;
}

}  // namespace

bool is_json_content_type(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string media = lower(trim(content_type.substr(0, semi)));
  if (media != "application/json") return false;
  if (semi == std::string_view::npos) return true;
  // Only a charset parameter, and only UTF-8 (RFC 8259 §8.1).
  std::string params = lower(trim(content_type.substr(semi + 1)));
  params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
  return params == "charset=utf-8" || params == "charset=\"utf-8\"";
}

std::optional<ApiError> validate_object(const boost::json::object& body, const BodySchema& schema) {
  boost::json::object unknown, required, format, constraint;
  if (!schema.allow_unknown) {
    for (const auto& kv : body) {
      bool known = std::any_of(schema.fields.begin(), schema.fields.end(),
                               [&](const FieldSpec& f) { return f.name == kv.key(); });
      if (!known) unknown[kv.key()] = "This field is not accepted";
    }
  }
  for (const auto& f : schema.fields) {
    auto it = body.find(f.name);
    if (it == body.end() || (it->value().is_null() && f.required)) {
      if (f.required) required[f.name] = "This field is required";
      continue;
    }
    if (it->value().is_null()) continue;  // optional fields may be null
    if (!has_type(it->value(), f.type)) {
      format[f.name] = std::string("Must be ") + type_name(f.type);
      continue;
    }
    if (auto msg = check_constraints(it->value(), f)) constraint[f.name] = *msg;
  }
  // One code for the response (most fundamental problem first); details name every field.
  ErrorCode code;
  if (!unknown.empty()) code = ErrorCode::kValidationUnknownField;
  else if (!required.empty()) code = ErrorCode::kValidationRequiredField;
  else if (!format.empty()) code = ErrorCode::kValidationInvalidFormat;
  else if (!constraint.empty()) code = ErrorCode::kValidationConstraintViolation;
  else return std::nullopt;
  boost::json::object details;
  for (auto* group : {&unknown, &required, &format, &constraint})
    for (auto& kv : *group) details[kv.key()] = kv.value();
  return ApiError::make(code, std::move(details));
}

Expected<boost::json::object, ApiError> read_json_body(const Request& request, const BodySchema* schema) {
  auto ct = request.find(bhttp::field::content_type);
  if (ct == request.end() || !is_json_content_type(ct->value()))
    return Unexpected{ApiError::make(ErrorCode::kValidationUnsupportedMediaType,
                                     {{"content_type", "Must be application/json"}})};
  auto parsed = json::parse_strict(request.body());
  if (!parsed)
    return Unexpected{ApiError::make(ErrorCode::kValidationMalformedJson, {{"body", json::describe(parsed.error())}})};
  if (!parsed->is_object())
    return Unexpected{ApiError::make(ErrorCode::kValidationMalformedJson, {{"body", "Must be a JSON object"}})};
  if (schema)
    if (auto err = validate_object(parsed->get_object(), *schema)) return Unexpected{std::move(*err)};
  return std::move(parsed->get_object());
}

}  // namespace archon::http
