#include "pg_db.hpp"

#include <cstdlib>

namespace touchpoint::collector {

PgError::PgError(const std::string& what, std::string state, bool connection_lost)
    // Lock waits, deadlocks, serialization failures and a lost connection clear up by themselves.
    : StoreError(what, connection_lost || state == "40P01" || state == "40001" || state == "55P03" ||
                           state == "57014" || state.rfind("08", 0) == 0 || state == "53300"),
      sqlstate(std::move(state)),
      connection_lost(connection_lost) {}

std::string PgResult::text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column), static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

std::optional<std::string> PgResult::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::int64_t PgResult::int64(int row, int column) const {
  if (is_null(row, column)) return 0;
  return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10);
}

std::int64_t PgResult::affected() const { return std::strtoll(PQcmdTuples(result_), nullptr, 10); }

PgConnection::PgConnection(const std::string& conninfo) {
  conn_ = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    PQfinish(conn_);
    conn_ = nullptr;
    throw PgError("cannot connect to PostgreSQL: " + message, "08001", true);
  }
  // Our notices (CREATE ... IF NOT EXISTS "already exists, skipping") are not the operator's news.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

PgConnection::~PgConnection() {
  if (conn_) PQfinish(conn_);
}

void PgConnection::fail(PGresult* result, const char* what) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = std::string(what) + ": " + PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const bool lost = PQstatus(conn_) != CONNECTION_OK;
  std::string sqlstate = state ? state : "";
  PQclear(result);
  throw PgError(message, sqlstate, lost);
}

void PgConnection::exec(const char* sql) {
  PGresult* result = PQexec(conn_, sql);
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result, "PostgreSQL statement failed");
  PQclear(result);
}

PgResult PgConnection::query(const char* sql, const PgParams& params) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "tp" + std::to_string(prepared_.size() + 1);
    PGresult* prepared = PQprepare(conn_, name.c_str(), sql, 0, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) fail(prepared, "PostgreSQL prepare failed");
    PQclear(prepared);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* result = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(),
                                    nullptr, nullptr, 0);
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result, "PostgreSQL query failed");
  return PgResult(result);
}

PgResult PgConnection::run(const char* sql) {
  PGresult* result = PQexec(conn_, sql);
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(result, "PostgreSQL statement failed");
  return PgResult(result);
}

void PgConnection::reset_if_broken() {
  if (PQstatus(conn_) == CONNECTION_OK) return;
  PQreset(conn_);
  prepared_.clear();
}

std::string pg_text_array(const PgParams& values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    if (!values[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

PgTransaction::PgTransaction(PgConnection& db) : db_(db) { db_.exec("BEGIN"); }

PgTransaction::~PgTransaction() {
  if (done_) return;
  try {
    db_.exec("ROLLBACK");
  } catch (...) {
    // The connection is gone: the server rolled the transaction back itself.
  }
}

void PgTransaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace touchpoint::collector
