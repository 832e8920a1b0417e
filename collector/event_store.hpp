// Durable storage of received batches and events: the records and the store's interface.
//
// Schema (see docs/collector.md):
//   events  — one row per distinct messageId; re-sent events are ignored and counted as duplicates.
//   batches — one row per accepted POST /v1/batch, with its size, gzip flag and the SDK's report of
//             events it had to drop ("dropped": {queue_full, rejected, too_large}).
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "identity_verifier.hpp"
#include "profile_router.hpp"
#include "store_error.hpp"

namespace touchpoint::collector {

// The SDK's drop report carried by a batch body (touchpoint::DropCounts on the device).
struct DroppedCounts {
  std::int64_t queue_full = 0;
  std::int64_t rejected = 0;
  std::int64_t too_large = 0;
  std::int64_t total = 0;  // sum of every non-negative integer in the report, known keys or not
  std::optional<std::string> json;  // the report as received, for reasons added later
};

struct BatchRecord {
  std::int64_t received_at_ms = 0;
  std::optional<std::string> sent_at;    // the body's "sentAt"
  std::optional<std::string> write_key;  // ?writeKey=
  std::size_t wire_bytes = 0;            // body as received
  std::size_t json_bytes = 0;            // after gunzip
  bool gzip = false;
  std::size_t event_count = 0;           // events in the body, valid or not
  std::size_t rejected = 0;              // events that failed validation
  DroppedCounts dropped;
};

struct EventRecord {
  std::string message_id;
  std::string type;
  std::optional<std::string> event;         // track's event name; page name for page events
  std::optional<std::string> anonymous_id;
  std::optional<std::string> user_id;
  std::optional<std::string> session_id;    // context.session.id
  std::optional<std::string> timestamp;     // as sent (ISO-8601)
  std::optional<std::int64_t> timestamp_ms; // parsed, for ordering
  std::optional<std::string> sent_at;       // event's own sentAt, else the batch's
  std::string body;                         // the full event as JSON text
  std::optional<std::string> user_hash;     // identify's userHash (identity verification)
  // Filled by the batch handler for identify events when verification is on; the store decides
  // for the others (a userId is verified on a device once a verified identify linked them).
  IdentityStatus identity = IdentityStatus::not_checked;
};

// A stored profile row, for GET /v1/users/{id} and the dashboard.
struct ProfileRow {
  std::string id;
  std::string engine_snapshot;
  std::string user_traits;
  std::int64_t events = 0, stored = 0, last_t_ms = 0;
  std::optional<bool> verified;  // null: verification off; else whether a verified user
};

struct StoreResult {
  std::int64_t batch_id = 0;
  std::size_t accepted = 0;    // newly stored
  std::size_t duplicates = 0;  // messageId already stored (or twice in this batch)
};

struct EventQuery {
  std::optional<std::string> event, type, anonymous_id, user_id, message_id;
  std::optional<std::int64_t> since_id;  // only rows with id > since_id, oldest first
  std::size_t limit = 100;
};

// An event as replayed through the tag engine.
struct StoredEvent {
  std::int64_t id = 0;
  std::string type;
  std::optional<std::int64_t> timestamp_ms;
  std::int64_t received_at_ms = 0;
  std::string body;
};

// Where events, batches, identity links and profiles are kept. Two implementations:
// SqliteEventStore (embedded, the default) and PostgresEventStore (--db postgres://..., several
// collector processes behind one database). Every call is safe from any thread.
class EventStore {
 public:
  virtual ~EventStore() = default;

  // Stores a batch and its valid events in one transaction, and feeds each newly stored event to
  // the profiles it belongs to (profile_router.hpp), whose snapshots are written in the same
  // transaction: a profile never counts an event that was not stored, nor misses one that was.
  virtual StoreResult store_batch(const BatchRecord& batch, const std::vector<EventRecord>& events,
                                  const ProfileContext& profiles = {}) = 0;

  // The stored profile of `id` (a userId or an anonymousId), if it has one.
  virtual std::optional<ProfileRow> find_profile(const std::string& id) = 0;

  // Recomputes every profile from the stored events in event-time order with `profiles.rules`
  // (after a rules change); returns how many profiles were written.
  virtual std::size_t replay_profiles(const ProfileContext& profiles) = 0;
  // Dashboard reads (dashboard_api.hpp aggregates them):
  // every profile as {id, kind, verified, tags, scores, stages, events, last_t_ms}, newest first.
  virtual nlohmann::json profile_summaries(std::size_t limit) = 0;
  // per visitor (anonymousId) the touches on its newest event that has any:
  // [{visitor, userId, first: {...}|null, last: {...}|null}] (context.first_touch / campaign).
  virtual nlohmann::json visitor_touches() = 0;
  // per visitor its first referral landing: [{visitor, userId, referrer, depth, channel}].
  virtual nlohmann::json referral_landings() = 0;
  // True after opening a database written before profiles were stored.
  virtual bool needs_profile_replay() const = 0;

  // {"events":[row...], "count":N}, rows oldest first. Without since_id: the newest `limit` rows.
  virtual nlohmann::json find_events(const EventQuery& query) = 0;
  virtual nlohmann::json stats() = 0;
  virtual void clear() = 0;  // test mode: forget every event and batch

  // Runs `fn` while no store call of this process can run (so no batch transaction of ours is
  // open): for a fast exit.
  virtual void with_writes_paused(const std::function<void()>& fn) = 0;

  // Events whose userId or anonymousId is `id`, plus the anonymous events of any anonymousId that
  // `id` (as a userId) was seen with, ordered by event time then id.
  virtual std::vector<StoredEvent> events_of_identity(const std::string& id) = 0;
};

// The `--db` value names the store: postgres:// or postgresql:// URLs (and libpq's "key=value"
// strings starting with host=/dbname=) open PostgreSQL, anything else is a SQLite file.
bool is_postgres_location(const std::string& db);

// Opens (creating the schema if needed) the store `db` names; throws std::runtime_error with a
// readable reason if it cannot (PostgreSQL unreachable, or this build has no libpq).
std::unique_ptr<EventStore> open_event_store(const std::string& db);

}  // namespace touchpoint::collector
