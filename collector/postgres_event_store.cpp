#include "postgres_event_store.hpp"

#include <touchpoint/iso_time.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "pg_db.hpp"

namespace touchpoint::collector {
namespace {

constexpr int kSchemaVersion = 1;

// Advisory lock keys (pg_advisory_xact_lock): one namespace of our own, see kLockSpace.
constexpr std::int64_t kSchemaLock = 0x7470'0001;     // creating tables and partitions
constexpr std::int64_t kStoreLock = 0x7470'0002;      // shared by batches, exclusive for replay/clear
// A profile is locked by its bucket (hash of the id), at the price of two visitors in one bucket
// waiting for each other now and then (two 20-visitor batches meet with a chance of ~10 %).
constexpr std::int64_t kProfileLockBuckets = 4096;
// PostgreSQL's lock table holds max_locks_per_transaction (64) x connections: a batch naming more
// visitors than this takes the store lock exclusively instead (it waits for, and then holds off,
// every other batch).
constexpr std::size_t kMaxProfileLocks = 256;
constexpr std::int64_t kProfileLockBase = 0x7470'1000;
// Deadlocks between claims taken in different orders are detected by PostgreSQL and the batch is
// simply stored again.
constexpr int kMaxAttempts = 5;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS touchpoint_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
  id                  BIGSERIAL PRIMARY KEY,
  received_at         TEXT    NOT NULL,
  received_at_ms      BIGINT  NOT NULL,
  sent_at             TEXT,
  write_key           TEXT,
  wire_bytes          BIGINT  NOT NULL,
  json_bytes          BIGINT  NOT NULL,
  gzip                INTEGER NOT NULL,
  event_count         BIGINT  NOT NULL,
  accepted            BIGINT  NOT NULL DEFAULT 0,
  duplicates          BIGINT  NOT NULL DEFAULT 0,
  rejected            BIGINT  NOT NULL,
  dropped_count       BIGINT  NOT NULL,
  dropped_queue_full  BIGINT  NOT NULL,
  dropped_rejected    BIGINT  NOT NULL,
  dropped_too_large   BIGINT  NOT NULL,
  dropped             TEXT
);
-- UNIQUE(message_id) across every day: a unique key of a partitioned table must contain the
-- partition key, so the dedupe key lives in its own table (received_day: for pruning old days).
CREATE TABLE IF NOT EXISTS message_ids (
  message_id   TEXT PRIMARY KEY,
  received_day DATE NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS events_id_seq;
CREATE TABLE IF NOT EXISTS events (
  id             BIGINT  NOT NULL DEFAULT nextval('events_id_seq'),
  message_id     TEXT    NOT NULL,
  type           TEXT    NOT NULL,
  event          TEXT,
  anonymous_id   TEXT,
  user_id        TEXT,
  session_id     TEXT,
  "timestamp"    TEXT,
  timestamp_ms   BIGINT,
  received_at    TEXT    NOT NULL,
  received_at_ms BIGINT  NOT NULL,
  received_day   DATE    NOT NULL,  -- the partition key: one partition per day received
  sent_at        TEXT,
  batch_id       BIGINT,
  body           TEXT    NOT NULL,
  identity       TEXT,
  PRIMARY KEY (id, received_day)
) PARTITION BY RANGE (received_day);
CREATE INDEX IF NOT EXISTS events_by_user ON events (user_id);
CREATE INDEX IF NOT EXISTS events_by_anonymous ON events (anonymous_id);
CREATE INDEX IF NOT EXISTS events_by_event ON events (event);
CREATE INDEX IF NOT EXISTS events_by_message ON events (message_id);
CREATE TABLE IF NOT EXISTS identity_links (
  anonymous_id TEXT    NOT NULL,
  user_id      TEXT    NOT NULL,
  verified     INTEGER,
  linked_at_ms BIGINT  NOT NULL,
  PRIMARY KEY (anonymous_id, user_id)
);
CREATE INDEX IF NOT EXISTS links_by_user ON identity_links (user_id);
CREATE SEQUENCE IF NOT EXISTS profile_revisions;
CREATE TABLE IF NOT EXISTS profiles (
  id            TEXT    PRIMARY KEY,
  kind          TEXT    NOT NULL,
  verified      INTEGER,
  engine        TEXT    NOT NULL,
  user_traits   TEXT    NOT NULL,
  events        BIGINT  NOT NULL,
  stored        BIGINT  NOT NULL,
  last_t_ms     BIGINT  NOT NULL,
  rules_version TEXT,
  tags          TEXT    NOT NULL,
  scores        TEXT    NOT NULL,
  stages        TEXT    NOT NULL,
  updated_at_ms BIGINT  NOT NULL,
  revision      BIGINT  NOT NULL  -- from profile_revisions: unique across every writer
);
)sql";

constexpr const char* kEventColumns =
    "id, message_id, type, event, anonymous_id, user_id, session_id, \"timestamp\", received_at, sent_at, batch_id,"
    " body, identity";

std::string str(std::int64_t v) { return std::to_string(v); }

std::string day_of(std::int64_t ms) { return touchpoint::format_iso8601_ms(ms).substr(0, 10); }

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json optional_text(const PgResult& r, int row, int column) {
  if (r.is_null(row, column)) return nullptr;
  return r.text(row, column);
}

nlohmann::json parsed_or(const std::string& text, nlohmann::json fallback) {
  nlohmann::json v = nlohmann::json::parse(text, nullptr, false);
  return v.is_discarded() ? fallback : v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Session: one connection and what its open transaction knows.

class PostgresEventStore::Session final : public ProfileStorage {
 public:
  Session(const std::string& conninfo, ProfileRouter& shared_router) : db(conninfo), router(shared_router) {}

  PgConnection db;
  ProfileRouter& router;  // the process's warm engines, shared by its sessions

  StoreResult store_batch(const BatchRecord& batch, const std::vector<EventRecord>& events,
                          const ProfileContext& ctx);
  std::size_t replay_profiles(const ProfileContext& ctx);

 private:
  struct Link {
    std::string user_id;
    bool verified = false;
  };

  StoreResult store_batch_once(const BatchRecord& batch, const std::vector<EventRecord>& events,
                               const ProfileContext& ctx);
  // Takes the store lock (shared) and the profile locks of `ids` and of the users linked to
  // `devices` in one sorted pass, then reads their revisions and links after the locks.
  void claim_batch(std::vector<std::string> ids, const std::vector<std::string>& devices);
  void read_links(const std::vector<std::string>& devices);
  void end_transaction();

  // ProfileStorage:
  bool has_verified_link(const std::string& anonymous_id, const std::string& user_id) override;
  bool add_link(const std::string& anonymous_id, const std::string& user_id, bool verified,
                std::int64_t t_ms) override;
  std::vector<std::string> linked_users(const std::string& anonymous_id, bool verified_only) override;
  void anonymous_history(const std::string& anonymous_id, const RoutedEvent& before, bool replaying,
                         const std::function<void(const ProfileEventView&)>& feed) override;
  std::optional<std::int64_t> claim_profile(const std::string& id) override;
  bool load_profile(const std::string& id, ProfileState& state) override;
  void save_profiles(const ProfileMap& touched) override;

  std::vector<Link>& links_of(const std::string& anonymous_id);

  // State of the open transaction.
  bool exclusive_ = false;  // the store lock is held exclusively (replay, huge batch): no profile locks
  std::unordered_set<std::int64_t> locked_buckets_;
  std::unordered_map<std::string, std::optional<std::int64_t>> revisions_;  // of claimed profiles
  std::unordered_map<std::string, std::vector<Link>> links_;                 // of devices read so far
};

void PostgresEventStore::Session::end_transaction() {
  exclusive_ = false;
  locked_buckets_.clear();
  revisions_.clear();
  links_.clear();
}

void PostgresEventStore::Session::read_links(const std::vector<std::string>& devices) {
  links_.clear();
  PgParams device_list(devices.begin(), devices.end());
  auto links = db.query("SELECT anonymous_id, user_id, verified FROM identity_links WHERE anonymous_id = ANY($1::text[])",
                        {pg_text_array(device_list)});
  for (const std::string& d : devices) links_[d];
  for (int i = 0; i < links.rows(); ++i)
    links_[links.text(i, 0)].push_back({links.text(i, 1), !links.is_null(i, 2) && links.int64(i, 2) == 1});
}

void PostgresEventStore::Session::claim_batch(std::vector<std::string> ids, const std::vector<std::string>& devices) {
  // The users linked to the batch's devices are fed too: lock them in the same sorted pass.
  read_links(devices);
  for (const auto& [device, links] : links_)
    for (const Link& l : links) ids.push_back(l.user_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  PgParams id_list(ids.begin(), ids.end());
  if (ids.size() > kMaxProfileLocks) {
    db.query("SELECT pg_advisory_xact_lock($1::bigint)", {str(kStoreLock)});
    exclusive_ = true;
  } else {
    // Sorted, so two batches sharing visitors lock them in the same order and never deadlock.
    auto locked = db.query(
        "SELECT b FROM (SELECT pg_advisory_xact_lock_shared($2::bigint)) store,"
        " LATERAL (SELECT b, pg_advisory_xact_lock(b) FROM (SELECT DISTINCT $3::bigint + ((hashtextextended(x, 0) % $4"
        " + $4) % $4) AS b FROM unnest($1::text[]) AS x ORDER BY b) sorted) claimed",
        {pg_text_array(id_list), str(kStoreLock), str(kProfileLockBase), str(kProfileLockBuckets)});
    for (int i = 0; i < locked.rows(); ++i) locked_buckets_.insert(locked.int64(i, 0));
  }
  // New statements, so their snapshots are taken after the locks: what other writers committed.
  auto revisions = db.query("SELECT id, revision FROM profiles WHERE id = ANY($1::text[])", {pg_text_array(id_list)});
  for (const std::string& id : ids) revisions_[id] = std::nullopt;
  for (int i = 0; i < revisions.rows(); ++i) revisions_[revisions.text(i, 0)] = revisions.int64(i, 1);
  read_links(devices);  // a link added meanwhile is claimed when used (claim_profile)
}

std::vector<PostgresEventStore::Session::Link>& PostgresEventStore::Session::links_of(
    const std::string& anonymous_id) {
  auto it = links_.find(anonymous_id);
  if (it != links_.end()) return it->second;
  auto rows = db.query("SELECT user_id, verified FROM identity_links WHERE anonymous_id = $1", {anonymous_id});
  std::vector<Link>& list = links_[anonymous_id];
  for (int i = 0; i < rows.rows(); ++i) list.push_back({rows.text(i, 0), !rows.is_null(i, 1) && rows.int64(i, 1) == 1});
  return list;
}

bool PostgresEventStore::Session::has_verified_link(const std::string& anonymous_id, const std::string& user_id) {
  for (const Link& l : links_of(anonymous_id))
    if (l.user_id == user_id && l.verified) return true;
  return false;
}

bool PostgresEventStore::Session::add_link(const std::string& anonymous_id, const std::string& user_id, bool verified,
                                           std::int64_t t_ms) {
  // Atomic against other writers: a link is new for exactly one of them.
  auto r = db.query(verified ? "INSERT INTO identity_links (anonymous_id, user_id, verified, linked_at_ms)"
                               " VALUES ($1, $2, 1, $3) ON CONFLICT (anonymous_id, user_id) DO UPDATE SET verified = 1"
                               " WHERE identity_links.verified IS DISTINCT FROM 1"
                             : "INSERT INTO identity_links (anonymous_id, user_id, verified, linked_at_ms)"
                               " VALUES ($1, $2, NULL, $3) ON CONFLICT DO NOTHING",
                    {anonymous_id, user_id, str(t_ms)});
  const bool added = r.affected() > 0;
  std::vector<Link>& list = links_of(anonymous_id);
  auto it = std::find_if(list.begin(), list.end(), [&](const Link& l) { return l.user_id == user_id; });
  if (it == list.end()) list.push_back({user_id, verified});
  else if (verified) it->verified = true;
  return added;
}

std::vector<std::string> PostgresEventStore::Session::linked_users(const std::string& anonymous_id,
                                                                   bool verified_only) {
  std::vector<std::string> users;
  for (const Link& l : links_of(anonymous_id))
    if (!verified_only || l.verified) users.push_back(l.user_id);
  return users;
}

void PostgresEventStore::Session::anonymous_history(const std::string& anonymous_id, const RoutedEvent& before,
                                                    bool replaying,
                                                    const std::function<void(const ProfileEventView&)>& feed) {
  auto rows = replaying
      ? db.query("SELECT type, body, t FROM (SELECT id, type, body, COALESCE(timestamp_ms, received_at_ms) AS t"
                 " FROM events WHERE anonymous_id = $1 AND user_id IS NULL) h"
                 " WHERE t < $3::bigint OR (t = $3::bigint AND id < $2::bigint) ORDER BY t, id",
                 {anonymous_id, str(before.row_id), str(before.t_ms)})
      : db.query("SELECT type, body, COALESCE(timestamp_ms, received_at_ms) AS t FROM events"
                 " WHERE anonymous_id = $1 AND user_id IS NULL AND id < $2::bigint ORDER BY t, id",
                 {anonymous_id, str(before.row_id)});
  for (int i = 0; i < rows.rows(); ++i) {
    const std::string type = rows.text(i, 0);
    const std::string body = rows.text(i, 1);
    feed({type, body, rows.int64(i, 2)});
  }
}

std::optional<std::int64_t> PostgresEventStore::Session::claim_profile(const std::string& id) {
  if (auto it = revisions_.find(id); it != revisions_.end()) return it->second;
  if (!exclusive_) {
    // A profile the batch did not name (a user linked to one of its devices): lock it now.
    auto bucket = db.query("SELECT $2::bigint + ((hashtextextended($1, 0) % $3 + $3) % $3)",
                           {id, str(kProfileLockBase), str(kProfileLockBuckets)});
    const std::int64_t b = bucket.int64(0, 0);
    if (!locked_buckets_.count(b)) {
      // Out of the sorted order, waiting could deadlock: if it is busy, store the batch again
      // (the new attempt reads the link first and locks this user in its sorted pass).
      auto got = db.query("SELECT pg_try_advisory_xact_lock($1::bigint)", {str(b)});
      if (got.text(0, 0) != "t") throw PgError("the profile of " + id + " is busy; storing the batch again", "40P01", false);
      locked_buckets_.insert(b);
    }
  }
  auto r = db.query("SELECT revision FROM profiles WHERE id = $1", {id});
  std::optional<std::int64_t> revision;
  if (r.rows() > 0) revision = r.int64(0, 0);
  revisions_[id] = revision;
  return revision;
}

bool PostgresEventStore::Session::load_profile(const std::string& id, ProfileState& state) {
  auto r = db.query(
      "SELECT engine, user_traits, events, stored, last_t_ms, kind, verified, revision FROM profiles WHERE id = $1",
      {id});
  if (r.rows() == 0) return false;
  state.restore(r.text(0, 0), r.text(0, 1), r.int64(0, 2), r.int64(0, 3), r.int64(0, 4));
  state.kind = r.text(0, 5);
  if (!r.is_null(0, 6)) state.verified = r.int64(0, 6) != 0;
  state.revision = r.int64(0, 7);
  return true;
}

void PostgresEventStore::Session::save_profiles(const ProfileMap& touched) {
  if (touched.empty()) return;
  PgParams ids, kinds, verified, engines, traits, events, stored, last_t, versions, tags, scores, stages;
  for (const auto& [id, state] : touched) {
    ids.push_back(id);
    kinds.push_back(state->kind);
    verified.push_back(state->verified ? std::optional<std::string>(*state->verified ? "1" : "0") : std::nullopt);
    engines.push_back(state->engine_snapshot());
    traits.push_back(state->user_traits_json());
    events.push_back(str(state->events()));
    stored.push_back(str(state->stored()));
    last_t.push_back(str(state->last_t_ms()));
    versions.push_back(state->rules_etag().empty() ? std::nullopt : std::optional<std::string>(state->rules_version()));
    tags.push_back(state->tags().dump());
    scores.push_back(state->scores().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    stages.push_back(state->stages().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  // One statement for every profile of the batch; each gets a fresh revision.
  auto r = db.query(
      "INSERT INTO profiles (id, kind, verified, engine, user_traits, events, stored, last_t_ms, rules_version, tags,"
      " scores, stages, updated_at_ms, revision)"
      " SELECT u.id, u.kind, u.verified, u.engine, u.user_traits, u.events, u.stored, u.last_t_ms, u.rules_version,"
      " u.tags, u.scores, u.stages, $13::bigint, nextval('profile_revisions')"
      " FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::bigint[],"
      " $8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[])"
      " AS u(id, kind, verified, engine, user_traits, events, stored, last_t_ms, rules_version, tags, scores, stages)"
      " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, verified = EXCLUDED.verified, engine = EXCLUDED.engine,"
      " user_traits = EXCLUDED.user_traits, events = EXCLUDED.events, stored = EXCLUDED.stored,"
      " last_t_ms = EXCLUDED.last_t_ms, rules_version = EXCLUDED.rules_version, tags = EXCLUDED.tags,"
      " scores = EXCLUDED.scores, stages = EXCLUDED.stages, updated_at_ms = EXCLUDED.updated_at_ms,"
      " revision = EXCLUDED.revision"
      " RETURNING id, revision",
      {pg_text_array(ids), pg_text_array(kinds), pg_text_array(verified), pg_text_array(engines),
       pg_text_array(traits), pg_text_array(events), pg_text_array(stored), pg_text_array(last_t),
       pg_text_array(versions), pg_text_array(tags), pg_text_array(scores), pg_text_array(stages), str(now_ms())});
  for (int i = 0; i < r.rows(); ++i) {
    auto it = touched.find(r.text(i, 0));
    if (it != touched.end()) it->second->revision = r.int64(i, 1);
    revisions_[r.text(i, 0)] = r.int64(i, 1);
  }
}

StoreResult PostgresEventStore::Session::store_batch(const BatchRecord& batch, const std::vector<EventRecord>& events,
                                                     const ProfileContext& ctx) {
  for (int attempt = 1;; ++attempt) {
    try {
      StoreResult result = store_batch_once(batch, events, ctx);
      end_transaction();
      return result;
    } catch (const PgError& e) {
      end_transaction();
      router.forget();
      db.reset_if_broken();
      // Rolled back as a whole: storing it again is exact (and a lost COMMIT dedupes by messageId).
      const bool again = e.retryable() || e.connection_lost || e.sqlstate.rfind("08", 0) == 0;
      if (!again || attempt >= kMaxAttempts) throw;
      // Apart, so the two sides of a deadlock do not meet again at once.
      std::this_thread::sleep_for(std::chrono::milliseconds(attempt * (1 + std::rand() % 10)));
    } catch (...) {
      end_transaction();
      router.forget();
      throw;
    }
  }
}

StoreResult PostgresEventStore::Session::store_batch_once(const BatchRecord& batch,
                                                          const std::vector<EventRecord>& events,
                                                          const ProfileContext& ctx) {
  const std::string received_at = touchpoint::format_iso8601_ms(batch.received_at_ms);
  const std::string day = day_of(batch.received_at_ms);
  StoreResult result;
  PgTransaction transaction(db);

  // Every visitor the batch names, locked first: a writer storing the same visitors (or the
  // same messageIds) waits here, before it holds anything we could wait for.
  std::vector<std::string> ids, devices;
  for (const EventRecord& e : events) {
    if (e.anonymous_id) {
      ids.push_back(*e.anonymous_id);
      devices.push_back(*e.anonymous_id);
    }
    if (e.user_id) ids.push_back(*e.user_id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::sort(devices.begin(), devices.end());
  devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
  claim_batch(ids, devices);

  auto batch_row = db.query(
      "INSERT INTO batches (received_at, received_at_ms, sent_at, write_key, wire_bytes, json_bytes, gzip,"
      " event_count, rejected, dropped_count, dropped_queue_full, dropped_rejected, dropped_too_large, dropped)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
      {received_at, str(batch.received_at_ms), batch.sent_at, batch.write_key, str(static_cast<std::int64_t>(batch.wire_bytes)),
       str(static_cast<std::int64_t>(batch.json_bytes)), std::string(batch.gzip ? "1" : "0"),
       str(static_cast<std::int64_t>(batch.event_count)), str(static_cast<std::int64_t>(batch.rejected)),
       str(batch.dropped.total), str(batch.dropped.queue_full), str(batch.dropped.rejected), str(batch.dropped.too_large),
       batch.dropped.json});
  result.batch_id = batch_row.int64(0, 0);

  // UNIQUE(message_id) + ON CONFLICT DO NOTHING: exactly one writer stores each messageId, and a
  // batch re-sent after a lost response (to this process or another) stores nothing twice.
  PgParams message_ids;
  for (const EventRecord& e : events) message_ids.push_back(e.message_id);
  std::unordered_set<std::string> fresh;
  if (!events.empty()) {
    auto claimed = db.query(
        "INSERT INTO message_ids (message_id, received_day) SELECT m, $2::date FROM unnest($1::text[]) AS m"
        " ON CONFLICT DO NOTHING RETURNING message_id",
        {pg_text_array(message_ids), day});
    for (int i = 0; i < claimed.rows(); ++i) fresh.insert(claimed.text(i, 0));
  }
  std::vector<const EventRecord*> stored;
  for (const EventRecord& e : events) {
    if (fresh.erase(e.message_id)) stored.push_back(&e);
    else ++result.duplicates;
  }
  result.accepted = stored.size();

  ProfileMap touched;
  if (!stored.empty()) {
    // One multi-row insert, in batch order (ids ascending, as the routing below reads them).
    PgParams mid, type, name, anon, user, session, ts, ts_ms, sent, body;
    for (const EventRecord* e : stored) {
      mid.push_back(e->message_id);
      type.push_back(e->type);
      name.push_back(e->event);
      anon.push_back(e->anonymous_id);
      user.push_back(e->user_id);
      session.push_back(e->session_id);
      ts.push_back(e->timestamp);
      ts_ms.push_back(e->timestamp_ms ? std::optional<std::string>(str(*e->timestamp_ms)) : std::nullopt);
      sent.push_back(e->sent_at);
      body.push_back(e->body);
    }
    auto rows = db.query(
        "INSERT INTO events (message_id, type, event, anonymous_id, user_id, session_id, \"timestamp\", timestamp_ms,"
        " received_at, received_at_ms, received_day, sent_at, batch_id, body)"
        " SELECT u.m, u.ty, u.ev, u.an, u.us, u.se, u.ts, u.tm, $11, $12::bigint, $13::date, u.sa, $14::bigint, u.bo"
        " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],"
        " $8::bigint[], $9::text[], $10::text[]) WITH ORDINALITY AS u(m, ty, ev, an, us, se, ts, tm, sa, bo, n)"
        " ORDER BY u.n RETURNING id",
        {pg_text_array(mid), pg_text_array(type), pg_text_array(name), pg_text_array(anon), pg_text_array(user),
         pg_text_array(session), pg_text_array(ts), pg_text_array(ts_ms), pg_text_array(sent), pg_text_array(body),
         received_at, str(batch.received_at_ms), day, str(result.batch_id)});
    std::vector<std::int64_t> row_ids;
    for (int i = 0; i < rows.rows(); ++i) row_ids.push_back(rows.int64(i, 0));
    std::sort(row_ids.begin(), row_ids.end());  // assigned in insertion order

    PgParams checked_ids, checked_identity;
    for (std::size_t i = 0; i < stored.size() && i < row_ids.size(); ++i) {
      const EventRecord& e = *stored[i];
      RoutedEvent routed;
      routed.row_id = row_ids[i];
      routed.type = e.type;
      routed.body = e.body;
      routed.anonymous_id = e.anonymous_id;
      routed.user_id = e.user_id;
      routed.t_ms = e.timestamp_ms.value_or(batch.received_at_ms);
      routed.identity = e.identity;
      routed.identity = router.resolve_identity(*this, routed, ctx);
      if (routed.identity != IdentityStatus::not_checked) {
        checked_ids.push_back(str(routed.row_id));
        checked_identity.push_back(std::string(to_string(routed.identity)));
      }
      router.route(*this, routed, ctx, /*replaying=*/false, &touched);
    }
    // The identity of an event depends on the links routed before it, so it is written after.
    if (!checked_ids.empty())
      db.query("UPDATE events SET identity = u.i FROM unnest($1::bigint[], $2::text[]) AS u(id, i)"
               " WHERE events.id = u.id AND events.received_day = $3::date",
               {pg_text_array(checked_ids), pg_text_array(checked_identity), day});
    save_profiles(touched);
  }
  db.query("UPDATE batches SET accepted = $1, duplicates = $2 WHERE id = $3",
           {str(static_cast<std::int64_t>(result.accepted)), str(static_cast<std::int64_t>(result.duplicates)),
            str(result.batch_id)});
  transaction.commit();
  router.committed(std::move(touched));
  return result;
}

std::size_t PostgresEventStore::Session::replay_profiles(const ProfileContext& ctx) {
  router.forget();
  PgTransaction transaction(db);
  // Every writer of every process waits until the profiles are rebuilt.
  db.query("SELECT pg_advisory_xact_lock($1::bigint)", {str(kStoreLock)});
  exclusive_ = true;
  db.exec("DELETE FROM profiles; DELETE FROM identity_links;");
  db.exec("DECLARE replay_events NO SCROLL CURSOR FOR"
          " SELECT id, type, anonymous_id, user_id, COALESCE(timestamp_ms, received_at_ms) AS t, body, identity"
          " FROM events ORDER BY t, id");
  ProfileMap touched;
  try {
    for (;;) {
      PgResult page = db.run("FETCH 2000 FROM replay_events");
      if (page.rows() == 0) break;
      for (int i = 0; i < page.rows(); ++i) {
        RoutedEvent e;
        e.row_id = page.int64(i, 0);
        e.type = page.text(i, 1);
        e.anonymous_id = page.optional_text(i, 2);
        e.user_id = page.optional_text(i, 3);
        e.t_ms = page.int64(i, 4);
        e.body = page.text(i, 5);
        const auto stored_identity = page.optional_text(i, 6);
        e.identity = stored_identity && *stored_identity == "verified" ? IdentityStatus::verified
                                                                       : IdentityStatus::unverified;
        e.identity = router.resolve_identity(*this, e, ctx);
        router.route(*this, e, ctx, /*replaying=*/true, &touched);
      }
      // Bounded memory: profiles are written every page and read back when seen again.
      save_profiles(touched);
      touched.clear();
      revisions_.clear();
      links_.clear();
    }
    db.exec("CLOSE replay_events");
    transaction.commit();
  } catch (...) {
    end_transaction();
    router.forget();
    throw;
  }
  end_transaction();
  auto count = db.query("SELECT COUNT(*) FROM profiles");
  return static_cast<std::size_t>(count.int64(0, 0));
}

// ---------------------------------------------------------------------------------------------
// The store: a pool of sessions.

PostgresEventStore::PostgresEventStore(const std::string& conninfo, std::size_t connections) {
  auto first = std::make_unique<Session>(conninfo, router_);
  {
    // Two processes starting at once create the schema one after the other.
    PgTransaction transaction(first->db);
    first->db.query("SELECT pg_advisory_xact_lock($1::bigint)", {str(kSchemaLock)});
    first->db.exec(kSchema);
    auto version = first->db.query("SELECT MAX(version) FROM touchpoint_schema");
    const std::int64_t v = version.int64(0, 0);
    if (v > kSchemaVersion)
      throw PgError("database schema version " + str(v) + " is newer than this collector understands (" +
                        str(kSchemaVersion) + ")",
                    "", false);
    if (v == 0) first->db.query("INSERT INTO touchpoint_schema (version) VALUES ($1::int)", {str(kSchemaVersion)});
    transaction.commit();
  }
  ensure_partition(*first, now_ms());
  idle_.push_back(std::move(first));
  connections_ = std::max<std::size_t>(connections, 1);
  for (std::size_t i = 1; i < connections_; ++i) idle_.push_back(std::make_unique<Session>(conninfo, router_));
}

PostgresEventStore::~PostgresEventStore() = default;

template <typename Fn>
auto PostgresEventStore::with_session(Fn&& fn) {
  std::unique_ptr<Session> session;
  {
    std::unique_lock<std::mutex> lock(pool_mutex_);
    pool_cv_.wait(lock, [&] { return !idle_.empty(); });
    session = std::move(idle_.back());
    idle_.pop_back();
  }
  struct GiveBack {
    PostgresEventStore* store;
    std::unique_ptr<Session>* session;
    ~GiveBack() {
      (*session)->db.reset_if_broken();
      {
        std::lock_guard<std::mutex> lock(store->pool_mutex_);
        store->idle_.push_back(std::move(*session));
      }
      store->pool_cv_.notify_one();
    }
  } give_back{this, &session};
  return fn(*session);
}

void PostgresEventStore::ensure_partition(Session& session, std::int64_t received_at_ms) {
  const std::string day = day_of(received_at_ms);
  {
    std::lock_guard<std::mutex> lock(partitions_mutex_);
    if (partitions_.count(day)) return;
  }
  // Today's and tomorrow's, so a batch arriving at midnight finds its partition ready.
  for (const std::string& d : {day, day_of(received_at_ms + 86'400'000)}) {
    const std::string next = day_of(touchpoint::parse_iso8601_ms(d + "T00:00:00.000Z").value_or(0) + 86'400'000);
    std::string name = "events_" + d;
    name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
    const std::string sql = "CREATE TABLE IF NOT EXISTS " + name + " PARTITION OF events FOR VALUES FROM ('" + d +
                            "') TO ('" + next + "')";
    PgTransaction transaction(session.db);
    session.db.query("SELECT pg_advisory_xact_lock($1::bigint)", {str(kSchemaLock)});
    session.db.exec(sql.c_str());
    transaction.commit();
    std::lock_guard<std::mutex> lock(partitions_mutex_);
    partitions_.insert(d);
  }
}

StoreResult PostgresEventStore::store_batch(const BatchRecord& batch, const std::vector<EventRecord>& events,
                                            const ProfileContext& profiles) {
  return with_session([&](Session& s) {
    ensure_partition(s, batch.received_at_ms);
    return s.store_batch(batch, events, profiles);
  });
}

std::size_t PostgresEventStore::replay_profiles(const ProfileContext& profiles) {
  return with_session([&](Session& s) { return s.replay_profiles(profiles); });
}

void PostgresEventStore::with_writes_paused(const std::function<void()>& fn) {
  // Holding every session: no transaction of this process is open.
  std::unique_lock<std::mutex> lock(pool_mutex_);
  pool_cv_.wait(lock, [&] { return idle_.size() >= connections_; });
  fn();
}

void PostgresEventStore::clear() {
  with_session([&](Session& s) {
    PgTransaction transaction(s.db);
    s.db.query("SELECT pg_advisory_xact_lock($1::bigint)", {str(kStoreLock)});
    s.db.exec("TRUNCATE events, batches, message_ids, profiles, identity_links");
    transaction.commit();
    s.router.forget();
    return 0;
  });
  // Other sessions' warm profiles are checked against revisions, which never repeat.
}

std::optional<ProfileRow> PostgresEventStore::find_profile(const std::string& id) {
  return with_session([&](Session& s) -> std::optional<ProfileRow> {
    auto r = s.db.query("SELECT engine, user_traits, events, stored, last_t_ms, verified FROM profiles WHERE id = $1", {id});
    if (r.rows() == 0) return std::nullopt;
    ProfileRow row;
    row.id = id;
    row.engine_snapshot = r.text(0, 0);
    row.user_traits = r.text(0, 1);
    row.events = r.int64(0, 2);
    row.stored = r.int64(0, 3);
    row.last_t_ms = r.int64(0, 4);
    if (!r.is_null(0, 5)) row.verified = r.int64(0, 5) != 0;
    return row;
  });
}

nlohmann::json PostgresEventStore::find_events(const EventQuery& query) {
  std::string where;
  PgParams values;
  auto add_filter = [&](const char* column, const std::optional<std::string>& value) {
    if (!value) return;
    where += where.empty() ? " WHERE " : " AND ";
    values.push_back(*value);
    where += std::string(column) + " = $" + std::to_string(values.size());
  };
  add_filter("event", query.event);
  add_filter("type", query.type);
  add_filter("anonymous_id", query.anonymous_id);
  add_filter("user_id", query.user_id);
  add_filter("message_id", query.message_id);
  std::string sql;
  if (query.since_id) {
    values.push_back(str(*query.since_id));
    where += (where.empty() ? " WHERE " : " AND ") + std::string("id > $") + std::to_string(values.size()) + "::bigint";
    values.push_back(str(static_cast<std::int64_t>(query.limit)));
    sql = std::string("SELECT ") + kEventColumns + " FROM events" + where + " ORDER BY id ASC LIMIT $" +
          std::to_string(values.size()) + "::bigint";
  } else {
    values.push_back(str(static_cast<std::int64_t>(query.limit)));
    sql = std::string("SELECT * FROM (SELECT ") + kEventColumns + " FROM events" + where + " ORDER BY id DESC LIMIT $" +
          std::to_string(values.size()) + "::bigint) newest ORDER BY id ASC";
  }
  return with_session([&](Session& s) {
    auto r = s.db.query(sql.c_str(), values);
    nlohmann::json rows = nlohmann::json::array();
    for (int i = 0; i < r.rows(); ++i) {
      nlohmann::json body = nlohmann::json::parse(r.text(i, 11), nullptr, false);
      if (body.is_discarded()) body = r.text(i, 11);
      rows.push_back({{"id", r.int64(i, 0)},
                      {"messageId", r.text(i, 1)},
                      {"type", r.text(i, 2)},
                      {"event", optional_text(r, i, 3)},
                      {"anonymousId", optional_text(r, i, 4)},
                      {"userId", optional_text(r, i, 5)},
                      {"sessionId", optional_text(r, i, 6)},
                      {"timestamp", optional_text(r, i, 7)},
                      {"receivedAt", r.text(i, 8)},
                      {"sentAt", optional_text(r, i, 9)},
                      {"batchId", r.is_null(i, 10) ? nlohmann::json(nullptr) : nlohmann::json(r.int64(i, 10))},
                      {"body", std::move(body)},
                      {"identity", optional_text(r, i, 12)}});
    }
    const std::size_t count = rows.size();
    return nlohmann::json{{"events", std::move(rows)}, {"count", count}};
  });
}

nlohmann::json PostgresEventStore::stats() {
  return with_session([&](Session& s) {
    nlohmann::json out;
    {
      auto q = s.db.query(
          "SELECT COUNT(*), COUNT(DISTINCT message_id), COUNT(DISTINCT anonymous_id), COUNT(DISTINCT user_id), MAX(id)"
          " FROM events");
      out["events"] = q.int64(0, 0);
      out["messageIds"] = q.int64(0, 1);
      out["anonymousIds"] = q.int64(0, 2);
      out["userIds"] = q.int64(0, 3);
      out["lastEventId"] = q.is_null(0, 4) ? nlohmann::json(nullptr) : nlohmann::json(q.int64(0, 4));
    }
    {
      auto q = s.db.query(
          "SELECT COUNT(*), COALESCE(SUM(event_count), 0), COALESCE(SUM(accepted), 0), COALESCE(SUM(duplicates), 0),"
          " COALESCE(SUM(rejected), 0), COALESCE(SUM(dropped_count), 0), COALESCE(SUM(dropped_queue_full), 0),"
          " COALESCE(SUM(dropped_rejected), 0), COALESCE(SUM(dropped_too_large), 0), COALESCE(SUM(wire_bytes), 0),"
          " COALESCE(SUM(json_bytes), 0), COALESCE(SUM(gzip), 0) FROM batches");
      auto n = [&](int column) { return q.int64(0, column); };
      out["batches"] = n(0);
      out["eventsReceived"] = n(1);
      out["accepted"] = n(2);
      out["duplicates"] = n(3);
      out["rejected"] = n(4);
      out["dropped"] = {{"total", n(5)}, {"queue_full", n(6)}, {"rejected", n(7)}, {"too_large", n(8)}};
      out["bytes"] = {{"wire", n(9)}, {"json", n(10)}};
      out["gzipBatches"] = n(11);
    }
    {
      auto q = s.db.query("SELECT type, COUNT(*) FROM events GROUP BY type ORDER BY type");
      nlohmann::json by_type = nlohmann::json::object();
      for (int i = 0; i < q.rows(); ++i) by_type[q.text(i, 0)] = q.int64(i, 1);
      out["eventsByType"] = std::move(by_type);
    }
    return out;
  });
}

std::vector<StoredEvent> PostgresEventStore::events_of_identity(const std::string& id) {
  return with_session([&](Session& s) {
    auto r = s.db.query(
        "SELECT id, type, timestamp_ms, received_at_ms, body FROM events"
        " WHERE (user_id = $1 AND COALESCE(identity, '') <> 'unverified') OR anonymous_id = $1"
        "    OR (user_id IS NULL AND anonymous_id IN"
        "        (SELECT anonymous_id FROM events WHERE user_id = $1 AND COALESCE(identity, '') <> 'unverified'"
        "         AND anonymous_id IS NOT NULL))"
        " ORDER BY COALESCE(timestamp_ms, received_at_ms), id",
        {id});
    std::vector<StoredEvent> out;
    for (int i = 0; i < r.rows(); ++i) {
      StoredEvent e;
      e.id = r.int64(i, 0);
      e.type = r.text(i, 1);
      if (!r.is_null(i, 2)) e.timestamp_ms = r.int64(i, 2);
      e.received_at_ms = r.int64(i, 3);
      e.body = r.text(i, 4);
      out.push_back(std::move(e));
    }
    return out;
  });
}

nlohmann::json PostgresEventStore::profile_summaries(std::size_t limit) {
  return with_session([&](Session& s) {
    auto r = s.db.query(
        "SELECT id, kind, verified, tags, scores, stages, events, last_t_ms FROM profiles"
        " ORDER BY last_t_ms DESC, id LIMIT $1::bigint",
        {str(static_cast<std::int64_t>(limit))});
    nlohmann::json rows = nlohmann::json::array();
    for (int i = 0; i < r.rows(); ++i) {
      rows.push_back({{"id", r.text(i, 0)},
                      {"kind", r.text(i, 1)},
                      {"verified", r.is_null(i, 2) ? nlohmann::json(nullptr) : nlohmann::json(r.int64(i, 2) != 0)},
                      {"tags", parsed_or(r.text(i, 3), nlohmann::json::array())},
                      {"scores", parsed_or(r.text(i, 4), nlohmann::json::object())},
                      {"stages", parsed_or(r.text(i, 5), nlohmann::json::object())},
                      {"events", r.int64(i, 6)},
                      {"last_t_ms", r.int64(i, 7)}});
    }
    return rows;
  });
}

// PostgreSQL's JSON operators refuse a document holding \u0000 (text cannot contain NUL), and one
// odd event must not break the dashboard: its bodies are read with that escape replaced.
#define TP_BODY_JSON "replace(body, '\\u0000', '\\ufffd')::json"

nlohmann::json PostgresEventStore::visitor_touches() {
  return with_session([&](Session& s) {
    auto r = s.db.query(
        "SELECT anonymous_id, user_id, (j #> '{context,first_touch}')::text, (j #> '{context,campaign}')::text FROM ("
        " SELECT DISTINCT ON (anonymous_id) id, anonymous_id, user_id, j FROM ("
        "  SELECT id, anonymous_id, user_id, " TP_BODY_JSON " AS j FROM events WHERE anonymous_id IS NOT NULL) e"
        " WHERE COALESCE(json_typeof(j #> '{context,campaign}'), 'null') <> 'null'"
        "    OR COALESCE(json_typeof(j #> '{context,first_touch}'), 'null') <> 'null'"
        " ORDER BY anonymous_id, id DESC) newest");
    nlohmann::json rows = nlohmann::json::array();
    auto object_or_null = [&](int row, int column) {
      if (r.is_null(row, column)) return nlohmann::json(nullptr);
      nlohmann::json v = nlohmann::json::parse(r.text(row, column), nullptr, false);
      return v.is_object() ? v : nlohmann::json(nullptr);
    };
    for (int i = 0; i < r.rows(); ++i) {
      nlohmann::json first = object_or_null(i, 2), last = object_or_null(i, 3);
      if (first.is_null()) first = last;  // the first touch is only reported once a second exists
      rows.push_back({{"visitor", r.text(i, 0)},
                      {"userId", optional_text(r, i, 1)},
                      {"first", std::move(first)},
                      {"last", std::move(last)}});
    }
    return rows;
  });
}

nlohmann::json PostgresEventStore::referral_landings() {
  return with_session([&](Session& s) {
    auto r = s.db.query(
        "SELECT anonymous_id, user_id, j #>> '{context,referral,referrer_id}', j #>> '{context,referral,depth}',"
        " j #>> '{context,referral,channel}' FROM ("
        " SELECT DISTINCT ON (anonymous_id) id, anonymous_id, user_id, j FROM ("
        "  SELECT id, anonymous_id, user_id, " TP_BODY_JSON " AS j FROM events WHERE anonymous_id IS NOT NULL) e"
        " WHERE j #>> '{context,referral,referrer_id}' IS NOT NULL"
        " ORDER BY anonymous_id, id ASC) first_landing");
    nlohmann::json rows = nlohmann::json::array();
    for (int i = 0; i < r.rows(); ++i) {
      rows.push_back({{"visitor", r.text(i, 0)},
                      {"userId", optional_text(r, i, 1)},
                      {"referrer", r.text(i, 2)},
                      {"depth", r.is_null(i, 3) ? nlohmann::json(nullptr) : nlohmann::json(r.int64(i, 3))},
                      {"channel", optional_text(r, i, 4)}});
    }
    return rows;
  });
}

#undef TP_BODY_JSON

}  // namespace touchpoint::collector
