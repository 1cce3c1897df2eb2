// The authentication and authorization steps of the request pipeline for user endpoints:
// a Bearer access token (verified, deny-lists checked) and, for administration, a permission
// read from the store (so a role removed a moment ago no longer counts).
#pragma once
#include <map>
#include <memory>
#include <vector>
#include <string_view>

#include "api/routes.hpp"
#include "audit/audit_log.hpp"
#include "core/errors.hpp"
#include "core/expected.hpp"
#include "http/exchange.hpp"
#include "tokens/verified_token.hpp"

namespace archon::api {

// 401 AUTH_TOKEN_INVALID / AUTH_TOKEN_EXPIRED (with WWW-Authenticate) unless the request carries
// a valid access token. The route's principal rate limit counts the user; requests without a
// valid token count against their client address instead (429 once that is used up), so a
// flood of bad tokens is limited too.
Expected<std::shared_ptr<const tokens::VerifiedToken>, ApiError> require_user(http::Exchange& ex,
                                                                              const Services& svc);
// 403 AUTH_INSUFFICIENT_PERMISSIONS unless the (active) user currently holds `permission`.
std::optional<ApiError> require_permission(http::Exchange& ex, const Services& svc, const tokens::VerifiedToken& user,
                                           std::string_view permission);

// Records a verified-token cache lookup for meta.performance.cache_hit and
// cache_hits_total{cache="token"} (the token service has no metrics of its own).
void note_token_cache(http::Exchange& ex, const Services& svc, bool hit);
// The user's current record through the L1 cache, noting whether it hit.
std::optional<store::UserRecord> load_user(http::Exchange& ex, const Services& svc, const std::string& user_id);

audit::RequestInfo request_info(http::Exchange& ex);

// A RouteOptions::authenticate hook demanding a valid access token (the handler then reads it
// again with require_user, a verified-token cache hit).
std::function<std::optional<ApiError>(http::Exchange&)> bearer_required(const Services& svc);

// The principal limit of the route, keyed by the client address (for callers without a
// verified identity).
std::optional<ApiError> limit_unauthenticated(http::Exchange& ex);

// Pagination query parameters per the spec: page (1-based), limit 1..100 (default 20).
struct PageQuery {
  std::int64_t page = 1;
  std::int64_t limit = 20;
};
// Parses the query string of `target`: page and limit (400/422 in the envelope when invalid);
// every other parameter lands in `rest` when given (names must be in `allowed`, else 400).
Expected<PageQuery, ApiError> parse_page_query(std::string_view target,
                                               std::map<std::string, std::string>* rest = nullptr,
                                               const std::vector<std::string>& allowed = {});

// The envelope's meta.pagination for a page of `total` items.
http::Pagination pagination(const PageQuery& page, std::int64_t total);

// Answers a page of the audit trail (newest first) for `query`, as GET /audit and
// /users/me/security-events both do.
void reply_audit_page(http::Exchange& ex, const Services& svc, const store::AuditQuery& query);

}  // namespace archon::api
