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
// Queue bounds: beyond them the oldest waiting events are dropped and counted as `queue_full`
// (analytics-node: maxQueueSize). Sized for a kiosk offline for a day: 50,000 events or 20 MB
// (Amplitude keeps 1,000 by default, Snowplow's IndexedDB store is unbounded; issue 7 asks >= 50k).
// Each event is its own record in the shared store (docs/storage.md), so a big queue costs
// nothing per change.
constexpr std::size_t kDefaultMaxQueueEvents = 50000;
constexpr std::size_t kDefaultMaxQueueBytes = 20 * 1024 * 1024;
// When the store is full, the SDK frees this share of its own oldest waiting events (counted as
// `storage_full`) before it tries the write again (like a cache evicting its oldest quarter).
constexpr std::size_t kStorageFullShedDivisor = 4;
// Events written by a page that was unloading are checked against the collector's receipts
// (POST /v1/receipts) before they are sent again, this many messageIds per query: the answer
// ({"stored":[ids]}, 39 bytes per id) must fit the 4 KiB the shell reads of any response.
constexpr std::size_t kMaxReceiptQueryIds = 80;
// ...and only this long after the next page adopted them: the unloading page's keepalive requests
// may still be on their way to the collector when the next page starts (a fast reload).
constexpr std::int64_t kReceiptGraceMs = 3000;
// Batches in flight at once (browsers allow ~6 connections per host; leave room for the page).
constexpr std::size_t kMaxBatchesInFlight = 2;
// A batch body must fit the collector's limit even before compression.
constexpr std::size_t kMaxBatchBodyBytes = 512 * 1024;

// Retry: exponential backoff with full jitter (AWS architecture blog), base 1 s, cap 5 min.
constexpr std::int64_t kRetryBaseMs = 1000;
constexpr std::int64_t kRetryCapMs = 5 * 60 * 1000;
// Retry-After values beyond this are clamped (a broken server must not park the queue for days).
constexpr std::int64_t kMaxRetryAfterMs = 60 * 60 * 1000;
// Every event request is aborted after this and counts as a network error (init option
// requestTimeoutMs; the shell's fetchSend/wx.request enforce it). Segment's analytics-next gives up
// on a fetch after 10 s, analytics-node after 10 s, wx.request defaults to (and caps at) 60 s.
constexpr std::int64_t kDefaultRequestTimeoutMs = 15 * 1000;
constexpr std::int64_t kMinRequestTimeoutMs = 1000;
constexpr std::int64_t kMaxRequestTimeoutMs = 60 * 1000;
// A batch nobody answered (page closed mid-request, snapshot restored) is re-sent after the request
// timeout plus this grace: the shell always answers by then (a timeout is an answer, status 0), so
// the core never re-sends a batch whose request is still running.
constexpr std::int64_t kInFlightGraceMs = 5 * 1000;
constexpr std::int64_t kInFlightTimeoutMs = kDefaultRequestTimeoutMs + kInFlightGraceMs;
// Back online or visible again: waiting batches become due within this jitter (uniform, one draw
// per resume), so a store full of kiosks reconnecting at once does not hit the backend in lockstep.
constexpr std::int64_t kResumeJitterMs = 1000;

}  // namespace touchpoint::limits
