// Issue 7, "delivery is confirmed only by the collector": the acknowledgement check, what the engine
// does with an answer that is not one, redirects, resume after a reconnect, and drop counts that
// must reach the backend even when the bodies carrying them are refused.
#include <doctest/doctest.h>

#include <optional>

#include "../../sdk/src/delivery_ack.hpp"
#include "engine_test_support.hpp"
#include "touchpoint/batch_queue.hpp"
#include "touchpoint/engine.hpp"

using namespace touchpoint;
using touchpoint::test::ack;
using touchpoint::test::track_line;
using nlohmann::json;

namespace {

constexpr const char* kPortalHtml = "<!DOCTYPE html><html><body><h1>Wi-Fi login</h1></body></html>";

EngineConfig config(std::size_t flush_at = 4) {
  EngineConfig c;
  c.write_key = "wk_test";
  c.compress = false;
  c.seed = "confirm-seed";
  c.queue.flush_at = flush_at;
  c.queue.backlog_batch_events = 0;  // batches of exactly flushAt (backlog packing has its own test)
  return c;
}

json out_json(const Output& o) { return json::parse(o.to_json()); }

// Queues `n` tracks at `now` (flush_at is 4: the session_start plus 3 tracks fill the first batch)
// and returns the engine's output.
json track_n(Engine& e, int n, std::int64_t now, const std::string& name = "ev") {
  std::string calls;
  for (int i = 0; i < n; ++i) calls += track_line(name, now, "{\"i\":" + std::to_string(i) + "}");
  return out_json(e.ingest(calls, now));
}

std::vector<std::string> codes(const json& out) {
  std::vector<std::string> c;
  for (const auto& e : out["errors"]) c.push_back(e["code"].get<std::string>());
  return c;
}

json body_of(const Engine& e, std::uint64_t id) { return json::parse(e.batch_body(id)); }

// Answers every batch the engine hands out with `status`, including the ones its answers hand out,
// until none is sent (bounded: a zero backoff draw re-sends at once).
void answer_all(Engine& e, const json& out, int status, const std::string& body, std::int64_t now) {
  std::vector<std::uint64_t> todo;
  for (const auto& s : out["send"]) todo.push_back(s["id"].get<std::uint64_t>());
  for (int guard = 0; !todo.empty() && guard < 1000; ++guard) {
    const auto id = todo.back();
    todo.pop_back();
    const json o = out_json(e.delivered(id, status, 0, body, now));
    for (const auto& s : o["send"]) todo.push_back(s["id"].get<std::uint64_t>());
  }
  REQUIRE(todo.empty());
}

}  // namespace

TEST_CASE("delivery ack: only the collector's acknowledgement of this batch parses") {
  std::string why;
  auto a = parse_delivery_ack("{\"accepted\":3,\"duplicates\":1,\"rejected\":[]}", 4, &why);
  REQUIRE(a);
  CHECK(a->accepted == 3);
  CHECK(a->duplicates == 1);
  CHECK(a->rejected_total == 0);
  a = parse_delivery_ack("{\"accepted\":1,\"duplicates\":0,\"rejected\":[{\"index\":1,\"code\":\"x\"}],\"extra\":true}", 2, &why);
  REQUIRE(a);
  CHECK(a->rejected.size() == 1);
  // rejectedTotal counts the rejections the collector did not list (more than 1000)
  a = parse_delivery_ack("{\"accepted\":1,\"duplicates\":0,\"rejected\":[{}],\"rejectedTotal\":5}", 6, &why);
  REQUIRE(a);
  CHECK(a->rejected_total == 5);

  struct Case { const char* body; const char* why_contains; };
  const Case bad[] = {
      {"", "empty"},
      {kPortalHtml, "HTML"},
      {"OK", "not JSON"},
      {"{\"accepted\":3,\"duplicates\":1,\"rejected\":[]", "not JSON"},  // cut short
      {"null", "not an acknowledgement"},
      {"[]", "not an acknowledgement"},
      {"{}", "lacks"},
      {"{\"status\":\"ok\"}", "lacks"},
      {"{\"accepted\":\"4\",\"duplicates\":0,\"rejected\":[]}", "lacks"},
      {"{\"accepted\":4,\"duplicates\":0}", "lacks"},
      {"{\"accepted\":4,\"duplicates\":0,\"rejected\":{}}", "lacks"},
      {"{\"accepted\":-1,\"duplicates\":5,\"rejected\":[]}", "lacks"},
      {"{\"accepted\":3.5,\"duplicates\":0.5,\"rejected\":[]}", "lacks"},
      {"{\"accepted\":4,\"duplicates\":0,\"rejected\":[1]}", "not an object"},
      {"{\"accepted\":4,\"duplicates\":0,\"rejected\":[],\"rejectedTotal\":\"0\"}", "rejectedTotal"},
      {"{\"accepted\":2,\"duplicates\":0,\"rejected\":[]}", "do not add up"},   // another batch's answer
      {"{\"accepted\":5,\"duplicates\":0,\"rejected\":[]}", "do not add up"},
      {"{\"accepted\":18446744073709551615,\"duplicates\":5,\"rejected\":[]}", "do not add up"},  // no overflow
  };
  for (const auto& c : bad) {
    CAPTURE(c.body);
    why.clear();
    CHECK_FALSE(parse_delivery_ack(c.body, 4, &why));
    CHECK(why.find(c.why_contains) != std::string::npos);
  }
}

TEST_CASE("engine: a 2xx that is not the acknowledgement is retried and reported as delivery_unconfirmed") {
  const char* bodies[] = {kPortalHtml, "OK", "", "{\"ok\":true}", "{\"accepted\":1,\"duplicates\":0,\"rejected\":[]}"};
  for (const char* answer : bodies) {
    CAPTURE(answer);
    Engine e(config());
    json o = track_n(e, 3, 100);
    REQUIRE(o["send"].size() == 1);
    const auto id = o["send"][0]["id"].get<std::uint64_t>();
    o = out_json(e.delivered(id, 200, 0, answer, 200));
    CHECK(codes(o) == std::vector<std::string>{"delivery_unconfirmed"});
    CHECK(o["errors"][0]["message"].get<std::string>().find("-> retry") != std::string::npos);
    CHECK(e.stats()["queued"] == 4);  // still queued, not counted as delivered
    REQUIRE(o["wake"].is_number());
    const auto retry_at = o["wake"].get<std::int64_t>();
    CHECK(retry_at <= 200 + limits::kRetryBaseMs);  // first failure: full jitter under the base
    o = out_json(e.tick(retry_at));
    REQUIRE(o["send"].size() == 1);
    CHECK(o["send"][0]["attempt"] == 2);
    // the real acknowledgement then confirms it
    o = out_json(e.delivered(id, 200, 0, ack(4), retry_at + 1));
    CHECK(o["errors"].empty());
    CHECK(e.stats()["queued"] == 0);
  }
}

TEST_CASE("engine: the acknowledgement confirms; its rejected events are reported, not retried") {
  Engine e(config());
  json o = track_n(e, 3, 100);
  const auto id = o["send"][0]["id"].get<std::uint64_t>();
  o = out_json(e.delivered(id, 200, 0, "{\"accepted\":3,\"duplicates\":0,\"rejected\":[{\"index\":2,\"code\":\"event_invalid\",\"message\":\"m\"}]}", 200));
  CHECK(codes(o) == std::vector<std::string>{"event_invalid"});
  CHECK(e.stats()["queued"] == 0);
}

TEST_CASE("engine: acceptAny2xx counts any 2xx as delivered (third-party backends)") {
  ValidationError err;
  auto c = EngineConfig::from_json(json{{"writeKey", "k"}, {"acceptAny2xx", true}, {"flushAt", 4}, {"compress", false}}, &err);
  REQUIRE(c);
  CHECK(c->accept_any_2xx);
  CHECK_FALSE(EngineConfig::from_json(json{{"writeKey", "k"}}, &err)->accept_any_2xx);  // off by default
  CHECK_FALSE(EngineConfig::from_json(json{{"writeKey", "k"}, {"acceptAny2xx", "yes"}}, &err));
  CHECK(err.code == "option_invalid");
  CHECK(err.field == "/acceptAny2xx");
  for (const char* answer : {"", kPortalHtml, "{\"success\":true}"}) {
    CAPTURE(answer);
    Engine e(*c);
    json o = track_n(e, 3, 100);
    REQUIRE(o["send"].size() == 1);
    o = out_json(e.delivered(o["send"][0]["id"].get<std::uint64_t>(), 204, 0, answer, 200));
    CHECK(o["errors"].empty());
    CHECK(e.stats()["queued"] == 0);
  }
}

TEST_CASE("engine: a 3xx is retried with backoff and reported as endpoint_moved, never dropped") {
  for (int status : {301, 302, 307, 308}) {
    CAPTURE(status);
    Engine e(config());
    json o = track_n(e, 3, 100);
    const auto id = o["send"][0]["id"].get<std::uint64_t>();
    o = out_json(e.delivered(id, status, 0, "", 200));
    CHECK(codes(o) == std::vector<std::string>{"endpoint_moved"});
    CHECK(e.stats()["queued"] == 4);
    CHECK_FALSE(e.stats()["dropped"].contains("rejected"));
    const auto first_retry = o["wake"].get<std::int64_t>();
    o = out_json(e.tick(first_retry));
    REQUIRE(o["send"].size() == 1);
    o = out_json(e.delivered(id, status, 0, "", first_retry));
    CHECK(codes(o) == std::vector<std::string>{"endpoint_moved"});
    CHECK(o["wake"].get<std::int64_t>() - first_retry <= 2 * limits::kRetryBaseMs);  // backoff grows
    CHECK(e.stats()["queued"] == 4);
  }
}

TEST_CASE("engine: a network error's text (a timeout) is in the debug log; no error is raised") {
  Engine e(config());
  json o = track_n(e, 3, 100);
  o = out_json(e.delivered(o["send"][0]["id"].get<std::uint64_t>(), 0, 0, "request timed out after 15000 ms", 200));
  CHECK(o["errors"].empty());
  CHECK(o["log"][0].get<std::string>().find("HTTP 0 -> retry") != std::string::npos);
  CHECK(o["log"][0].get<std::string>().find("timed out after 15000 ms") != std::string::npos);
}

TEST_CASE("engine: requestTimeoutMs sets the in-flight timeout to the request timeout plus grace") {
  ValidationError err;
  auto def = EngineConfig::from_json(json{{"writeKey", "k"}}, &err);
  REQUIRE(def);
  CHECK(def->request_timeout_ms == 15000);
  CHECK(def->queue.in_flight_timeout_ms == limits::kDefaultRequestTimeoutMs + limits::kInFlightGraceMs);
  CHECK(limits::kInFlightTimeoutMs > limits::kDefaultRequestTimeoutMs);  // never re-sent while the request runs
  auto c = EngineConfig::from_json(json{{"writeKey", "k"}, {"requestTimeoutMs", 1500}, {"flushAt", 4}, {"compress", false}}, &err);
  REQUIRE(c);
  CHECK(c->queue.in_flight_timeout_ms == 1500 + limits::kInFlightGraceMs);
  CHECK_FALSE(EngineConfig::from_json(json{{"writeKey", "k"}, {"requestTimeoutMs", 10}}, &err));
  CHECK(err.field == "/requestTimeoutMs");
  CHECK_FALSE(EngineConfig::from_json(json{{"writeKey", "k"}, {"requestTimeoutMs", 600000}}, &err));
  // a batch whose answer never came is re-sent only after that timeout
  Engine e(*c);
  json o = track_n(e, 3, 100);
  REQUIRE(o["send"].size() == 1);
  CHECK(o["wake"] == 100 + 1500 + limits::kInFlightGraceMs);
  CHECK(out_json(e.tick(100 + 1500 + limits::kInFlightGraceMs - 1))["send"].empty());
  CHECK(out_json(e.tick(100 + 1500 + limits::kInFlightGraceMs))["send"].size() == 1);
}

TEST_CASE("batch queue: resume makes waiting batches due within the jitter and resets their backoff") {
  BatchQueueConfig qc;
  qc.flush_at = 1;
  qc.max_in_flight = 2;
  qc.backlog_batch_events = 0;
  BatchQueue q(qc);
  Random rng(7);
  for (int i = 0; i < 5; ++i) q.push("{\"i\":" + std::to_string(i) + "}", 0);
  q.form_batches(0, false);
  REQUIRE(q.batch_count() == 5);
  // an hour offline: every batch failed again and again; the last answer asked for 2 minutes
  const std::int64_t online = 3600 * 1000;
  for (int round = 0; round < 12; ++round) {
    const bool last = round == 11;
    const std::int64_t now = last ? online - 10 : round * 5 * 60 * 1000;
    for (auto id : q.sendable(now, true)) {
      q.mark_in_flight(id, now);
      q.on_result(id, last ? 503 : 0, last ? 120000 : 0, now, rng);
    }
  }
  for (auto id : q.sendable(online, true)) {
    CHECK(q.find(id)->attempts == 12);
    CHECK(q.find(id)->not_before > online + limits::kResumeJitterMs);
  }
  // one batch is in flight at the reconnect and is left alone
  const auto first = q.sendable(online, true)[0];
  q.mark_in_flight(first, online);
  Random jitter(11);
  CHECK(q.resume(online, jitter) == 4);
  std::optional<std::int64_t> due;
  for (auto id : q.sendable(online, true)) {
    const Batch* b = q.find(id);
    CHECK(b->attempts == 0);
    CHECK(b->not_before >= online);
    CHECK(b->not_before <= online + limits::kResumeJitterMs);
    if (!due) due = b->not_before;
    CHECK(b->not_before == *due);  // one draw for all
  }
  CHECK(q.find(first)->in_flight);
  CHECK(q.find(first)->attempts == 12);
  CHECK(q.next_wake().value() == *due);
  // the drain stays bounded by the in-flight limit
  const std::int64_t t = online + limits::kResumeJitterMs;
  REQUIRE(q.sendable(t, false).size() == 1);
  // a failure after the resume backs off from the base again
  const auto second = q.sendable(t, false)[0];
  q.mark_in_flight(second, t);
  auto r = q.on_result(second, 0, 0, t, rng);
  CHECK(r.retry_at <= t + limits::kRetryBaseMs);
  // the batch that was in flight at the reconnect (sent offline) fails afterwards: from the base too
  r = q.on_result(first, 0, 0, t, rng);
  CHECK(q.find(first)->attempts == 1);
  CHECK(r.retry_at <= t + limits::kRetryBaseMs);
  // a batch sent after the resume keeps growing its backoff as usual
  std::uint64_t third = 0;
  for (auto id : q.sendable(online + 3600 * 1000, true))
    if (id != first && id != second) third = id;
  REQUIRE(third != 0);
  q.mark_in_flight(third, r.retry_at + 1);
  q.on_result(third, 0, 0, r.retry_at + 2, rng);
  q.mark_in_flight(third, r.retry_at + 3);
  q.on_result(third, 0, 0, r.retry_at + 4, rng);
  CHECK(q.find(third)->attempts == 2);
}

TEST_CASE("batch queue: the resume jitter is bounded and seeded") {
  std::int64_t lo = limits::kResumeJitterMs, hi = 0;
  for (int seed = 0; seed < 200; ++seed) {
    BatchQueue q;
    Random rng(static_cast<std::uint64_t>(seed));
    q.push("{}", 0);
    q.form_batches(0, true);
    const auto id = q.sendable(0, false)[0];
    q.mark_in_flight(id, 0);
    q.on_result(id, 503, 120000, 0, rng);  // Retry-After: 2 min
    Random jitter(static_cast<std::uint64_t>(seed));
    CHECK(q.resume(1000, jitter) == 1);
    const std::int64_t d = q.find(id)->not_before - 1000;
    CHECK(d >= 0);
    CHECK(d <= limits::kResumeJitterMs);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  CHECK(hi - lo > limits::kResumeJitterMs / 2);  // really spread, not a constant
}

TEST_CASE("engine: resume sends the backlog at once, then drains at the in-flight limit") {
  EngineConfig c = config(1);
  c.session_timeout_ms = kMaxSessionTimeoutMs;  // no session_end joins the backlog during the hour
  Engine e(c);
  json o = track_n(e, 3, 100);  // session_start + 3 tracks: 4 batches of one event
  answer_all(e, o, 0, "offline", 100);
  std::int64_t now = 100;
  for (int i = 0; i < 12; ++i) {  // an hour of failing: the backoff is minutes now
    now += 5 * 60 * 1000;
    answer_all(e, out_json(e.tick(now)), 0, "offline", now);
  }
  CHECK(e.stats()["queued"] == 4);
  o = out_json(e.resume(now + 10));
  bool logged = false;
  for (const auto& line : o["log"]) logged = logged || line.get<std::string>().find("resume:") == 0;
  CHECK(logged);
  json pending = o["send"];
  o = out_json(e.tick(now + 10 + limits::kResumeJitterMs));
  for (const auto& s : o["send"]) pending.push_back(s);
  REQUIRE(pending.size() == limits::kMaxBatchesInFlight);
  std::size_t delivered = 0;
  while (!pending.empty() && delivered < 10) {
    const auto id = pending[0]["id"].get<std::uint64_t>();
    pending.erase(pending.begin());
    o = out_json(e.delivered(id, 200, 0, ack(1), now + 2000));
    ++delivered;
    for (const auto& s : o["send"]) pending.push_back(s);
    CHECK(pending.size() <= limits::kMaxBatchesInFlight);
  }
  CHECK(delivered == 4);
  CHECK(e.stats()["queued"] == 0);
}

TEST_CASE("drop counts survive a 4xx on the body carrying them, with nothing else queued") {
  EngineConfig c = config(4);
  c.queue.max_events = 6;
  Engine e(c);
  json o = track_n(e, 3, 100);  // fills the first batch (session_start + 3), which goes out
  REQUIRE(o["send"].size() == 1);
  const auto first = o["send"][0]["id"].get<std::uint64_t>();
  o = track_n(e, 6, 110, "more");  // 4 in flight + 6 over max_events 6: the 4 oldest waiting dropped
  e.delivered(first, 200, 0, ack(4), 120);
  o = out_json(e.flush(130, false, 0));
  REQUIRE(o["send"].size() == 1);
  const auto carrier = o["send"][0]["id"].get<std::uint64_t>();
  CHECK(body_of(e, carrier)["batch"].size() == 2);
  CHECK(body_of(e, carrier)["dropped"]["queue_full"] == 4);
  // the carrier is refused: its events are dropped too, and every count still reaches the backend
  o = out_json(e.delivered(carrier, 400, 0, "{\"error\":\"bad\"}", 140));
  CHECK(codes(o) == std::vector<std::string>{"batch_rejected"});
  REQUIRE(o["send"].size() == 1);  // a report of no events goes out at once
  const json report = body_of(e, o["send"][0]["id"].get<std::uint64_t>());
  CHECK(report["batch"].empty());
  CHECK(report["dropped"]["queue_full"] == 4);
  CHECK(report["dropped"]["rejected"] == 2);
  o = out_json(e.delivered(o["send"][0]["id"].get<std::uint64_t>(), 200, 0, ack(0), 150));
  CHECK(o["errors"].empty());
  CHECK(e.stats()["queued"] == 0);
  CHECK(out_json(e.flush(160, false, 0))["send"].empty());  // reported once
}

TEST_CASE("drop counts survive a 413 split and a single event too large") {
  BatchQueueConfig qc;
  qc.flush_at = 2;
  qc.max_events = 2;
  BatchQueue q(qc);
  Random rng(3);
  for (int i = 0; i < 4; ++i) q.push("{\"i\":" + std::to_string(i) + "}", 0);  // 2 dropped (queue_full)
  q.form_batches(0, true);
  REQUIRE(q.batch_count() == 1);
  auto id = q.sendable(0, false)[0];
  CHECK(q.find(id)->carried.queue_full == 2);
  q.mark_in_flight(id, 0);
  CHECK(q.on_result(id, 413, 0, 1, rng).action == "split");
  // the first half keeps the counts; it is too large on its own: dropped, counts move on
  auto ids = q.sendable(1, false);
  REQUIRE(ids.size() == 2);
  CHECK(q.find(ids[0])->carried.queue_full == 2);
  CHECK(q.find(ids[1])->carried.queue_full == 0);
  for (auto i : ids) q.mark_in_flight(i, 1);
  CHECK(q.on_result(ids[0], 413, 0, 2, rng).action == "drop");
  // nothing is pending and the other half is in flight with its body built: a report of its own
  q.form_batches(2, false);
  REQUIRE(q.batch_count() == 2);
  const auto report = q.sendable(2, false)[0];
  CHECK(q.find(report)->events.empty());
  CHECK(q.find(report)->carried.queue_full == 2);
  CHECK(q.find(report)->carried.too_large == 1);
  // the other half is too large as well: its count joins the waiting report
  CHECK(q.on_result(ids[1], 413, 0, 3, rng).action == "drop");
  q.form_batches(3, false);
  REQUIRE(q.batch_count() == 1);
  CHECK(q.find(report)->carried.queue_full == 2);
  CHECK(q.find(report)->carried.too_large == 2);
  CHECK(q.dropped_total().too_large == 2);
}

TEST_CASE("drop counts survive an unconfirmed answer and a refused report does not loop") {
  EngineConfig c = config(4);
  c.queue.max_events = 6;
  Engine e(c);
  json o = track_n(e, 3, 100);
  const auto first = o["send"][0]["id"].get<std::uint64_t>();
  track_n(e, 6, 110, "more");
  e.delivered(first, 200, 0, ack(4), 120);
  o = out_json(e.flush(130, false, 0));
  const auto carrier = o["send"][0]["id"].get<std::uint64_t>();
  // a captive portal answers: the carrier is retried, counts and all
  o = out_json(e.delivered(carrier, 200, 0, kPortalHtml, 140));
  CHECK(codes(o) == std::vector<std::string>{"delivery_unconfirmed"});
  o = out_json(e.tick(o["wake"].get<std::int64_t>()));
  REQUIRE(o["send"].size() == 1);
  CHECK(body_of(e, carrier)["dropped"]["queue_full"] == 4);
  // a backend refusing everything (401): the carrier, then its report, then no more requests
  o = out_json(e.delivered(carrier, 401, 0, "", 3000));
  REQUIRE(o["send"].size() == 1);
  o = out_json(e.delivered(o["send"][0]["id"].get<std::uint64_t>(), 401, 0, "", 3001));
  CHECK(o["send"].empty());
  CHECK(out_json(e.tick(4000))["send"].empty());
  // the counts ride with the next events
  o = track_n(e, 4, 5000, "later");
  REQUIRE(o["send"].size() == 1);
  const json body = body_of(e, o["send"][0]["id"].get<std::uint64_t>());
  CHECK(body["dropped"]["queue_full"] == 4);
  CHECK(body["dropped"]["rejected"] == 2);
}
