#include "tokens/token_service.hpp"

#include <gtest/gtest.h>

#include "crypto/jwt.hpp"
#include "tokens/token_test_support.hpp"

namespace archon::tokens {
namespace {

class TokenServiceTest : public ::testing::Test {
 protected:
  TokenServiceTest() : kek_(testing::test_kek()) {
    cfg_.leeway = std::chrono::seconds(0);
    keyring_ = std::make_unique<Keyring>(*ts_.store, kek_, cfg_, clock_.fn());
    keyring_->refresh();
    revocations_ = std::make_unique<RevocationList>(*ts_.store, clock_.fn());
    service_ = std::make_unique<TokenService>(*keyring_, *revocations_, cfg_, clock_.fn());
  }

  // A token signed with the real access key but with hand-made header and claims, to isolate
  // each verification rule.
  std::string forge(boost::json::object claims, std::string typ = "at+jwt") {
    return crypto::encode(boost::json::object{{"typ", typ}}, claims, keyring_->snapshot()->signer(TokenKind::kAccess));
  }
  boost::json::object good_claims() {
    std::int64_t now = clock_.now->load();
    return {{"iss", cfg_.issuer}, {"aud", "archon-api"}, {"sub", "u1"}, {"iat", now},
            {"exp", now + 60},              {"jti", "j1"},         {"type", "access"}};
  }
  TokenError error_of(const std::string& token, TokenKind kind = TokenKind::kAccess) {
    auto r = service_->verify(token, kind);
    EXPECT_FALSE(r.has_value());
    return r ? TokenError::kMalformed : r.error();
  }

  testing::TempStore ts_;
  crypto::KeyEncryptionKey kek_;
  testing::FakeClock clock_;
  TokensConfig cfg_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<RevocationList> revocations_;
  std::unique_ptr<TokenService> service_;
};

TEST_F(TokenServiceTest, IssuesAndVerifiesBothKinds) {
  auto access = service_->issue(TokenKind::kAccess, {{"sub", "u1"}, {"session_id", "s1"}}, std::chrono::hours(5));
  EXPECT_EQ(access.expires_at - access.issued_at, 3600) << "capped by the kind's lifetime";
  auto v = service_->verify(access.token, TokenKind::kAccess);
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(v->cache_hit);
  EXPECT_EQ(v->token->subject, "u1");
  EXPECT_EQ(v->token->session_id, "s1");
  EXPECT_TRUE(service_->verify(access.token, TokenKind::kAccess)->cache_hit);

  auto agent = service_->issue(TokenKind::kAgent, {{"sub", "u1"}}, std::chrono::minutes(5));
  EXPECT_TRUE(service_->verify(agent.token, TokenKind::kAgent).has_value());
}

TEST_F(TokenServiceTest, KindsAreMutuallyExclusiveEvenWhenCached) {
  auto agent = service_->issue(TokenKind::kAgent, {{"sub", "u1"}}, std::chrono::minutes(5));
  auto access = service_->issue(TokenKind::kAccess, {{"sub", "u1"}}, std::chrono::minutes(5));
  EXPECT_EQ(error_of(agent.token, TokenKind::kAccess), TokenError::kWrongKind);
  EXPECT_EQ(error_of(access.token, TokenKind::kAgent), TokenError::kWrongKind);
  ASSERT_TRUE(service_->verify(agent.token, TokenKind::kAgent).has_value());  // now cached
  EXPECT_EQ(error_of(agent.token, TokenKind::kAccess), TokenError::kWrongKind);
}

TEST_F(TokenServiceTest, EachClaimRuleRejects) {
  ASSERT_TRUE(service_->verify(forge(good_claims()), TokenKind::kAccess).has_value()) << "control";
  auto with = [&](const char* key, boost::json::value v) {
    auto c = good_claims();
    c[key] = std::move(v);
    return forge(c);
  };
  auto without = [&](const char* key) {
    auto c = good_claims();
    c.erase(key);
    return forge(c);
  };
  std::int64_t now = clock_.now->load();
  EXPECT_EQ(error_of(forge(good_claims(), "JWT")), TokenError::kWrongType);
  EXPECT_EQ(error_of(with("type", "agent")), TokenError::kWrongType);
  EXPECT_EQ(error_of(with("iss", "someone-else")), TokenError::kWrongIssuer);
  EXPECT_EQ(error_of(with("aud", "archon-agent-system")), TokenError::kWrongAudience);
  EXPECT_TRUE(service_->verify(with("aud", boost::json::array{"x", "archon-api"}), TokenKind::kAccess).has_value());
  EXPECT_EQ(error_of(without("exp")), TokenError::kMissingClaim);
  EXPECT_EQ(error_of(without("iat")), TokenError::kMissingClaim);
  EXPECT_EQ(error_of(without("jti")), TokenError::kMissingClaim);
  EXPECT_EQ(error_of(without("sub")), TokenError::kMissingClaim);
  EXPECT_EQ(error_of(with("exp", 1.5)), TokenError::kMissingClaim);
  EXPECT_EQ(error_of(with("exp", now - 1)), TokenError::kExpired);
  EXPECT_EQ(error_of(with("nbf", now + 100)), TokenError::kNotYetValid);
  EXPECT_EQ(error_of(with("iat", now + 100)), TokenError::kNotYetValid);
}

TEST_F(TokenServiceTest, TamperingAndUnknownKeysReject) {
  auto t = service_->issue(TokenKind::kAccess, {{"sub", "u1"}}, std::chrono::minutes(5)).token;
  // Change one signature character well inside the segment (the last one carries padding bits).
  std::string tampered = t;
  std::size_t pos = t.rfind('.') + 10;
  tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
  EXPECT_EQ(error_of(tampered), TokenError::kBadSignature);
  auto stranger = crypto::SigningKey::generate(crypto::JwsAlgorithm::kRS256, "stranger");
  EXPECT_EQ(error_of(crypto::encode({{"typ", "at+jwt"}}, good_claims(), stranger)), TokenError::kUnknownKey);
  EXPECT_EQ(error_of("a.b"), TokenError::kMalformed);
  EXPECT_EQ(error_of(std::string(9000, 'a')), TokenError::kMalformed);
}

TEST_F(TokenServiceTest, RevocationAppliesOnEveryUseAndSurvivesReload) {
  auto t = service_->issue(TokenKind::kAccess, {{"sub", "u1"}, {"session_id", "s9"}}, std::chrono::minutes(5));
  ASSERT_TRUE(service_->verify(t.token, TokenKind::kAccess).has_value());  // cached now
  revocations_->revoke(RevocationSubject::kSession, "s9", t.expires_at);
  EXPECT_EQ(error_of(t.token), TokenError::kRevoked);

  auto u = service_->issue(TokenKind::kAccess, {{"sub", "u2"}}, std::chrono::minutes(5));
  revocations_->revoke(RevocationSubject::kJti, u.jti, u.expires_at);
  RevocationList reloaded(*ts_.store, clock_.fn());
  reloaded.load();
  EXPECT_TRUE(reloaded.is_revoked(RevocationSubject::kJti, u.jti));
  clock_.advance(301);
  reloaded.prune();
  EXPECT_FALSE(reloaded.is_revoked(RevocationSubject::kJti, u.jti));
}

TEST_F(TokenServiceTest, ExpiryAppliesToCachedTokens) {
  auto t = service_->issue(TokenKind::kAccess, {{"sub", "u1"}}, std::chrono::seconds(60));
  ASSERT_TRUE(service_->verify(t.token, TokenKind::kAccess).has_value());
  clock_.advance(61);
  EXPECT_EQ(error_of(t.token), TokenError::kExpired);
}

}  // namespace
}  // namespace archon::tokens
