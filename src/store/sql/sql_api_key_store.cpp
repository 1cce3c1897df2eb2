#include "store/sql/sql_api_key_store.hpp"

#include "store/sql/word_list.hpp"

namespace archon::store {
namespace {

constexpr const char* kColumns =
    "id, name, prefix, key_hash, scopes, created_by, created_at, expires_at, last_used_at, revoked_at";

ApiKeyRecord read_key(const sql::Row& row) {
  ApiKeyRecord r;
  r.id = row.text(0);
  r.name = row.text(1);
  r.prefix = row.text(2);
  r.key_hash = row.blob(3);
  r.scopes = sql::split_words(row.text(4));
  r.created_by = row.text(5);
  r.created_at = row.int64(6);
  r.expires_at = row.opt_int64(7);
  r.last_used_at = row.opt_int64(8);
  r.revoked_at = row.opt_int64(9);
  return r;
}

sql::Sql select_where(const std::string& where) {
  return sql::Sql(std::string("SELECT ") + kColumns + " FROM api_keys WHERE " + where);
}

}  // namespace

void SqlApiKeyStore::insert_api_key(const ApiKeyRecord& r) {
  static const sql::Sql kInsert(
      "INSERT INTO api_keys (id, name, prefix, key_hash, scopes, created_by, created_at, expires_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
  db_.write([&](sql::Connection& c) {
    c.query(kInsert, {r.id, r.name, r.prefix, sql::Value::blob(r.key_hash), sql::join_words(r.scopes), r.created_by,
                      r.created_at, r.expires_at});
  });
}

std::optional<ApiKeyRecord> SqlApiKeyStore::find_api_key_by_hash(const std::string& key_hash) {
  static const sql::Sql kFind = select_where("key_hash = $1");
  return db_.read([&](sql::Connection& c) -> std::optional<ApiKeyRecord> {
    auto rows = c.query(kFind, {sql::Value::blob(key_hash)});
    if (rows.empty()) return std::nullopt;
    return read_key(rows.row(0));
  });
}

std::optional<ApiKeyRecord> SqlApiKeyStore::find_api_key(const std::string& id) {
  static const sql::Sql kFind = select_where("id = $1");
  return db_.read([&](sql::Connection& c) -> std::optional<ApiKeyRecord> {
    auto rows = c.query(kFind, {id});
    if (rows.empty()) return std::nullopt;
    return read_key(rows.row(0));
  });
}

std::pair<std::vector<ApiKeyRecord>, std::int64_t> SqlApiKeyStore::list_api_keys(std::int64_t offset,
                                                                                  std::int64_t limit) {
  static const sql::Sql kCount("SELECT COUNT(*) FROM api_keys");
  static const sql::Sql kPage(std::string("SELECT ") + kColumns +
                              " FROM api_keys ORDER BY created_at DESC, id{bytes} DESC LIMIT $1 OFFSET $2");
  return db_.snapshot([&](sql::Connection& c) {
    std::pair<std::vector<ApiKeyRecord>, std::int64_t> out;
    out.second = c.query(kCount).row(0).int64(0);
    for (auto row : c.query(kPage, {limit, offset})) out.first.push_back(read_key(row));
    return out;
  });
}

std::optional<ApiKeyRecord> SqlApiKeyStore::revoke_api_key(const std::string& id, std::int64_t now) {
  static const sql::Sql kRevoke("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL");
  static const sql::Sql kFind = select_where("id = $1");
  return db_.transaction([&](sql::Connection& c) -> std::optional<ApiKeyRecord> {
    c.query(kRevoke, {id, now});
    auto rows = c.query(kFind, {id});
    if (rows.empty()) return std::nullopt;
    return read_key(rows.row(0));
  });
}

void SqlApiKeyStore::touch_api_key(const std::string& id, std::int64_t now) {
  static const sql::Sql kTouch(
      "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)");
  db_.write([&](sql::Connection& c) { c.query(kTouch, {id, now}); });
}

}  // namespace archon::store
