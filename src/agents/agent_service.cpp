#include "agents/agent_service.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>

#include "core/json_writer.hpp"
#include "crypto/random.hpp"
#include "webhooks/emit.hpp"

namespace archon::agents {
namespace {

constexpr std::int64_t kMaxLifetime = 3600;
// Parsed restrictions kept for this many live agent tokens (a few hundred bytes each).
constexpr std::size_t kRestrictionsCacheEntries = 4096;

bool contains(const std::vector<std::string>& v, std::string_view s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::vector<std::string> strings_of(const boost::json::value* v) {
  std::vector<std::string> out;
  if (v && v->is_array())
    for (const auto& e : v->get_array())
      if (e.is_string()) out.emplace_back(e.get_string());
  return out;
}

// The agent ids of a token and its ancestors, from its own agent_id and the RFC 8693 act chain.
std::vector<std::string> lineage_of(const boost::json::object& claims) {
  std::vector<std::string> ids;
  if (auto id = claims.if_contains("agent_id"); id && id->is_string()) ids.emplace_back(id->get_string());
  const boost::json::value* act = claims.if_contains("act");
  for (int guard = 0; act && act->is_object() && guard < 16; ++guard) {
    if (auto sub = act->get_object().if_contains("sub"); sub && sub->is_string()) ids.emplace_back(sub->get_string());
    act = act->get_object().if_contains("act");
  }
  return ids;
}

// estimated_duration (seconds) bounds the lifetime with 50% headroom, never below 5 minutes.
std::int64_t duration_bound(const boost::json::object& task_context) {
  auto d = task_context.if_contains("estimated_duration");
  if (!d || !(d->is_int64() || d->is_uint64()) || (d->is_int64() && d->get_int64() <= 0)) return kMaxLifetime;
  // Clamp before the arithmetic: a client-supplied 6e18 must not overflow.
  std::int64_t seconds = d->is_int64() ? std::min<std::int64_t>(d->get_int64(), kMaxLifetime) : kMaxLifetime;
  return std::max<std::int64_t>(300, std::min<std::int64_t>(kMaxLifetime, seconds + seconds / 2));
}

}  // namespace

AgentService::AgentService(const AgentCatalog& catalog, store::AgentStore& agents, store::IdentityStore& users,
                           tokens::TokenService& tokens, audit::AuditLog& audit, observability::Metrics& metrics,
                           int max_delegation_depth)
    : catalog_(catalog),
      agents_(agents),
      users_(users),
      tokens_(tokens),
      audit_(audit),
      metrics_(metrics),
      max_depth_(max_delegation_depth),
      restrictions_cache_(kRestrictionsCacheEntries) {}

AgentService::Ceiling AgentService::ceiling_for(const std::vector<std::string>& roles, const AgentType& type) {
  Ceiling c;
  for (const auto& g : agents_.grants_for_roles(roles)) {
    bool applies = g.agent_type == "*" || g.agent_type == type.name || (g.agent_type == "@common" && type.common);
    if (!applies) continue;
    c.may_run = true;
    auto caps = boost::json::parse(g.capabilities);
    for (const auto& cap : strings_of(&caps)) {
      if (cap == "*") c.all_capabilities = true;
      else if (!contains(c.capabilities, cap)) c.capabilities.push_back(cap);
    }
  }
  return c;
}

std::vector<std::string> AgentService::runnable_types(const std::string& user_id) {
  auto user = users_.find_user_by_id(user_id);
  if (!user || !user->is_active) return {};
  return runnable_types_for_roles(user->roles);
}

std::vector<std::string> AgentService::runnable_types_for_roles(const std::vector<std::string>& roles) {
  std::vector<std::string> out;
  auto grants = agents_.grants_for_roles(roles);  // once, not once per type
  for (const auto& t : catalog_.types())
    for (const auto& g : grants)
      if (g.agent_type == "*" || g.agent_type == t.name || (g.agent_type == "@common" && t.common)) {
        out.push_back(t.name);
        break;
      }
  return out;
}

MintedAgentToken AgentService::mint(const std::string& user_id, const std::string& session_id, const AgentType& type,
                                    std::vector<std::string> granted,
                                    std::vector<std::pair<std::string, std::string>> denied,
                                    const Restrictions& restrictions, std::int64_t lifetime,
                                    boost::json::object task_context, const tokens::VerifiedToken* parent) {
  MintedAgentToken out;
  // Time-ordered: the agent_tokens primary key and root index then fill a few hot B-tree pages
  // instead of dirtying a random page per mint (measured: fewer WAL frames per agent token).
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  out.agent_id = "agt_" + crypto::time_ordered_id(now_ms);
  out.granted = std::move(granted);
  out.denied = std::move(denied);
  out.restrictions = to_json(restrictions);
  int depth = 0;
  std::optional<std::string> parent_id;
  std::string root_id = out.agent_id;
  boost::json::object claims{{"sub", user_id},
                             {"agent_id", out.agent_id},
                             {"agent_type", type.name},
                             {"capabilities", boost::json::value_from(out.granted)},
                             {"restrictions", out.restrictions},
                             {"task_context", std::move(task_context)},
                             {"session_id", session_id}};
  if (parent) {
    const auto& pc = parent->claims;
    parent_id = std::string(pc.at("agent_id").as_string());
    depth = static_cast<int>(pc.if_contains("depth") && pc.at("depth").is_int64() ? pc.at("depth").as_int64() : 0) + 1;
    auto lineage = lineage_of(pc);
    root_id = lineage.back();
    // RFC 8693 §4.1: the current actor first, then who it acted for, nested.
    boost::json::object act{{"sub", *parent_id}};
    if (auto outer = pc.if_contains("act")) act["act"] = *outer;
    claims["act"] = std::move(act);
  }
  claims["depth"] = depth;
  auto issued = tokens_.issue(tokens::TokenKind::kAgent, std::move(claims), std::chrono::seconds(lifetime));
  out.agent_token = issued.token;
  out.expires_in = issued.expires_at - issued.issued_at;
  boost::json::object event{{"agent_id", out.agent_id},
                            {"agent_type", type.name},
                            {"user_id", user_id},
                            {"session_id", session_id},
                            {"parent_agent_id", parent_id ? boost::json::value(*parent_id) : nullptr},
                            {"root_agent_id", root_id},
                            {"depth", depth},
                            {"capabilities", boost::json::value_from(out.granted)},
                            {"expires_at", issued.expires_at}};
  webhooks::committing({webhooks::make_event(parent ? "agent.delegated" : "agent.token_issued", std::move(event))}, [&] {
    agents_.insert_agent_token({out.agent_id, issued.jti, user_id, session_id, parent_id, root_id, depth, type.name,
                                json::write(boost::json::value_from(out.granted)), json::write(out.restrictions),
                                issued.issued_at, issued.expires_at, std::nullopt});
  });
  return out;
}

Expected<MintedAgentToken, ApiError> AgentService::authenticate(const tokens::VerifiedToken& caller,
                                                                const AuthenticateRequest& req,
                                                                const audit::RequestInfo& info) {
  const AgentType* type = catalog_.find(req.agent_type);
  if (!type) {
    audit_.record(info, "agent_authenticate", "unknown_agent_type", caller.subject, caller.subject,
                  {{"agent_type", req.agent_type.substr(0, 64)}});
    return Unexpected{ApiError::make(ErrorCode::kAgentTypeUnknown, {{"agent_type", "Not in the agent catalog"}})};
  }
  auto user = users_.find_user_by_id(caller.subject);
  if (!user || !user->is_active) return Unexpected{ApiError::make(ErrorCode::kAuthTokenInvalid)};
  Ceiling ceiling = ceiling_for(user->roles, *type);
  if (!ceiling.may_run) {
    audit_.record(info, "agent_authenticate", "denied", user->id, user->id, {{"agent_type", type->name}});
    return Unexpected{ApiError::make(ErrorCode::kAgentUnauthorized, "User not authorized for agent type: " + type->name,
                                     {{"agent_type", type->name}})};
  }
  std::vector<std::string> granted;
  std::vector<std::pair<std::string, std::string>> denied;
  for (const auto& cap : req.capabilities_requested) {
    if (contains(granted, cap) ||
        std::any_of(denied.begin(), denied.end(), [&](const auto& d) { return d.first == cap; }))
      continue;
    if (!catalog_.is_capability(cap)) denied.emplace_back(cap, "unknown_capability");
    else if (!contains(type->capabilities, cap)) denied.emplace_back(cap, "not_allowed_for_agent_type");
    else if (contains(type->requires_approval, cap)) denied.emplace_back(cap, "requires_approval");
    else if (!ceiling.all_capabilities && !contains(ceiling.capabilities, cap)) denied.emplace_back(cap, "not_permitted_for_user");
    else granted.push_back(cap);
  }
  auto restrictions = parse_restrictions(type->default_restrictions);
  if (!restrictions) throw std::runtime_error("catalog restrictions of " + type->name + ": " + restrictions.error());
  std::int64_t lifetime = std::min({type->max_token_lifetime_seconds, duration_bound(req.task_context), kMaxLifetime});
  auto minted = mint(user->id, caller.session_id, *type, std::move(granted), std::move(denied), *restrictions, lifetime,
                     req.task_context, nullptr);
  boost::json::object denials;
  for (const auto& [cap, why] : minted.denied) denials[cap] = why;
  audit_.record(info, "agent_authenticate", "granted", user->id, user->id,
                {{"agent_id", minted.agent_id}, {"agent_type", type->name},
                 {"granted", boost::json::value_from(minted.granted)}, {"denied", denials}});
  return minted;
}

Expected<MintedAgentToken, ApiError> AgentService::delegate(const tokens::VerifiedToken& parent,
                                                            const DelegateRequest& req, const audit::RequestInfo& info) {
  const auto& pc = parent.claims;
  auto lineage = lineage_of(pc);
  std::int64_t depth = pc.if_contains("depth") && pc.at("depth").is_int64() ? pc.at("depth").as_int64() : 0;
  auto refuse = [&](std::string why, boost::json::object details) {
    details["reason"] = why;
    audit_.record(info, "agent_delegate", "refused", lineage.front(), parent.subject, details);
    return Unexpected{ApiError::make(ErrorCode::kAgentDelegationRefused, std::move(details))};
  };
  if (depth + 1 > max_depth_) return refuse("max_depth_exceeded", {{"max_depth", max_depth_}});
  const AgentType* type = catalog_.find(req.agent_type);
  if (!type) {
    audit_.record(info, "agent_delegate", "unknown_agent_type", lineage.front(), parent.subject,
                  {{"agent_type", req.agent_type.substr(0, 64)}});
    return Unexpected{ApiError::make(ErrorCode::kAgentTypeUnknown, {{"agent_type", "Not in the agent catalog"}})};
  }
  // The user behind the chain must be allowed to run the child's type too.
  auto user = users_.find_user_by_id(parent.subject);
  if (!user || !user->is_active) return Unexpected{ApiError::make(ErrorCode::kAuthTokenInvalid)};
  if (!ceiling_for(user->roles, *type).may_run) return refuse("agent_type_not_permitted_for_user", {{"agent_type", type->name}});

  auto held = strings_of(pc.if_contains("capabilities"));
  std::vector<std::string> granted;
  std::vector<std::pair<std::string, std::string>> denied;
  for (const auto& cap : req.capabilities_requested) {
    if (contains(granted, cap)) continue;
    if (!catalog_.is_capability(cap)) denied.emplace_back(cap, "unknown_capability");
    else if (!contains(held, cap)) denied.emplace_back(cap, "not_held_by_parent");
    else if (!contains(type->capabilities, cap)) denied.emplace_back(cap, "not_allowed_for_agent_type");
    else if (contains(type->requires_approval, cap)) denied.emplace_back(cap, "requires_approval");
    else granted.push_back(cap);
  }
  if (!denied.empty()) {
    boost::json::object d;
    for (const auto& [cap, why] : denied) d[cap] = why;
    return refuse("more_than_parent", {{"capabilities_denied", std::move(d)}});
  }
  auto parent_restrictions = pc.if_contains("restrictions") && pc.at("restrictions").is_object()
                                 ? parse_restrictions(pc.at("restrictions").as_object())
                                 : Expected<Restrictions, std::string>(Restrictions{});
  if (!parent_restrictions) return refuse("parent_restrictions_invalid", {});
  Restrictions wanted;
  if (req.restrictions) {
    auto parsed = parse_restrictions(*req.restrictions);
    if (!parsed) return refuse("invalid_restrictions", {{"restrictions", parsed.error()}});
    wanted = *parsed;
  }
  auto narrowed = narrow(*parent_restrictions, wanted);
  if (!narrowed) return refuse("restrictions_wider_than_parent", {{"restrictions", narrowed.error()}});

  std::int64_t remaining = parent.expires_at - tokens::system_epoch_seconds();
  std::int64_t lifetime = std::min({type->max_token_lifetime_seconds, duration_bound(req.task_context), remaining});
  if (lifetime < 1) return Unexpected{ApiError::make(ErrorCode::kAuthTokenExpired)};
  auto minted = mint(parent.subject, parent.session_id, *type, std::move(granted), {}, *narrowed, lifetime,
                     req.task_context, &parent);
  audit_.record(info, "agent_delegate", "granted", lineage.front(), parent.subject,
                {{"agent_id", minted.agent_id}, {"parent_agent_id", lineage.front()}, {"agent_type", type->name}});
  return minted;
}

VerifyDecision AgentService::verify(std::string_view token, const std::string& capability, const Resource& resource,
                                    const audit::RequestInfo& info) {
  auto verified = tokens_.verify(token, tokens::TokenKind::kAgent);
  if (verified) return verify(*verified->token, capability, resource, info);
  VerifyDecision d;
  d.reason = verified.error() == tokens::TokenError::kExpired   ? "token_expired"
             : verified.error() == tokens::TokenError::kRevoked ? "token_revoked"
                                                               : "token_invalid";
  record_decision(d, nullptr, capability, resource, info);
  return d;
}

VerifyDecision AgentService::verify(const tokens::VerifiedToken& agent, const std::string& capability,
                                    const Resource& resource, const audit::RequestInfo& info) {
  VerifyDecision d;
  const auto& claims = agent.claims;
  d.agent_id = agent.lineage.empty() ? "" : agent.lineage.front();
  if (auto t = claims.if_contains("agent_type"); t && t->is_string()) d.agent_type = std::string(t->get_string());
  bool granted = false;
  if (auto caps = claims.if_contains("capabilities"); caps && caps->is_array())
    for (const auto& c : caps->get_array()) granted = granted || (c.is_string() && c.get_string() == capability);
  if (!granted) d.reason = "capability_not_granted";
  else if (auto r = restrictions_of(agent); !r) d.reason = "restrictions_invalid";
  else {
    auto decision = check_resource(*r, resource);
    d.allowed = decision.allowed;
    d.reason = decision.reason;
  }
  record_decision(d, &agent, capability, resource, info);
  return d;
}

std::shared_ptr<const Restrictions> AgentService::restrictions_of(const tokens::VerifiedToken& agent) {
  // A token's restrictions never change (they are signed), so they are parsed and validated once
  // per token, not on every check; keyed by jti, which is unique per issued token.
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
  if (auto hit = restrictions_cache_.find(agent.jti, now)) return *hit;
  const auto* json = agent.claims.if_contains("restrictions");
  auto parsed = json && json->is_object() ? parse_restrictions(json->get_object())
                                          : Expected<Restrictions, std::string>(Restrictions{});
  if (!parsed) return nullptr;
  auto shared = std::make_shared<const Restrictions>(std::move(*parsed));
  if (!agent.jti.empty()) restrictions_cache_.insert(agent.jti, shared, agent.expires_at);
  return shared;
}

void AgentService::record_decision(const VerifyDecision& d, const tokens::VerifiedToken* agent,
                                   const std::string& capability, const Resource& resource,
                                   const audit::RequestInfo& info) {
  boost::json::object res;
  if (resource.path) res["path"] = *resource.path;
  if (resource.branch) res["branch"] = *resource.branch;
  if (resource.size) res["size"] = *resource.size;
  metrics_.count_agent_decision(d.allowed, d.reason);
  audit_.record(info, "agent_verify", d.allowed ? "allowed" : "denied", d.agent_id.empty() ? "unknown" : d.agent_id,
                agent ? std::optional(agent->subject) : std::nullopt,
                {{"capability", capability}, {"resource", std::move(res)}, {"reason", d.reason}});
}

std::vector<store::AgentTokenRecord> AgentService::list_tokens(const std::string& user_id) {
  return agents_.live_agent_tokens(user_id, tokens::system_epoch_seconds());
}

std::vector<store::AgentTokenRecord> AgentService::list_all_tokens(const std::optional<std::string>& user_id,
                                                                   const std::optional<std::string>& agent_type) {
  return agents_.live_agent_tokens_where(user_id, agent_type, tokens::system_epoch_seconds(), kAdminListLimit);
}

std::size_t AgentService::revoke_all(const std::string& actor, const std::optional<std::string>& user_id,
                                     const std::optional<std::string>& agent_type, const audit::RequestInfo& info) {
  // In pages, until none is left: a revoked lineage drops out of the next page. A descendant
  // listed after its ancestor went with it, so it is neither revoked nor counted twice.
  std::set<std::string> gone;
  for (int round = 0; round < 1000; ++round) {
    auto live = agents_.live_agent_tokens_where(user_id, agent_type, tokens::system_epoch_seconds(), kAdminListLimit);
    if (live.empty()) break;
    for (const auto& t : live)
      if (!gone.count(t.agent_id))
        for (auto& id : revoke_subtree(t.agent_id)) gone.insert(std::move(id));
  }
  std::size_t revoked = gone.size();
  audit_.record(info, "agent_tokens_revoked_all", "success", actor, user_id,
                {{"agent_type", agent_type ? boost::json::value(*agent_type) : nullptr}, {"revoked", revoked}});
  return revoked;
}

std::optional<std::size_t> AgentService::revoke_for_admin(const std::string& actor, const std::string& agent_id,
                                                          const audit::RequestInfo& info) {
  auto record = agents_.find_agent_token(agent_id);
  if (!record) return std::nullopt;
  std::size_t revoked = revoke_lineage(agent_id);
  audit_.record(info, "agent_token_revoked", "success", actor, record->user_id,
                {{"agent_id", agent_id}, {"revoked", revoked}});
  return revoked;
}

std::size_t AgentService::revoke_lineage(const std::string& agent_id) { return revoke_subtree(agent_id).size(); }

std::vector<std::string> AgentService::revoke_subtree(const std::string& agent_id) {
  auto revoked = webhooks::committing({webhooks::make_event("agent.token_revoked", {{"agent_id", agent_id}})}, [&] {
    return agents_.revoke_agent_lineage(agent_id, tokens::system_epoch_seconds());
  });
  // The family deny-list: every descendant names its ancestors in its act chain, so verifying
  // any of them sees this revocation at once, from memory.
  std::vector<std::string> ids;
  for (const auto& [id, expires] : revoked) {
    tokens_.revocations().revoke(tokens::RevocationSubject::kFamily, id, expires + tokens_.config().leeway.count());
    ids.push_back(id);
  }
  return ids;
}

bool AgentService::revoke(const std::string& user_id, const std::string& agent_id, const audit::RequestInfo& info) {
  auto record = agents_.find_agent_token(agent_id);
  if (!record || record->user_id != user_id) return false;
  std::size_t revoked = revoke_lineage(agent_id);
  audit_.record(info, "agent_token_revoked", "success", user_id, user_id, {{"agent_id", agent_id}, {"revoked", revoked}});
  return true;
}

std::vector<store::AgentGrant> AgentService::role_grants(const std::string& role) { return agents_.grants_for_role(role); }

bool AgentService::replace_role_grants(const std::string& actor, const std::string& role,
                                       const std::vector<store::AgentGrant>& grants, const audit::RequestInfo& info) {
  if (!agents_.replace_grants(role, grants)) return false;
  audit_.record(info, "agent_grants_changed", "success", actor, std::nullopt, {{"role", role}, {"grants", grants.size()}});
  return true;
}

}  // namespace archon::agents
