// The PostgreSQL side of the dialect layer (store/sql/sql.hpp): reads and single writes on a
// pooled connection in autocommit, snapshots in a read-only REPEATABLE READ transaction, and
// transactions through PgDatabase's retry on serialization failures and deadlocks.
#pragma once
#include "store/postgres/pg_database.hpp"
#include "store/sql/sql.hpp"

namespace archon::store {

class PgSqlDatabase final : public sql::Database {
 public:
  explicit PgSqlDatabase(PgDatabase& db) : db_(db) {}
  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }
  void execute(Mode mode, const std::function<void(sql::Connection&)>& fn) override;

 private:
  PgDatabase& db_;
};

}  // namespace archon::store
