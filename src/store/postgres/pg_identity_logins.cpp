// PgIdentityStore: login-failure counters. Each operation first takes the email's advisory
// lock, so attempts on one account count one at a time across every instance (the rows may not
// exist yet, so a row lock would not do) while other accounts proceed in parallel.
#include <algorithm>

#include "store/postgres/pg_identity_store.hpp"

namespace archon::store {

LoginAttempt PgIdentityStore::begin_login_attempt(const std::string& email, const std::string& client,
                                                  const LoginLimits& limits, std::int64_t now) {
  return db_.transaction([&](PgConnection& c) {
    lock_advisory(c, PgLock::kLogin, email);
    LoginAttempt out;
    // Account-wide ceiling first (NIST SP 800-63B throttling), across every address.
    std::int64_t window_start = now, failures = 0, account_locked = 0;
    auto account = c.query("login_account_get",
                           "SELECT window_start, failures, locked_until FROM login_account_failures "
                           "WHERE email_normalized = $1",
                           {email});
    if (!account.empty()) {
      window_start = account.row(0).int64(0);
      failures = account.row(0).int64(1);
      account_locked = account.row(0).int64(2);
    }
    if (now - window_start >= limits.account_window_seconds) {
      window_start = now;
      failures = 0;
    }
    std::int64_t consecutive = 0, pair_locked = 0;
    auto pair = c.query("login_pair_get",
                        "SELECT consecutive, locked_until FROM login_failures "
                        "WHERE email_normalized = $1 AND client_address = $2",
                        {email, client});
    if (!pair.empty()) {
      consecutive = pair.row(0).int64(0);
      pair_locked = pair.row(0).int64(1);
    }
    if (pair_locked > now || account_locked > now) {
      out.allowed = false;
      out.locked_until = std::max(pair_locked, account_locked);
      return out;
    }
    if (pair_locked && pair_locked <= now) consecutive = 0;  // a served lock starts a fresh count
    // Reserve this attempt as a failure; login_succeeded() takes it back.
    ++consecutive;
    ++failures;
    std::int64_t new_pair_lock = consecutive >= limits.pair_failures ? now + limits.pair_lock_seconds : 0;
    std::int64_t new_account_lock = failures >= limits.account_failures ? now + limits.account_lock_seconds : 0;
    c.query("login_pair_put",
            "INSERT INTO login_failures (email_normalized, client_address, consecutive, locked_until, updated_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email_normalized, client_address) DO UPDATE SET "
            "consecutive = excluded.consecutive, locked_until = excluded.locked_until, "
            "updated_at = excluded.updated_at",
            {email, client, consecutive, new_pair_lock, now});
    c.query("login_account_put",
            "INSERT INTO login_account_failures (email_normalized, window_start, failures, locked_until) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (email_normalized) DO UPDATE SET "
            "window_start = excluded.window_start, failures = excluded.failures, locked_until = excluded.locked_until",
            {email, window_start, failures, new_account_lock});
    out.allowed = true;
    out.attempts_remaining = static_cast<int>(std::max<std::int64_t>(0, limits.pair_failures - consecutive));
    out.locked_until = std::max(new_pair_lock, new_account_lock);
    return out;
  });
}

void PgIdentityStore::login_succeeded(const std::string& email, const std::string& client) {
  db_.transaction([&](PgConnection& c) {
    lock_advisory(c, PgLock::kLogin, email);
    c.query("login_pair_clear", "DELETE FROM login_failures WHERE email_normalized = $1 AND client_address = $2",
            {email, client});
    c.query("login_account_give_back",
            "UPDATE login_account_failures SET failures = GREATEST(failures - 1, 0) WHERE email_normalized = $1",
            {email});
  });
}

void PgIdentityStore::cancel_login_attempt(const std::string& email, const std::string& client) {
  db_.transaction([&](PgConnection& c) {
    lock_advisory(c, PgLock::kLogin, email);
    // A reservation is only made while unlocked, so any lock now is this attempt's own.
    c.query("login_pair_cancel",
            "UPDATE login_failures SET consecutive = GREATEST(consecutive - 1, 0), locked_until = 0 "
            "WHERE email_normalized = $1 AND client_address = $2",
            {email, client});
    c.query("login_account_cancel",
            "UPDATE login_account_failures SET failures = GREATEST(failures - 1, 0), locked_until = 0 "
            "WHERE email_normalized = $1",
            {email});
  });
}

}  // namespace archon::store
