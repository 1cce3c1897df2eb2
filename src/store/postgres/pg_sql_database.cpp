#include "store/postgres/pg_sql_database.hpp"

namespace archon::store {
namespace {

constexpr unsigned kBoolOid = 16;
constexpr unsigned kByteaOid = 17;
constexpr unsigned kInt8Oid = 20;
constexpr unsigned kInt2Oid = 21;
constexpr unsigned kInt4Oid = 23;

PgParam to_param(const sql::Value& v) {
  switch (v.kind()) {
    case sql::Value::Kind::kNull: return PgParam(std::nullopt);
    case sql::Value::Kind::kInt: return PgParam(v.integer());
    case sql::Value::Kind::kBool: return PgParam(v.integer() != 0);
    case sql::Value::Kind::kText: return PgParam(v.text());
    case sql::Value::Kind::kBlob: return PgParam::bytea(v.text());
  }
  return PgParam(std::nullopt);
}

sql::Cell to_cell(const PgRow& row, int col, unsigned type) {
  if (row.is_null(col)) return std::monostate{};
  switch (type) {
    case kBoolOid: return std::int64_t{row.boolean(col) ? 1 : 0};
    case kByteaOid: return row.bytea(col);
    case kInt8Oid:
    case kInt2Oid:
    case kInt4Oid: return row.int64(col);
    default: return row.text(col);
  }
}

PgLock to_pg_lock(sql::Lock lock) {
  switch (lock) {
    case sql::Lock::kAuditChain: return PgLock::kAuditChain;
    case sql::Lock::kLogin: return PgLock::kLogin;
    case sql::Lock::kAdminChange: return PgLock::kAdminChange;
  }
  return PgLock::kAuditChain;
}

class PgSqlConnection final : public sql::Connection {
 public:
  explicit PgSqlConnection(PgConnection& conn) : conn_(conn) {}
  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }

  sql::Rows query(const sql::Sql& text, std::span<const sql::Value> params) override {
    std::vector<PgParam> pg;
    pg.reserve(params.size());
    for (const auto& p : params) pg.push_back(to_param(p));
    PgResult r = conn_.query_text(text.text(sql::Dialect::kPostgres), pg);
    int columns = r.columns();
    std::vector<unsigned> types;
    for (int c = 0; c < columns; ++c) types.push_back(r.column_type(c));
    std::vector<sql::Cell> cells;
    cells.reserve(static_cast<std::size_t>(r.rows()) * static_cast<std::size_t>(columns));
    for (auto row : r)
      for (int c = 0; c < columns; ++c) cells.push_back(to_cell(row, c, types[static_cast<std::size_t>(c)]));
    return sql::Rows(columns, std::move(cells), r.affected());
  }

  void lock(sql::Lock lock, std::string_view key) override { lock_advisory(conn_, to_pg_lock(lock), key); }

 private:
  PgConnection& conn_;
};

}  // namespace

void PgSqlDatabase::execute(Mode mode, const std::function<void(sql::Connection&)>& fn) {
  auto body = [&](PgConnection& conn) {
    PgSqlConnection c(conn);
    fn(c);
  };
  switch (mode) {
    case Mode::kRead:
    case Mode::kWrite: db_.with_connection(body); return;
    case Mode::kSnapshot: db_.snapshot(body); return;
    case Mode::kTransaction: db_.transaction(body); return;
  }
}

}  // namespace archon::store
