#include "tokens/keyring.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "tokens/token_test_support.hpp"

namespace archon::tokens {
namespace {

using testing::FakeClock;
using testing::TempStore;

TokensConfig config() {
  TokensConfig c;
  c.propagation_delay = std::chrono::seconds(600);
  c.leeway = std::chrono::seconds(30);
  c.access.lifetime = std::chrono::seconds(3600);
  return c;
}

TEST(Keyring, FirstRefreshCreatesOneSigningKeyPerKind) {
  TempStore ts;
  auto kek = testing::test_kek();
  FakeClock clock;
  Keyring ring(*ts.store, kek, config(), clock.fn());
  ring.refresh();
  auto snap = ring.snapshot();
  ASSERT_TRUE(snap->access_signer && snap->agent_signer);
  EXPECT_EQ(snap->access_signer->algorithm(), crypto::JwsAlgorithm::kRS256);
  EXPECT_EQ(snap->agent_signer->algorithm(), crypto::JwsAlgorithm::kES256);
  EXPECT_EQ(snap->by_kid.size(), 2u);
  auto jwks = boost::json::parse(snap->jwks_json).as_object();
  ASSERT_EQ(jwks.at("keys").as_array().size(), 2u);
  for (const auto& k : jwks.at("keys").as_array()) {
    EXPECT_FALSE(k.as_object().contains("d"));  // never a private member
    EXPECT_TRUE(k.as_object().contains("kid"));
  }
  // The private halves are stored sealed, not as PEM.
  for (const auto& r : ts.store->list_signing_keys())
    EXPECT_EQ(r.sealed_private.find("PRIVATE KEY"), std::string::npos);
}

TEST(Keyring, RotationPublishesFirstSignsLaterAndRetiresAfterLastTokenExpires) {
  TempStore ts;
  auto kek = testing::test_kek();
  FakeClock clock;
  Keyring ring(*ts.store, kek, config(), clock.fn());
  ring.refresh();
  std::string old_kid = ring.snapshot()->access_signer->kid();

  auto added = ring.rotate(TokenKind::kAccess);
  ring.refresh();
  auto snap = ring.snapshot();
  EXPECT_TRUE(snap->by_kid.count(added.kid)) << "published at once";
  EXPECT_EQ(snap->access_signer->kid(), old_kid) << "does not sign before the propagation delay";

  clock.advance(600);
  ring.refresh();
  snap = ring.snapshot();
  EXPECT_EQ(snap->access_signer->kid(), added.kid);
  ASSERT_TRUE(snap->by_kid.count(old_kid)) << "old key still verifies its tokens";
  EXPECT_EQ(snap->by_kid.at(old_kid).published_until, added.activates_at + 3600 + 30);

  clock.advance(3600 + 30 + 1);
  ring.refresh();
  EXPECT_FALSE(ring.snapshot()->by_kid.count(old_kid)) << "retired once every token it signed expired";
  for (const auto& r : ts.store->list_signing_keys()) EXPECT_NE(r.kid, old_kid);
}

TEST(Keyring, ReloadsFromTheStoreAndRefusesAWrongKek) {
  TempStore ts;
  auto kek = testing::test_kek(1);
  FakeClock clock;
  Keyring first(*ts.store, kek, config(), clock.fn());
  first.refresh();
  std::string kid = first.snapshot()->access_signer->kid();

  Keyring second(*ts.store, kek, config(), clock.fn());
  second.refresh();
  EXPECT_EQ(second.snapshot()->access_signer->kid(), kid);

  auto other = testing::test_kek(2);
  Keyring wrong(*ts.store, other, config(), clock.fn());
  EXPECT_THROW(wrong.refresh(), std::runtime_error);
}

TEST(Keyring, ScheduledRotationHonoursThePropagationDelay) {
  TempStore ts;
  auto kek = testing::test_kek();
  FakeClock clock;
  auto cfg = config();
  cfg.agent.rotate_every = std::chrono::seconds(86400);
  Keyring ring(*ts.store, kek, cfg, clock.fn());
  ring.refresh();
  std::string first = ring.snapshot()->agent_signer->kid();
  clock.advance(86400);
  ring.refresh();
  EXPECT_EQ(ring.snapshot()->by_kid.size(), 3u);
  EXPECT_EQ(ring.snapshot()->agent_signer->kid(), first);
  clock.advance(600);
  ring.refresh();
  EXPECT_NE(ring.snapshot()->agent_signer->kid(), first);
}

}  // namespace
}  // namespace archon::tokens
