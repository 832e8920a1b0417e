#include <doctest/doctest.h>

#include "touchpoint/limits.hpp"
#include "touchpoint/retry_policy.hpp"

using namespace touchpoint;

TEST_CASE("retry policy: status classes") {
  CHECK(classify_status(200) == DeliveryAction::kDone);
  CHECK(classify_status(204) == DeliveryAction::kDone);
  CHECK(classify_status(0) == DeliveryAction::kRetry);
  CHECK(classify_status(408) == DeliveryAction::kRetry);
  CHECK(classify_status(429) == DeliveryAction::kRetry);
  CHECK(classify_status(500) == DeliveryAction::kRetry);
  CHECK(classify_status(503) == DeliveryAction::kRetry);
  CHECK(classify_status(413) == DeliveryAction::kSplit);
  CHECK(classify_status(400) == DeliveryAction::kDrop);
  CHECK(classify_status(401) == DeliveryAction::kDrop);
  CHECK(classify_status(302) == DeliveryAction::kRetry);  // a redirect is never followed, never dropped
  CHECK(classify_status(301) == DeliveryAction::kRetry);
  CHECK(classify_status(308) == DeliveryAction::kRetry);
  CHECK(classify_status(101) == DeliveryAction::kDrop);
}

TEST_CASE("retry policy: full jitter grows exponentially up to the cap") {
  Random rng(42);
  for (int attempt = 1; attempt <= 20; ++attempt) {
    std::int64_t ceiling = limits::kRetryBaseMs;
    for (int i = 1; i < attempt && ceiling < limits::kRetryCapMs; ++i) ceiling *= 2;
    if (ceiling > limits::kRetryCapMs) ceiling = limits::kRetryCapMs;
    std::int64_t lo = ceiling, hi = 0;
    for (int k = 0; k < 2000; ++k) {
      const std::int64_t d = retry_delay_ms(attempt, 0, rng);
      CHECK(d >= 0);
      CHECK(d <= ceiling);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // full jitter spreads over the whole range
    CHECK(lo < ceiling / 10 + 1);
    CHECK(hi > ceiling * 9 / 10);
  }
  CHECK(retry_delay_ms(100, 0, rng) <= limits::kRetryCapMs);
}

TEST_CASE("retry policy: Retry-After is a floor, clamped") {
  Random rng(7);
  for (int k = 0; k < 100; ++k) CHECK(retry_delay_ms(1, 30000, rng) == 30000);
  CHECK(retry_delay_ms(1, 10LL * 24 * 3600 * 1000, rng) == limits::kMaxRetryAfterMs);
}
