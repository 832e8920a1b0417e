// What to do with a batch after the backend (or the network) answered, and when to try again.
#pragma once
#include <cstdint>

#include "touchpoint/random.hpp"

namespace touchpoint {

enum class DeliveryAction {
  kDone,    // 2xx: the backend has the events (Engine::delivered also wants the collector's ack)
  kRetry,   // network error or timeout (status 0), 3xx (a redirect is never followed: the endpoint
            // moved or a portal intercepts; the next try may reach it), 408, 429, 5xx: backoff
  kSplit,   // 413: the batch is too big; split it in halves (a single event is dropped)
  kDrop,    // any other status (4xx, 1xx): the backend will never take it; drop and report
};

DeliveryAction classify_status(int http_status);
inline bool is_redirect_status(int s) { return s >= 300 && s < 400; }

// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
// delay = uniform(0, min(cap, base * 2^(attempt-1))), then at least Retry-After when the server sent
// one (clamped to kMaxRetryAfterMs). `attempt` counts failures so far, starting at 1.
std::int64_t retry_delay_ms(int attempt, std::int64_t retry_after_ms, Random& rng);

}  // namespace touchpoint
