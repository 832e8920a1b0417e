// A thin RAII layer over the SQLite C API: a connection and prepared statements that throw
// SqliteError on failure, so store code reads as straight-line SQL.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "store_error.hpp"

namespace touchpoint::collector {

struct SqliteError : StoreError {
  SqliteError(const std::string& what, int sqlite_code)
      : StoreError(what, sqlite_code == SQLITE_BUSY || sqlite_code == SQLITE_LOCKED), code(sqlite_code) {}
  int code;  // SQLITE_BUSY, SQLITE_FULL, ...
};

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, const char* sql);
  ~SqliteStatement();
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  // Parameters are 1-based, as in sqlite3_bind_*.
  SqliteStatement& bind(int index, const std::string& value);
  SqliteStatement& bind(int index, std::int64_t value);
  SqliteStatement& bind(int index, const std::optional<std::string>& value);  // nullopt -> NULL
  SqliteStatement& bind_null(int index);

  // Runs one step: true if a row is available, false when done.
  bool step();
  // Runs to completion (for INSERT/UPDATE/DELETE), then resets for reuse; returns sqlite3_changes().
  int run();

  bool is_null(int column) const;
  std::int64_t column_int(int column) const;
  std::string column_text(int column) const;
  std::optional<std::string> column_optional_text(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteDb {
 public:
  explicit SqliteDb(const std::string& path);  // creates the file if missing
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(const char* sql);  // one or more statements, no results
  SqliteStatement prepare(const char* sql) { return SqliteStatement(db_, sql); }
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Commits on commit(); rolls back if destroyed before (an exception went past it).
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db);  // BEGIN IMMEDIATE: take the write lock up front
  ~SqliteTransaction();
  void commit();

 private:
  SqliteDb& db_;
  bool done_ = false;
};

}  // namespace touchpoint::collector
