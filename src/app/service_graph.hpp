// What `serve` runs on, wired once in dependency order: the instance's checks, rate limits and
// (with Redis) the cluster link, then the services the API handlers use. Members are declared
// so each outlives what uses it; `shutdown()` stops the threads that call into others first.
#pragma once
#include <memory>
#include <optional>

#include "agents/agent_service.hpp"
#include "apikeys/api_key_service.hpp"
#include "api/routes.hpp"
#include "app/runtime.hpp"
#include "cache/caching_agent_store.hpp"
#include "cache/caching_identity_store.hpp"
#include "cluster/redis_cluster_bus.hpp"
#include "cluster/redis_shared_cache.hpp"
#include "http/rate_limit_policy.hpp"
#include "identity/account_service.hpp"
#include "identity/hashing_pool.hpp"
#include "identity/password_hasher.hpp"
#include "identity/user_admin_service.hpp"
#include "mail/mailer.hpp"
#include "mail/outbox_worker.hpp"
#include "net/outbound_http.hpp"
#include "observability/health.hpp"
#include "observability/metrics.hpp"
#include "redis/redis_rate_limiter.hpp"
#include "sessions/session_service.hpp"
#include "webhooks/delivery_worker.hpp"
#include "webhooks/webhook_service.hpp"

namespace archon::app {

// Several instances share rate limits and tell each other about changes through Redis; all
// null without redis.url.
struct ClusterLink {
  std::unique_ptr<redis::RedisClient> client;
  std::unique_ptr<redis::RedisRateLimiter> limiter;
  std::unique_ptr<cluster::RedisClusterBus> bus;
};

// The instance: metrics, health checks and rate limits (shared through Redis when configured).
struct Instance {
  explicit Instance(Runtime& rt);
  observability::Metrics metrics;
  observability::HealthRegistry health;
  http::RateLimitPolicy rate_limits;
  ClusterLink cluster;
};

struct ServiceGraph {
  ServiceGraph(Runtime& rt, Instance& instance);
  // The API handlers' collaborators, every one set.
  api::Services api(Runtime& rt, Instance& instance, const http::ServerState& state,
                    std::chrono::steady_clock::time_point started);
  // Stops what calls into the services from its own threads (the bus, then the hashing pool).
  void shutdown(Runtime& rt, Instance& instance);

  identity::PasswordHasher hasher;
  unsigned hash_threads;
  // Optional so it can be destroyed after the I/O threads stop but before their io_contexts are
  // (the pool posts its last answers to their executors).
  std::optional<identity::HashingPool> hashing_pool;
  std::unique_ptr<mail::Mailer> mailer;  // mail.transport: a file per message, or SMTP
  mail::OutboxWorker outbox;
  agents::AgentCatalog catalog;
  // L1: user records and agent grants read through bounded in-memory caches; the writes that
  // change them go through the same objects and invalidate at once.
  cache::CachingIdentityStore users;
  cache::CachingAgentStore agent_store;
  agents::AgentService agent_service;
  std::unique_ptr<cluster::RedisSharedCache> shared_cache;
  identity::IdentityContext identity_ctx;
  identity::AccountService accounts;
  identity::UserAdminService user_admin;
  sessions::SessionService sessions;
  apikeys::ApiKeyService api_keys;
  net::OutboundHttp outbound;  // webhooks' HTTP, SSRF-guarded
  webhooks::WebhookService webhooks;
  webhooks::DeliveryWorker webhook_worker;  // last: its threads use everything above
};

}  // namespace archon::app
