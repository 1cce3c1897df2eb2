#include "store/postgres/pg_token_store.hpp"

namespace archon::store {
namespace {

ServiceClientRecord read_client(const PgRow& row) {
  return {row.text(0), row.text(1), row.bytea(2), row.int64(3), row.opt_int64(4)};
}

}  // namespace

std::vector<SigningKeyRecord> PgTokenStore::list_signing_keys() {
  return db_.with_connection([](PgConnection& c) {
    // `inserted` (insertion order) breaks same-second ties, as SQLite's rowid does.
    auto r = c.query("signing_keys_list",
                     "SELECT kid, kind, alg, public_jwk, sealed_private, created_at, activates_at FROM signing_keys "
                     "ORDER BY activates_at, created_at, inserted");
    std::vector<SigningKeyRecord> out;
    for (auto row : r)
      out.push_back({row.text(0), row.text(1), row.text(2), row.text(3), row.bytea(4), row.int64(5), row.int64(6)});
    return out;
  });
}

void PgTokenStore::insert_signing_key(const SigningKeyRecord& r) {
  db_.with_connection([&](PgConnection& c) {
    c.query("signing_key_insert",
            "INSERT INTO signing_keys (kid, kind, alg, public_jwk, sealed_private, created_at, activates_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            {r.kid, r.kind, r.alg, r.public_jwk, PgParam::bytea(r.sealed_private), r.created_at, r.activates_at});
  });
}

void PgTokenStore::delete_signing_key(const std::string& kid) {
  db_.with_connection(
      [&](PgConnection& c) { c.query("signing_key_delete", "DELETE FROM signing_keys WHERE kid = $1", {kid}); });
}

void PgTokenStore::insert_revocation(const RevocationRecord& r) {
  db_.with_connection([&](PgConnection& c) {
    // Idempotent; revoking again keeps the later expiry (and the first revoked_at).
    c.query("revocation_upsert",
            "INSERT INTO revocations (subject_kind, subject_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (subject_kind, subject_id) DO UPDATE SET "
            "expires_at = GREATEST(revocations.expires_at, excluded.expires_at)",
            {r.subject_kind, r.subject_id, r.expires_at, r.revoked_at});
  });
}

std::vector<RevocationRecord> PgTokenStore::list_live_revocations(std::int64_t now) {
  return db_.with_connection([&](PgConnection& c) {
    auto r = c.query("revocations_live",
                     "SELECT subject_kind, subject_id, expires_at, revoked_at FROM revocations WHERE expires_at >= $1",
                     {now});
    std::vector<RevocationRecord> out;
    for (auto row : r) out.push_back({row.text(0), row.text(1), row.int64(2), row.int64(3)});
    return out;
  });
}

bool PgTokenStore::is_revoked(const std::string& subject_kind, const std::string& subject_id, std::int64_t now) {
  return db_.with_connection([&](PgConnection& c) {
    auto r = c.query("revocations_point",
                     "SELECT 1 FROM revocations WHERE subject_kind = $1 AND subject_id = $2 AND expires_at >= $3",
                     {subject_kind, subject_id, now});
    return !r.empty();
  });
}

void PgTokenStore::delete_expired_revocations(std::int64_t now) {
  db_.with_connection(
      [&](PgConnection& c) { c.query("revocations_expire", "DELETE FROM revocations WHERE expires_at < $1", {now}); });
}

void PgTokenStore::insert_service_client(const ServiceClientRecord& r) {
  db_.with_connection([&](PgConnection& c) {
    c.query("service_client_insert",
            "INSERT INTO service_clients (client_id, name, secret_hash, created_at) VALUES ($1, $2, $3, $4)",
            {r.client_id, r.name, PgParam::bytea(r.secret_hash), r.created_at});
  });
}

std::optional<ServiceClientRecord> PgTokenStore::find_service_client(const std::string& client_id) {
  return db_.with_connection([&](PgConnection& c) -> std::optional<ServiceClientRecord> {
    auto r = c.query("service_client_find",
                     "SELECT client_id, name, secret_hash, created_at, disabled_at FROM service_clients "
                     "WHERE client_id = $1",
                     {client_id});
    if (r.empty()) return std::nullopt;
    return read_client(r.row(0));
  });
}

std::vector<ServiceClientRecord> PgTokenStore::list_service_clients() {
  return db_.with_connection([](PgConnection& c) {
    auto r = c.query("service_clients_list",
                     "SELECT client_id, name, secret_hash, created_at, disabled_at FROM service_clients "
                     "ORDER BY name COLLATE \"C\"");
    std::vector<ServiceClientRecord> out;
    for (auto row : r) out.push_back(read_client(row));
    return out;
  });
}

}  // namespace archon::store
