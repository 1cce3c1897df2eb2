// SqlIdentityStore: login-failure counters. Each change first takes the email's lock
// (PostgreSQL: an advisory lock, as the rows may not exist yet), so attempts on one account
// count one at a time across every instance while other accounts proceed in parallel. The
// rules live in sessions/login_throttle.cpp; this reads and writes rows.
#include "store/sql/sql_identity_store.hpp"

namespace archon::store {

void SqlIdentityStore::update_login_counters(
    const std::string& email, const std::string& client, std::int64_t at,
    const std::function<std::optional<LoginCounters>(const LoginCounters&)>& decide) {
  static const sql::Sql kPairGet(
      "SELECT consecutive, locked_until FROM login_failures WHERE email_normalized = $1 AND client_address = $2");
  static const sql::Sql kAccountGet(
      "SELECT window_start, failures, locked_until FROM login_account_failures WHERE email_normalized = $1");
  static const sql::Sql kPairPut(
      "INSERT INTO login_failures (email_normalized, client_address, consecutive, locked_until, updated_at) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email_normalized, client_address) DO UPDATE SET "
      "consecutive = excluded.consecutive, locked_until = excluded.locked_until, updated_at = excluded.updated_at");
  static const sql::Sql kPairDelete(
      "DELETE FROM login_failures WHERE email_normalized = $1 AND client_address = $2");
  static const sql::Sql kAccountPut(
      "INSERT INTO login_account_failures (email_normalized, window_start, failures, locked_until) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (email_normalized) DO UPDATE SET "
      "window_start = excluded.window_start, failures = excluded.failures, locked_until = excluded.locked_until");
  static const sql::Sql kAccountDelete("DELETE FROM login_account_failures WHERE email_normalized = $1");
  db_.transaction([&](sql::Connection& c) {
    c.lock(sql::Lock::kLogin, email);
    LoginCounters stored;
    if (auto pair = c.query(kPairGet, {email, client}); !pair.empty()) {
      stored.consecutive = pair.row(0).int64(0);
      stored.pair_locked_until = pair.row(0).int64(1);
    }
    if (auto account = c.query(kAccountGet, {email}); !account.empty()) {
      stored.window_start = account.row(0).int64(0);
      stored.failures = account.row(0).int64(1);
      stored.account_locked_until = account.row(0).int64(2);
    }
    auto next = decide(stored);
    if (!next || *next == stored) return;
    // A zero row is no row: an account's counters are kept only while they count something.
    if (next->consecutive == 0 && next->pair_locked_until == 0) c.query(kPairDelete, {email, client});
    else c.query(kPairPut, {email, client, next->consecutive, next->pair_locked_until, at});
    if (next->failures == 0 && next->account_locked_until == 0) c.query(kAccountDelete, {email});
    else c.query(kAccountPut, {email, next->window_start, next->failures, next->account_locked_until});
  });
}

LoginLockState SqlIdentityStore::login_lock_state(const std::string& email, std::int64_t now) {
  static const sql::Sql kPairs(
      "SELECT COUNT(*), MAX(locked_until) FROM login_failures WHERE email_normalized = $1 AND locked_until > $2");
  static const sql::Sql kAccount(
      "SELECT failures, locked_until FROM login_account_failures WHERE email_normalized = $1");
  return db_.snapshot([&](sql::Connection& c) {
    LoginLockState state;
    auto pairs = c.query(kPairs, {email, now});
    state.locked_addresses = pairs.row(0).int64(0);
    if (!pairs.row(0).is_null(1)) state.locked_until = pairs.row(0).int64(1);
    if (auto account = c.query(kAccount, {email}); !account.empty()) {
      state.account_failures = account.row(0).int64(0);
      std::int64_t until = account.row(0).int64(1);
      if (until > now) state.locked_until = std::max(state.locked_until.value_or(0), until);
    }
    return state;
  });
}

void SqlIdentityStore::clear_login_failures(const std::string& email) {
  static const sql::Sql kPairs("DELETE FROM login_failures WHERE email_normalized = $1");
  static const sql::Sql kAccount("DELETE FROM login_account_failures WHERE email_normalized = $1");
  db_.transaction([&](sql::Connection& c) {
    c.lock(sql::Lock::kLogin, email);  // not interleaved with an attempt's counting
    c.query(kPairs, {email});
    c.query(kAccount, {email});
  });
}

}  // namespace archon::store
