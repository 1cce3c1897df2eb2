#include "api/caller_auth.hpp"

#include <algorithm>

#include <sodium.h>

#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>

#include "crypto/random.hpp"
#include "identity/roles.hpp"

namespace archon::api {
namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

// RFC 6749 §2.3.1: the client id and secret inside HTTP Basic are each
// application/x-www-form-urlencoded ("svc%5Fabc" is "svc_abc", '+' is a space). Ids that need
// no encoding decode to themselves, so clients that send them raw keep working.
std::optional<std::string> form_decode(std::string_view encoded) {
  auto pct = boost::urls::make_pct_string_view(encoded);
  if (!pct) return std::nullopt;  // a stray '%' or a bad escape
  boost::urls::encoding_opts form;
  form.space_as_plus = true;
  return pct->decode(form);
}

ApiError unauthenticated(const char* why) {
  return ApiError::make(ErrorCode::kAuthTokenInvalid, "The credential is not valid", {{"authorization", why}});
}

}  // namespace

std::string_view bearer_token(const http::Request& request) {
  auto it = request.find(http::bhttp::field::authorization);
  if (it == request.end()) return {};
  std::string_view v(it->value().data(), it->value().size());
  if (!iequals_prefix(v, "Bearer ")) return {};
  v.remove_prefix(7);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return v;
}

std::string hash_client_secret(std::string_view secret) {
  unsigned char md[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(md, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  return std::string(reinterpret_cast<const char*>(md), sizeof md);
}

Expected<std::optional<Caller>, ApiError> authenticate_caller(const http::Request& request,
                                                              const tokens::TokenService& tokens,
                                                              store::ServiceClientRepository& clients,
                                                              store::IdentityStore* users) {
  auto it = request.find(http::bhttp::field::authorization);
  if (it == request.end()) return std::optional<Caller>{};
  std::string_view v(it->value().data(), it->value().size());

  if (iequals_prefix(v, "Basic ")) {
    std::string_view b64 = v.substr(6);
    if (b64.size() > 1024) return Unexpected{unauthenticated("Malformed Basic credentials")};
    std::string decoded(b64.size(), '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), b64.data(), b64.size(),
                          nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
      return Unexpected{unauthenticated("Malformed Basic credentials")};
    decoded.resize(len);
    auto colon = decoded.find(':');
    if (colon == std::string::npos || colon == 0) return Unexpected{unauthenticated("Malformed Basic credentials")};
    auto client_id = form_decode(std::string_view(decoded).substr(0, colon));
    auto secret = form_decode(std::string_view(decoded).substr(colon + 1));
    sodium_memzero(decoded.data(), decoded.size());
    if (!client_id || !secret || client_id->empty()) {
      if (secret) sodium_memzero(secret->data(), secret->size());
      return Unexpected{unauthenticated("Malformed Basic credentials")};
    }
    std::string presented = hash_client_secret(*secret);
    sodium_memzero(secret->data(), secret->size());
    auto client = clients.find_service_client(*client_id);
    // Compare against a fixed hash when the client is unknown, so timing does not tell.
    static const std::string kNoClient = hash_client_secret("no such client");
    const std::string& expected = client ? client->secret_hash : kNoClient;
    bool match = crypto::constant_time_equal(expected, presented);
    if (!client || !match || client->disabled_at) return Unexpected{unauthenticated("Unknown client or wrong secret")};
    return std::optional<Caller>{Caller{Caller::Kind::kServiceClient, std::move(*client_id)}};
  }

  std::string_view token = bearer_token(request);
  if (token.empty()) return Unexpected{unauthenticated("Use Basic client credentials or a Bearer token")};
  auto verified = tokens.verify(token, tokens::TokenKind::kAccess);
  if (!verified) return Unexpected{unauthenticated("The bearer token is not a valid access token")};
  // A real user's current roles decide (a demotion counts at once); a service account minted
  // by `archon-auth tokens issue` has no user row, so its signed roles claim decides.
  bool admin = false;
  auto user = users ? users->find_user_by_id(verified->token->subject) : std::nullopt;
  if (user) {
    admin = user->is_active && std::find(user->roles.begin(), user->roles.end(), identity::kAdminRole) != user->roles.end();
  } else {
    const auto& claims = verified->token->claims;
    if (auto r = claims.find("roles"); r != claims.end() && r->value().is_array())
      for (const auto& role : r->value().get_array()) admin |= role.is_string() && role.get_string() == identity::kAdminRole;
  }
  if (!admin)
    return Unexpected{ApiError::make(ErrorCode::kAuthInsufficientPermissions, {{"required_role", "admin"}})};
  return std::optional<Caller>{Caller{Caller::Kind::kAdminUser, verified->token->subject}};
}

}  // namespace archon::api
