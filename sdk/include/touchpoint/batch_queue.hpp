// The bounded queue of serialised events and the batches formed from it. It decides when a batch is
// due (N events, B bytes, or T ms after the oldest), which batches may go out now (in-flight limit,
// backoff), and what happens after a delivery result. It never does I/O.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <deque>
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
  // A backlog (more than flush_at waiting) is packed up to flush_bytes, at most this many events
  // per batch; 0 cuts it at flush_at like any batch.
  std::size_t backlog_batch_events = limits::kMaxBacklogBatchEvents;
};

// Why events were lost, reported to the backend in the next batch body ("dropped").
struct DropCounts {
  std::uint64_t queue_full = 0;   // queue over max_events / max_bytes: oldest waiting events dropped
  std::uint64_t rejected = 0;     // backend answered a non-retryable 4xx for the batch
  std::uint64_t too_large = 0;    // a single event still got 413
  bool any() const { return queue_full || rejected || too_large; }
  void add(const DropCounts& o) { queue_full += o.queue_full; rejected += o.rejected; too_large += o.too_large; }
  nlohmann::json to_json() const;
  static DropCounts from_json(const nlohmann::json& j);
};

struct Batch {
  std::uint64_t id = 0;
  std::vector<std::string> events;  // serialised events, oldest first
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

  // Appends a serialised event; over the bounds the oldest waiting events are dropped (counted).
  void push(std::string event_json, std::int64_t now);

  // Cuts pending events into batches if a trigger fired at `now` (or always when `force`): flush_at
  // events each, or, when more are waiting (a backlog), as many as flush_bytes holds.
  void form_batches(std::int64_t now, bool force);
  // Ids of batches that may be sent now, oldest first, respecting the in-flight limit and backoff
  // unless `unloading` (last chance before the page goes away: everything not in flight).
  std::vector<std::uint64_t> sendable(std::int64_t now, bool unloading) const;
  const Batch* find(std::uint64_t id) const;
  void mark_in_flight(std::uint64_t id, std::int64_t now);
  // Batches nobody answered within kInFlightTimeoutMs (the request was lost with the page or the
  // network) become sendable again; the backend dedupes a re-send. Returns how many.
  std::size_t expire_in_flight(std::int64_t now);

  DeliveryOutcome on_result(std::uint64_t id, int http_status, std::int64_t retry_after_ms, std::int64_t now, Random& rng);

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
  // Restores from a header and the event lines; false (queue left empty) if they do not fit together.
  bool restore(const nlohmann::json& header, std::vector<std::string> lines, std::string* error);

 private:
  void enforce_bounds();
  void drop_front_event();

  BatchQueueConfig config_;
  std::deque<Batch> batches_;            // formed, oldest first
  std::deque<std::string> pending_;      // not yet in a batch, oldest first
  std::size_t pending_bytes_ = 0;
  std::int64_t oldest_pending_at_ = 0;
  std::size_t total_events_ = 0;
  std::size_t total_bytes_ = 0;
  std::uint64_t next_batch_id_ = 1;
  DropCounts dropped_unreported_;        // goes into the next formed batch
  DropCounts dropped_total_;             // since start, for stats
};

}  // namespace touchpoint
