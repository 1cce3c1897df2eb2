#include "app/service_graph.hpp"

#include <thread>

#include "core/embedded_assets.hpp"
#include "identity/argon2id.hpp"
#include "redis/redis_url.hpp"

namespace archon::app {
namespace {

using observability::CheckResult;

void add_core_checks(observability::HealthRegistry& health, Runtime& rt, observability::Metrics& metrics) {
  store::StoreBackend* database = rt.store.get();
  metrics.set_db_connections_active(database->connections());
  health.add("database", [database, &metrics] {
    auto r = database->ping();
    metrics.set_db_connections_active(database->connections());
    if (!r) return CheckResult{CheckResult::Status::kUnhealthy, r.error(), 0};
    return CheckResult{CheckResult::Status::kHealthy, database->describe(), static_cast<double>(r->count()) / 1000.0};
  });
  health.add("jwt_service", [keyring = rt.keyring.get()] {
    auto snap = keyring->snapshot();
    if (!snap || !snap->access_signer || !snap->agent_signer)
      return CheckResult{CheckResult::Status::kUnhealthy, "no signing keys", 0};
    return CheckResult{CheckResult::Status::kHealthy, std::to_string(snap->by_kid.size()) + " published keys", 0};
  });
}

ClusterLink connect_cluster(Runtime& rt, Instance& in) {
  ClusterLink link;
  const auto& config = rt.config.redis;
  if (config.url.empty()) return link;
  auto endpoint = redis::parse_redis_url(config.url);
  if (!endpoint) throw std::runtime_error("redis.url: " + endpoint.error());
  redis::RedisClientConfig rc;
  rc.endpoint = *endpoint;
  rc.pool_size = config.pool_size;
  rc.connect_timeout = std::chrono::milliseconds(config.connect_timeout_ms);
  rc.command_timeout = std::chrono::milliseconds(config.command_timeout_ms);
  link.client = std::make_unique<redis::RedisClient>(rc);
  in.metrics.set_redis_up(1);
  link.limiter = std::make_unique<redis::RedisRateLimiter>(
      *link.client, in.rate_limits.scopes(), in.rate_limits.limiter(), [&metrics = in.metrics](bool redis_down) {
        metrics.set_redis_up(redis_down ? 0 : 1);
        if (redis_down) metrics.count_redis_fallback(false);  // the limiter logs the transition
      });
  in.rate_limits.use_limiter(*link.limiter);
  redis::RedisSubscriberConfig sc;
  sc.endpoint = *endpoint;
  sc.connect_timeout = rc.connect_timeout;
  sc.command_timeout = rc.command_timeout;
  link.bus = std::make_unique<cluster::RedisClusterBus>(*link.client, std::move(sc));
  rt.revocations->set_bus(link.bus.get());
  return link;
}

void add_cluster_checks(observability::HealthRegistry& health, const ClusterLink& link,
                        const http::RateLimitPolicy& rate_limits) {
  if (link.client) {
    health.add("redis", [&link] {
      auto r = link.client->ping();
      double ms = r ? static_cast<double>(r->count()) / 1000.0 : 0;
      if (!r || link.limiter->degraded() || !link.bus->coherent())
        return CheckResult{CheckResult::Status::kDegraded,
                           (r ? "Redis " + link.client->target() + " not subscribed" : "Redis unreachable: " + r.error()) +
                               "; rate limits per instance, revocations and users read from the database",
                           ms};
      return CheckResult{CheckResult::Status::kHealthy, "redis " + link.client->target() + ", subscribed", ms};
    });
  }
  health.add("rate_limiter", [&rate_limits, &link] {
    bool degraded = link.limiter && link.limiter->degraded();
    std::string where = link.limiter ? (degraded ? "local fallback (Redis down), " : "redis, ") : "local, ";
    return CheckResult{degraded ? CheckResult::Status::kDegraded : CheckResult::Status::kHealthy,
                       where + std::to_string(rate_limits.scope_count()) + " scopes of " +
                           std::to_string(rate_limits.limiter().slots_per_scope()) + " keys",
                       0};
  });
}

mail::FileMailerOptions mail_options(const Config& config) {
  mail::FileMailerOptions o;
  o.directory = config.data_dir + "/mail";
  o.from = config.identity.mail_from;
  return o;
}

// The shipped catalog, or agents.catalog_file.
agents::AgentCatalog load_catalog(const Config& config) {
  auto catalog = config.agents.catalog_file.empty()
                     ? agents::AgentCatalog::parse_yaml(std::string(*assets::find("agents/catalog.yaml")))
                     : agents::AgentCatalog::load_file(config.agents.catalog_file);
  if (!catalog) throw std::runtime_error("agent catalog: " + catalog.error());
  return std::move(*catalog);
}

unsigned hashing_threads(const IdentityConfig& idc) {
  return idc.hashing_threads ? idc.hashing_threads : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

Instance::Instance(Runtime& rt)
    : rate_limits(rt.config.rate_limits, rt.config.server.rate_limit_max_keys, metrics),
      cluster(connect_cluster(rt, *this)) {
  add_core_checks(health, rt, metrics);
  add_cluster_checks(health, cluster, rate_limits);
}

ServiceGraph::ServiceGraph(Runtime& rt, Instance& in)
    : hasher(identity::Argon2Params{rt.config.identity.argon2_memory_kib * 1024, rt.config.identity.argon2_iterations}),
      hash_threads(hashing_threads(rt.config.identity)),
      // Each hashing thread keeps its Argon2 memory between hashes and gives it back after a
      // second without work, so that idle RSS stays small.
      hashing_pool(std::in_place, hash_threads, rt.config.identity.hashing_queue,
                   [] { identity::argon2id::release_thread_memory(); }),
      mailer(mail_options(rt.config)),
      outbox(*rt.mail_outbox, mailer),
      catalog(load_catalog(rt.config)),
      users(*rt.identity_store, rt.config.cache.max_items, &in.metrics),
      agent_store(*rt.agent_store, rt.config.cache.max_items, &in.metrics),
      agent_service(catalog, agent_store, users, *rt.token_service, *rt.audit, in.metrics,
                    rt.config.agents.max_delegation_depth),
      identity_ctx{users,
                   hasher,
                   *hashing_pool,
                   *rt.token_service,
                   *rt.kek,
                   *rt.audit,
                   in.metrics,
                   rt.config,
                   [this] { outbox.notify(); },
                   [this](const std::vector<std::string>& roles) {
                     return agent_service.runnable_types_for_roles(roles);
                   }},
      accounts(identity_ctx),
      user_admin(identity_ctx),
      sessions(identity_ctx),
      api_keys(rt.store->api_keys(), *rt.audit) {
  auto* bus = in.cluster.bus.get();
  if (!bus) return;
  // With several instances: the shared L2 behind the caches, and the bus's messages applied.
  shared_cache = std::make_unique<cluster::RedisSharedCache>(*in.cluster.client);
  users.set_shared_cache(shared_cache.get());
  agent_store.set_shared_cache(shared_cache.get());
  users.set_bus(bus);
  agent_store.set_bus(bus);
  cluster::BusListener listener;
  listener.user_changed = [this](const std::string& id) { users.drop(id); };
  listener.grants_changed = [this] { agent_store.drop_all(); };
  listener.revoked = [&rt](std::string_view kind, const std::string& id, std::int64_t exp) {
    rt.revocations->remember(kind, id, exp);
  };
  listener.resync = [this, &rt] {
    users.drop_shared();  // invalidations may have been lost while Redis was away
    users.drop_all();
    agent_store.drop_all();
    rt.revocations->load();
  };
  listener.state_changed = [&metrics = in.metrics](bool subscribed) {
    metrics.set_redis_up(subscribed ? 1 : 0);
    if (!subscribed) metrics.count_redis_fallback(true);
  };
  bus->listen(std::move(listener));
}

api::Services ServiceGraph::api(Runtime& rt, Instance& in, const http::ServerState& state,
                                std::chrono::steady_clock::time_point started) {
  api::Services services{.health = &in.health,
                         .metrics = &in.metrics,
                         .server_state = &state,
                         .keyring = rt.keyring.get(),
                         .token_service = rt.token_service.get(),
                         .service_clients = rt.token_store,
                         .tokens_config = &rt.config.tokens,
                         .config = &rt.config,
                         .accounts = &accounts,
                         .user_admin = &user_admin,
                         .sessions = &sessions,
                         .identity_store = &users,
                         .user_cache = &users,
                         .audit = rt.audit.get(),
                         .identity_context = &identity_ctx,
                         .agents = &agent_service,
                         .agent_catalog = &catalog,
                         .api_keys = &api_keys,
                         .started = started};
  if (!services.complete()) throw std::logic_error("serve: a collaborator of the API handlers is missing");
  return services;
}

void ServiceGraph::shutdown(Runtime& rt, Instance& in) {
  if (in.cluster.bus) rt.revocations->set_bus(nullptr);
  in.cluster.bus.reset();  // its thread applies messages to the caches: stop it first
  hashing_pool.reset();
}

}  // namespace archon::app
