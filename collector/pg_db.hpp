// A thin RAII layer over libpq: a connection whose statements are prepared once and run with
// text parameters, results read by row and column, failures thrown as PgError.
#pragma once
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "store_error.hpp"

namespace touchpoint::collector {

struct PgError : StoreError {
  PgError(const std::string& what, std::string state, bool connection_lost);
  std::string sqlstate;  // "40P01" deadlock, "40001" serialization failure, ...
  bool connection_lost;  // the server went away (restart, failover): reconnect and try again
  // A deadlock or serialization failure: the whole transaction may simply be run again.
  bool retryable() const { return sqlstate == "40P01" || sqlstate == "40001"; }
};

using PgParams = std::vector<std::optional<std::string>>;  // nullopt -> NULL

class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result) {}
  ~PgResult() { PQclear(result_); }
  PgResult(PgResult&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const { return PQntuples(result_); }
  bool is_null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
  std::string text(int row, int column) const;
  std::optional<std::string> optional_text(int row, int column) const;
  std::int64_t int64(int row, int column) const;  // 0 for NULL
  std::int64_t affected() const;                  // rows changed by INSERT/UPDATE/DELETE

 private:
  PGresult* result_;
};

class PgConnection {
 public:
  // conninfo: a postgres:// URL or libpq's key=value string. Throws PgError if it cannot connect.
  explicit PgConnection(const std::string& conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  void exec(const char* sql);  // one or more statements, no parameters, results dropped
  // Runs `sql` ($1, $2... placeholders), prepared on its first use on this connection.
  PgResult query(const char* sql, const PgParams& params = {});
  // Runs `sql` unprepared (FETCH and other statements PostgreSQL does not prepare).
  PgResult run(const char* sql);
  // After a lost connection: reconnect (prepared statements are prepared again on use).
  void reset_if_broken();

 private:
  [[noreturn]] void fail(PGresult* result, const char* what);

  PGconn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
};

// A PostgreSQL array literal of text values: {"a","b\"c",NULL}.
std::string pg_text_array(const PgParams& values);

// Commits on commit(); rolls back if destroyed before (an exception went past it).
class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& db);
  ~PgTransaction();
  void commit();

 private:
  PgConnection& db_;
  bool done_ = false;
};

}  // namespace touchpoint::collector
