#include "store/postgres/pg_connection.hpp"

#include <poll.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <functional>

#include <libpq-fe.h>

namespace archon::store {
namespace {

// How long past the server's statement_timeout the client still waits for its answer (the
// timeout error itself has to travel back).
constexpr std::chrono::milliseconds kDeadlineMargin{500};

// SQLSTATEs that mean "the database cannot serve right now", not "this statement is wrong":
// connection exceptions, insufficient resources, operator intervention (shutdown, statement
// timeout), a read-only standby, and I/O errors.
bool unavailable_state(const std::string& s) {
  return s.starts_with("08") || s.starts_with("53") || s.starts_with("57") || s.starts_with("58") || s == "25006";
}

// The server truncates statement names to 63 bytes, which could make two long names collide:
// a long name is sent as its start plus a hash of the whole.
std::string server_name(const std::string& name) {
  if (name.size() < 64) return name;
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(name));
  return name.substr(0, 40) + "#" + hash;
}

std::string trimmed(const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m.empty() ? "unknown error" : m;
}

}  // namespace

PgParam PgParam::bytea(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  PgParam p;
  std::string& s = p.value_.emplace("\\x");
  s.reserve(2 + 2 * bytes.size());
  for (unsigned char c : bytes) {
    s += kHex[c >> 4];
    s += kHex[c & 0xF];
  }
  return p;
}

PgParam PgParam::bytea(const std::optional<std::string>& bytes) {
  return bytes ? bytea(*bytes) : PgParam(std::nullopt);
}

// --- rows and results ---

bool PgRow::is_null(int col) const { return PQgetisnull(result_, row_, col) != 0; }

std::string PgRow::text(int col) const {
  return std::string(PQgetvalue(result_, row_, col), static_cast<std::size_t>(PQgetlength(result_, row_, col)));
}

std::int64_t PgRow::int64(int col) const {
  const char* p = PQgetvalue(result_, row_, col);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(p, p + PQgetlength(result_, row_, col), v);
  if (ec != std::errc()) throw PgError("", "column " + std::to_string(col) + " is not an integer");
  return v;
}

bool PgRow::boolean(int col) const { return PQgetvalue(result_, row_, col)[0] == 't'; }

std::string PgRow::bytea(int col) const {
  std::size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row_, col)), &n);
  if (!raw) throw PgError("", "cannot decode bytea column " + std::to_string(col));
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

std::optional<std::string> PgRow::opt_text(int col) const {
  return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
}

std::optional<std::int64_t> PgRow::opt_int64(int col) const {
  return is_null(col) ? std::nullopt : std::optional<std::int64_t>(int64(col));
}

PgResult::~PgResult() { PQclear(result_); }

int PgResult::rows() const { return result_ ? PQntuples(result_) : 0; }
int PgResult::columns() const { return result_ ? PQnfields(result_) : 0; }
unsigned PgResult::column_type(int col) const { return PQftype(result_, col); }

std::int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_);
  return n && *n ? std::stoll(n) : 0;
}

// --- the connection ---

PgConnection::PgConnection(pg_conn* conn, std::chrono::milliseconds command_timeout)
    : conn_(conn), command_timeout_(command_timeout) {
  // Notices (and a FATAL that arrives while idle) would otherwise go to stderr.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::reusable() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool PgConnection::alive() {
  if (!reusable()) return false;
  // An idle connection has nothing to read. Anything there is the server's goodbye (the FATAL
  // it sends before closing, or the close itself) or, rarely, an unsolicited notice: either
  // way a fresh connection is the safe choice.
  pollfd pfd{PQsocket(conn_), POLLIN, 0};
  if (::poll(&pfd, 1, 0) != 0) broken_ = true;
  return !broken_;
}

std::chrono::steady_clock::time_point PgConnection::deadline(std::optional<std::chrono::milliseconds> timeout) const {
  return std::chrono::steady_clock::now() + timeout.value_or(command_timeout_) + kDeadlineMargin;
}

void PgConnection::fail_send() {
  std::string message = trimmed(PQerrorMessage(conn_));
  if (PQstatus(conn_) == CONNECTION_OK) throw PgError("", "cannot send statement: " + message);
  broken_ = true;
  throw PgUnavailable("database connection lost: " + message);
}

void PgConnection::wait_readable(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      // The server (or the network) went silent. The connection is mid-command and cannot be
      // reused; closing it also makes the server drop the statement.
      broken_ = true;
      throw PgUnavailable("database did not answer in time");
    }
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    int rc = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (rc > 0) return;
    if (rc < 0 && errno != EINTR) {
      broken_ = true;
      throw PgUnavailable("database connection lost: poll failed");
    }
  }
}

PgResult PgConnection::await(std::chrono::steady_clock::time_point deadline) {
  // Collect every result of the command; keep the first error, else the last result.
  PGresult* kept = nullptr;
  try {
    for (;;) {
      while (PQisBusy(conn_)) {
        wait_readable(deadline);
        if (PQconsumeInput(conn_) == 0) {
          broken_ = true;
          throw PgUnavailable("database connection lost: " + trimmed(PQerrorMessage(conn_)));
        }
      }
      PGresult* r = PQgetResult(conn_);
      if (!r) break;
      if (kept && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
        PQclear(r);
      } else {
        PQclear(kept);
        kept = r;
      }
    }
  } catch (...) {
    PQclear(kept);
    throw;
  }
  PgResult result(kept);
  ExecStatusType status = kept ? PQresultStatus(kept) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) return result;

  std::string message = trimmed(kept ? PQresultErrorMessage(kept) : PQerrorMessage(conn_));
  if (PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    throw PgUnavailable("database connection lost: " + message);
  }
  const char* state = kept ? PQresultErrorField(kept, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  if (unavailable_state(sqlstate)) {
    if (sqlstate.starts_with("08") || sqlstate.starts_with("57P")) broken_ = true;  // going away
    throw PgUnavailable("database unavailable (" + sqlstate + "): " + message);
  }
  throw PgError(sqlstate, message);
}

PgResult PgConnection::exec(std::string_view sql, std::optional<std::chrono::milliseconds> timeout) {
  if (broken_) throw PgUnavailable("database connection lost");
  auto until = deadline(timeout);
  if (!PQsendQuery(conn_, std::string(sql).c_str())) fail_send();
  return await(until);
}

PgResult PgConnection::query(const std::string& name, std::string_view sql, std::initializer_list<PgParam> params) {
  return query(name, sql, std::vector<PgParam>(params));
}

PgResult PgConnection::query_text(const std::string& sql, const std::vector<PgParam>& params) {
  auto it = names_by_text_.find(sql);
  if (it == names_by_text_.end()) it = names_by_text_.emplace(sql, "#q" + std::to_string(names_by_text_.size())).first;
  return query(it->second, sql, params);
}

PgResult PgConnection::query(const std::string& name, std::string_view sql, const std::vector<PgParam>& params) {
  if (broken_) throw PgUnavailable("database connection lost");
  auto until = deadline(std::nullopt);
  int n = static_cast<int>(params.size());
  std::string statement = server_name(name);
  if (!prepared_.contains(name)) {
    if (!PQsendPrepare(conn_, statement.c_str(), std::string(sql).c_str(), n, nullptr)) fail_send();
    await(until);  // throws if the SQL is refused; then nothing is cached
    prepared_.emplace(name, true);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    if (p.has_nul()) throw PgError("22021", "a text parameter of " + name + " contains a NUL byte");
    values.push_back(p.c_str());
  }
  if (!PQsendQueryPrepared(conn_, statement.c_str(), n, values.data(), nullptr, nullptr, 0)) fail_send();
  return await(until);
}

// --- transactions ---

PgTransaction::PgTransaction(PgConnection& conn, PgIsolation isolation, bool read_only) : conn_(conn) {
  std::string sql = "BEGIN ISOLATION LEVEL ";
  sql += isolation == PgIsolation::kSerializable     ? "SERIALIZABLE"
         : isolation == PgIsolation::kRepeatableRead ? "REPEATABLE READ"
                                                     : "READ COMMITTED";
  if (read_only) sql += " READ ONLY";
  conn_.exec(sql);
}

PgTransaction::~PgTransaction() {
  if (done_) return;
  if (conn_.broken()) return;  // the server rolls back a transaction whose connection died
  try {
    conn_.exec("ROLLBACK");
  } catch (...) {
    conn_.discard();
  }
}

void PgTransaction::commit() {
  done_ = true;  // whatever COMMIT answers, a ROLLBACK after it would be wrong or pointless
  conn_.exec("COMMIT");
}

}  // namespace archon::store
