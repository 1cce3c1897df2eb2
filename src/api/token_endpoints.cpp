// POST /api/v2/auth/introspect (RFC 7662) and /api/v2/auth/revoke (RFC 7009). Both take
// `token`, an optional `token_type_hint` and (RFC 6749 §2.3.1, public clients) an optional
// `client_id`, form-encoded as the RFCs define or as JSON as the rest of this API is.
// The request's style picks the answer's: a form request (what OAuth libraries send) gets
// RFC 7662's plain JSON object with `active` at the top; a JSON request gets the envelope.
#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse_query.hpp>

#include <set>

#include "api/api_key_auth.hpp"
#include "api/authn.hpp"
#include "api/caller_auth.hpp"
#include "api/route_table.hpp"
#include "crypto/random.hpp"
#include "api/routes.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"
#include "http/exchange.hpp"
#include "http/json_body.hpp"

namespace archon::api {
namespace {

using Task = boost::asio::awaitable<void>;

struct TokenRequest {
  std::string token;
  std::string token_type_hint;
  std::optional<std::string> client_id;
  bool form = false;  // form-encoded (OAuth style) rather than JSON
};

bool is_form(std::string_view content_type) {
  auto semi = content_type.find(';');
  std::string media(content_type.substr(0, semi));
  for (auto& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  return media == "application/x-www-form-urlencoded";
}

Expected<TokenRequest, ApiError> read_token_request(const http::Request& req) {
  auto ct_it = req.find(http::bhttp::field::content_type);
  std::string_view ct = ct_it == req.end() ? std::string_view() : std::string_view(ct_it->value().data(), ct_it->value().size());
  TokenRequest out;
  if (is_form(ct)) {
    // The body is a std::string, so NUL-terminated: Boost.URL 1.81's parse_query relies on it.
    auto params = boost::urls::parse_query(req.body());
    if (!params) return Unexpected{ApiError::make(ErrorCode::kValidationInvalidFormat, {{"body", "Malformed form"}})};
    boost::json::object unknown;
    std::set<std::string> seen;
    boost::urls::encoding_opts form_encoding;
    form_encoding.space_as_plus = true;  // application/x-www-form-urlencoded
    for (auto p : *params) {
      std::string key = p.key.decode(form_encoding);
      std::string value = p.value.decode(form_encoding);
      if (key != "token" && key != "token_type_hint" && key != "client_id") {
        unknown[key] = "This field is not accepted";
        continue;
      }
      if (!seen.insert(key).second)  // RFC 6749 §3.1: parameters must not repeat
        return Unexpected{ApiError::make(ErrorCode::kValidationInvalidFormat, {{key, "Must appear once"}})};
      if (key == "token") out.token = std::move(value);
      else if (key == "token_type_hint") out.token_type_hint = std::move(value);
      else out.client_id = std::move(value);
    }
    out.form = true;
    if (!unknown.empty()) return Unexpected{ApiError::make(ErrorCode::kValidationUnknownField, std::move(unknown))};
  } else if (http::is_json_content_type(ct)) {
    static const http::BodySchema schema{{
        // No length bounds: an oversized or empty token is an inactive token or a missing field,
        // answered the same as in the form encoding (RFC 7662 §2.2, RFC 7009 §2.2).
        {"token", http::FieldType::kString, true},
        {"token_type_hint", http::FieldType::kString, false, {}, {}, 0, 64},
        {"client_id", http::FieldType::kString, false, {}, {}, 1, 256},
    }};
    auto body = http::read_json_body(req, &schema);
    if (!body) return Unexpected{body.error()};
    out.token = std::string(body->at("token").as_string());
    if (auto h = body->find("token_type_hint"); h != body->end() && h->value().is_string())
      out.token_type_hint = std::string(h->value().get_string());
    if (auto c = body->find("client_id"); c != body->end() && c->value().is_string())
      out.client_id = std::string(c->value().get_string());
  } else {
    return Unexpected{ApiError::make(
        ErrorCode::kValidationUnsupportedMediaType, "Content-Type must be application/x-www-form-urlencoded or application/json",
        {{"content_type", "Must be application/x-www-form-urlencoded or application/json"}})};
  }
  if (out.client_id && (out.client_id->empty() || out.client_id->size() > 256))
    return Unexpected{ApiError::make(ErrorCode::kValidationInvalidFormat, {{"client_id", "Must be 1 to 256 characters"}})};
  if (out.token.empty()) return Unexpected{ApiError::make(ErrorCode::kValidationRequiredField, {{"token", "This field is required"}})};
  static const char* kHints[] = {"", "access_token", "refresh_token", "agent_token"};
  if (std::find(std::begin(kHints), std::end(kHints), out.token_type_hint) == std::end(kHints))
    return Unexpected{ApiError::make(ErrorCode::kValidationInvalidFormat,
                                     {{"token_type_hint", "Must be access_token, refresh_token or agent_token"}})};
  return out;
}

// A client_id in the body names the client (RFC 6749 §2.3.1); with credentials in the header as
// well, both must name the same client (a client uses one authentication method).
std::optional<ApiError> check_client_id(const TokenRequest& request, const std::optional<Caller>& caller) {
  if (!request.client_id || !caller) return std::nullopt;
  if (caller->kind == Caller::Kind::kServiceClient && caller->id == *request.client_id) return std::nullopt;
  return ApiError::make(ErrorCode::kAuthTokenInvalid, "The credential is not valid",
                        {{"client_id", "Does not match the authenticated client"}});
}

void reply_introspection(http::Exchange& ex, const TokenRequest& request, boost::json::object answer) {
  if (request.form) ex.reply_raw(http::Status::ok, "application/json", json::write(answer));
  else ex.reply(std::move(answer));
}

void challenge(http::Exchange& ex) {
  ex.response().set(http::bhttp::field::www_authenticate, "Basic realm=\"archon-auth\", Bearer realm=\"archon-auth\"");
}

Task introspect(http::Exchange& ex, const Services& svc, const CallerToken&) {
  auto caller = authenticate_service_caller(ex, svc, "tokens:introspect");
  if (!caller || !*caller) {
    if (auto limited = limit_unauthenticated(ex)) {
      ex.fail(std::move(*limited));
      co_return;
    }
    if (!caller) {
      if (caller.error().code == ErrorCode::kAuthTokenInvalid) challenge(ex);
      ex.fail(caller.error());
    } else {
      challenge(ex);
      ex.fail(ApiError::make(ErrorCode::kAuthTokenInvalid, "Authentication required",
                             {{"authorization", "Use Basic client credentials or an admin Bearer token"}}));
    }
    co_return;
  }
  if (auto limited = ex.limit_subject((*caller)->id)) {
    ex.fail(std::move(*limited));
    co_return;
  }
  auto request = read_token_request(ex.request());
  if (!request) {
    ex.fail(request.error());
    co_return;
  }
  if (auto mismatch = check_client_id(*request, *caller)) {
    challenge(ex);
    ex.fail(std::move(*mismatch));
    co_return;
  }
  auto verified = svc.token_service->verify_any(request->token);
  if (!verified) {
    reply_introspection(ex, *request, boost::json::object{{"active", false}});  // RFC 7662 §2.2: nothing more
    co_return;
  }
  note_token_cache(ex, svc, verified->cache_hit);
  const auto& t = *verified->token;
  boost::json::object data = t.claims;
  data["active"] = true;
  data["token_type"] = t.kind == tokens::TokenKind::kAccess ? "access_token" : "agent_token";
  reply_introspection(ex, *request, std::move(data));
}

Task revoke(http::Exchange& ex, const Services& svc, const CallerToken&) {
  // Possession of a token is authority to revoke it (RFC 7009 public clients); a credential,
  // if one is sent, must still be valid.
  auto caller = authenticate_service_caller(ex, svc, "tokens:revoke");
  // Any valid credential will do here, an ordinary user's access token included (a 403 from
  // the admin check is not a reason to refuse); only a credential that fails is refused.
  // A key, though, must hold tokens:revoke: a key scoped elsewhere is refused, not ignored.
  if (!caller && (caller.error().code == ErrorCode::kAuthTokenInvalid || has_api_key(ex.request()))) {
    if (caller.error().code == ErrorCode::kAuthTokenInvalid) challenge(ex);
    ex.fail(caller.error());
    co_return;
  }
  auto request = read_token_request(ex.request());
  if (!request) {
    ex.fail(request.error());
    co_return;
  }
  if (auto mismatch = check_client_id(*request, caller ? *caller : std::nullopt)) {
    challenge(ex);
    ex.fail(std::move(*mismatch));
    co_return;
  }
  // RFC 7009 §2.2: the answer is the same whether the token was valid, unknown or expired,
  // so revocation is no oracle.
  auto verified = svc.token_service->verify_any(request->token);
  std::string by = caller && *caller ? (*caller)->id : std::string("holder");
  if (!verified) {  // not a JWT of ours: perhaps an opaque refresh token, which ends its whole session
    svc.sessions->revoke_by_refresh_token(request->token, by, request_info(ex));
  } else {
    const auto& t = *verified->token;
    svc.token_service->revocations().revoke(tokens::RevocationSubject::kJti, t.jti,
                                            t.expires_at + svc.tokens_config->leeway.count());
    // An agent token takes its descendants with it, as DELETE /auth/agents/tokens/{id} does.
    if (t.kind == tokens::TokenKind::kAgent && !t.lineage.empty()) svc.agents->revoke_lineage(t.lineage.front());
    log::info("token revoked", {{"request_id", ex.context().request_id},
                                {"jti", t.jti},
                                {"kind", tokens::kind_name(t.kind)},
                                {"by", by}});
  }
  ex.reply(nullptr);
  co_return;
}

}  // namespace

void register_token_routes(http::Router& router, const Services& svc) {
  using http::Verb;
  http::RouteOptions read_only;
  read_only.commits = false;  // reads only: answers from the verified-token cache
  add_routes(router, svc,
             {
                 // per caller (client id or admin)
                 {Verb::post, "/api/v2/auth/introspect", tier::kUser, access::kServiceClient, introspect, read_only},
                 // possession only: per address
                 {Verb::post, "/api/v2/auth/revoke", tier::kUserByAddress, access::kTokenHolder, revoke},
             });
}

}  // namespace archon::api
