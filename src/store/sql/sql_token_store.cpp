#include "store/sql/sql_token_store.hpp"

namespace archon::store {
namespace {

ServiceClientRecord read_client(const sql::Row& row) {
  return {row.text(0), row.text(1), row.blob(2), row.int64(3), row.opt_int64(4)};
}

}  // namespace

std::vector<SigningKeyRecord> SqlTokenStore::list_signing_keys() {
  // Insertion order breaks same-second ties (SQLite's rowid, PostgreSQL's `inserted` column).
  static const sql::Sql kList(
      "SELECT kid, kind, alg, public_jwk, sealed_private, created_at, activates_at FROM signing_keys "
      "ORDER BY activates_at, created_at, {insertion_order}");
  return db_.read([](sql::Connection& c) {
    std::vector<SigningKeyRecord> out;
    for (auto row : c.query(kList))
      out.push_back({row.text(0), row.text(1), row.text(2), row.text(3), row.blob(4), row.int64(5), row.int64(6)});
    return out;
  });
}

void SqlTokenStore::insert_signing_key(const SigningKeyRecord& r) {
  static const sql::Sql kInsert(
      "INSERT INTO signing_keys (kid, kind, alg, public_jwk, sealed_private, created_at, activates_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7)");
  db_.write([&](sql::Connection& c) {
    c.query(kInsert,
            {r.kid, r.kind, r.alg, r.public_jwk, sql::Value::blob(r.sealed_private), r.created_at, r.activates_at});
  });
}

void SqlTokenStore::delete_signing_key(const std::string& kid) {
  static const sql::Sql kDelete("DELETE FROM signing_keys WHERE kid = $1");
  db_.write([&](sql::Connection& c) { c.query(kDelete, {kid}); });
}

void SqlTokenStore::insert_revocation(const RevocationRecord& r) {
  // Idempotent; revoking again keeps the later expiry (and the first revoked_at).
  static const sql::Sql kUpsert(
      "INSERT INTO revocations (subject_kind, subject_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (subject_kind, subject_id) DO UPDATE SET "
      "expires_at = {greatest}(revocations.expires_at, excluded.expires_at)");
  db_.write([&](sql::Connection& c) { c.query(kUpsert, {r.subject_kind, r.subject_id, r.expires_at, r.revoked_at}); });
}

std::vector<RevocationRecord> SqlTokenStore::list_live_revocations(std::int64_t now) {
  static const sql::Sql kLive(
      "SELECT subject_kind, subject_id, expires_at, revoked_at FROM revocations WHERE expires_at >= $1");
  return db_.read([&](sql::Connection& c) {
    std::vector<RevocationRecord> out;
    for (auto row : c.query(kLive, {now})) out.push_back({row.text(0), row.text(1), row.int64(2), row.int64(3)});
    return out;
  });
}

bool SqlTokenStore::is_revoked(const std::string& subject_kind, const std::string& subject_id, std::int64_t now) {
  static const sql::Sql kPoint(
      "SELECT 1 FROM revocations WHERE subject_kind = $1 AND subject_id = $2 AND expires_at >= $3");
  return db_.read([&](sql::Connection& c) { return !c.query(kPoint, {subject_kind, subject_id, now}).empty(); });
}

void SqlTokenStore::delete_expired_revocations(std::int64_t now) {
  static const sql::Sql kExpire("DELETE FROM revocations WHERE expires_at < $1");
  db_.write([&](sql::Connection& c) { c.query(kExpire, {now}); });
}

void SqlTokenStore::insert_service_client(const ServiceClientRecord& r) {
  static const sql::Sql kInsert(
      "INSERT INTO service_clients (client_id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4)");
  db_.write([&](sql::Connection& c) {
    c.query(kInsert, {r.client_id, r.name, sql::Value::blob(r.secret_hash), r.created_at});
  });
}

std::optional<ServiceClientRecord> SqlTokenStore::find_service_client(const std::string& client_id) {
  static const sql::Sql kFind(
      "SELECT client_id, name, secret_hash, created_at, disabled_at FROM service_clients WHERE client_id = $1");
  return db_.read([&](sql::Connection& c) -> std::optional<ServiceClientRecord> {
    auto r = c.query(kFind, {client_id});
    if (r.empty()) return std::nullopt;
    return read_client(r.row(0));
  });
}

std::vector<ServiceClientRecord> SqlTokenStore::list_service_clients() {
  static const sql::Sql kList(
      "SELECT client_id, name, secret_hash, created_at, disabled_at FROM service_clients ORDER BY name{bytes}");
  return db_.read([](sql::Connection& c) {
    std::vector<ServiceClientRecord> out;
    for (auto row : c.query(kList)) out.push_back(read_client(row));
    return out;
  });
}

}  // namespace archon::store
