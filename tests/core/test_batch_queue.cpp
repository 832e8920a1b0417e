#include <doctest/doctest.h>

#include "touchpoint/batch_queue.hpp"

using namespace touchpoint;

namespace {
std::string ev(int i, std::size_t pad = 0) { return "{\"i\":" + std::to_string(i) + ",\"p\":\"" + std::string(pad, 'x') + "\"}"; }
BatchQueueConfig small() {
  BatchQueueConfig c;
  c.flush_at = 3;
  c.flush_bytes = 1000;
  c.flush_interval_ms = 5000;
  c.max_events = 10;
  c.max_bytes = 100000;
  c.max_in_flight = 2;
  c.backlog_batch_events = 0;  // batches of exactly flush_at (backlog packing has its own test)
  return c;
}
}  // namespace

TEST_CASE("batch queue: flushes at N events") {
  BatchQueue q(small());
  q.push(ev(1), 0);
  q.push(ev(2), 1);
  q.form_batches(2, false);
  CHECK(q.sendable(2, false).empty());
  q.push(ev(3), 2);
  q.form_batches(2, false);
  auto ids = q.sendable(2, false);
  REQUIRE(ids.size() == 1);
  CHECK(q.find(ids[0])->events.size() == 3);
  CHECK(q.pending_events() == 0);
}

TEST_CASE("batch queue: flushes at B bytes, never splitting an event") {
  BatchQueue q(small());
  q.push(ev(1, 600), 0);
  q.form_batches(0, false);
  CHECK(q.batch_count() == 0);
  q.push(ev(2, 600), 0);  // 1200 bytes pending >= 1000
  q.form_batches(0, false);
  REQUIRE(q.batch_count() == 1);  // a batch stays under flush_bytes: the second event waits
  CHECK(q.pending_events() == 1);
  auto ids = q.sendable(0, false);
  REQUIRE(ids.size() == 1);
  CHECK(q.find(ids[0])->events.size() == 1);
  q.push(ev(3, 600), 0);  // 1220 bytes pending again
  q.form_batches(0, false);
  CHECK(q.batch_count() == 2);
}

TEST_CASE("batch queue: a backlog is packed up to flush_bytes per batch") {
  BatchQueueConfig c = small();
  c.backlog_batch_events = 1000;
  c.max_events = 100;
  BatchQueue q(c);
  for (int i = 0; i < 3; ++i) q.push(ev(i), 0);  // exactly flush_at waiting: one batch of flush_at
  q.form_batches(0, false);
  REQUIRE(q.batch_count() == 1);
  CHECK(q.find(q.sendable(0, false).at(0))->events.size() == 3);
  for (int i = 0; i < 8; ++i) q.push(ev(i), 0);  // a burst of 8 small events: one request
  q.form_batches(0, false);
  REQUIRE(q.batch_count() == 2);
  CHECK(q.pending_events() == 0);
  for (int i = 0; i < 9; ++i) q.push(ev(i, 200), 0);  // ~210 bytes each: 4 fit in 1000 bytes
  q.form_batches(0, false);
  REQUIRE(q.batch_count() == 4);  // 4 + 4, the ninth waits (one event is below flush_at)
  CHECK(q.pending_events() == 1);
  const auto ids = q.sendable(0, true);
  REQUIRE(ids.size() == 4);
  CHECK(q.find(ids[1])->events.size() == 8);
  CHECK(q.find(ids[2])->events.size() == 4);
  CHECK(q.find(ids[3])->events.size() == 4);
  CHECK(q.find(ids[3])->bytes <= c.flush_bytes);
  c.backlog_batch_events = 5;  // the per-batch cap of a packed backlog
  BatchQueue capped(c);
  for (int i = 0; i < 12; ++i) capped.push(ev(i), 0);
  capped.form_batches(0, false);
  const auto capped_ids = capped.sendable(0, true);
  REQUIRE(capped_ids.size() == 2);
  CHECK(capped.find(capped_ids[0])->events.size() == 5);
  CHECK(capped.find(capped_ids[1])->events.size() == 5);
  CHECK(capped.pending_events() == 2);
}

TEST_CASE("batch queue: flushes T ms after the oldest event, not before") {
  BatchQueue q(small());
  q.push(ev(1), 1000);
  q.push(ev(2), 4000);
  CHECK(q.next_wake() == 6000);
  q.form_batches(5999, false);
  CHECK(q.batch_count() == 0);
  q.form_batches(6000, false);
  CHECK(q.batch_count() == 1);
  CHECK(q.find(q.sendable(6000, false)[0])->events.size() == 2);
}

TEST_CASE("batch queue: in-flight limit and delivery") {
  BatchQueue q(small());
  Random rng(1);
  for (int i = 0; i < 9; ++i) q.push(ev(i), 0);
  q.form_batches(0, false);
  CHECK(q.batch_count() == 3);
  auto ids = q.sendable(0, false);
  REQUIRE(ids.size() == 2);  // max_in_flight
  for (auto id : ids) q.mark_in_flight(id, 0);
  CHECK(q.sendable(0, false).empty());
  CHECK(q.on_result(ids[0], 200, 0, 10, rng).action == "done");
  CHECK(q.total_events() == 6);
  auto next = q.sendable(10, false);
  REQUIRE(next.size() == 1);
  CHECK(next[0] == 3);
  CHECK(q.on_result(999, 200, 0, 10, rng).action == "unknown_batch");
}

TEST_CASE("batch queue: backoff schedule under a fake clock honours Retry-After") {
  BatchQueueConfig c = small();
  c.max_in_flight = 1;
  BatchQueue q(c);
  Random rng(3);
  for (int i = 0; i < 3; ++i) q.push(ev(i), 0);
  q.form_batches(0, false);
  std::uint64_t id = q.sendable(0, false).at(0);
  std::int64_t now = 0;
  for (int attempt = 1; attempt <= 12; ++attempt) {
    q.mark_in_flight(id, now);
    auto o = q.on_result(id, attempt == 5 ? 429 : 503, attempt == 5 ? 120000 : 0, now, rng);
    CHECK(o.action == "retry");
    std::int64_t ceiling = 1000;
    for (int i = 1; i < attempt && ceiling < 300000; ++i) ceiling *= 2;
    if (ceiling > 300000) ceiling = 300000;
    CHECK(o.retry_at - now <= std::max<std::int64_t>(ceiling, attempt == 5 ? 120000 : 0));
    if (attempt == 5) CHECK(o.retry_at - now >= 120000);
    CHECK(q.next_wake() == o.retry_at);
    if (o.retry_at > now) CHECK(q.sendable(o.retry_at - 1, false).empty());
    now = o.retry_at;
    REQUIRE(q.sendable(now, false).size() == 1);
  }
  CHECK(q.find(id)->attempts == 12);
  // unloading ignores backoff: a last chance before the page goes away
  q.mark_in_flight(id, now);
  q.on_result(id, 500, 0, now, rng);
  CHECK(q.sendable(now, true).size() == 1);
}

TEST_CASE("batch queue: 413 splits the batch, a single event is dropped and counted") {
  BatchQueue q(small());
  Random rng(1);
  for (int i = 0; i < 3; ++i) q.push(ev(i), 0);
  q.form_batches(0, false);
  auto id = q.sendable(0, false).at(0);
  q.mark_in_flight(id, 0);
  CHECK(q.on_result(id, 413, 0, 0, rng).action == "split");
  CHECK(q.batch_count() == 2);
  auto ids = q.sendable(0, false);
  REQUIRE(ids.size() == 2);
  CHECK(q.find(ids[0])->events.size() == 1);
  CHECK(q.find(ids[0])->events[0] == ev(0));
  CHECK(q.find(ids[1])->events.size() == 2);
  q.mark_in_flight(ids[0], 0);
  CHECK(q.on_result(ids[0], 413, 0, 0, rng).action == "drop");
  CHECK(q.dropped_total().too_large == 1);
  CHECK(q.total_events() == 2);
  // the drop is reported by the next batch formed
  for (int i = 10; i < 13; ++i) q.push(ev(i), 0);
  q.form_batches(0, false);
  const Batch* last = nullptr;
  for (auto bid : q.sendable(0, true)) last = q.find(bid);
  REQUIRE(last);
  CHECK(last->carried.too_large == 1);
}

TEST_CASE("batch queue: other 4xx drop the batch and report why") {
  BatchQueue q(small());
  Random rng(1);
  for (int i = 0; i < 3; ++i) q.push(ev(i), 0);
  q.form_batches(0, false);
  auto id = q.sendable(0, false).at(0);
  q.mark_in_flight(id, 0);
  CHECK(q.on_result(id, 400, 0, 0, rng).action == "drop");
  CHECK(q.total_events() == 0);
  CHECK(q.dropped_total().rejected == 3);
}

TEST_CASE("batch queue: bounded; drops the oldest waiting event, never one in flight") {
  BatchQueue q(small());  // max 10 events
  Random rng(1);
  for (int i = 0; i < 3; ++i) q.push(ev(i), 0);
  q.form_batches(0, false);
  auto id = q.sendable(0, false).at(0);
  q.mark_in_flight(id, 0);
  for (int i = 3; i < 15; ++i) q.push(ev(i), 0);
  CHECK(q.total_events() == 10);
  CHECK(q.dropped_total().queue_full == 5);
  CHECK(q.find(id)->events.size() == 3);  // in flight: untouched
  auto lines = q.event_lines();
  CHECK(*lines[3] == ev(8));  // 3..7 dropped, oldest first
  BatchQueueConfig by_bytes = small();
  by_bytes.max_bytes = 300;
  BatchQueue qb(by_bytes);
  for (int i = 0; i < 10; ++i) qb.push(ev(i, 90), 0);
  CHECK(qb.total_bytes() <= 300);
  CHECK(qb.dropped_total().queue_full > 0);
}

TEST_CASE("batch queue: snapshot round trip; in-flight batches come back ready") {
  BatchQueue q(small());
  Random rng(1);
  for (int i = 0; i < 7; ++i) q.push(ev(i), 100);
  q.form_batches(100, false);
  auto ids = q.sendable(100, false);
  q.mark_in_flight(ids[0], 100);
  q.mark_in_flight(ids[1], 100);
  q.on_result(ids[1], 500, 0, 200, rng);
  std::vector<std::string> lines;
  for (auto* l : q.event_lines()) lines.push_back(*l);
  BatchQueue r(small());
  std::string err;
  REQUIRE(r.restore(q.header(), lines, &err));
  CHECK(r.total_events() == 7);
  CHECK(r.batch_count() == 2);
  CHECK(r.pending_events() == 1);
  CHECK(r.find(ids[0])->in_flight == false);
  CHECK(r.find(ids[1])->attempts == 1);
  // a mismatched header is refused and leaves the queue empty
  lines.pop_back();
  CHECK_FALSE(r.restore(q.header(), lines, &err));
  CHECK(err.find("announces") != std::string::npos);
  CHECK(r.total_events() == 0);
  CHECK_FALSE(r.restore(nlohmann::json("garbage"), {}, &err));
}

TEST_CASE("batch queue: a batch nobody answered is sent again after the in-flight timeout") {
  BatchQueue q(small());
  for (int i = 0; i < 3; ++i) q.push(ev(i), 0);
  q.form_batches(0, false);
  auto id = q.sendable(0, false).at(0);
  q.mark_in_flight(id, 1000);
  CHECK(q.next_wake() == 1000 + limits::kInFlightTimeoutMs);
  CHECK(q.expire_in_flight(1000 + limits::kInFlightTimeoutMs - 1) == 0);
  CHECK(q.sendable(1000 + limits::kInFlightTimeoutMs - 1, false).empty());
  CHECK(q.expire_in_flight(1000 + limits::kInFlightTimeoutMs) == 1);
  CHECK(q.sendable(1000 + limits::kInFlightTimeoutMs, false) == std::vector<std::uint64_t>{id});
}
