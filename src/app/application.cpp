#include "app/application.hpp"

#include <sys/resource.h>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <iostream>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include "core/json_writer.hpp"

#include "api/routes.hpp"
#include "core/log.hpp"
#include "http/cors.hpp"
#include "http/dispatcher.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/health.hpp"
#include "observability/metrics.hpp"
#include "http/rate_limit_policy.hpp"
#include "agents/agent_service.hpp"
#include "app/runtime.hpp"
#include "core/embedded_assets.hpp"
#include "cache/caching_agent_store.hpp"
#include "cluster/redis_cluster_bus.hpp"
#include "cluster/redis_shared_cache.hpp"
#include "redis/redis_rate_limiter.hpp"
#include "redis/redis_url.hpp"
#include "cache/caching_identity_store.hpp"
#include "identity/account_service.hpp"
#include "identity/argon2id.hpp"
#include "identity/hashing_pool.hpp"
#include "identity/password_hasher.hpp"
#include "mail/file_mailer.hpp"
#include "mail/outbox_worker.hpp"
#include "sessions/session_service.hpp"

namespace archon::app {
namespace {

// 1,000+ concurrent connections need more descriptors than the usual soft limit of 1024.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// Re-reads keys (rotations by `archon-auth keys rotate`, schedules, retirements) and
// deny-lists every `period` until stopped.
void maintenance_loop(std::stop_token stop, Runtime& rt, std::chrono::seconds period) {
  std::mutex mu;
  std::condition_variable_any cv;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(mu);
      cv.wait_for(lock, stop, period, [] { return false; });
    }
    if (stop.stop_requested()) break;
    try {
      rt.keyring->refresh();
      rt.revocations->load();
      rt.revocations->prune();
    } catch (const std::exception& e) {
      log::error("maintenance failed", {{"error", e.what()}});
    }
  }
}

using observability::CheckResult;

}  // namespace

// Worker threads for the embedded store's committing handlers (store.worker_threads: 0).
constexpr int kEmbeddedCommitWorkers = 16;

int serve(const Config& config) {
  auto started = std::chrono::steady_clock::now();
  raise_fd_limit();
  try {
    auto rt = open_runtime(config);
    store::StoreBackend* database = rt->store.get();

    observability::Metrics metrics;
    metrics.set_db_connections_active(database->connections());
    observability::HealthRegistry health;
    health.add("database", [database, &metrics] {
      auto r = database->ping();
      metrics.set_db_connections_active(database->connections());
      if (!r) return CheckResult{CheckResult::Status::kUnhealthy, r.error(), 0};
      return CheckResult{CheckResult::Status::kHealthy, database->describe(), static_cast<double>(r->count()) / 1000.0};
    });
    health.add("jwt_service", [keyring = rt->keyring.get()] {
      auto snap = keyring->snapshot();
      if (!snap || !snap->access_signer || !snap->agent_signer)
        return CheckResult{CheckResult::Status::kUnhealthy, "no signing keys", 0};
      return CheckResult{CheckResult::Status::kHealthy,
                         std::to_string(snap->by_kid.size()) + " published keys", 0};
    });
    // Rate limits: the spec's tiers from config, counted in this process (GCRA, bounded tables).
    http::RateLimitPolicy rate_limits(rt->config.rate_limits, rt->config.server.rate_limit_max_keys, metrics);
    auto proxies = http::TrustedProxies::parse(rt->config.server.trusted_proxies);
    if (!proxies) throw std::runtime_error("server.trusted_proxies: " + proxies.error());
    // Several instances share rate limits and tell each other about changes through Redis.
    std::unique_ptr<redis::RedisClient> redis_client;
    std::unique_ptr<redis::RedisRateLimiter> shared_limiter;
    std::unique_ptr<cluster::RedisClusterBus> bus;
    if (!config.redis.url.empty()) {
      auto endpoint = redis::parse_redis_url(config.redis.url);
      if (!endpoint) throw std::runtime_error("redis.url: " + endpoint.error());
      redis::RedisClientConfig rc;
      rc.endpoint = *endpoint;
      rc.pool_size = config.redis.pool_size;
      rc.connect_timeout = std::chrono::milliseconds(config.redis.connect_timeout_ms);
      rc.command_timeout = std::chrono::milliseconds(config.redis.command_timeout_ms);
      redis_client = std::make_unique<redis::RedisClient>(rc);
      metrics.set_redis_up(1);
      shared_limiter = std::make_unique<redis::RedisRateLimiter>(
          *redis_client, rate_limits.scopes(), rate_limits.limiter(), [&metrics](bool redis_down) {
            metrics.set_redis_up(redis_down ? 0 : 1);
            if (redis_down) metrics.count_redis_fallback(false);  // the limiter logs the transition
          });
      rate_limits.use_limiter(*shared_limiter);
      redis::RedisSubscriberConfig sc;
      sc.endpoint = *endpoint;
      sc.connect_timeout = rc.connect_timeout;
      sc.command_timeout = rc.command_timeout;
      bus = std::make_unique<cluster::RedisClusterBus>(*redis_client, std::move(sc));
      rt->revocations->set_bus(bus.get());
      health.add("redis", [&redis_client, &shared_limiter, &bus] {
        auto r = redis_client->ping();
        double ms = r ? static_cast<double>(r->count()) / 1000.0 : 0;
        if (!r || shared_limiter->degraded() || !bus->coherent())
          return CheckResult{CheckResult::Status::kDegraded,
                             (r ? "Redis " + redis_client->target() + " not subscribed" : "Redis unreachable: " + r.error()) +
                                 "; rate limits per instance, revocations and users read from the database",
                             ms};
        return CheckResult{CheckResult::Status::kHealthy, "redis " + redis_client->target() + ", subscribed", ms};
      });
    }
    health.add("rate_limiter", [&rate_limits, &shared_limiter] {
      std::string where = shared_limiter ? (shared_limiter->degraded() ? "local fallback (Redis down), " : "redis, ")
                                         : "local, ";
      return CheckResult{shared_limiter && shared_limiter->degraded() ? CheckResult::Status::kDegraded
                                                                      : CheckResult::Status::kHealthy,
                         where + std::to_string(rate_limits.scope_count()) + " scopes of " +
                             std::to_string(rate_limits.limiter().slots_per_scope()) + " keys",
                         0};
    });

    // Identity: Argon2id on a bounded pool, mail through the outbox to files under the data dir.
    const auto& idc = rt->config.identity;
    identity::PasswordHasher hasher(identity::Argon2Params{idc.argon2_memory_kib * 1024, idc.argon2_iterations});
    unsigned hash_threads = idc.hashing_threads ? idc.hashing_threads : std::max(1u, std::thread::hardware_concurrency());
    // Held in an optional so it can be destroyed after the I/O threads stop but before their
    // io_contexts are (the pool posts its last answers to their executors).
    // Each hashing thread keeps its Argon2 memory between hashes and gives it back after a second
    // without work, so that idle RSS stays small.
    std::optional<identity::HashingPool> hashing_pool(std::in_place, hash_threads, idc.hashing_queue,
                                                      [] { identity::argon2id::release_thread_memory(); });
    mail::FileMailerOptions mail_options;
    mail_options.directory = rt->config.data_dir + "/mail";
    mail_options.from = idc.mail_from;
    mail::FileMailer mailer(std::move(mail_options));
    mail::OutboxWorker outbox(*rt->mail_outbox, mailer);
    // Agents: the catalog (shipped, or from agents.catalog_file) and the capability-token service.
    auto catalog = rt->config.agents.catalog_file.empty()
                       ? agents::AgentCatalog::parse_yaml(std::string(*assets::find("agents/catalog.yaml")))
                       : agents::AgentCatalog::load_file(rt->config.agents.catalog_file);
    if (!catalog) throw std::runtime_error("agent catalog: " + catalog.error());
    // L1: user records and agent grants read through bounded in-memory caches; the writes that
    // change them go through the same objects and invalidate at once.
    cache::CachingIdentityStore users(*rt->identity_store, rt->config.cache.max_items, &metrics);
    cache::CachingAgentStore agent_store(*rt->agent_store, rt->config.cache.max_items, &metrics);
    agents::AgentService agent_service(*catalog, agent_store, users, *rt->token_service, *rt->audit,
                                       metrics, rt->config.agents.max_delegation_depth);

    std::unique_ptr<cluster::RedisSharedCache> shared_cache;
    if (bus) {
      shared_cache = std::make_unique<cluster::RedisSharedCache>(*redis_client);
      users.set_shared_cache(shared_cache.get());
      agent_store.set_shared_cache(shared_cache.get());
      users.set_bus(bus.get());
      agent_store.set_bus(bus.get());
      cluster::BusListener listener;
      listener.user_changed = [&users](const std::string& id) { users.drop(id); };
      listener.grants_changed = [&agent_store] { agent_store.drop_all(); };
      listener.revoked = [&rt](std::string_view kind, const std::string& id, std::int64_t exp) {
        rt->revocations->remember(kind, id, exp);
      };
      listener.resync = [&users, &agent_store, &rt] {
        users.drop_shared();  // invalidations may have been lost while Redis was away
        users.drop_all();
        agent_store.drop_all();
        rt->revocations->load();
      };
      listener.state_changed = [&metrics](bool subscribed) {
        metrics.set_redis_up(subscribed ? 1 : 0);
        if (!subscribed) metrics.count_redis_fallback(true);
      };
      bus->listen(std::move(listener));
    }

    identity::IdentityContext identity_ctx{users, hasher,   *hashing_pool,   *rt->token_service,
                                           *rt->kek,            *rt->audit, metrics, rt->config,
                                           [&outbox] { outbox.notify(); },
                                           [&agent_service](const std::vector<std::string>& roles) {
                                             return agent_service.runnable_types_for_roles(roles);
                                           }};
    identity::AccountService accounts(identity_ctx);
    sessions::SessionService sessions(identity_ctx);

    http::ServerState state;

    api::Services services{.health = &health,
                           .metrics = &metrics,
                           .server_state = &state,
                           .keyring = rt->keyring.get(),
                           .token_service = rt->token_service.get(),
                           .service_clients = rt->token_store,
                           .tokens_config = &rt->config.tokens,
                           .config = &rt->config,
                           .accounts = &accounts,
                           .sessions = &sessions,
                           .identity_store = &users,
                           .user_cache = &users,
                           .audit = rt->audit.get(),
                           .identity_context = &identity_ctx,
                           .agents = &agent_service,
                           .agent_catalog = &*catalog,
                           .agent_store = &agent_store,
                           .started = started};
    if (!services.complete()) throw std::logic_error("serve: a collaborator of the API handlers is missing");
    http::Router router;
    api::register_all_routes(router, services);
    // Handlers that wait on PostgreSQL (or Redis) run on worker threads (one per pooled
    // connection by default), never on an I/O thread. SQLite reads answer from a local file in
    // microseconds and stay on the I/O threads; handlers that commit go to the workers, where
    // concurrent commits wait together and share one fsync (group commit), so the workers bound
    // how many commits one fsync can carry.
    bool networked_store = config.store.driver == "postgres";
    int workers_wanted = config.store.worker_threads;
    if (workers_wanted == 0) workers_wanted = networked_store ? config.store.pool_max : kEmbeddedCommitWorkers;
    std::optional<boost::asio::thread_pool> workers;
    if (workers_wanted > 0) workers.emplace(static_cast<std::size_t>(workers_wanted));
    http::Dispatcher dispatcher(router, http::CorsPolicy(config.cors), metrics, config.log.access_log, &rate_limits,
                                std::move(*proxies), workers ? &*workers : nullptr,
                                networked_store ? http::OffloadPolicy::kStoreRoutes
                                                : http::OffloadPolicy::kCommittingRoutes);
    http::Server server(config.server, dispatcher, state);

    // Block the signals in every thread so only the signal_set below sees them.
    boost::asio::io_context signals_ctx;
    boost::asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
    signals.add(SIGPIPE);  // a peer closing mid-write must not kill the process

    // Audit events are appended in batches by a writer thread from here on (flushed at exit).
    rt->audit->start_writer();
    ListenAddress bound = server.bind();
    // With port 0 (or an unset public URL) the issuer and discovery URLs follow the bound port.
    resolve_public_url(rt->config.tokens, bound);
    rt->token_service->set_issuer(rt->config.tokens.issuer);
    server.run();
    std::jthread maintenance(maintenance_loop, std::ref(*rt), config.tokens.key_refresh);
    double startup_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    log::info("listening", {{"address", bound.to_string()},
                            {"data_dir", config.data_dir},
                            {"public_url", rt->config.tokens.public_url},
                            {"version", ARCHON_VERSION},
                            {"argon2id", std::string(identity::argon2id::implementation())},
                            {"hashing_threads", hash_threads},
                            {"startup_ms", startup_ms}});

    int received = 0;
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signo) {
          if (ec) return;
          if (signo == SIGPIPE) {
            signals.async_wait(on_signal);
            return;
          }
          received = signo;
        };
    signals.async_wait(on_signal);
    signals_ctx.run();

    log::info("shutting down", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"},
                                {"open_connections", state.open_connections.load()}});
    std::size_t cut = server.stop();
    workers.reset();  // lets running handlers finish, drops queued ones (their connections are closed)
    if (bus) rt->revocations->set_bus(nullptr);
    bus.reset();      // its thread applies messages to the caches below: stop it first
    hashing_pool.reset();
    log::info("stopped", {{"connections_cut", cut}});
    return 0;
  } catch (const std::exception& e) {
    log::error("fatal", {{"error", e.what()}});
    return 1;
  }
}

void print_routes() {
  http::Router router;
  api::register_all_routes(router, api::Services{});
  std::cout << json::write(router.describe()) << "\n";
}

}  // namespace archon::app
