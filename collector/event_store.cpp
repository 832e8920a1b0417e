#include "event_store.hpp"

#include <touchpoint/iso_time.hpp>

#include <algorithm>

namespace touchpoint::collector {
namespace {

constexpr int kSchemaVersion = 1;

// WAL lets readers (GET /v1/events) run beside a writer; the busy timeout covers another process
// (e.g. the sqlite3 shell) holding the lock for a moment instead of failing the batch at once.
constexpr const char* kPragmas = R"sql(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 5000;
PRAGMA foreign_keys = ON;
)sql";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS batches (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  received_at         TEXT    NOT NULL,
  received_at_ms      INTEGER NOT NULL,
  sent_at             TEXT,
  write_key           TEXT,
  wire_bytes          INTEGER NOT NULL,
  json_bytes          INTEGER NOT NULL,
  gzip                INTEGER NOT NULL,
  event_count         INTEGER NOT NULL,
  accepted            INTEGER NOT NULL DEFAULT 0,
  duplicates          INTEGER NOT NULL DEFAULT 0,
  rejected            INTEGER NOT NULL,
  dropped_count       INTEGER NOT NULL,
  dropped_queue_full  INTEGER NOT NULL,
  dropped_rejected    INTEGER NOT NULL,
  dropped_too_large   INTEGER NOT NULL,
  dropped             TEXT
);
CREATE TABLE IF NOT EXISTS events (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id     TEXT    NOT NULL UNIQUE,
  type           TEXT    NOT NULL,
  event          TEXT,
  anonymous_id   TEXT,
  user_id        TEXT,
  session_id     TEXT,
  timestamp      TEXT,
  timestamp_ms   INTEGER,
  received_at    TEXT    NOT NULL,
  received_at_ms INTEGER NOT NULL,
  sent_at        TEXT,
  batch_id       INTEGER REFERENCES batches(id) ON DELETE SET NULL,
  body           TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_user ON events(user_id);
CREATE INDEX IF NOT EXISTS events_by_anonymous ON events(anonymous_id);
CREATE INDEX IF NOT EXISTS events_by_event ON events(event);
)sql";

constexpr const char* kEventColumns =
    "id, message_id, type, event, anonymous_id, user_id, session_id, timestamp, received_at, sent_at, batch_id, body";

nlohmann::json optional_text(const SqliteStatement& row, int column) {
  if (row.is_null(column)) return nullptr;
  return row.column_text(column);
}

nlohmann::json event_row_json(const SqliteStatement& row) {
  nlohmann::json body = nlohmann::json::parse(row.column_text(11), nullptr, false);
  if (body.is_discarded()) body = row.column_text(11);  // written by someone else; show it as is
  return {{"id", row.column_int(0)},
          {"messageId", row.column_text(1)},
          {"type", row.column_text(2)},
          {"event", optional_text(row, 3)},
          {"anonymousId", optional_text(row, 4)},
          {"userId", optional_text(row, 5)},
          {"sessionId", optional_text(row, 6)},
          {"timestamp", optional_text(row, 7)},
          {"receivedAt", row.column_text(8)},
          {"sentAt", optional_text(row, 9)},
          {"batchId", row.is_null(10) ? nlohmann::json(nullptr) : nlohmann::json(row.column_int(10))},
          {"body", std::move(body)}};
}

}  // namespace

EventStore::EventStore(const std::string& path) : db_(path) {
  db_.exec(kPragmas);
  create_schema();
}

void EventStore::create_schema() {
  auto version_query = db_.prepare("PRAGMA user_version");
  const std::int64_t version = version_query.step() ? version_query.column_int(0) : 0;
  if (version > kSchemaVersion)
    throw SqliteError("database schema version " + std::to_string(version) +
                          " is newer than this collector understands (" + std::to_string(kSchemaVersion) + ")",
                      SQLITE_ERROR);
  db_.exec(kSchema);
  db_.exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
}

StoreResult EventStore::store_batch(const BatchRecord& batch, const std::vector<EventRecord>& events) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string received_at = touchpoint::format_iso8601_ms(batch.received_at_ms);
  StoreResult result;
  SqliteTransaction transaction(db_);

  db_.prepare(
         "INSERT INTO batches (received_at, received_at_ms, sent_at, write_key, wire_bytes, json_bytes, gzip,"
         " event_count, rejected, dropped_count, dropped_queue_full, dropped_rejected, dropped_too_large, dropped)"
         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")
      .bind(1, received_at)
      .bind(2, batch.received_at_ms)
      .bind(3, batch.sent_at)
      .bind(4, batch.write_key)
      .bind(5, static_cast<std::int64_t>(batch.wire_bytes))
      .bind(6, static_cast<std::int64_t>(batch.json_bytes))
      .bind(7, static_cast<std::int64_t>(batch.gzip ? 1 : 0))
      .bind(8, static_cast<std::int64_t>(batch.event_count))
      .bind(9, static_cast<std::int64_t>(batch.rejected))
      .bind(10, batch.dropped.total)
      .bind(11, batch.dropped.queue_full)
      .bind(12, batch.dropped.rejected)
      .bind(13, batch.dropped.too_large)
      .bind(14, batch.dropped.json)
      .run();
  result.batch_id = db_.last_insert_rowid();

  // UNIQUE(message_id) + OR IGNORE: a batch re-sent after a lost response stores nothing twice.
  auto insert = db_.prepare(
      "INSERT OR IGNORE INTO events (message_id, type, event, anonymous_id, user_id, session_id, timestamp,"
      " timestamp_ms, received_at, received_at_ms, sent_at, batch_id, body)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  for (const EventRecord& e : events) {
    insert.bind(1, e.message_id)
        .bind(2, e.type)
        .bind(3, e.event)
        .bind(4, e.anonymous_id)
        .bind(5, e.user_id)
        .bind(6, e.session_id)
        .bind(7, e.timestamp);
    if (e.timestamp_ms) insert.bind(8, *e.timestamp_ms); else insert.bind_null(8);
    insert.bind(9, received_at)
        .bind(10, batch.received_at_ms)
        .bind(11, e.sent_at)
        .bind(12, result.batch_id)
        .bind(13, e.body);
    if (insert.run() > 0) ++result.accepted; else ++result.duplicates;
  }

  db_.prepare("UPDATE batches SET accepted = ?1, duplicates = ?2 WHERE id = ?3")
      .bind(1, static_cast<std::int64_t>(result.accepted))
      .bind(2, static_cast<std::int64_t>(result.duplicates))
      .bind(3, result.batch_id)
      .run();
  transaction.commit();
  return result;
}

nlohmann::json EventStore::find_events(const EventQuery& query) {
  std::string where;
  std::vector<std::string> values;
  auto add_filter = [&](const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    where += where.empty() ? " WHERE " : " AND ";
    where += std::string(column) + " = ?" + std::to_string(values.size() + 1);
    values.push_back(*value);
  };
  add_filter("event", query.event);
  add_filter("type", query.type);
  add_filter("anonymous_id", query.anonymous_id);
  add_filter("user_id", query.user_id);
  add_filter("message_id", query.message_id);
  const int since_index = static_cast<int>(values.size()) + 1;
  const int limit_index = since_index + 1;
  std::string sql;
  if (query.since_id) {
    where += where.empty() ? " WHERE " : " AND ";
    where += "id > ?" + std::to_string(since_index);
    sql = std::string("SELECT ") + kEventColumns + " FROM events" + where + " ORDER BY id ASC LIMIT ?" +
          std::to_string(limit_index);
  } else {
    // The newest `limit` rows, handed back oldest first like the since_id form.
    sql = std::string("SELECT * FROM (SELECT ") + kEventColumns + " FROM events" + where +
          " ORDER BY id DESC LIMIT ?" + std::to_string(limit_index) + ") ORDER BY id ASC";
  }

  std::lock_guard<std::mutex> lock(mutex_);
  auto select = db_.prepare(sql.c_str());
  for (std::size_t i = 0; i < values.size(); ++i) select.bind(static_cast<int>(i + 1), values[i]);
  if (query.since_id) select.bind(since_index, *query.since_id);
  select.bind(limit_index, static_cast<std::int64_t>(query.limit));
  nlohmann::json rows = nlohmann::json::array();
  while (select.step()) rows.push_back(event_row_json(select));
  const std::size_t count = rows.size();
  return {{"events", std::move(rows)}, {"count", count}};
}

nlohmann::json EventStore::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json out;
  {
    auto q = db_.prepare(
        "SELECT COUNT(*), COUNT(DISTINCT message_id), COUNT(DISTINCT anonymous_id), COUNT(DISTINCT user_id),"
        " MAX(id) FROM events");
    q.step();
    out["events"] = q.column_int(0);
    out["messageIds"] = q.column_int(1);
    out["anonymousIds"] = q.column_int(2);
    out["userIds"] = q.column_int(3);
    out["lastEventId"] = q.is_null(4) ? nlohmann::json(nullptr) : nlohmann::json(q.column_int(4));
  }
  {
    auto q = db_.prepare(
        "SELECT COUNT(*), TOTAL(event_count), TOTAL(accepted), TOTAL(duplicates), TOTAL(rejected),"
        " TOTAL(dropped_count), TOTAL(dropped_queue_full), TOTAL(dropped_rejected), TOTAL(dropped_too_large),"
        " TOTAL(wire_bytes), TOTAL(json_bytes), TOTAL(gzip) FROM batches");
    q.step();
    // TOTAL() yields a float (0.0 on an empty table); these sums are integers well inside 2^53.
    auto n = [&](int column) { return q.column_int(column); };
    out["batches"] = q.column_int(0);
    out["eventsReceived"] = n(1);
    out["accepted"] = n(2);
    out["duplicates"] = n(3);
    out["rejected"] = n(4);
    out["dropped"] = {{"total", n(5)}, {"queue_full", n(6)}, {"rejected", n(7)}, {"too_large", n(8)}};
    out["bytes"] = {{"wire", n(9)}, {"json", n(10)}};
    out["gzipBatches"] = n(11);
  }
  {
    auto q = db_.prepare("SELECT type, COUNT(*) FROM events GROUP BY type ORDER BY type");
    nlohmann::json by_type = nlohmann::json::object();
    while (q.step()) by_type[q.column_text(0)] = q.column_int(1);
    out["eventsByType"] = std::move(by_type);
  }
  return out;
}

void EventStore::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  SqliteTransaction transaction(db_);
  db_.exec("DELETE FROM events; DELETE FROM batches;");
  transaction.commit();
}

std::vector<StoredEvent> EventStore::events_of_identity(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  // One hop of identity stitching: the anonymous history of a device before its user logged in
  // belongs to that user, as it does in the SDK's on-device engine.
  auto q = db_.prepare(
      "SELECT id, type, timestamp_ms, received_at_ms, body FROM events"
      " WHERE user_id = ?1 OR anonymous_id = ?1"
      "    OR (user_id IS NULL AND anonymous_id IN"
      "        (SELECT anonymous_id FROM events WHERE user_id = ?1 AND anonymous_id IS NOT NULL))"
      " ORDER BY COALESCE(timestamp_ms, received_at_ms), id");
  q.bind(1, id);
  std::vector<StoredEvent> out;
  while (q.step()) {
    StoredEvent e;
    e.id = q.column_int(0);
    e.type = q.column_text(1);
    if (!q.is_null(2)) e.timestamp_ms = q.column_int(2);
    e.received_at_ms = q.column_int(3);
    e.body = q.column_text(4);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace touchpoint::collector
