#include "core/json_writer.hpp"

#include <charconv>
#include <cmath>

namespace archon::json {
namespace {

bool needs_escape(unsigned char c) { return c < 0x20 || c == 0x7f || c == '"' || c == '\\'; }

template <class T>
void write_number(std::string& out, T v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace

void write_string_to(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending run of characters that need no escaping
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!needs_escape(c)) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void write_number_to(std::string& out, std::int64_t v) { write_number(out, v); }
void write_number_to(std::string& out, std::uint64_t v) { write_number(out, v); }
void write_number_to(std::string& out, double v) {
  if (!std::isfinite(v)) out += "null";  // JSON has no NaN or infinity
  else write_number(out, v);
}

void write_to(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: write_number(out, v.get_int64()); break;
    case boost::json::kind::uint64: write_number(out, v.get_uint64()); break;
    case boost::json::kind::double_: write_number_to(out, v.get_double()); break;
    case boost::json::kind::string: write_string_to(out, v.get_string()); break;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_to(out, e);
      }
      out += ']';
      break;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        write_string_to(out, kv.key());
        out += ':';
        write_to(out, kv.value());
      }
      out += '}';
      break;
    }
  }
}

std::string write(const boost::json::value& value) {
  std::string out;
  out.reserve(256);
  write_to(out, value);
  return out;
}

}  // namespace archon::json
