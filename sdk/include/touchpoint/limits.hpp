// Named limits of the core, each with the precedent it follows.
#pragma once
#include <cstddef>
#include <cstdint>

namespace touchpoint::limits {

// Event validation (Segment's tracking plan limits event names to 255 chars; Amplitude 1024).
constexpr std::size_t kMaxEventNameLength = 255;
// Nested objects/arrays inside properties/traits (Mixpanel flattens past 3; PostHog caps JSON depth ~20).
constexpr std::size_t kMaxNestingDepth = 16;
// One string value (Amplitude truncates at 1024 chars, Mixpanel 255 B; we keep longer text like URLs).
constexpr std::size_t kMaxStringBytes = 8 * 1024;
// One serialised event (Segment's API rejects events over 32 KB).
constexpr std::size_t kMaxEventBytes = 32 * 1024;
// Keys in one properties/traits object (Mixpanel: 255 properties per event).
constexpr std::size_t kMaxObjectKeys = 255;

// Batching defaults (Segment analytics.js: flushAt 20; keepalive fetch budget is 64 KB per page).
constexpr std::size_t kDefaultFlushAt = 20;
// flushBytes: 20 events of ~750 bytes stay far below it; a backlog is packed up to it, and each
// request costs the page ~0.5-1 ms of fetch() in Chromium, so a 5,000-event burst takes ~15
// requests (~13 KB gzip each, well inside the 64 KB keepalive budget) instead of 250.
constexpr std::size_t kDefaultFlushBytes = 256 * 1024;
constexpr std::int64_t kDefaultFlushIntervalMs = 5000;
// A backlog (a burst, events kept through an outage) is packed into batches of up to flushBytes,
// and at most this many events (the collector accepts 2,000 per batch).
constexpr std::size_t kMaxBacklogBatchEvents = 1000;
// Queue bounds: beyond them the oldest waiting events are dropped and counted (analytics-node: maxQueueSize).
constexpr std::size_t kDefaultMaxQueueEvents = 10000;
constexpr std::size_t kDefaultMaxQueueBytes = 4 * 1024 * 1024;
// Batches in flight at once (browsers allow ~6 connections per host; leave room for the page).
constexpr std::size_t kMaxBatchesInFlight = 2;
// A batch body must fit the collector's limit even before compression.
constexpr std::size_t kMaxBatchBodyBytes = 512 * 1024;

// Retry: exponential backoff with full jitter (AWS architecture blog), base 1 s, cap 5 min.
constexpr std::int64_t kRetryBaseMs = 1000;
constexpr std::int64_t kRetryCapMs = 5 * 60 * 1000;
// Retry-After values beyond this are clamped (a broken server must not park the queue for days).
constexpr std::int64_t kMaxRetryAfterMs = 60 * 60 * 1000;
// A batch nobody answered (page closed mid-request, snapshot restored) is re-sent after this.
constexpr std::int64_t kInFlightTimeoutMs = 60 * 1000;

}  // namespace touchpoint::limits
