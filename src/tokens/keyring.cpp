#include "tokens/keyring.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <openssl/rand.h>

#include "core/json_writer.hpp"
#include "core/log.hpp"
#include "crypto/base64url.hpp"
#include "crypto/jws_algorithm.hpp"

namespace archon::tokens {
namespace {

constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

std::string new_kid(TokenKind kind, std::int64_t now) {
  unsigned char rnd[9];
  if (RAND_bytes(rnd, sizeof rnd) != 1) throw std::runtime_error("RAND_bytes failed");
  // "access-20261123-Xy3..." : readable in logs, unique, and within the JOSE kid charset.
  std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y%m%d", &tm);
  return std::string(kind_name(kind)) + "-" + date + "-" +
         crypto::base64url_encode(std::string_view(reinterpret_cast<const char*>(rnd), sizeof rnd));
}

// The associated data binds a sealed key to its row: moving ciphertext between rows fails.
std::string sealing_context(const std::string& kid, const std::string& kind, const std::string& alg) {
  return "archon-auth/signing-key/v1|" + kid + "|" + kind + "|" + alg;
}

crypto::JwsAlgorithm algorithm_of(const std::string& name) {
  auto alg = crypto::jws_algorithm_from_name(name);
  if (!alg) throw std::runtime_error("unsupported signing algorithm " + name);
  return *alg;
}

}  // namespace

std::int64_t system_epoch_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Keyring::Keyring(store::SigningKeyRepository& repository, const crypto::KeyEncryptionKey& kek, TokensConfig config,
                 EpochClock clock)
    : repository_(repository), kek_(kek), config_(std::move(config)), clock_(std::move(clock)) {}

store::SigningKeyRecord Keyring::create_key(TokenKind kind, std::int64_t activates_at) {
  const auto& cfg = kind_config(kind);
  std::int64_t now = clock_();
  std::string kid = new_kid(kind, now);
  auto key = crypto::SigningKey::generate(algorithm_of(cfg.algorithm), kid);
  store::SigningKeyRecord r;
  r.kid = kid;
  r.kind = std::string(kind_name(kind));
  r.alg = cfg.algorithm;
  r.public_jwk = json::write(key.public_jwk());
  std::string pem = key.to_pkcs8_pem();
  r.sealed_private = kek_.seal(pem, sealing_context(r.kid, r.kind, r.alg));
  std::fill(pem.begin(), pem.end(), '\0');
  r.created_at = now;
  r.activates_at = activates_at;
  repository_.insert_signing_key(r);
  signers_[kid] = std::make_shared<const crypto::SigningKey>(std::move(key));
  log::info("signing key created", {{"kid", r.kid}, {"kind", r.kind}, {"alg", r.alg}, {"activates_at", activates_at}});
  return r;
}

store::SigningKeyRecord Keyring::rotate(TokenKind kind, bool immediately) {
  std::lock_guard lock(refresh_mu_);
  return create_key(kind, clock_() + (immediately ? 0 : config_.propagation_delay.count()));
}

bool Keyring::refresh_for_unknown_kid() {
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  auto last = last_unknown_kid_refresh_ms_.load();
  if (now_ms - last < 1000 || !last_unknown_kid_refresh_ms_.compare_exchange_strong(last, now_ms)) return false;
  refresh();
  return true;
}

void Keyring::refresh() {
  std::lock_guard lock(refresh_mu_);
  std::int64_t now = clock_();
  auto records = repository_.list_signing_keys();

  for (TokenKind kind : {TokenKind::kAccess, TokenKind::kAgent}) {
    std::string name(kind_name(kind));
    const store::SigningKeyRecord* newest = nullptr;
    for (const auto& r : records)
      if (r.kind == name && r.alg == kind_config(kind).algorithm) newest = &r;
    bool none_for_algorithm = newest == nullptr;
    bool schedule_due = newest && kind_config(kind).rotate_every.count() > 0 &&
                        now >= newest->created_at + kind_config(kind).rotate_every.count();
    // A kind with no key for its configured algorithm (first start, or the algorithm changed in
    // config) gets one that signs at once; a scheduled rotation honours the propagation delay.
    if (none_for_algorithm) records.push_back(create_key(kind, now));
    else if (schedule_due) records.push_back(create_key(kind, now + config_.propagation_delay.count()));
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const auto& a, const auto& b) { return a.activates_at < b.activates_at; });

  auto snap = std::make_shared<KeySnapshot>();
  boost::json::array jwks;
  for (TokenKind kind : {TokenKind::kAccess, TokenKind::kAgent}) {
    std::string name(kind_name(kind));
    std::vector<const store::SigningKeyRecord*> mine;
    for (const auto& r : records)
      if (r.kind == name) mine.push_back(&r);
    const std::int64_t lifetime = kind_config(kind).lifetime.count() + config_.leeway.count();
    const store::SigningKeyRecord* signer = nullptr;
    for (std::size_t i = 0; i < mine.size(); ++i) {
      const auto& r = *mine[i];
      // Signs until the next key activates; published until the last token it signed expires.
      std::int64_t superseded_at = i + 1 < mine.size() ? mine[i + 1]->activates_at : kForever;
      std::int64_t published_until = superseded_at == kForever ? kForever : superseded_at + lifetime;
      if (published_until < now) {
        repository_.delete_signing_key(r.kid);
        signers_.erase(r.kid);
        log::info("signing key retired", {{"kid", r.kid}, {"kind", r.kind}});
        continue;
      }
      auto jwk = boost::json::parse(r.public_jwk).as_object();
      auto vk = crypto::VerificationKey::from_jwk(jwk, algorithm_of(r.alg), r.kid);
      if (!vk) throw std::runtime_error("stored public key " + r.kid + " is invalid: " + crypto::describe(vk.error()));
      snap->by_kid.emplace(r.kid, PublishedKey{std::move(*vk), kind, r.activates_at, published_until});
      jwks.push_back(std::move(jwk));
      if (r.activates_at <= now && r.alg == kind_config(kind).algorithm) signer = &r;
    }
    if (!signer) throw std::runtime_error("no active " + name + " signing key");
    auto it = signers_.find(signer->kid);
    if (it == signers_.end()) {
      auto pem = kek_.open(signer->sealed_private, sealing_context(signer->kid, signer->kind, signer->alg));
      if (!pem) throw std::runtime_error("signing key " + signer->kid + ": " + pem.error());
      auto key = crypto::SigningKey::from_pkcs8_pem(*pem, algorithm_of(signer->alg), signer->kid);
      std::fill(pem->begin(), pem->end(), '\0');
      if (!key) throw std::runtime_error("signing key " + signer->kid + ": " + crypto::describe(key.error()));
      it = signers_.emplace(signer->kid, std::make_shared<const crypto::SigningKey>(std::move(*key))).first;
    }
    (kind == TokenKind::kAccess ? snap->access_signer : snap->agent_signer) = it->second;
  }
  snap->jwks_json = json::write(boost::json::object{{"keys", std::move(jwks)}});
  snapshot_.store(std::shared_ptr<const KeySnapshot>(std::move(snap)));
}

}  // namespace archon::tokens
