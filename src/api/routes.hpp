// Registers every API route on a router. The services are held by pointer and used only when a
// handler runs, so `archon-auth routes` can list the table without opening a store.
#pragma once
#include <chrono>

#include "cache/caching_identity_store.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/health.hpp"
#include "observability/metrics.hpp"
#include "agents/agent_service.hpp"
#include "apikeys/api_key_service.hpp"
#include "webhooks/webhook_service.hpp"
#include "audit/audit_log.hpp"
#include "identity/account_service.hpp"
#include "identity/user_admin_service.hpp"
#include "sessions/session_service.hpp"
#include "store/identity_store.hpp"
#include "store/service_client_repository.hpp"
#include "tokens/keyring.hpp"
#include "tokens/token_service.hpp"

namespace archon::api {

// What handlers may use. Nullability, stated once: when serving, every pointer is set (serve()
// checks complete() before the first request); only `archon-auth routes`, which lists the table
// and never runs a handler, registers with an empty Services. So handlers dereference freely.
struct Services {
  const observability::HealthRegistry* health = nullptr;
  observability::Metrics* metrics = nullptr;
  const http::ServerState* server_state = nullptr;
  const tokens::Keyring* keyring = nullptr;
  tokens::TokenService* token_service = nullptr;
  store::ServiceClientRepository* service_clients = nullptr;
  const TokensConfig* tokens_config = nullptr;
  const Config* config = nullptr;
  identity::AccountService* accounts = nullptr;
  identity::UserAdminService* user_admin = nullptr;
  sessions::SessionService* sessions = nullptr;
  store::IdentityStore* identity_store = nullptr;  // for authenticating callers only (api/caller_auth)
  cache::CachingIdentityStore* user_cache = nullptr;  // the same store, for reads that report cache hits
  audit::AuditLog* audit = nullptr;
  identity::IdentityContext* identity_context = nullptr;
  agents::AgentService* agents = nullptr;
  const agents::AgentCatalog* agent_catalog = nullptr;
  apikeys::ApiKeyService* api_keys = nullptr;
  webhooks::WebhookService* webhooks = nullptr;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  bool complete() const {
    return health && metrics && server_state && keyring && token_service && service_clients && tokens_config &&
           config && accounts && user_admin && sessions && identity_store && user_cache && audit && identity_context && agents &&
           agent_catalog && api_keys && webhooks;
  }
};

void register_health_routes(http::Router& router, const Services& services);
void register_metrics_routes(http::Router& router, const Services& services);
void register_docs_routes(http::Router& router, const Services& services);
void register_console_routes(http::Router& router, const Services& services);
void register_well_known_routes(http::Router& router, const Services& services);
void register_token_routes(http::Router& router, const Services& services);
void register_auth_routes(http::Router& router, const Services& services);
void register_me_routes(http::Router& router, const Services& services);
void register_admin_routes(http::Router& router, const Services& services);
void register_agent_routes(http::Router& router, const Services& services);
void register_api_key_routes(http::Router& router, const Services& services);
void register_webhook_routes(http::Router& router, const Services& services);
void register_admin_agent_routes(http::Router& router, const Services& services);

inline void register_all_routes(http::Router& router, const Services& services) {
  register_health_routes(router, services);
  register_metrics_routes(router, services);
  register_docs_routes(router, services);
  register_console_routes(router, services);
  register_well_known_routes(router, services);
  register_token_routes(router, services);
  register_auth_routes(router, services);
  register_me_routes(router, services);
  register_admin_routes(router, services);
  register_agent_routes(router, services);
  register_api_key_routes(router, services);
  register_webhook_routes(router, services);
  register_admin_agent_routes(router, services);
}

}  // namespace archon::api
