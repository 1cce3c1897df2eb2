// The server's configuration: defaults, the YAML file (strict: unknown keys are errors that name
// the key), then environment and flags layered on top by main. Immutable after start-up.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace archon {

struct ListenAddress {
  std::string host;  // an IP literal (v4 or v6, without brackets)
  std::uint16_t port = 0;
  std::string to_string() const;  // "127.0.0.1:8181" or "[::1]:8181"
};
// "HOST:PORT" or "[V6]:PORT"; host must be an IP literal or "localhost".
Expected<ListenAddress, std::string> parse_listen_address(const std::string& text);

struct ServerConfig {
  ListenAddress listen{"127.0.0.1", 8181};
  unsigned threads = 0;  // 0 = one per core
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_header_bytes = 8 * 1024;  // fixed by the issue; not configurable
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds idle_timeout{30};
  std::chrono::seconds shutdown_grace{10};
  std::size_t max_connections = 10000;
  // Proxies whose X-Forwarded-For / Forwarded headers name the client (CIDRs). None by
  // default: the peer address is the client.
  std::vector<std::string> trusted_proxies;
  // Distinct keys the rate limiter tracks per tier dimension (memory: 16 bytes each). Beyond
  // it, new keys are refused until tracked ones go idle (fail closed).
  std::size_t rate_limit_max_keys = 100000;
};

struct LogConfig {
  std::string level = "info";
  bool access_log = true;
};

struct CorsConfig {
  std::vector<std::string> allow_origins;  // exact origins; empty = CORS disabled
  std::vector<std::string> allow_methods{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  std::vector<std::string> allow_headers{"Authorization", "Content-Type", "X-API-Key", "X-Request-ID"};
  std::vector<std::string> expose_headers{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-Request-ID"};
  std::chrono::seconds max_age{86400};
};

// "5/minute": `count` events per `window`.
struct RateSpec {
  std::uint64_t count = 0;
  std::chrono::seconds window{0};
  bool operator==(const RateSpec&) const = default;
};
Expected<RateSpec, std::string> parse_rate_spec(const std::string& text);

// One tier of the spec's rate_limits block ("authentication.login", "api_access.agent", ...).
// Dimension names are the spec's: per_ip, per_user, per_email, per_agent, global.
struct RateLimitTier {
  std::map<std::string, RateSpec> limits;
  std::optional<std::uint64_t> burst;
};

// One token kind's signing policy (access tokens for users, agent tokens for agents).
struct TokenKindConfig {
  std::string algorithm;                 // RS256 | ES256 | EdDSA
  std::chrono::seconds lifetime{3600};   // the longest a token of this kind may live
  std::chrono::seconds rotate_every{0};  // 0 = rotate only by `archon-auth keys rotate`
};

struct TokensConfig {
  // The URL clients reach this server at: the base of every URL in the discovery documents and
  // mails. Unset, it follows the listen address (resolve_public_url, also after binding port 0).
  std::string public_url = "http://127.0.0.1:8181";
  // The tokens' iss and the discovery documents' issuer. Unset, it is public_url, as RFC 8414 §2
  // and OpenID Discovery §3 require of an issuer; the spec's literal "archon-auth-service" is a
  // configuration choice (standard OAuth clients then refuse discovery).
  std::string issuer = "http://127.0.0.1:8181";
  bool public_url_configured = false;
  bool issuer_configured = false;
  TokenKindConfig access{"RS256", std::chrono::seconds(3600), std::chrono::seconds(0)};
  TokenKindConfig agent{"ES256", std::chrono::seconds(3600), std::chrono::seconds(0)};
  // A new key is published this long before it signs, so caches of the JWKS (max-age 300 s)
  // already hold it when the first token it signed arrives.
  std::chrono::seconds propagation_delay{600};
  std::chrono::seconds leeway{30};               // clock skew allowed on exp, nbf, iat
  std::size_t verified_cache_entries = 100000;   // verified-signature cache bound
  std::chrono::seconds key_refresh{10};          // how often the keyring re-reads the store
};

struct IdentityConfig {
  bool require_email_verification = true;
  std::size_t password_min_chars = 12;      // the maximum is fixed at 128
  std::size_t argon2_memory_kib = 19456;    // OWASP: m=19 MiB, t=2, p=1
  std::size_t argon2_iterations = 2;
  unsigned hashing_threads = 0;             // 0 = one per core
  std::size_t hashing_queue = 64;           // waiting hashes beyond this answer 503
  int lockout_failures = 5;                 // consecutive, per (email, client address)
  std::chrono::seconds lockout_duration{900};
  int account_failures_per_hour = 100;      // per email, across addresses (NIST SP 800-63B)
  std::chrono::seconds verification_token_lifetime{86400};
  std::chrono::seconds reset_token_lifetime{900};
  std::string mail_from = "archon-auth <no-reply@archon.local>";
};

struct SessionsConfig {
  std::chrono::seconds refresh_grace{10};
  std::chrono::seconds idle_timeout{86400};
  std::chrono::seconds lifetime{86400};                 // without remember_me
  std::chrono::seconds remember_me_lifetime{30 * 86400};
};

struct AgentsConfig {
  std::string catalog_file;      // empty: the catalog shipped in the binary (config/agents.yaml)
  int max_delegation_depth = 3;  // a root token has depth 0
};

// The in-process L1 cache (user records, agent grants).
struct CacheConfig {
  std::size_t max_items = 10000;  // per cache
};

// Where state lives. SQLite (a file under data_dir) for one instance; PostgreSQL for several.
struct StoreConfig {
  std::string driver = "sqlite";  // sqlite | postgres
  // postgres only: a libpq URL. ARCHON_AUTH_DATABASE_URL overrides it (keeps the password out
  // of the file).
  std::string url;
  int pool_min = 10;
  int pool_max = 50;
  int command_timeout_ms = 5000;  // statement_timeout and the client's deadline per query
  // Threads that run request handlers which touch the store, so a slow or unreachable
  // database never blocks an I/O thread. 0 = automatic (pool_max for postgres, 4 for sqlite).
  int worker_threads = 0;
};

// Shared state for several instances (rate limits, revocations, cache invalidation). Empty url =
// no Redis: everything stays in this process. ARCHON_AUTH_REDIS_URL overrides the url.
struct RedisConfig {
  std::string url;  // redis://[:password@]host[:port][/db]
  int pool_size = 8;
  int connect_timeout_ms = 2000;
  int command_timeout_ms = 1000;
};

// How mail leaves: a file per message under <data_dir>/mail (the embedded default), or SMTP.
// SMTP credentials come from ARCHON_AUTH_SMTP_USERNAME / ARCHON_AUTH_SMTP_PASSWORD, never the file.
struct SmtpConfig {
  std::string host;
  int port = 587;
  std::string security = "starttls";  // starttls (required) | tls (implicit, "smtps") | none
  std::string ca_file;                // trust these CAs instead of the system's
  bool verify_certificate = true;     // false: no verification at all (labs only; warned at start)
  int connect_timeout_seconds = 10;
  int timeout_seconds = 30;
};
struct MailConfig {
  std::string transport = "file";  // file | smtp
  SmtpConfig smtp;
};

// Outgoing webhooks (docs/webhooks.md).
struct WebhooksConfig {
  // The waits between attempts of one delivery (Standard Webhooks' suggestion: about a day).
  std::vector<std::chrono::seconds> retry_schedule{std::chrono::seconds(5),     std::chrono::seconds(300),
                                                   std::chrono::seconds(1800),  std::chrono::seconds(7200),
                                                   std::chrono::seconds(18000), std::chrono::seconds(36000),
                                                   std::chrono::seconds(36000)};
  int connect_timeout_ms = 5000;
  int timeout_ms = 15000;                  // the whole attempt, response included
  std::size_t max_response_bytes = 65536;  // read of an answer's body beyond this is cut
  // Networks an endpoint may resolve to despite the SSRF rules (loopback, private, link-local...).
  std::vector<std::string> allow_networks;
  // After a rotation the old signing secret still signs beside the new one this long.
  std::chrono::seconds secret_rotation_grace{86400};
};

struct Config {
  ServerConfig server;
  StoreConfig store;
  RedisConfig redis;
  CacheConfig cache;
  AgentsConfig agents;
  TokensConfig tokens;
  IdentityConfig identity;
  SessionsConfig sessions;
  MailConfig mail;
  WebhooksConfig webhooks;
  std::string data_dir = "./data";
  LogConfig log;
  CorsConfig cors;
  // Keyed "authentication.login" etc.; always holds every tier (defaults from the spec).
  std::map<std::string, RateLimitTier> rate_limits = default_rate_limits();

  static std::map<std::string, RateLimitTier> default_rate_limits();
};

// Parses YAML text over the defaults. The error names the offending key ("server.listne: unknown key").
Expected<Config, std::string> parse_config_yaml(const std::string& text);
Expected<Config, std::string> load_config_file(const std::string& path);

// Fills tokens.public_url from `listen` unless it was configured ("http://HOST:PORT"; a wildcard
// host becomes the loopback address of its family), then tokens.issuer from public_url unless it
// was configured. Called once the listen address is final, and again with the bound address.
void resolve_public_url(TokensConfig& tokens, const ListenAddress& listen);

}  // namespace archon
