// The identity and session store: users, roles, sessions, refresh tokens, email tokens,
// login-failure counters and the audit trail. Each method is one atomic business operation
// (the backend runs it in one transaction), so callers never see a half-written change and
// the same contract holds on SQLite and PostgreSQL. Implementations are thread-safe.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/mail_outbox_repository.hpp"

namespace archon::store {

struct UserRecord {
  std::string id;
  std::string email;
  std::string email_normalized;
  std::string name;
  std::string password_hash;
  bool email_verified = false;
  bool is_active = true;
  bool marketing_consent = false;
  std::string preferences = "{}";  // JSON object text
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> last_login;
  std::vector<std::string> roles;        // filled on reads
  std::vector<std::string> permissions;  // filled on reads, from the roles
};

struct EmailTokenRecord {
  std::string token_hash;  // SHA-256 of the token mailed
  std::string user_id;
  std::string purpose;     // "verify_email" | "password_reset"
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
};

struct SessionRecord {
  std::string id;
  std::string user_id;
  std::int64_t created_at = 0;
  std::int64_t last_seen_at = 0;
  std::int64_t idle_expires_at = 0;
  std::int64_t absolute_expires_at = 0;
  bool remember_me = false;
  std::string client_address;
  std::string user_agent;
  std::string device_info = "{}";
  std::optional<std::int64_t> revoked_at;
};

struct RefreshTokenRecord {
  std::string token_hash;
  std::string session_id;
  std::optional<std::string> parent_hash;
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
};

// One email's login-failure counters as stored: for one (email, client address) pair, and
// across every address. The rules that read and change them live in the sessions service
// (sessions/login_throttle.hpp); absent rows read as zeros.
struct LoginCounters {
  std::int64_t consecutive = 0;        // the pair's failures in a row
  std::int64_t pair_locked_until = 0;  // epoch seconds; 0: not locked
  std::int64_t window_start = 0;       // the account-wide counting window
  std::int64_t failures = 0;           // failures in that window, from every address
  std::int64_t account_locked_until = 0;
  bool operator==(const LoginCounters&) const = default;
};

// What the refresh-rotation rules read about a presented refresh token, under its family's lock
// (sessions/refresh_rotation.hpp decides; the store only reads and writes).
struct RefreshFamilyState {
  bool found = false;  // false: never issued (or deleted with its session or user)
  std::string session_id;
  std::string user_id;
  bool session_revoked = false;
  bool user_active = false;
  std::int64_t idle_expires_at = 0;
  std::int64_t absolute_expires_at = 0;
  std::int64_t token_expires_at = 0;
  bool rotated = false;          // the token already has a successor
  std::int64_t rotated_at = 0;
  bool child_is_newest = false;  // that successor has not been rotated itself
  std::string child_sealed;      // the successor, sealed, while kept for the grace window
};

// The writes a rotation decision asks for, applied in the same transaction as the read.
struct RefreshWrites {
  enum class Kind { kNone, kRotate, kRevokeSession };
  Kind kind = Kind::kNone;
  // kRotate: the successor (its hash and created_at; the store sets session, parent and expiry
  // = the session's absolute expiry), kept sealed for replays; older generations' sealed copies
  // are dropped when rotated before forget_sealed_before; the session is touched (last seen
  // now, idle expiry idle_expires_at, kept within the absolute expiry).
  RefreshTokenRecord child;
  std::string sealed_child;
  std::int64_t now = 0;
  std::int64_t forget_sealed_before = 0;
  std::int64_t idle_expires_at = 0;
  std::string revoke_reason;  // kRevokeSession
};

// An administrator's change to a user, and what it takes with it (the caller's rules).
struct AdminChange {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> roles;
  std::optional<bool> is_active;
  std::optional<std::string> revoke_sessions;  // revoke every live session, with this reason
};

// What a password reset writes besides the new hash (the caller's rules).
struct PasswordResetWrites {
  std::string new_hash;
  std::optional<std::string> revoke_sessions;  // revoke every live session, with this reason
  bool clear_login_failures = false;           // the email's lockout counters start afresh
};

struct UserQuery {
  std::string q;                   // substring of email or name
  std::optional<std::string> role;
  std::optional<bool> is_active;
  std::string sort_by = "created_at";  // created_at | email | name | last_login
  bool descending = true;
  std::int64_t page = 1;
  std::int64_t limit = 20;
};

struct AuditEventRecord {
  std::int64_t seq = 0;
  std::int64_t at = 0;
  std::string event;     // "login", "register", ...
  std::string outcome;   // "success" | "failure" | "locked" | ...
  std::string actor;     // user id, client id, "anonymous" or "system"
  std::optional<std::string> user_id;  // whose account the event concerns
  std::string request_id;
  std::string client_address;
  std::string user_agent;
  std::string details = "{}";  // JSON object text; never secrets
  std::string prev_hash;
  std::string hash;
};

// What locks an email's logins now (administrators' view).
struct LoginLockState {
  std::int64_t locked_addresses = 0;            // (email, address) pairs locked now
  std::int64_t account_failures = 0;            // in the current window
  std::optional<std::int64_t> locked_until;     // the latest lock of any kind, if any is live
};

struct AuditQuery {
  std::optional<std::string> user_id;
  std::optional<std::string> event;
  std::optional<std::string> actor;
  std::optional<std::string> outcome;
  std::optional<std::int64_t> since;  // at >= since (epoch seconds)
  std::optional<std::int64_t> until;  // at < until
  std::int64_t page = 1;
  std::int64_t limit = 20;
};

class IdentityStore {
 public:
  virtual ~IdentityStore() = default;

  // --- users ---
  // Inserts the user, their roles, an email token and its mail. False if the email is taken.
  virtual bool create_user(const UserRecord& user, const std::vector<std::string>& roles,
                           const std::optional<EmailTokenRecord>& token, const std::optional<OutboxMessage>& mail) = 0;
  virtual std::optional<UserRecord> find_user_by_email(const std::string& email_normalized) = 0;
  virtual std::optional<UserRecord> find_user_by_id(const std::string& id) = 0;
  virtual void update_profile(const std::string& user_id, const std::optional<std::string>& name,
                              const std::optional<std::string>& preferences, std::int64_t now) = 0;
  virtual void update_password_hash(const std::string& user_id, const std::string& hash, std::int64_t now) = 0;
  // An admin change, serialized with every other one (on every instance). `stands` gets the
  // number of active users holding the admin role before and after it; when it says no, nothing
  // is written and ChangeRefused is thrown. Returns the ids of the sessions revoked.
  using AdminCountCheck = std::function<bool(std::int64_t admins_before, std::int64_t admins_after)>;
  virtual std::vector<std::string> update_user_admin(const std::string& user_id, const AdminChange& change,
                                                     std::int64_t now, const AdminCountCheck& stands) = 0;
  virtual std::pair<std::vector<UserRecord>, std::int64_t> list_users(const UserQuery& query) = 0;

  // --- email tokens and mail ---
  // Stores a new token and queues its mail; with `supersede_unused`, the user's unused tokens of
  // the same purpose die (serialized per user, so of two issued at once the later wins).
  virtual void issue_email_token(const EmailTokenRecord& token, const OutboxMessage& mail, bool supersede_unused) = 0;
  virtual void enqueue_mail(const OutboxMessage& mail, std::int64_t now) = 0;
  // Whose live (unused, unexpired) token of `purpose` this is; nothing is consumed.
  virtual std::optional<std::string> find_email_token_user(const std::string& token_hash, const std::string& purpose,
                                                           std::int64_t now) = 0;
  // Single use: marks the email verified; the user id, or nullopt if unknown, used or expired.
  virtual std::optional<std::string> verify_email(const std::string& token_hash, std::int64_t now) = 0;
  // Single use: consumes the live token and writes `writes`, in one transaction. Returns the
  // user id and the revoked session ids, or nullopt (unknown, used or expired: nothing written).
  virtual std::optional<std::pair<std::string, std::vector<std::string>>> reset_password(
      const std::string& token_hash, const PasswordResetWrites& writes, std::int64_t now) = 0;

  // --- login failures ---
  virtual LoginLockState login_lock_state(const std::string& email_normalized, std::int64_t now) = 0;
  // Forgets every failure and lock of the email (an administrator's unlock).
  virtual void clear_login_failures(const std::string& email_normalized) = 0;
  // One email's counters for one address, read under a lock that serializes every change to
  // that email's counters (on every instance); `decide` gets them and returns the counters to
  // store (nullopt: store nothing); all in one transaction. `decide` may run more than once
  // (a retried transaction), so it must depend on its argument only.
  virtual void update_login_counters(
      const std::string& email_normalized, const std::string& client_address, std::int64_t now,
      const std::function<std::optional<LoginCounters>(const LoginCounters&)>& decide) = 0;

  // --- sessions and refresh tokens ---
  // Creates the session and its first refresh token; records last_login; optionally replaces
  // the password hash (rehash on login).
  virtual void create_session(const SessionRecord& session, const RefreshTokenRecord& refresh,
                              const std::optional<std::string>& new_password_hash) = 0;
  // A presented refresh token's family, read under the family's lock (the session row), then
  // the writes `decide` asks for, in one transaction. `decide` may run more than once (a
  // retried transaction), so it must depend on its argument only.
  virtual void update_refresh_family(const std::string& presented_hash,
                                     const std::function<RefreshWrites(const RefreshFamilyState&)>& decide) = 0;
  virtual std::optional<SessionRecord> find_session(const std::string& session_id) = 0;
  virtual std::vector<SessionRecord> list_active_sessions(const std::string& user_id, std::int64_t now) = 0;
  // scope: "local" (just session_id), "others" (all but session_id), "global" (all).
  virtual std::vector<std::string> revoke_sessions(const std::string& user_id, const std::string& scope,
                                                   const std::string& session_id, const std::string& reason,
                                                   std::int64_t now) = 0;
  // RFC 7009 for refresh tokens: ends the session the token belongs to (its whole family).
  // Returns the session id, or nullopt for an unknown token.
  virtual std::optional<std::string> revoke_session_by_refresh_token(const std::string& token_hash,
                                                                     std::int64_t now) = 0;
  // One session of one user; false if it is not theirs or not active.
  virtual bool revoke_user_session(const std::string& user_id, const std::string& session_id,
                                   const std::string& reason, std::int64_t now) = 0;

  // --- audit ---
  // Appends with hash chaining (prev_hash and hash are computed by the store).
  virtual void append_audit(AuditEventRecord event) = 0;
  // Appends several, in order; a backend may commit them together (all or none).
  virtual void append_audit_batch(std::vector<AuditEventRecord> events) {
    for (auto& e : events) append_audit(std::move(e));
  }
  virtual std::pair<std::vector<AuditEventRecord>, std::int64_t> list_audit(const AuditQuery& query) = 0;
  // Every event, oldest first, for chain verification.
  virtual std::vector<AuditEventRecord> all_audit_events() = 0;
};

// The audit chain: hash = SHA-256(prev_hash || canonical fields). Shared by the stores (to
// append) and `archon-auth audit verify` (to check).
std::string audit_event_hash(const AuditEventRecord& event);

}  // namespace archon::store
