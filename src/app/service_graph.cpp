#include "app/service_graph.hpp"

#include <thread>

#include <cstdlib>

#include "core/embedded_assets.hpp"
#include "core/log.hpp"
#include "mail/file_mailer.hpp"
#include "mail/smtp_mailer.hpp"
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

// The configured transport. SMTP credentials come from the environment only.
std::unique_ptr<mail::Mailer> make_mailer(const Config& config) {
  if (config.mail.transport != "smtp") {
    mail::FileMailerOptions o;
    o.directory = config.data_dir + "/mail";
    o.from = config.identity.mail_from;
    return std::make_unique<mail::FileMailer>(std::move(o));
  }
  const SmtpConfig& smtp = config.mail.smtp;
  mail::SmtpMailerOptions o;
  o.host = smtp.host;
  o.port = smtp.port;
  o.security = smtp.security == "tls"    ? mail::SmtpMailerOptions::Security::kImplicitTls
               : smtp.security == "none" ? mail::SmtpMailerOptions::Security::kNone
                                         : mail::SmtpMailerOptions::Security::kStartTls;
  o.ca_file = smtp.ca_file;
  o.verify_certificate = smtp.verify_certificate;
  o.connect_timeout = std::chrono::seconds(smtp.connect_timeout_seconds);
  o.timeout = std::chrono::seconds(smtp.timeout_seconds);
  if (const char* user = std::getenv("ARCHON_AUTH_SMTP_USERNAME")) o.username = user;
  if (const char* password = std::getenv("ARCHON_AUTH_SMTP_PASSWORD")) o.password = password;
  o.from = config.identity.mail_from;
  if (smtp.security == "none" || !smtp.verify_certificate)
    log::warn("mail: SMTP without a verified TLS connection", {{"host", smtp.host}, {"security", smtp.security}});
  log::info("mail: SMTP transport", {{"host", smtp.host}, {"port", smtp.port}, {"security", smtp.security},
                                     {"auth", !o.username.empty()}});
  return std::make_unique<mail::SmtpMailer>(std::move(o));
}

net::DestinationPolicy destination_policy(const WebhooksConfig& config) {
  auto policy = net::DestinationPolicy::with_allowed(config.allow_networks);
  if (!policy) throw std::runtime_error("webhooks.allow_networks: " + policy.error());
  return std::move(*policy);
}

net::OutboundOptions outbound_options(const WebhooksConfig& config) {
  return {std::chrono::milliseconds(config.connect_timeout_ms), std::chrono::milliseconds(config.timeout_ms),
          config.max_response_bytes};
}

webhooks::DeliveryWorkerOptions worker_options(const WebhooksConfig& config) {
  webhooks::DeliveryWorkerOptions o;
  o.retry_schedule = config.retry_schedule;
  // A lease outlives the longest attempt, so two instances never send one attempt at once.
  o.lease_seconds = config.timeout_ms / 1000 + 30;
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
      mailer(make_mailer(rt.config)),
      outbox(*rt.mail_outbox, *mailer),
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
                   },
                   tokens::system_epoch_seconds,
                   [&rt](std::vector<store::OutboxEvent> events) { rt.store->webhooks().publish(std::move(events)); }},
      accounts(identity_ctx),
      user_admin(identity_ctx),
      sessions(identity_ctx),
      api_keys(rt.store->api_keys(), *rt.audit),
      outbound(destination_policy(rt.config.webhooks), outbound_options(rt.config.webhooks)),
      webhooks(rt.store->webhooks(), *rt.kek, outbound, *rt.audit, rt.config.webhooks.secret_rotation_grace),
      webhook_worker(rt.store->webhooks(), webhooks, outbound, *rt.audit, in.metrics, worker_options(rt.config.webhooks)) {
  // One instance owns an SQLite database: a lease found now was held by a process that died.
  if (rt.store->single_instance()) rt.store->webhooks().release_all_leases();
  webhook_worker.start();
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
                         .webhooks = &webhooks,
                         .started = started};
  if (!services.complete()) throw std::logic_error("serve: a collaborator of the API handlers is missing");
  return services;
}

void ServiceGraph::shutdown(Runtime& rt, Instance& in) {
  if (in.cluster.bus) rt.revocations->set_bus(nullptr);
  in.cluster.bus.reset();  // its thread applies messages to the caches: stop it first
  webhook_worker.stop();
  hashing_pool.reset();
}

}  // namespace archon::app
