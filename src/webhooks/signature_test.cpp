#include "webhooks/signature.hpp"

#include <gtest/gtest.h>

namespace archon::webhooks {

// The example of the Standard Webhooks specification and its libraries' tests.
TEST(WebhookSignature, MatchesTheStandardWebhooksVector) {
  auto sig = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                  R"({"test": 2432232314})");
  ASSERT_TRUE(sig.has_value()) << sig.error();
  EXPECT_EQ(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, NewSecretsHaveThePrefixAnd32Bytes) {
  auto a = new_signing_secret(), b = new_signing_secret();
  EXPECT_TRUE(a.starts_with("whsec_"));
  EXPECT_EQ(a.size(), 6u + 44u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(sign(a, "msg_1", 1, "{}").has_value());
}

TEST(WebhookSignature, RefusesMalformedSecrets) {
  EXPECT_FALSE(sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "m", 1, "{}").has_value());
  EXPECT_FALSE(sign("whsec_not*base64", "m", 1, "{}").has_value());
  EXPECT_FALSE(sign("whsec_", "m", 1, "{}").has_value());
}

}  // namespace archon::webhooks
