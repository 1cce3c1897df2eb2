#include "http/wire.hpp"

#include <charconv>

namespace archon::http {

void serialize_response(const Response& res, std::string& out) {
  std::size_t fields = 0;
  for (const auto& f : res) fields += f.name_string().size() + f.value().size() + 4;
  auto reason = res.reason();
  out.reserve(out.size() + 32 + reason.size() + fields + res.body().size());

  out += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  char code[8];
  auto [end, ec] = std::to_chars(code, code + sizeof code, res.result_int());
  out.append(code, end);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& f : res) {
    out.append(f.name_string().data(), f.name_string().size());
    out += ": ";
    out.append(f.value().data(), f.value().size());
    out += "\r\n";
  }
  out += "\r\n";
  out += res.body();
}

}  // namespace archon::http
