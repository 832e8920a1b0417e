// The bounded queue of serialised events and the batches formed from it. It decides when a batch is
// due (N events, B bytes, or T ms after the oldest), which batches may go out now (in-flight limit,
// backoff), and what happens after a delivery result. It never does I/O.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "touchpoint/limits.hpp"
#include "touchpoint/random.hpp"
#include "touchpoint/retry_policy.hpp"

namespace touchpoint {

struct BatchQueueConfig {
  std::size_t flush_at = limits::kDefaultFlushAt;
  std::size_t flush_bytes = limits::kDefaultFlushBytes;
  std::int64_t flush_interval_ms = limits::kDefaultFlushIntervalMs;
  std::size_t max_events = limits::kDefaultMaxQueueEvents;
  std::size_t max_bytes = limits::kDefaultMaxQueueBytes;
  std::size_t max_in_flight = limits::kMaxBatchesInFlight;
  std::int64_t in_flight_timeout_ms = limits::kInFlightTimeoutMs;  // request timeout + grace
  // A backlog (more than flush_at waiting) is packed up to flush_bytes, at most this many events
  // per batch; 0 cuts it at flush_at like any batch.
  std::size_t backlog_batch_events = limits::kMaxBacklogBatchEvents;
};

// Why events were lost, reported to the backend in the next batch body ("dropped").
struct DropCounts {
  std::uint64_t queue_full = 0;   // queue over max_events / max_bytes: oldest waiting events dropped
  std::uint64_t rejected = 0;     // backend answered a non-retryable 4xx for the batch
  std::uint64_t too_large = 0;    // a single event still got 413
  std::uint64_t storage_full = 0; // the store was full: the SDK freed its own oldest waiting events
  bool any() const { return queue_full || rejected || too_large || storage_full; }
  void add(const DropCounts& o) {
    queue_full += o.queue_full;
    rejected += o.rejected;
    too_large += o.too_large;
    storage_full += o.storage_full;
  }
  nlohmann::json to_json() const;
  static DropCounts from_json(const nlohmann::json& j);
};

struct Batch {
  std::uint64_t id = 0;
  std::vector<std::string> events;  // serialised events, oldest first
  std::vector<std::string> keys;    // record key of each event (parallel to events; "" = none)
  std::size_t bytes = 0;            // sum of event sizes
  int attempts = 0;                 // failed attempts so far
  std::int64_t not_before = 0;      // backoff: do not send before this time
  bool in_flight = false;
  std::int64_t sent_at = 0;
  DropCounts carried;               // drop counts reported by this batch's body
};

// What a delivery result did, for the debug log and the API.
struct DeliveryOutcome {
  std::string action;   // "done", "retry", "split", "drop", "unknown_batch"
  std::size_t events = 0;
  std::int64_t retry_at = 0;  // for "retry"
};

class BatchQueue {
 public:
  explicit BatchQueue(BatchQueueConfig config = {});

  // Appends a serialised event stored under record `key` ("" when it has none); over the bounds
  // the oldest waiting events are dropped (counted; their keys go to take_dropped_keys()).
  void push(std::string event_json, std::int64_t now, std::string key = {});
  // Frees the oldest `n` waiting (not in flight) events, counted as `storage_full`.
  std::size_t shed(std::size_t n);
  // Forgets the waiting events stored under `keys` (another tab sends them now), uncounted.
  std::size_t release(const std::vector<std::string>& keys);
  // Keys of the events dropped since the last call (their records must be deleted).
  std::vector<std::string> take_dropped_keys();
  // Every record key in the queue, and those of the batches in flight.
  std::vector<std::string> keys(bool in_flight_only) const;
  // The drop counts kept in the small state (the queue itself lives in the record store).
  void restore_drops(const DropCounts& unreported, const DropCounts& total) {
    dropped_unreported_ = unreported;
    dropped_total_ = total;
  }
  const DropCounts& dropped_unreported() const { return dropped_unreported_; }

  // Cuts pending events into batches if a trigger fired at `now` (or always when `force`): flush_at
  // events each, or, when more are waiting (a backlog), as many as flush_bytes holds.
  void form_batches(std::int64_t now, bool force);
  // Ids of batches that may be sent now, oldest first, respecting the in-flight limit and backoff
  // unless `unloading` (last chance before the page goes away: everything not in flight).
  std::vector<std::uint64_t> sendable(std::int64_t now, bool unloading) const;
  const Batch* find(std::uint64_t id) const;
  void mark_in_flight(std::uint64_t id, std::int64_t now);
  // Batches nobody answered within in_flight_timeout_ms (the request was lost with the page or the
  // network) become sendable again; the backend dedupes a re-send. Returns how many.
  std::size_t expire_in_flight(std::int64_t now);

  DeliveryOutcome on_result(std::uint64_t id, int http_status, std::int64_t retry_after_ms, std::int64_t now, Random& rng);
  // The same with the action already decided (Engine::delivered turns an unconfirmed 2xx into kRetry).
  DeliveryOutcome on_result(std::uint64_t id, DeliveryAction action, std::int64_t retry_after_ms, std::int64_t now,
                            Random& rng);

  // Back online / visible again: every waiting batch whose backoff ends later becomes due at
  // now + uniform(0, kResumeJitterMs) (one draw for all), and its attempts restart at 0, so a
  // failure on the new network backs off from the base again. In-flight batches are untouched; the
  // in-flight limit still bounds the drain; a batch in flight now that fails later backs off from
  // the base too (it went out before the network came back). Returns how many batches were made
  // due sooner.
  std::size_t resume(std::int64_t now, Random& rng);

  // The next time something becomes due (flush interval, a backoff ending, an in-flight timeout).
  std::optional<std::int64_t> next_wake() const;

  std::size_t pending_events() const { return pending_.size(); }
  std::size_t total_events() const { return total_events_; }
  std::size_t total_bytes() const { return total_bytes_; }
  std::size_t batch_count() const { return batches_.size(); }
  const DropCounts& dropped_total() const { return dropped_total_; }
  const BatchQueueConfig& config() const { return config_; }
  void set_config(const BatchQueueConfig& c) { config_ = c; }
  void clear();

  // Snapshot: a header (JSON) plus the serialised events in order, one per element. In-flight
  // batches are restored as ready to send: the page that sent them is gone, so the answer is lost;
  // the backend dedupes on messageId.
  nlohmann::json header() const;
  std::vector<const std::string*> event_lines() const;
  std::vector<const std::string*> event_keys() const;  // parallel to event_lines()
  // Restores from a header and the event lines (with their record keys, parallel, or empty);
  // false (queue left empty) if they do not fit together.
  bool restore(const nlohmann::json& header, std::vector<std::string> lines, std::string* error,
               std::vector<std::string> keys = {});

 private:
  void enforce_bounds();
  void drop_front_event(std::uint64_t DropCounts::*reason);
  // Drop counts whose carrier is gone (dropped, rejected, emptied) must still reach the backend.
  void report_drops(const DropCounts& d);
  void carrier_rejected(const Batch& b);  // the backend refused batch b: its counts go back

  BatchQueueConfig config_;
  std::deque<Batch> batches_;            // formed, oldest first
  std::deque<std::string> pending_;      // not yet in a batch, oldest first
  std::deque<std::string> pending_keys_; // their record keys (parallel)
  std::vector<std::string> dropped_keys_;
  std::size_t pending_bytes_ = 0;
  std::int64_t oldest_pending_at_ = 0;
  std::size_t total_events_ = 0;
  std::size_t total_bytes_ = 0;
  std::uint64_t next_batch_id_ = 1;
  DropCounts dropped_unreported_;        // goes into the next formed batch (form_batches)
  DropCounts dropped_total_;             // since start, for stats
  bool drop_report_refused_ = false;     // a batch of only drop counts was refused: wait for events
  std::int64_t resumed_at_ = std::numeric_limits<std::int64_t>::min();  // last resume() (not persisted)
};

}  // namespace touchpoint
