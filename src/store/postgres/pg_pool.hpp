// A thread-safe pool of libpq connections. `min` connections open at start; it grows on demand
// to `max`; a caller finding every connection leased waits on a condition variable until one
// comes back or acquire_timeout passes (PgUnavailable). A connection that broke, timed out or
// was left mid-transaction is closed instead of reused, and a dead idle one is noticed before
// it is handed out, so the pool reconnects by itself once the database is back.
#pragma once
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/postgres/pg_connection.hpp"

namespace archon::store {

struct PgPoolConfig {
  // libpq URL or key=value string: postgresql://user:password@host:5432/archon?sslmode=require
  std::string url;
  int min = 10;
  int max = 50;
  std::chrono::milliseconds command_timeout{5000};  // statement_timeout, and the client's wait
  std::chrono::milliseconds acquire_timeout{5000};  // longest wait for a free connection
  std::chrono::milliseconds connect_timeout{5000};  // libpq counts whole seconds, at least 2
  std::string application_name = "archon-auth";
};

class PgPool {
 public:
  // A leased connection; goes back to the pool (or is closed, if unfit) on destruction.
  class Lease {
   public:
    Lease(PgPool& pool, std::unique_ptr<PgConnection> conn) : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_) pool_->release(std::move(conn_));
    }
    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  // Opens `min` connections. Throws std::invalid_argument for a malformed URL or bounds, and
  // PgUnavailable if the database cannot be reached. Messages never contain the password.
  explicit PgPool(PgPoolConfig config);
  // Every lease must have been returned.
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  Lease acquire();

  int size() const;  // open connections, idle and leased
  int idle() const;
  // "user@host:port/dbname": where the pool connects, safe to log.
  const std::string& target() const { return target_; }
  const PgPoolConfig& config() const { return config_; }

 private:
  std::unique_ptr<PgConnection> connect();
  void release(std::unique_ptr<PgConnection> conn);
  std::string scrub(std::string message) const;

  PgPoolConfig config_;
  std::string target_;
  std::vector<std::string> secrets_;  // the password, raw and as written in the URL
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // most recently used last
  int open_ = 0;                                     // idle + leased + being opened
};

}  // namespace archon::store
