// The SQLite side of the dialect layer (store/sql/sql.hpp): reads run under the connection
// lock, transactions and single writes through SqliteDatabase's group commit.
#pragma once
#include "store/sql/sql.hpp"
#include "store/sqlite/sqlite_database.hpp"

namespace archon::store {

class SqliteSqlDatabase final : public sql::Database {
 public:
  explicit SqliteSqlDatabase(SqliteDatabase& db) : db_(db) {}
  sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
  void execute(Mode mode, const std::function<void(sql::Connection&)>& fn) override;

 private:
  SqliteDatabase& db_;
};

}  // namespace archon::store
