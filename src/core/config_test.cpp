#include "core/config.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace archon {
namespace {

std::string error_of(const std::string& yaml) {
  auto r = parse_config_yaml(yaml);
  EXPECT_FALSE(r.has_value()) << yaml;
  return r ? "" : r.error();
}

TEST(Config, EmptyMeansDefaults) {
  auto c = parse_config_yaml("");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->server.listen.to_string(), "127.0.0.1:8181");
  EXPECT_EQ(c->server.max_body_bytes, 65536u);
  EXPECT_EQ(c->data_dir, "./data");
  EXPECT_TRUE(c->cors.allow_origins.empty());
  EXPECT_EQ(c->rate_limits.at("authentication.login").limits.at("per_ip"), (RateSpec{5, std::chrono::seconds(60)}));
}

TEST(Config, TheExampleFileIsValid) {
  auto c = load_config_file(std::string(ARCHON_SOURCE_DIR) + "/config/archon-auth.example.yaml");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->cors.allow_origins.size(), 2u);
  EXPECT_EQ(c->cors.max_age.count(), 86400);
  EXPECT_EQ(c->rate_limits.at("api_access.agent").burst, 20000u);
}

TEST(Config, TheSpecBlocksAreAcceptedVerbatim) {
  auto c = parse_config_yaml(R"(
rate_limits:
  authentication:
    login:
      per_ip: 5/minute
      per_user: 10/minute
  api_access:
    admin:
      per_user: 5000/minute
      burst: 10000
cors:
  allow_origins:
    - "https://app.archon.ai"
  allow_methods: [GET, POST, PUT, PATCH, DELETE, OPTIONS]
  max_age: 86400
)");
  ASSERT_TRUE(c.has_value()) << c.error();
  // Tiers not given keep their defaults.
  EXPECT_EQ(c->rate_limits.at("public.health_check").limits.at("per_ip").count, 60u);
  EXPECT_EQ(c->rate_limits.at("api_access.admin").burst, 10000u);
}

TEST(Config, UnknownKeysAreNamed) {
  EXPECT_EQ(error_of("server:\n  listne: x\n"), "server.listne: unknown key");
  EXPECT_EQ(error_of("bogus: 1\n"), "bogus: unknown key");
  EXPECT_EQ(error_of("rate_limits:\n  authentication:\n    login:\n      per_email: 1/minute\n"),
            "rate_limits.authentication.login.per_email: unknown key");
  EXPECT_EQ(error_of("cors:\n  allow_origin: []\n"), "cors.allow_origin: unknown key");
}

TEST(Config, BadValuesAreNamed) {
  EXPECT_NE(error_of("server:\n  max_body_bytes: -5\n").find("server.max_body_bytes"), std::string::npos);
  EXPECT_NE(error_of("server:\n  max_body_bytes: lots\n").find("server.max_body_bytes"), std::string::npos);
  EXPECT_NE(error_of("server:\n  listen: nowhere\n").find("server.listen"), std::string::npos);
  EXPECT_NE(error_of("rate_limits:\n  authentication:\n    login:\n      per_ip: 5/fortnight\n")
                .find("rate_limits.authentication.login.per_ip"),
            std::string::npos);
  EXPECT_NE(error_of("cors:\n  allow_origins: ['*']\n").find("cors.allow_origins[0]"), std::string::npos);
  EXPECT_NE(error_of("cors:\n  allow_origins: ['https://a.example/']\n").find("cors.allow_origins[0]"),
            std::string::npos);
  EXPECT_NE(error_of("log:\n  level: loud\n").find("log.level"), std::string::npos);
  EXPECT_NE(error_of("server: [1, 2\n").find("YAML syntax error"), std::string::npos);
}

TEST(Config, PublicUrlAndIssuerFollowTheListenAddressUnlessConfigured) {
  auto c = parse_config_yaml("");
  ASSERT_TRUE(c.has_value());
  resolve_public_url(c->tokens, ListenAddress{"127.0.0.1", 40123});
  EXPECT_EQ(c->tokens.public_url, "http://127.0.0.1:40123");
  EXPECT_EQ(c->tokens.issuer, "http://127.0.0.1:40123") << "the issuer is the public URL (RFC 8414 §2)";
  resolve_public_url(c->tokens, ListenAddress{"0.0.0.0", 8181});
  EXPECT_EQ(c->tokens.public_url, "http://127.0.0.1:8181") << "a wildcard becomes loopback";
  resolve_public_url(c->tokens, ListenAddress{"::", 8181});
  EXPECT_EQ(c->tokens.public_url, "http://[::1]:8181");

  auto configured = parse_config_yaml("tokens:\n  public_url: https://auth.example.com/\n");
  ASSERT_TRUE(configured.has_value());
  resolve_public_url(configured->tokens, ListenAddress{"127.0.0.1", 1});
  EXPECT_EQ(configured->tokens.public_url, "https://auth.example.com");
  EXPECT_EQ(configured->tokens.issuer, "https://auth.example.com");

  auto literal = parse_config_yaml("tokens:\n  issuer: archon-auth-service\n");
  ASSERT_TRUE(literal.has_value());
  resolve_public_url(literal->tokens, ListenAddress{"127.0.0.1", 2});
  EXPECT_EQ(literal->tokens.issuer, "archon-auth-service");
  EXPECT_EQ(literal->tokens.public_url, "http://127.0.0.1:2");
}

TEST(Config, TokenLifetimesFromFiveSeconds) {
  EXPECT_TRUE(parse_config_yaml("tokens:\n  access:\n    lifetime_seconds: 5\n").has_value());
  EXPECT_FALSE(parse_config_yaml("tokens:\n  access:\n    lifetime_seconds: 4\n").has_value());
  EXPECT_FALSE(parse_config_yaml("tokens:\n  agent:\n    lifetime_seconds: 86401\n").has_value());
}

TEST(Config, ListenAddresses) {
  EXPECT_EQ(parse_listen_address("[::1]:9000")->to_string(), "[::1]:9000");
  EXPECT_EQ(parse_listen_address("localhost:0")->to_string(), "127.0.0.1:0");
  EXPECT_FALSE(parse_listen_address("127.0.0.1:65536").has_value());
  EXPECT_FALSE(parse_listen_address("127.0.0.1:").has_value());
  EXPECT_FALSE(parse_listen_address("example.com:80").has_value());
}

TEST(Config, RateSpecs) {
  EXPECT_EQ(*parse_rate_spec("1000/hour"), (RateSpec{1000, std::chrono::seconds(3600)}));
  EXPECT_FALSE(parse_rate_spec("0/minute").has_value());
  EXPECT_FALSE(parse_rate_spec("5 per minute").has_value());
  EXPECT_FALSE(parse_rate_spec("-1/minute").has_value());
}

}  // namespace
}  // namespace archon
