#include "store/postgres/pg_pool.hpp"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include <libpq-fe.h>

namespace archon::store {
namespace {

// libpq's connect_timeout is whole seconds and treats anything below 2 as 2.
std::string connect_timeout_seconds(std::chrono::milliseconds timeout) {
  return std::to_string(std::max<std::int64_t>(2, (timeout.count() + 999) / 1000));
}

std::string trimmed(const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

}  // namespace

PgPool::PgPool(PgPoolConfig config) : config_(std::move(config)) {
  if (config_.max < 1 || config_.min < 0 || config_.min > config_.max)
    throw std::invalid_argument("database pool: need 0 <= min <= max and max >= 1");
  if (config_.command_timeout.count() <= 0 || config_.acquire_timeout.count() <= 0)
    throw std::invalid_argument("database pool: timeouts must be positive");

  // libpq's own message could quote the URL, password and all: keep it out.
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(config_.url.c_str(), &error);
  if (!options) {
    PQfreemem(error);
    throw std::invalid_argument("database URL is malformed (details withheld: it may contain a password)");
  }
  std::string host, port, dbname, user;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    std::string_view key = o->keyword;
    if (key == "password") secrets_.emplace_back(o->val);
    else if (key == "host" || (key == "hostaddr" && host.empty())) host = o->val;
    else if (key == "port") port = o->val;
    else if (key == "dbname") dbname = o->val;
    else if (key == "user") user = o->val;
  }
  PQconninfoFree(options);
  // The password as written in a URI (it may be percent-encoded there).
  if (auto scheme = config_.url.find("://"); scheme != std::string::npos) {
    auto at = config_.url.find('@', scheme + 3);
    auto slash = config_.url.find('/', scheme + 3);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      std::string userinfo = config_.url.substr(scheme + 3, at - scheme - 3);
      if (auto colon = userinfo.find(':'); colon != std::string::npos && colon + 1 < userinfo.size())
        secrets_.push_back(userinfo.substr(colon + 1));
    }
  }
  target_ = (user.empty() ? "" : user + "@") + (host.empty() ? "localhost" : host) + (port.empty() ? "" : ":" + port) +
            "/" + dbname;

  for (int i = 0; i < config_.min; ++i) {
    idle_.push_back(connect());
    ++open_;
  }
}

PgPool::~PgPool() = default;

std::string PgPool::scrub(std::string message) const {
  for (const auto& secret : secrets_) {
    for (auto pos = message.find(secret); pos != std::string::npos; pos = message.find(secret, pos + 3))
      message.replace(pos, secret.size(), "***");
  }
  return message;
}

std::unique_ptr<PgConnection> PgPool::connect() {
  std::string timeout = connect_timeout_seconds(config_.connect_timeout);
  std::string user_timeout = std::to_string(config_.command_timeout.count());
  // Entries before "dbname" are defaults the URL may override; those after it are required.
  // Keepalives find a dead peer under an idle connection; tcp_user_timeout one under a
  // connection with unacknowledged data.
  const char* keys[] = {"connect_timeout", "keepalives",       "keepalives_idle",  "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", "dbname",           "application_name",
                        "client_encoding", nullptr};
  const char* values[] = {timeout.c_str(), "1",  "30", "10", "3", user_timeout.c_str(), config_.url.c_str(),
                          config_.application_name.c_str(), "UTF8", nullptr};
  PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!raw) throw PgUnavailable("cannot connect to database " + target_ + ": out of memory");
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string message = scrub(trimmed(PQerrorMessage(raw)));
    PQfinish(raw);
    throw PgUnavailable("cannot connect to database " + target_ + ": " + message);
  }
  auto conn = std::make_unique<PgConnection>(raw, config_.command_timeout);
  // Server-side bound on every statement (lock waits included); set here rather than through
  // the "options" parameter so options given in the URL stay in force.
  conn->exec("SET statement_timeout = " + std::to_string(config_.command_timeout.count()));
  return conn;
}

PgPool::Lease PgPool::acquire() {
  auto deadline = std::chrono::steady_clock::now() + config_.acquire_timeout;
  std::unique_lock lock(mu_);
  for (;;) {
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();  // alive() reads the socket
      if (conn->alive()) return Lease(*this, std::move(conn));
      conn.reset();  // closed under us (a restart, a dropped network): replace it
      lock.lock();
      --open_;
    }
    if (open_ < config_.max) {
      ++open_;  // reserve the slot; connect outside the lock
      lock.unlock();
      try {
        return Lease(*this, connect());
      } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
      }
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= config_.max)
      throw PgUnavailable("no database connection came free within " +
                          std::to_string(config_.acquire_timeout.count()) + " ms");
  }
}

void PgPool::release(std::unique_ptr<PgConnection> conn) {
  bool keep = conn->reusable();
  if (!keep) conn.reset();  // close outside the lock
  {
    std::lock_guard lock(mu_);
    if (keep) idle_.push_back(std::move(conn));
    else --open_;
  }
  cv_.notify_one();
}

int PgPool::size() const {
  std::lock_guard lock(mu_);
  return open_;
}

int PgPool::idle() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(idle_.size());
}

}  // namespace archon::store
