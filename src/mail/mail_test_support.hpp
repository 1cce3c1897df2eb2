// Test-only helpers for the mail tests: a strict reader of written messages that shares no code
// with the writer (CRLF lines, header unfolding, quoted-printable, RFC 2047 B words), a temp
// directory, and Python's standard-library email parser as a second, independent opinion.
#pragma once
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

#include <boost/json.hpp>
#include <openssl/evp.h>

#include "core/expected.hpp"

namespace archon::mail::test_support {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("archon-mail-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every regular file in `dir`, hidden ones included, sorted by name.
inline std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

struct ParsedMessage {
  std::vector<std::pair<std::string, std::string>> headers;  // unfolded, in file order
  std::string body;                                          // as written (still encoded)
  std::vector<std::string> header_lines;                     // physical lines, for length checks

  int count(std::string_view name) const {
    int n = 0;
    for (const auto& [k, v] : headers) n += k == name;
    return n;
  }
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

using Parsed = Expected<ParsedMessage, std::string>;

inline Parsed parse_message(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return Unexpected{"bare LF at " + std::to_string(i)};
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))
      return Unexpected{"bare CR at " + std::to_string(i)};
    if (text[i] == '\0') return Unexpected{std::string("NUL in message")};
  }
  std::size_t split = text.find("\r\n\r\n");
  if (split == std::string_view::npos) return Unexpected{std::string("no blank line after the headers")};
  ParsedMessage m;
  m.body = std::string(text.substr(split + 4));
  std::string_view head = text.substr(0, split + 2);
  while (!head.empty()) {
    std::size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    m.header_lines.emplace_back(line);
    if (line.empty()) return Unexpected{std::string("empty header line")};
    if (line[0] == ' ' || line[0] == '\t') {  // folded: unfolding removes only the CRLF
      if (m.headers.empty()) return Unexpected{std::string("continuation before any header")};
      m.headers.back().second += std::string(line);
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return Unexpected{"not a header: " + std::string(line)};
    for (char c : line.substr(0, colon))
      if (c <= ' ' || c > '~') return Unexpected{"bad header name: " + std::string(line)};
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value[0] == ' ' || value[0] == '\t')) value.remove_prefix(1);
    m.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return m;
}

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // RFC 2045 requires uppercase from encoders
}

// Strict RFC 2045 §6.7 decoding; returns the text with CRLF line breaks.
inline Expected<std::string, std::string> decode_quoted_printable(std::string_view body) {
  std::string out;
  if (body.empty()) return out;
  if (body.size() < 2 || body.substr(body.size() - 2) != "\r\n") return Unexpected{std::string("no final CRLF")};
  body.remove_suffix(2);
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t eol = body.find("\r\n", start);
    std::string_view line = body.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    if (line.size() > 76) return Unexpected{"encoded line longer than 76: " + std::string(line)};
    bool soft = !line.empty() && line.back() == '=';
    if (soft) line.remove_suffix(1);
    else if (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
      return Unexpected{std::string("unencoded trailing whitespace")};
    for (std::size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (c == '=') {
        if (i + 2 >= line.size()) return Unexpected{std::string("cut escape")};
        int hi = hex_value(line[i + 1]), lo = hex_value(line[i + 2]);
        if (hi < 0 || lo < 0) return Unexpected{std::string("bad escape")};
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else if ((c >= 33 && c <= 126) || c == ' ' || c == '\t') {
        out += c;
      } else {
        return Unexpected{std::string("raw byte that must be encoded")};
      }
    }
    if (!soft) out += "\r\n";
    if (eol == std::string_view::npos) break;
    start = eol + 2;
  }
  return out;
}

inline Expected<std::string, std::string> decode_base64(std::string_view text) {
  if (text.size() % 4 != 0) return Unexpected{std::string("base64 length")};
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
      return Unexpected{std::string("base64 character")};
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return Unexpected{std::string("base64 decode")};
  std::size_t padding = text.empty() ? 0 : (text.back() == '=') + (text.size() > 1 && text[text.size() - 2] == '=');
  out.resize(static_cast<std::size_t>(n) - padding);
  return out;
}

// An unfolded unstructured value: plain text, or RFC 2047 "=?UTF-8?B?...?=" words separated by
// whitespace (which decoding drops). Mixed forms are not produced by the writer, so refused.
inline Expected<std::string, std::string> decode_unstructured(std::string_view value) {
  if (value.find("=?") == std::string_view::npos) return std::string(value);
  std::string out;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    if (i == value.size()) break;
    std::size_t end = value.find_first_of(" \t", i);
    std::string_view word = value.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    i = end == std::string_view::npos ? value.size() : end;
    constexpr std::string_view kPrefix = "=?UTF-8?B?";
    if (word.size() > 75) return Unexpected{"encoded word longer than 75: " + std::string(word)};
    if (word.substr(0, kPrefix.size()) != kPrefix || word.size() < kPrefix.size() + 2 ||
        word.substr(word.size() - 2) != "?=")
      return Unexpected{"not an encoded word: " + std::string(word)};
    auto bytes = decode_base64(word.substr(kPrefix.size(), word.size() - kPrefix.size() - 2));
    if (!bytes) return Unexpected{bytes.error()};
    out += *bytes;
  }
  return out;
}

// Python's email package (policy.strict: any defect raises) reading `file`; nullopt when no
// python3 is installed. The JSON object holds the decoded headers and body, or "error".
inline std::optional<boost::json::object> parse_with_python(const std::filesystem::path& file) {
  static constexpr const char* kScript = R"PY(
import email, email.policy, json, sys
try:
    with open(sys.argv[1], 'rb') as f:
        m = email.message_from_binary_file(f, policy=email.policy.strict)
    print(json.dumps({'from': str(m['From']), 'to': str(m['To']), 'subject': str(m['Subject']),
        'date': m['Date'].datetime.isoformat(), 'message_id': str(m['Message-ID']),
        'mime_version': str(m['MIME-Version']), 'content_type': m.get_content_type(),
        'charset': m.get_content_charset(), 'cte': m['Content-Transfer-Encoding'].cte,
        'body': m.get_content()}))
except Exception as e:
    print(json.dumps({'error': type(e).__name__ + ': ' + str(e)}))
)PY";
  if (std::system("python3 -c 'import email' >/dev/null 2>&1") != 0) return std::nullopt;
  auto script = std::filesystem::temp_directory_path() /
                (file.filename().string() + "." + std::to_string(::getpid()) + ".parse.py");
  std::ofstream(script) << kScript;
  std::string cmd = "python3 '" + script.string() + "' '" + file.string() + "'";
  std::string output;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) output.append(buf, n);
    ::pclose(p);
  }
  std::filesystem::remove(script);
  boost::system::error_code ec;
  auto value = boost::json::parse(output, ec);
  if (ec || !value.is_object()) return boost::json::object{{"error", "unreadable output: " + output}};
  return value.as_object();
}

}  // namespace archon::mail::test_support
