#include "tokens/revocation_list.hpp"

#include <mutex>

namespace archon::tokens {
namespace {
const char* subject_name(RevocationSubject s) {
  switch (s) {
    case RevocationSubject::kJti: return "jti";
    case RevocationSubject::kSession: return "session";
    case RevocationSubject::kFamily: return "family";
  }
  return "jti";
}
}  // namespace

RevocationList::RevocationList(store::RevocationRepository& repository, EpochClock clock)
    : repository_(repository), clock_(std::move(clock)) {}

void RevocationList::load() {
  auto records = repository_.list_live_revocations(clock_());
  std::unique_lock lock(mu_);
  for (const auto& r : records) {
    for (auto s : {RevocationSubject::kJti, RevocationSubject::kSession, RevocationSubject::kFamily})
      if (r.subject_kind == subject_name(s)) {
        auto& slot = map_for(s)[r.subject_id];
        slot = std::max(slot, r.expires_at);
      }
  }
}

void RevocationList::revoke(RevocationSubject subject, const std::string& id, std::int64_t expires_at) {
  repository_.insert_revocation({subject_name(subject), id, expires_at, clock_()});
  {
    std::unique_lock lock(mu_);
    auto& slot = map_for(subject)[id];
    slot = std::max(slot, expires_at);
  }
  if (bus_) bus_->revoked(subject_name(subject), id, expires_at);
}

void RevocationList::remember(std::string_view kind, const std::string& id, std::int64_t expires_at) {
  for (auto s : {RevocationSubject::kJti, RevocationSubject::kSession, RevocationSubject::kFamily})
    if (kind == subject_name(s)) {
      std::unique_lock lock(mu_);
      auto& slot = map_for(s)[id];
      slot = std::max(slot, expires_at);
    }
}

bool RevocationList::is_revoked(RevocationSubject subject, std::string_view id) const {
  if (id.empty()) return false;
  {
    std::shared_lock lock(mu_);
    const auto& m = map_for(subject);
    if (m.find(std::string(id)) != m.end()) return true;
  }
  // Another instance's revocation may not have reached us: never accept on memory alone.
  if (bus_ && !bus_->coherent()) return repository_.is_revoked(subject_name(subject), std::string(id), clock_());
  return false;
}

void RevocationList::prune() {
  std::int64_t now = clock_();
  repository_.delete_expired_revocations(now);
  std::unique_lock lock(mu_);
  for (auto& m : maps_)
    std::erase_if(m, [&](const auto& kv) { return kv.second < now; });
}

std::size_t RevocationList::size() const {
  std::shared_lock lock(mu_);
  return maps_[0].size() + maps_[1].size() + maps_[2].size();
}

}  // namespace archon::tokens
