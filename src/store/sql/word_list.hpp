// Lists of words kept in one TEXT column, space-separated (OAuth's scope syntax): API-key scopes
// and webhook event types, none of which holds a space. Pure functions; thread-safe.
#pragma once
#include <string>
#include <vector>

namespace archon::store::sql {

// "a b c"; with `padded`, " a b c " so one instr() finds a whole word (" b ").
inline std::string join_words(const std::vector<std::string>& words, bool padded = false) {
  std::string out = padded ? " " : "";
  for (const auto& w : words) out += (out.empty() || out == " " ? "" : " ") + w;
  return padded ? out + " " : out;
}

inline std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace archon::store::sql
