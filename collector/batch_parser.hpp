// Turns a batch body's JSON text into rows to store and per-event rejections. No I/O.
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "event_store.hpp"

namespace touchpoint::collector {

struct RejectedEvent {
  std::size_t index = 0;  // position in "batch"
  std::string code;       // touchpoint::ValidationError::code, or the collector's own
  std::string field;      // JSON pointer inside the event
  std::string message;
};

struct ParsedBatch {
  std::vector<EventRecord> events;     // valid events, in body order
  std::vector<RejectedEvent> rejected;
  std::size_t event_count = 0;         // size of "batch"
  std::optional<std::string> sent_at;  // body "sentAt"
  std::optional<std::string> write_key;  // body "writeKey" (the SDK puts it there, not in the URL)
  DroppedCounts dropped;
};

struct BatchLimits {
  std::size_t max_events = 2000;  // CollectorOptions::max_batch_events
};

struct BatchParseError {
  std::string code;  // "invalid_json", "batch_missing", "batch_not_array", "too_many_events"
  std::string message;
};

// Parses `json_text` (invalid UTF-8 is repaired first, as a browser's TextDecoder would) and
// validates every event with touchpoint::validate_event. A malformed body yields an error; a bad
// event only lands in `rejected` with its index. The body is split into event spans by a scanner
// (json_scan.hpp) and each event is parsed on its own, so memory is the body plus one event, not a
// DOM of the whole batch; more than limits.max_events events is an error ("too_many_events").
std::optional<BatchParseError> parse_batch(std::string json_text, const BatchLimits& limits, ParsedBatch* out);

}  // namespace touchpoint::collector
