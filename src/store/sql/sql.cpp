#include "store/sql/sql.hpp"

#include <array>
#include <charconv>
#include <stdexcept>

namespace archon::store::sql {
namespace {

struct Marker {
  std::string_view name;
  std::string_view postgres;
  std::string_view sqlite;
};
constexpr std::array<Marker, 7> kMarkers{{
    {"{least}", "LEAST", "MIN"},
    {"{greatest}", "GREATEST", "MAX"},
    {"{lock_row}", " FOR NO KEY UPDATE", ""},
    {"{skip_locked}", " FOR UPDATE SKIP LOCKED", ""},
    {"{bytes}", " COLLATE \"C\"", ""},
    {"{instr}", "strpos", "instr"},
    {"{insertion_order}", "inserted", "rowid"},
}};

// Expands the markers for one dialect; SQLite's copy also gets ?n for $n (same numbering, so a
// parameter may be used twice and in any order).
std::string expand(std::string_view text, Dialect d) {
  std::string out;
  out.reserve(text.size() + 16);
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '{') {
      bool found = false;
      for (const auto& m : kMarkers) {
        if (text.substr(i, m.name.size()) == m.name) {
          out += d == Dialect::kPostgres ? m.postgres : m.sqlite;
          i += m.name.size();
          found = true;
          break;
        }
      }
      if (found) continue;  // anything else in braces is SQL text (a JSON literal '{}')
    }
    if (text[i] == '$' && d == Dialect::kSqlite && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '9') {
      out += '?';
      ++i;
      continue;
    }
    out += text[i++];
  }
  return out;
}

}  // namespace

Sql::Sql(std::string_view text) : sqlite_(expand(text, Dialect::kSqlite)), postgres_(expand(text, Dialect::kPostgres)) {}

Value Value::blob(std::string_view bytes) {
  Value v;
  v.kind_ = Kind::kBlob;
  v.text_ = std::string(bytes);
  return v;
}

Value Value::blob(const std::optional<std::string>& bytes) { return bytes ? blob(*bytes) : Value(std::nullopt); }

const Cell& Row::cell(int col) const {
  if (col < 0 || col >= rows_->columns_) throw std::out_of_range("no column " + std::to_string(col));
  return rows_->cells_[index_ * static_cast<std::size_t>(rows_->columns_) + static_cast<std::size_t>(col)];
}

bool Row::is_null(int col) const { return std::holds_alternative<std::monostate>(cell(col)); }

std::string Row::text(int col) const {
  const Cell& c = cell(col);
  if (const auto* s = std::get_if<std::string>(&c)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&c)) return std::to_string(*i);
  return {};
}

std::int64_t Row::int64(int col) const {
  const Cell& c = cell(col);
  if (const auto* i = std::get_if<std::int64_t>(&c)) return *i;
  if (const auto* s = std::get_if<std::string>(&c)) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec == std::errc() && end == s->data() + s->size()) return v;
  }
  throw std::runtime_error("column " + std::to_string(col) + " is not an integer");
}

bool Row::boolean(int col) const { return int64(col) != 0; }

std::optional<std::string> Row::opt_text(int col) const {
  return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
}

std::optional<std::int64_t> Row::opt_int64(int col) const {
  return is_null(col) ? std::nullopt : std::optional<std::int64_t>(int64(col));
}

void Database::run(Mode mode, const std::function<void(Connection&)>& fn) {
  bool write = mode == Mode::kTransaction || mode == Mode::kWrite;
  if (!write || !outbox_writer_ || !EventScope::open()) {
    execute(mode, fn);
    return;
  }
  EventScope::Stage* caller = EventScope::current();
  const std::size_t before = EventScope::staged().size();
  execute(Mode::kTransaction, [&](Connection& c) {
    // The backend may run this on another thread (SQLite's group commit): stage into the caller's.
    EventScope::Redirect to_caller(caller);
    EventScope::truncate(before);  // a retried attempt stages its decisions' events afresh
    fn(c);
    if (!EventScope::staged().empty()) outbox_writer_(c, EventScope::staged());
  });
  EventScope::staged().clear();  // committed with the change
}

}  // namespace archon::store::sql
