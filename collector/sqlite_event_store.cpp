#include "sqlite_event_store.hpp"

#include <touchpoint/iso_time.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

namespace touchpoint::collector {
namespace {

// 1: events, batches. 2: events.identity, identity_links, profiles (incremental profiles).
// 3: profiles.revision (warm engines are checked against it, profile_router.hpp).
constexpr int kSchemaVersion = 3;

// WAL lets readers (GET /v1/events) run beside a writer; the busy timeout covers another process
// (e.g. the sqlite3 shell, or a second collector) holding the lock for a moment instead of failing
// the batch at once. It comes first: switching to WAL while another process opens the file waits.
constexpr const char* kPragmas = R"sql(
PRAGMA busy_timeout = 5000;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
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
  body           TEXT    NOT NULL,
  identity       TEXT    -- 'verified' / 'unverified' with --identity-secret, else NULL
);
CREATE INDEX IF NOT EXISTS events_by_user ON events(user_id);
CREATE INDEX IF NOT EXISTS events_by_anonymous ON events(anonymous_id);
CREATE INDEX IF NOT EXISTS events_by_event ON events(event);
)sql";

constexpr const char* kProfileSchema = R"sql(
CREATE TABLE IF NOT EXISTS identity_links (
  anonymous_id TEXT    NOT NULL,
  user_id      TEXT    NOT NULL,
  verified     INTEGER,          -- 1: by a verified identify; NULL: verification was off
  linked_at_ms INTEGER NOT NULL,
  PRIMARY KEY (anonymous_id, user_id)
);
CREATE INDEX IF NOT EXISTS links_by_user ON identity_links(user_id);
CREATE TABLE IF NOT EXISTS profiles (
  id            TEXT    PRIMARY KEY,  -- a userId or an anonymousId
  kind          TEXT    NOT NULL,     -- 'user' or 'anonymous'
  verified      INTEGER,
  engine        TEXT    NOT NULL,     -- TagEngine::snapshot()
  user_traits   TEXT    NOT NULL,     -- merged identify traits
  events        INTEGER NOT NULL,     -- fed to the engine
  stored        INTEGER NOT NULL,     -- routed here
  last_t_ms     INTEGER NOT NULL,
  rules_version TEXT,
  tags          TEXT    NOT NULL,     -- JSON array, for listings
  scores        TEXT    NOT NULL,     -- JSON object {id: {value, grade, max}} at last_t_ms
  stages        TEXT    NOT NULL,     -- JSON object {id: stage}
  updated_at_ms INTEGER NOT NULL,
  revision      INTEGER NOT NULL DEFAULT 0  -- +1 on every write
);
)sql";

constexpr const char* kEventColumns =
    "id, message_id, type, event, anonymous_id, user_id, session_id, timestamp, received_at, sent_at, batch_id, body,"
    " identity";

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
          {"body", std::move(body)},
          {"identity", optional_text(row, 12)}};
}

}  // namespace

SqliteEventStore::SqliteEventStore(const std::string& path) : db_(path) {
  // Two processes opening one new file at once: switching it to WAL can find it locked without
  // waiting for the busy timeout. Try again for a few seconds.
  for (int attempt = 1;; ++attempt) {
    try {
      db_.exec(kPragmas);
      break;
    } catch (const SqliteError& e) {
      if (!e.busy || attempt >= 50) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  create_schema();
}

void SqliteEventStore::create_schema() {
  // One write transaction (BEGIN IMMEDIATE waits for the lock): another process creating or
  // migrating the schema at the same moment finishes first, then this one finds it done.
  SqliteTransaction transaction(db_);
  auto version_query = db_.prepare("PRAGMA user_version");
  const std::int64_t version = version_query.step() ? version_query.column_int(0) : 0;
  if (version > kSchemaVersion)
    throw SqliteError("database schema version " + std::to_string(version) +
                          " is newer than this collector understands (" + std::to_string(kSchemaVersion) + ")",
                      SQLITE_ERROR);
  db_.exec(kSchema);
  if (version == 1) {
    // Events stored before profiles existed: add the column, and rebuild profiles at start.
    db_.exec("ALTER TABLE events ADD COLUMN identity TEXT");
    needs_profile_replay_ = true;
  }
  const bool had_profiles = version == 2;
  db_.exec(kProfileSchema);
  if (had_profiles) db_.exec("ALTER TABLE profiles ADD COLUMN revision INTEGER NOT NULL DEFAULT 0");
  db_.exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
  transaction.commit();
}

StoreResult SqliteEventStore::store_batch(const BatchRecord& batch, const std::vector<EventRecord>& events,
                                    const ProfileContext& profiles) {
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
      " timestamp_ms, received_at, received_at_ms, sent_at, batch_id, body, identity)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  ProfileMap touched;
  try {
    for (const EventRecord& e : events) {
      RoutedEvent routed;
      routed.type = e.type;
      routed.anonymous_id = e.anonymous_id;
      routed.user_id = e.user_id;
      routed.t_ms = e.timestamp_ms.value_or(batch.received_at_ms);
      routed.identity = e.identity;
      routed.identity = router_.resolve_identity(*this, routed, profiles);
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
      if (routed.identity == IdentityStatus::not_checked) insert.bind_null(14);
      else insert.bind(14, std::string(to_string(routed.identity)));
      if (insert.run() == 0) {
        ++result.duplicates;
        continue;
      }
      ++result.accepted;
      routed.row_id = db_.last_insert_rowid();
      routed.body = e.body;
      router_.route(*this, routed, profiles, /*replaying=*/false, &touched);
    }
    save_profiles(touched);
  } catch (...) {
    router_.forget();
    throw;
  }

  db_.prepare("UPDATE batches SET accepted = ?1, duplicates = ?2 WHERE id = ?3")
      .bind(1, static_cast<std::int64_t>(result.accepted))
      .bind(2, static_cast<std::int64_t>(result.duplicates))
      .bind(3, result.batch_id)
      .run();
  try {
    transaction.commit();
  } catch (...) {
    router_.forget();
    throw;
  }
  router_.committed(std::move(touched));
  return result;
}

bool SqliteEventStore::has_verified_link(const std::string& anonymous_id, const std::string& user_id) {
  auto q = db_.prepare("SELECT 1 FROM identity_links WHERE anonymous_id = ?1 AND user_id = ?2 AND verified = 1");
  q.bind(1, anonymous_id).bind(2, user_id);
  return q.step();
}

bool SqliteEventStore::add_link(const std::string& anonymous_id, const std::string& user_id, bool verified,
                                std::int64_t t_ms) {
  auto q = db_.prepare(
      verified ? "INSERT INTO identity_links (anonymous_id, user_id, verified, linked_at_ms) VALUES (?1, ?2, 1, ?3)"
                 " ON CONFLICT(anonymous_id, user_id) DO UPDATE SET verified = 1 WHERE verified IS NOT 1"
               : "INSERT OR IGNORE INTO identity_links (anonymous_id, user_id, verified, linked_at_ms)"
                 " VALUES (?1, ?2, NULL, ?3)");
  return q.bind(1, anonymous_id).bind(2, user_id).bind(3, t_ms).run() > 0;
}

std::vector<std::string> SqliteEventStore::linked_users(const std::string& anonymous_id, bool verified_only) {
  auto q = db_.prepare(verified_only ? "SELECT user_id FROM identity_links WHERE anonymous_id = ?1 AND verified = 1"
                                     : "SELECT user_id FROM identity_links WHERE anonymous_id = ?1");
  q.bind(1, anonymous_id);
  std::vector<std::string> users;
  while (q.step()) users.push_back(q.column_text(0));
  return users;
}

void SqliteEventStore::anonymous_history(const std::string& anonymous_id, const RoutedEvent& before, bool replaying,
                                         const std::function<void(const ProfileEventView&)>& feed) {
  const char* sql = replaying
      ? "SELECT type, body, COALESCE(timestamp_ms, received_at_ms) AS t FROM events"
        " WHERE anonymous_id = ?1 AND user_id IS NULL AND (t < ?3 OR (t = ?3 AND id < ?2)) ORDER BY t, id"
      : "SELECT type, body, COALESCE(timestamp_ms, received_at_ms) AS t FROM events"
        " WHERE anonymous_id = ?1 AND user_id IS NULL AND id < ?2 ORDER BY t, id";
  auto q = db_.prepare(sql);
  q.bind(1, anonymous_id).bind(2, before.row_id);
  if (replaying) q.bind(3, before.t_ms);
  while (q.step()) {
    const std::string type = q.column_text(0);
    const std::string body = q.column_text(1);
    feed({type, body, q.column_int(2)});
  }
}

std::optional<std::int64_t> SqliteEventStore::claim_profile(const std::string& id) {
  // The write transaction (BEGIN IMMEDIATE) already excludes every other writer.
  auto q = db_.prepare("SELECT revision FROM profiles WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return q.column_int(0);
}

bool SqliteEventStore::load_profile(const std::string& id, ProfileState& state) {
  auto q = db_.prepare(
      "SELECT engine, user_traits, events, stored, last_t_ms, kind, verified, revision FROM profiles WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) return false;
  state.restore(q.column_text(0), q.column_text(1), q.column_int(2), q.column_int(3), q.column_int(4));
  state.kind = q.column_text(5);
  if (!q.is_null(6)) state.verified = q.column_int(6) != 0;
  state.revision = q.column_int(7);
  return true;
}

void SqliteEventStore::save_profiles(const ProfileMap& touched) {
  auto upsert = db_.prepare(
      "INSERT OR REPLACE INTO profiles (id, kind, verified, engine, user_traits, events, stored, last_t_ms,"
      " rules_version, tags, scores, stages, updated_at_ms, revision)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  for (const auto& [id, state] : touched) {
    upsert.bind(1, id).bind(2, state->kind);
    if (state->verified) upsert.bind(3, static_cast<std::int64_t>(*state->verified ? 1 : 0));
    else upsert.bind_null(3);
    upsert.bind(4, state->engine_snapshot())
        .bind(5, state->user_traits_json())
        .bind(6, state->events())
        .bind(7, state->stored())
        .bind(8, state->last_t_ms());
    if (state->rules_etag().empty()) upsert.bind_null(9);
    else upsert.bind(9, state->rules_version());
    upsert.bind(10, state->tags().dump())
        .bind(11, state->scores().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        .bind(12, state->stages().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        .bind(13, now)
        .bind(14, state->revision + 1)
        .run();
    state->revision += 1;
  }
}

std::optional<ProfileRow> SqliteEventStore::find_profile(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto q = db_.prepare(
      "SELECT engine, user_traits, events, stored, last_t_ms, verified FROM profiles WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  ProfileRow row;
  row.id = id;
  row.engine_snapshot = q.column_text(0);
  row.user_traits = q.column_text(1);
  row.events = q.column_int(2);
  row.stored = q.column_int(3);
  row.last_t_ms = q.column_int(4);
  if (!q.is_null(5)) row.verified = q.column_int(5) != 0;
  return row;
}

std::size_t SqliteEventStore::replay_profiles(const ProfileContext& ctx) {
  std::lock_guard<std::mutex> lock(mutex_);
  router_.forget();
  SqliteTransaction transaction(db_);
  db_.exec("DELETE FROM profiles; DELETE FROM identity_links;");
  auto q = db_.prepare(
      "SELECT id, type, anonymous_id, user_id, COALESCE(timestamp_ms, received_at_ms) AS t, body, identity"
      " FROM events ORDER BY t, id");
  ProfileMap touched;
  std::size_t written = 0;
  // Bounded memory: profiles are written every so often and read back when seen again.
  constexpr std::size_t kFlushEvery = 5000;
  std::size_t since_flush = 0;
  while (q.step()) {
    RoutedEvent e;
    e.row_id = q.column_int(0);
    e.type = q.column_text(1);
    e.anonymous_id = q.column_optional_text(2);
    e.user_id = q.column_optional_text(3);
    e.t_ms = q.column_int(4);
    e.body = q.column_text(5);
    const auto stored_identity = q.column_optional_text(6);
    e.identity = stored_identity && *stored_identity == "verified" ? IdentityStatus::verified
                                                                   : IdentityStatus::unverified;
    e.identity = router_.resolve_identity(*this, e, ctx);
    router_.route(*this, e, ctx, /*replaying=*/true, &touched);
    if (++since_flush >= kFlushEvery) {
      save_profiles(touched);
      touched.clear();
      since_flush = 0;
    }
  }
  save_profiles(touched);
  transaction.commit();
  auto count = db_.prepare("SELECT COUNT(*) FROM profiles");
  if (count.step()) written = static_cast<std::size_t>(count.column_int(0));
  needs_profile_replay_ = false;
  return written;
}

nlohmann::json SqliteEventStore::find_events(const EventQuery& query) {
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

nlohmann::json SqliteEventStore::stats() {
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

void SqliteEventStore::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  SqliteTransaction transaction(db_);
  db_.exec("DELETE FROM events; DELETE FROM batches; DELETE FROM profiles; DELETE FROM identity_links;");
  router_.forget();
  transaction.commit();
}

std::vector<StoredEvent> SqliteEventStore::events_of_identity(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  // One hop of identity stitching: the anonymous history of a device before its user logged in
  // belongs to that user, as it does in the SDK's on-device engine.
  auto q = db_.prepare(
      // An unverified userId (identity verification on) is not this user's.
      "SELECT id, type, timestamp_ms, received_at_ms, body FROM events"
      " WHERE (user_id = ?1 AND COALESCE(identity, '') <> 'unverified') OR anonymous_id = ?1"
      "    OR (user_id IS NULL AND anonymous_id IN"
      "        (SELECT anonymous_id FROM events WHERE user_id = ?1 AND COALESCE(identity, '') <> 'unverified'"
      "         AND anonymous_id IS NOT NULL))"
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

nlohmann::json SqliteEventStore::profile_summaries(std::size_t limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto q = db_.prepare(
      "SELECT id, kind, verified, tags, scores, stages, events, last_t_ms FROM profiles"
      " ORDER BY last_t_ms DESC, id LIMIT ?1");
  q.bind(1, static_cast<std::int64_t>(limit));
  nlohmann::json rows = nlohmann::json::array();
  auto parsed = [](const std::string& text, nlohmann::json fallback) {
    nlohmann::json v = nlohmann::json::parse(text, nullptr, false);
    return v.is_discarded() ? fallback : v;
  };
  while (q.step()) {
    rows.push_back({{"id", q.column_text(0)},
                    {"kind", q.column_text(1)},
                    {"verified", q.is_null(2) ? nlohmann::json(nullptr) : nlohmann::json(q.column_int(2) != 0)},
                    {"tags", parsed(q.column_text(3), nlohmann::json::array())},
                    {"scores", parsed(q.column_text(4), nlohmann::json::object())},
                    {"stages", parsed(q.column_text(5), nlohmann::json::object())},
                    {"events", q.column_int(6)},
                    {"last_t_ms", q.column_int(7)}});
  }
  return rows;
}

nlohmann::json SqliteEventStore::visitor_touches() {
  std::lock_guard<std::mutex> lock(mutex_);
  // SQLite's JSON1 (built in since 3.38) reads the touches out of the stored bodies.
  auto q = db_.prepare(
      "SELECT e.anonymous_id, e.user_id, json_extract(e.body, '$.context.first_touch'),"
      "       json_extract(e.body, '$.context.campaign') FROM events e"
      " JOIN (SELECT anonymous_id, MAX(id) AS id FROM events"
      "       WHERE anonymous_id IS NOT NULL AND (json_extract(body, '$.context.campaign') IS NOT NULL"
      "          OR json_extract(body, '$.context.first_touch') IS NOT NULL)"
      "       GROUP BY anonymous_id) newest ON newest.id = e.id");
  nlohmann::json rows = nlohmann::json::array();
  auto object_or_null = [](const SqliteStatement& row, int column) {
    if (row.is_null(column)) return nlohmann::json(nullptr);
    nlohmann::json v = nlohmann::json::parse(row.column_text(column), nullptr, false);
    return v.is_object() ? v : nlohmann::json(nullptr);
  };
  while (q.step()) {
    nlohmann::json first = object_or_null(q, 2), last = object_or_null(q, 3);
    if (first.is_null()) first = last;  // the first touch is only reported once a second exists
    rows.push_back({{"visitor", q.column_text(0)},
                    {"userId", optional_text(q, 1)},
                    {"first", std::move(first)},
                    {"last", std::move(last)}});
  }
  return rows;
}

nlohmann::json SqliteEventStore::referral_landings() {
  std::lock_guard<std::mutex> lock(mutex_);
  auto q = db_.prepare(
      "SELECT e.anonymous_id, e.user_id, json_extract(e.body, '$.context.referral.referrer_id'),"
      "       json_extract(e.body, '$.context.referral.depth'), json_extract(e.body, '$.context.referral.channel')"
      " FROM events e JOIN (SELECT anonymous_id, MIN(id) AS id FROM events"
      "       WHERE anonymous_id IS NOT NULL AND json_extract(body, '$.context.referral.referrer_id') IS NOT NULL"
      "       GROUP BY anonymous_id) first_landing ON first_landing.id = e.id");
  nlohmann::json rows = nlohmann::json::array();
  while (q.step()) {
    rows.push_back({{"visitor", q.column_text(0)},
                    {"userId", optional_text(q, 1)},
                    {"referrer", q.column_text(2)},
                    {"depth", q.is_null(3) ? nlohmann::json(nullptr) : nlohmann::json(q.column_int(3))},
                    {"channel", optional_text(q, 4)}});
  }
  return rows;
}

}  // namespace touchpoint::collector
