#include "store/sqlite/sqlite_token_store.hpp"

namespace archon::store {

std::vector<SigningKeyRecord> SqliteTokenStore::list_signing_keys() {
  return db_.with_connection([](sqlite3* db) {
    std::vector<SigningKeyRecord> out;
    Statement st(db,
                 "SELECT kid, kind, alg, public_jwk, sealed_private, created_at, activates_at FROM signing_keys "
                 "ORDER BY activates_at, created_at, rowid");  // rowid: insertion order breaks same-second ties
    while (st.step())
      out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3), st.column_blob(4),
                     st.column_int(5), st.column_int(6)});
    return out;
  });
}

void SqliteTokenStore::insert_signing_key(const SigningKeyRecord& r) {
  db_.transaction([&](sqlite3* db) {
    Statement(db,
              "INSERT INTO signing_keys (kid, kind, alg, public_jwk, sealed_private, created_at, activates_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(1, r.kid)
        .bind(2, r.kind)
        .bind(3, r.alg)
        .bind(4, r.public_jwk)
        .bind_blob(5, r.sealed_private)
        .bind(6, r.created_at)
        .bind(7, r.activates_at)
        .run();
  });
}

void SqliteTokenStore::delete_signing_key(const std::string& kid) {
  db_.transaction([&](sqlite3* db) { Statement(db, "DELETE FROM signing_keys WHERE kid = ?").bind(1, kid).run(); });
}

void SqliteTokenStore::insert_revocation(const RevocationRecord& r) {
  db_.transaction([&](sqlite3* db) {
    Statement(db,
              "INSERT INTO revocations (subject_kind, subject_id, expires_at, revoked_at) VALUES (?, ?, ?, ?) "
              "ON CONFLICT (subject_kind, subject_id) DO UPDATE SET expires_at = MAX(expires_at, excluded.expires_at)")
        .bind(1, r.subject_kind)
        .bind(2, r.subject_id)
        .bind(3, r.expires_at)
        .bind(4, r.revoked_at)
        .run();
  });
}

std::vector<RevocationRecord> SqliteTokenStore::list_live_revocations(std::int64_t now) {
  return db_.with_connection([&](sqlite3* db) {
    std::vector<RevocationRecord> out;
    Statement st(db, "SELECT subject_kind, subject_id, expires_at, revoked_at FROM revocations WHERE expires_at >= ?");
    st.bind(1, now);
    while (st.step()) out.push_back({st.column_text(0), st.column_text(1), st.column_int(2), st.column_int(3)});
    return out;
  });
}

bool SqliteTokenStore::is_revoked(const std::string& subject_kind, const std::string& subject_id, std::int64_t now) {
  return db_.with_connection([&](sqlite3* db) {
    Statement st(db, "SELECT 1 FROM revocations WHERE subject_kind = ? AND subject_id = ? AND expires_at >= ?");
    st.bind(1, subject_kind).bind(2, subject_id).bind(3, now);
    return st.step();
  });
}

void SqliteTokenStore::delete_expired_revocations(std::int64_t now) {
  db_.transaction(
      [&](sqlite3* db) { Statement(db, "DELETE FROM revocations WHERE expires_at < ?").bind(1, now).run(); });
}

void SqliteTokenStore::insert_service_client(const ServiceClientRecord& r) {
  db_.transaction([&](sqlite3* db) {
    Statement(db, "INSERT INTO service_clients (client_id, name, secret_hash, created_at) VALUES (?, ?, ?, ?)")
        .bind(1, r.client_id)
        .bind(2, r.name)
        .bind_blob(3, r.secret_hash)
        .bind(4, r.created_at)
        .run();
  });
}

std::optional<ServiceClientRecord> SqliteTokenStore::find_service_client(const std::string& client_id) {
  return db_.with_connection([&](sqlite3* db) -> std::optional<ServiceClientRecord> {
    Statement st(db,
                 "SELECT client_id, name, secret_hash, created_at, disabled_at FROM service_clients WHERE client_id = ?");
    st.bind(1, client_id);
    if (!st.step()) return std::nullopt;
    ServiceClientRecord r{st.column_text(0), st.column_text(1), st.column_blob(2), st.column_int(3), std::nullopt};
    if (!st.column_is_null(4)) r.disabled_at = st.column_int(4);
    return r;
  });
}

std::vector<ServiceClientRecord> SqliteTokenStore::list_service_clients() {
  return db_.with_connection([](sqlite3* db) {
    std::vector<ServiceClientRecord> out;
    Statement st(db, "SELECT client_id, name, secret_hash, created_at, disabled_at FROM service_clients ORDER BY name");
    while (st.step()) {
      ServiceClientRecord r{st.column_text(0), st.column_text(1), st.column_blob(2), st.column_int(3), std::nullopt};
      if (!st.column_is_null(4)) r.disabled_at = st.column_int(4);
      out.push_back(std::move(r));
    }
    return out;
  });
}

}  // namespace archon::store
