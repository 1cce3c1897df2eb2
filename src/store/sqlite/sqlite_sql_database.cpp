#include "store/sqlite/sqlite_sql_database.hpp"

#include <sqlite3.h>

namespace archon::store {
namespace {

class SqliteConnection final : public sql::Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }

  sql::Rows query(const sql::Sql& text, std::span<const sql::Value> params) override {
    Statement st(db_, text.text(sql::Dialect::kSqlite));
    int index = 1;
    for (const auto& p : params) {
      switch (p.kind()) {
        case sql::Value::Kind::kNull: st.bind_null(index); break;
        case sql::Value::Kind::kInt:
        case sql::Value::Kind::kBool: st.bind(index, p.integer()); break;
        case sql::Value::Kind::kText: st.bind(index, std::string_view(p.text())); break;
        case sql::Value::Kind::kBlob: st.bind_blob(index, p.text()); break;
      }
      ++index;
    }
    std::vector<sql::Cell> cells;
    int columns = st.column_count();
    while (st.step()) {
      for (int c = 0; c < columns; ++c) {
        if (st.column_is_null(c)) cells.emplace_back(std::monostate{});
        else if (st.column_is_integer(c)) cells.emplace_back(st.column_int(c));
        else cells.emplace_back(st.column_blob(c));
      }
    }
    return sql::Rows(columns, std::move(cells), sqlite3_changes64(db_));
  }

  // One writer at a time already: every write transaction runs alone.
  void lock(sql::Lock, std::string_view) override {}

 private:
  sqlite3* db_;
};

}  // namespace

void SqliteSqlDatabase::execute(Mode mode, const std::function<void(sql::Connection&)>& fn) {
  if (mode == Mode::kRead || mode == Mode::kSnapshot) {
    db_.with_connection([&](sqlite3* db) {
      SqliteConnection c(db);
      fn(c);
    });
    return;
  }
  db_.transaction([&](sqlite3* db) {
    SqliteConnection c(db);
    fn(c);
  });
}

}  // namespace archon::store
