#include "touchpoint/retry_policy.hpp"

#include <algorithm>

#include "touchpoint/limits.hpp"

namespace touchpoint {

DeliveryAction classify_status(int s) {
  if (s >= 200 && s < 300) return DeliveryAction::kDone;
  if (s == 0 || is_redirect_status(s) || s == 408 || s == 429 || s >= 500) return DeliveryAction::kRetry;
  if (s == 413) return DeliveryAction::kSplit;
  return DeliveryAction::kDrop;
}

std::int64_t retry_delay_ms(int attempt, std::int64_t retry_after_ms, Random& rng) {
  if (attempt < 1) attempt = 1;
  std::int64_t ceiling = limits::kRetryBaseMs;
  for (int i = 1; i < attempt && ceiling < limits::kRetryCapMs; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, limits::kRetryCapMs);
  std::int64_t delay = rng.uniform(ceiling);
  if (retry_after_ms > 0) delay = std::max(delay, std::min(retry_after_ms, limits::kMaxRetryAfterMs));
  return delay;
}

}  // namespace touchpoint
