#include "apikeys/api_key_service.hpp"

#include <algorithm>
#include <chrono>

#include "apikeys/api_key_format.hpp"
#include "crypto/random.hpp"
#include "core/log.hpp"
#include "tokens/keyring.hpp"

namespace archon::apikeys {
namespace {

std::string new_key_id() {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  return "key_" + crypto::time_ordered_hex_id(millis.count());
}

}  // namespace

bool is_scope(std::string_view scope) noexcept {
  return std::find(std::begin(kScopes), std::end(kScopes), scope) != std::end(kScopes);
}

bool holds_scope(const store::ApiKeyRecord& key, std::string_view scope) noexcept {
  return std::find(key.scopes.begin(), key.scopes.end(), scope) != key.scopes.end();
}

CreatedApiKey ApiKeyService::create(const std::string& admin_id, NewApiKey request, const audit::RequestInfo& info) {
  CreatedApiKey out;
  out.key = generate_api_key();
  auto& r = out.record;
  r.id = new_key_id();
  r.name = std::move(request.name);
  r.prefix = out.key.substr(0, kDisplayPrefixChars);
  r.key_hash = crypto::sha256(out.key);
  r.scopes = std::move(request.scopes);
  r.created_by = admin_id;
  r.created_at = tokens::system_epoch_seconds();
  if (request.lifetime_seconds) r.expires_at = r.created_at + *request.lifetime_seconds;
  repo_.insert_api_key(r);
  boost::json::array scopes;
  for (const auto& s : r.scopes) scopes.emplace_back(s);
  audit_.record(info, "api_key.created", "success", admin_id, std::nullopt,
                {{"api_key_id", r.id}, {"name", r.name}, {"scopes", std::move(scopes)}});
  return out;
}

std::pair<std::vector<store::ApiKeyRecord>, std::int64_t> ApiKeyService::list(std::int64_t page, std::int64_t limit) {
  return repo_.list_api_keys((page - 1) * limit, limit);
}

std::optional<store::ApiKeyRecord> ApiKeyService::find(const std::string& id) { return repo_.find_api_key(id); }

std::optional<store::ApiKeyRecord> ApiKeyService::revoke(const std::string& admin_id, const std::string& id,
                                                         const audit::RequestInfo& info) {
  auto now = tokens::system_epoch_seconds();
  auto record = repo_.revoke_api_key(id, now);
  if (record && record->revoked_at == now)
    audit_.record(info, "api_key.revoked", "success", admin_id, std::nullopt, {{"api_key_id", id}});
  return record;
}

std::optional<store::ApiKeyRecord> ApiKeyService::authenticate(std::string_view presented) {
  if (!is_well_formed_api_key(presented)) return std::nullopt;
  auto key = repo_.find_api_key_by_hash(crypto::sha256(presented));
  auto now = tokens::system_epoch_seconds();
  if (!key || key->revoked_at || (key->expires_at && *key->expires_at <= now)) return std::nullopt;
  note_use(*key, now);
  return key;
}

void ApiKeyService::note_use(const store::ApiKeyRecord& key, std::int64_t now) {
  {
    std::lock_guard lock(touch_mu_);
    auto& last = last_touch_[key.id];
    if (now - last < kTouchIntervalSeconds) return;
    last = now;
    if (last_touch_.size() > 100000) last_touch_.clear();  // bounded: forgetting only costs a write
  }
  try {
    repo_.touch_api_key(key.id, now);
  } catch (const std::exception& e) {
    log::warn("api key last-use not recorded", {{"api_key_id", key.id}, {"error", e.what()}});
  }
}

}  // namespace archon::apikeys
