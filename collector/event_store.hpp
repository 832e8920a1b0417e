// Durable storage of received batches and events in SQLite.
//
// Schema (see docs/collector.md):
//   events  — one row per distinct messageId; re-sent events are ignored and counted as duplicates.
//   batches — one row per accepted POST /v1/batch, with its size, gzip flag and the SDK's report of
//             events it had to drop ("dropped": {queue_full, rejected, too_large}).
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sqlite_db.hpp"

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

class EventStore {
 public:
  // Opens (creating if needed) the database; throws SqliteError if it cannot.
  explicit EventStore(const std::string& path);

  // Stores a batch and its valid events in one transaction.
  StoreResult store_batch(const BatchRecord& batch, const std::vector<EventRecord>& events);

  // {"events":[row...], "count":N}, rows oldest first. Without since_id: the newest `limit` rows.
  nlohmann::json find_events(const EventQuery& query);
  nlohmann::json stats();
  void clear();  // test mode: forget every event and batch

  // Runs `fn` while no other store call can run (so no batch transaction is open): for a fast exit.
  template <typename Fn>
  void with_writes_paused(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mutex_);
    fn();
  }

  // Events whose userId or anonymousId is `id`, plus the anonymous events of any anonymousId that
  // `id` (as a userId) was seen with, ordered by event time then id.
  std::vector<StoredEvent> events_of_identity(const std::string& id);

 private:
  void create_schema();

  std::mutex mutex_;  // one connection, used by one request at a time
  SqliteDb db_;
};

}  // namespace touchpoint::collector
