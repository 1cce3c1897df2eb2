// The token service's repositories on a real PostgreSQL: signing keys (binary sealed keys,
// listing order with same-second ties), idempotent revocations, service clients.
#include "store/postgres/pg_token_store.hpp"

#include <gtest/gtest.h>

#include "store/postgres/pg_test_server.hpp"

namespace archon::store {
namespace {

SigningKeyRecord key(const std::string& kid, std::int64_t created, std::int64_t activates) {
  return {kid, "access", "EdDSA", R"({"kty":"OKP"})", std::string("\x00sealed\xff", 8), created, activates};
}

TEST(PgTokenStore, SigningKeysListByActivationWithInsertionOrderBreakingTies) {
  testing::PgTestDatabase t;
  PgTokenStore store(t.db);
  store.insert_signing_key(key("k-late", 100, 300));
  store.insert_signing_key(key("k-z", 100, 200));
  store.insert_signing_key(key("k-a", 100, 200));  // same second as k-z: inserted later, listed later
  auto keys = store.list_signing_keys();
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].kid, "k-z");
  EXPECT_EQ(keys[1].kid, "k-a");
  EXPECT_EQ(keys[2].kid, "k-late");
  EXPECT_EQ(keys[0].sealed_private, std::string("\x00sealed\xff", 8));
  EXPECT_EQ(keys[0].public_jwk, R"({"kty":"OKP"})");
  EXPECT_EQ(keys[0].created_at, 100);
  EXPECT_EQ(keys[0].activates_at, 200);
  store.delete_signing_key("k-z");
  EXPECT_EQ(store.list_signing_keys().size(), 2u);
  EXPECT_THROW(store.insert_signing_key(key("k-a", 1, 1)), PgError) << "kid is unique";
  auto bad = key("k-bad", 1, 1);
  bad.kind = "refresh";
  EXPECT_THROW(store.insert_signing_key(bad), PgError) << "kind is checked";
}

TEST(PgTokenStore, RevocationsAreIdempotentKeepTheLaterExpiryAndExpire) {
  testing::PgTestDatabase t;
  PgTokenStore store(t.db);
  store.insert_revocation({"jti", "j1", 500, 100});
  store.insert_revocation({"jti", "j1", 400, 150});  // earlier expiry: kept at 500
  store.insert_revocation({"session", "s1", 200, 100});
  store.insert_revocation({"family", "f1", 900, 100});
  store.insert_revocation({"family", "f1", 950, 120});
  auto live = store.list_live_revocations(300);
  ASSERT_EQ(live.size(), 2u);
  for (const auto& r : live) {
    if (r.subject_id == "j1") {
      EXPECT_EQ(r.expires_at, 500);
      EXPECT_EQ(r.revoked_at, 100) << "the first revocation's time stays";
    } else {
      EXPECT_EQ(r.subject_id, "f1");
      EXPECT_EQ(r.expires_at, 950);
    }
  }
  EXPECT_EQ(store.list_live_revocations(200).size(), 3u) << "live through its expiry second";
  store.delete_expired_revocations(501);
  auto left = store.list_live_revocations(0);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].subject_id, "f1");
}

TEST(PgTokenStore, ServiceClientsKeepTheirSecretHashAndListByName) {
  testing::PgTestDatabase t;
  PgTokenStore store(t.db);
  const std::string hash("\x01\x00\xfe", 3);
  store.insert_service_client({"svc_b", "billing", hash, 100, std::nullopt});
  store.insert_service_client({"svc_a", "Audit", "h", 101, std::nullopt});
  auto found = store.find_service_client("svc_b");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->name, "billing");
  EXPECT_EQ(found->secret_hash, hash);
  EXPECT_EQ(found->created_at, 100);
  EXPECT_FALSE(found->disabled_at);
  EXPECT_FALSE(store.find_service_client("nope"));
  t.db.with_connection(
      [](PgConnection& c) { c.exec("UPDATE service_clients SET disabled_at = 555 WHERE client_id = 'svc_a'"); });
  auto all = store.list_service_clients();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "Audit") << "byte order, as SQLite";
  EXPECT_EQ(all[0].disabled_at, 555);
  EXPECT_THROW(store.insert_service_client({"svc_a", "dup", "h", 1, std::nullopt}), PgError);
}

}  // namespace
}  // namespace archon::store
