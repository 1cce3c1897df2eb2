// Agents: the catalog, minting capability tokens, delegation, the CapabilityValidator as a
// service, the user's live agent tokens, and the role grants administrators manage.
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>

#include "api/api_key_auth.hpp"
#include "api/authn.hpp"
#include "api/caller_auth.hpp"
#include "api/resource_json.hpp"
#include "api/route_table.hpp"
#include "core/json_writer.hpp"
#include "http/exchange.hpp"
#include "identity/roles.hpp"

namespace archon::api {
namespace {

using http::FieldType;
using Task = boost::asio::awaitable<void>;

std::vector<std::string> string_list(const boost::json::object& body, const char* key, boost::json::object& problems) {
  std::vector<std::string> out;
  if (auto v = body.if_contains(key); v && v->is_array()) {
    for (const auto& e : v->get_array()) {
      if (!e.is_string() || e.get_string().empty() || e.get_string().size() > 64) {
        problems[key] = "Each item must be a capability name such as file:read";
        break;
      }
      out.emplace_back(e.get_string());
    }
  }
  return out;
}

// task_context is the caller's free-form description of the task, except estimated_duration,
// which bounds the token's lifetime: a value of the wrong type or out of range is refused by
// name, never read as "no bound" (that would buy the longest lifetime).
constexpr std::int64_t kMaxEstimatedDuration = 31536000;  // a year: longer is not an estimate
boost::json::object task_context(const boost::json::object& body, boost::json::object& problems) {
  auto tc = body.if_contains("task_context");
  if (!tc || !tc->is_object()) return {};
  if (auto d = tc->get_object().if_contains("estimated_duration")) {
    bool ok = (d->is_int64() && d->get_int64() >= 1 && d->get_int64() <= kMaxEstimatedDuration) ||
              (d->is_uint64() && d->get_uint64() >= 1 && d->get_uint64() <= kMaxEstimatedDuration);
    if (!ok)
      problems["task_context.estimated_duration"] =
          "Must be an integer number of seconds from 1 to " + std::to_string(kMaxEstimatedDuration);
  }
  return tc->get_object();
}

boost::json::object minted_json(const agents::MintedAgentToken& m) {
  boost::json::array denied;
  boost::json::object reasons;
  for (const auto& [cap, why] : m.denied) {
    denied.emplace_back(cap);
    reasons[cap] = why;
  }
  return {{"agent_token", m.agent_token},
          {"agent_id", m.agent_id},
          {"capabilities_granted", boost::json::value_from(m.granted)},
          {"capabilities_denied", std::move(denied)},
          {"denial_reasons", std::move(reasons)},
          {"expires_in", m.expires_in},
          {"restrictions", m.restrictions}};
}

// Agent tokens arrive as the Bearer of delegate and self-verify.
Expected<std::shared_ptr<const tokens::VerifiedToken>, ApiError> require_agent(http::Exchange& ex, const Services& svc) {
  std::string_view token = bearer_token(ex.request());
  auto verified = token.empty() ? Expected<tokens::Verification, tokens::TokenError>(Unexpected{tokens::TokenError::kMalformed})
                                : svc.token_service->verify(token, tokens::TokenKind::kAgent);
  if (!verified) {
    if (auto limited = limit_unauthenticated(ex)) return Unexpected{std::move(*limited)};
    ex.response().set(http::bhttp::field::www_authenticate, "Bearer realm=\"archon-auth\", error=\"invalid_token\"");
    return Unexpected{ApiError::make(ErrorCode::kAuthTokenInvalid, "An agent token is required",
                                     {{"authorization", "Send Authorization: Bearer <agent token>"}})};
  }
  note_token_cache(ex, svc, verified->cache_hit);
  const auto& t = *verified->token;
  if (auto limited = ex.limit_subject(t.lineage.empty() ? t.jti : t.lineage.front())) return Unexpected{std::move(*limited)};
  return verified->token;
}


boost::json::object grants_json(const std::string& role, const std::vector<store::AgentGrant>& grants) {
  boost::json::array out;
  for (const auto& g : grants)
    out.push_back(boost::json::object{{"agent_type", g.agent_type}, {"capabilities", boost::json::parse(g.capabilities)}});
  return {{"role", role}, {"grants", std::move(out)}};
}

Task list_types(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  auto runnable = svc.agents->runnable_types(caller->subject);
  boost::json::array types;
  for (const auto& t : svc.agent_catalog->types())
    types.push_back(boost::json::object{{"name", t.name},
                                        {"description", t.description},
                                        {"capabilities", boost::json::value_from(t.capabilities)},
                                        {"requires_approval", boost::json::value_from(t.requires_approval)},
                                        {"default_restrictions", t.default_restrictions},
                                        {"max_token_lifetime_seconds", t.max_token_lifetime_seconds},
                                        {"runnable", std::find(runnable.begin(), runnable.end(), t.name) != runnable.end()}});
  std::uint64_t n = types.size();
  ex.reply_page(std::move(types), http::Pagination{1, std::max<std::uint64_t>(n, 1), n});
  co_return;
}

Task authenticate(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  const auto& body = ex.body();
  boost::json::object problems;
  agents::AuthenticateRequest req{std::string(body.at("agent_type").as_string()),
                                  string_list(body, "capabilities_requested", problems), {}};
  req.task_context = task_context(body, problems);
  if (!problems.empty()) {
    ex.fail(ApiError::make(ErrorCode::kValidationInvalidFormat, std::move(problems)));
    co_return;
  }
  auto r = svc.agents->authenticate(*caller, req, request_info(ex));
  if (!r) ex.fail(r.error());
  else ex.reply(minted_json(*r));
}

Task delegate(http::Exchange& ex, const Services& svc, const CallerToken&) {
  auto parent = require_agent(ex, svc);
  if (!parent) {
    ex.fail(parent.error());
    co_return;
  }
  const auto& body = ex.body();
  boost::json::object problems;
  agents::DelegateRequest req{std::string(body.at("agent_type").as_string()),
                              string_list(body, "capabilities_requested", problems), std::nullopt, {}};
  if (auto r = body.if_contains("restrictions"); r && r->is_object()) req.restrictions = r->as_object();
  req.task_context = task_context(body, problems);
  if (!problems.empty()) {
    ex.fail(ApiError::make(ErrorCode::kValidationInvalidFormat, std::move(problems)));
    co_return;
  }
  auto r = svc.agents->delegate(**parent, req, request_info(ex));
  if (!r) ex.fail(r.error());
  else ex.reply(minted_json(*r));
}

// The resource a verify question is about; the problems, by field, of what is malformed.
agents::Resource resource_of(const boost::json::object& body, boost::json::object& problems) {
  agents::Resource resource;
  auto r = body.if_contains("resource");
  if (!r || !r->is_object()) return resource;
  const auto& o = r->as_object();
  for (const auto& kv : o)
    if (kv.key() != "path" && kv.key() != "branch" && kv.key() != "size")
      problems[std::string("resource.") + std::string(kv.key())] = "This field is not accepted";
  if (auto p = o.if_contains("path")) {
    if (p->is_string()) resource.path = std::string(p->get_string());
    else problems["resource.path"] = "Must be a string";
  }
  if (auto b = o.if_contains("branch")) {
    if (b->is_string()) resource.branch = std::string(b->get_string());
    else problems["resource.branch"] = "Must be a string";
  }
  if (auto s = o.if_contains("size")) {
    // 0 .. 2^53-1, as documented and as parse_size bounds the string form.
    if (s->is_int64() && s->get_int64() >= 0 && static_cast<std::uint64_t>(s->get_int64()) <= agents::kMaxSizeBytes)
      resource.size = static_cast<std::uint64_t>(s->get_int64());
    else if (s->is_string()) {
      auto parsed = agents::parse_size(std::string(s->get_string()));
      if (parsed) resource.size = *parsed;
      else problems["resource.size"] = parsed.error();
    } else problems["resource.size"] = "Must be a number of bytes or a size such as \"2MB\"";
  }
  return resource;
}

// A tool server asking about a token it was handed authenticates like an introspection client;
// the error answered when it does not (or is limited).
std::optional<ApiError> tool_server_refused(http::Exchange& ex, const Services& svc) {
  auto caller = authenticate_service_caller(ex, svc, "agents:verify");
  if (!caller || !*caller) {
    if (auto limited = limit_unauthenticated(ex)) return limited;
    ex.response().set(http::bhttp::field::www_authenticate, "Basic realm=\"archon-auth\", Bearer realm=\"archon-auth\"");
    return caller ? ApiError::make(ErrorCode::kAuthTokenInvalid, "Authentication required") : caller.error();
  }
  return ex.limit_subject((*caller)->id);
}

boost::json::value id_or_null(const std::string& id) {
  return id.empty() ? boost::json::value(nullptr) : boost::json::value(id);
}

Task verify(http::Exchange& ex, const Services& svc, const CallerToken&) {
  const auto& body = ex.body();
  std::string token;  // a tool server's question: the token to check, verified by the service
  std::shared_ptr<const tokens::VerifiedToken> self;  // an agent's own question: already verified
  if (auto t = body.if_contains("token"); t && t->is_string()) {
    if (auto refused = tool_server_refused(ex, svc)) {
      ex.fail(std::move(*refused));
      co_return;
    }
    token = std::string(t->get_string());
  } else {
    auto agent = require_agent(ex, svc);  // an agent asking about itself: its own token is the credential
    if (!agent) {
      ex.fail(agent.error());
      co_return;
    }
    self = std::move(*agent);
  }
  boost::json::object problems;
  agents::Resource resource = resource_of(body, problems);
  if (!problems.empty()) {
    ex.fail(ApiError::make(ErrorCode::kValidationInvalidFormat, std::move(problems)));
    co_return;
  }
  std::string capability(body.at("capability").as_string());
  auto d = self ? svc.agents->verify(*self, capability, resource, request_info(ex))
                : svc.agents->verify(token, capability, resource, request_info(ex));
  ex.reply(boost::json::object{{"allowed", d.allowed},
                               {"reason", d.reason},
                               {"agent_id", id_or_null(d.agent_id)},
                               {"agent_type", id_or_null(d.agent_type)}});
}

Task list_tokens(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  boost::json::array tokens;
  for (const auto& t : svc.agents->list_tokens(caller->subject)) tokens.push_back(agent_token_json(t));
  std::uint64_t n = tokens.size();
  ex.reply_page(std::move(tokens), http::Pagination{1, std::max<std::uint64_t>(n, 1), n});
  co_return;
}

Task revoke_token(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  if (!svc.agents->revoke(caller->subject, std::string(ex.param("id")), request_info(ex)))
    ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such agent token"));
  else ex.reply_no_content();
  co_return;
}

Task get_grants(http::Exchange& ex, const Services& svc, const CallerToken&) {
  std::string role(ex.param("role"));
  if (!identity::is_role(role)) ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such role"));
  else ex.reply(grants_json(role, svc.agents->role_grants(role)));
  co_return;
}

// One grant of a PUT body; its problems under `where` ("grants[2]").
store::AgentGrant grant_of(const boost::json::value& g, const std::string& role, const std::string& where,
                           const agents::AgentCatalog& catalog, boost::json::object& problems) {
  if (!g.is_object()) {
    problems[where] = "Must be an object {agent_type, capabilities}";
    return {};
  }
  const auto& o = g.as_object();
  auto type = o.if_contains("agent_type");
  std::string name = type && type->is_string() ? std::string(type->get_string()) : "";
  if (name != "*" && name != "@common" && !catalog.find(name))
    problems[where + ".agent_type"] = "Must be a catalog agent type, \"*\" or \"@common\"";
  boost::json::array caps{"*"};
  if (auto c = o.if_contains("capabilities")) {
    if (!c->is_array()) problems[where + ".capabilities"] = "Must be an array";
    else {
      caps = c->as_array();
      for (const auto& cap : caps)
        if (!cap.is_string() || (cap.get_string() != "*" && !catalog.is_capability(cap.get_string())))
          problems[where + ".capabilities"] = "Each must be a capability of the vocabulary, or \"*\"";
    }
  }
  for (const auto& kv : o)
    if (kv.key() != "agent_type" && kv.key() != "capabilities")
      problems[where + "." + std::string(kv.key())] = "This field is not accepted";
  return {role, name, json::write(caps)};
}

Task put_grants(http::Exchange& ex, const Services& svc, const CallerToken& caller) {
  std::string role(ex.param("role"));
  boost::json::object problems;
  std::vector<store::AgentGrant> grants;
  std::size_t i = 0;
  for (const auto& g : ex.body().at("grants").as_array()) {
    std::string where = "grants[" + std::to_string(i++) + "]";
    auto grant = grant_of(g, role, where, *svc.agent_catalog, problems);
    if (!g.is_object()) continue;
    if (std::any_of(grants.begin(), grants.end(), [&](const store::AgentGrant& g2) { return g2.agent_type == grant.agent_type; }))
      problems[where + ".agent_type"] = "Appears more than once";
    grants.push_back(std::move(grant));
  }
  if (!problems.empty()) {
    ex.fail(ApiError::make(ErrorCode::kValidationConstraintViolation, std::move(problems)));
    co_return;
  }
  if (!svc.agents->replace_role_grants(caller->subject, role, grants, request_info(ex))) {
    ex.fail(ApiError::make(ErrorCode::kResourceNotFound, "No such role"));
    co_return;
  }
  ex.reply(grants_json(role, svc.agents->role_grants(role)));
}

}  // namespace

void register_agent_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  const http::FieldSpec agent_type{"agent_type", FieldType::kString, true, {}, {}, 1, 64};
  const http::FieldSpec requested{"capabilities_requested", FieldType::kArray, true, {}, {}, 0, 64};
  const http::FieldSpec context{"task_context", FieldType::kObject, false, {}, {}, {}, {}, 4096};
  auto mint = json_body({agent_type, requested, context});
  auto delegation = json_body({agent_type, requested, {"restrictions", FieldType::kObject, false, {}, {}, {}, {}, 4096},
                               context});
  // The parent agent's token is checked before the body is parsed, as a user's would be.
  delegation.authenticate = [svc](http::Exchange& ex) -> std::optional<ApiError> {
    auto agent = require_agent(ex, svc);
    if (!agent) return agent.error();
    return std::nullopt;
  };
  auto question = json_body({{"token", FieldType::kString, false, {}, {}, 1, 16384},
                             {"capability", FieldType::kString, true, {}, {}, 1, 64},
                             {"resource", FieldType::kObject, false, {}, {}, {}, {}, 8192}});
  question.commits = false;  // a decision: its audit row goes through the audit writer
  auto grants = json_body({{"grants", FieldType::kArray, true, {}, {}, 0, 100}});
  add_routes(router, svc,
             {
                 {Verb::get, "/api/v2/agents/types", tier::kUser, access::kUser, list_types},
                 // per user minting
                 {Verb::post, "/api/v2/auth/agents/authenticate", tier::kAgent, access::kUser, authenticate, mint},
                 // per parent agent
                 {Verb::post, "/api/v2/auth/agents/delegate", tier::kAgent, access::kAgent, delegate, delegation},
                 // per tool server, or per agent asking about itself
                 {Verb::post, "/api/v2/auth/agents/verify", tier::kAgent, access::kServiceClient, verify, question},
                 {Verb::get, "/api/v2/auth/agents/tokens", tier::kAgent, access::kUser, list_tokens},
                 {Verb::delete_, "/api/v2/auth/agents/tokens/{id}", tier::kAgent, access::kUser, revoke_token},
                 {Verb::get, "/api/v2/admin/roles/{role}/agent-grants", tier::kAdmin, access::permission("users:read"),
                  get_grants},
                 {Verb::put, "/api/v2/admin/roles/{role}/agent-grants", tier::kAdmin, access::permission("roles:write"),
                  put_grants, grants},
             });
}

}  // namespace archon::api
