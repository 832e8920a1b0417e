// session_end and the midnight split as the engine sends them: which events go out, in which
// order, with which timestamp, context and counts (the decisions are SessionTracker's, tested in
// test_session_tracker.cpp).
#include <doctest/doctest.h>

#include "engine_test_support.hpp"
#include "touchpoint/engine.hpp"
#include "touchpoint/iso_time.hpp"

using namespace touchpoint;
using nlohmann::json;
using touchpoint::test::drain;
using touchpoint::test::named;

namespace {

constexpr std::int64_t kMin = 60 * 1000;
constexpr std::int64_t kT0 = 1732270800000;  // 2024-11-22T10:20:00Z

EngineConfig cfg() {
  EngineConfig c;
  c.compress = false;
  c.seed = "session-end-seed";
  c.queue.flush_at = 1000;  // nothing goes out before drain() collects it
  c.queue.flush_interval_ms = 24LL * 3600 * 1000;
  return c;
}

std::string ctx(const std::string& url, std::optional<int> offset = std::nullopt) {
  json c = {{"page", {{"url", url}, {"path", "/"}, {"referrer", ""}}}};
  if (offset) c["utcOffsetMinutes"] = *offset;
  return json{{"type", "context"}, {"context", c}}.dump() + "\n";
}

std::string track(const std::string& name, std::int64_t ts) { return test::track_line(name, ts); }
std::string page(std::int64_t ts) { return json{{"type", "page"}, {"name", "p"}, {"ts", ts}}.dump() + "\n"; }

// drain() plus a 200 for every batch: the queue is empty afterwards (snapshots hold nothing old).
json drain_delivered(Engine& e, std::int64_t now) { return drain(e, now, true); }

std::vector<std::string> names(const json& events) {
  std::vector<std::string> out;
  for (const auto& ev : events) out.push_back(ev.value("event", ev.value("type", "")));
  return out;
}

std::int64_t ts(const json& ev) { return *parse_iso8601_ms(ev["timestamp"].get<std::string>()); }

}  // namespace

TEST_CASE("engine session_end: a closed page's session ends with the next session's first event, at its true end") {
  Engine e(cfg());
  e.ingest(ctx("https://shop.example/") + page(kT0) + track("a", kT0 + kMin) + page(kT0 + 2 * kMin) + track("b", kT0 + 3 * kMin), kT0 + 3 * kMin);
  json first = drain(e, kT0 + 3 * kMin);
  CHECK(named(first, "session_end").empty());
  const std::string old_session = named(first, "session_start")[0]["properties"]["session_id"];

  // The visitor comes back after 2 hours; no wake-up fired in between (the page was closed).
  const std::int64_t back = kT0 + 123 * kMin;
  e.ingest(page(back), back);
  json ev = drain(e, back);
  CHECK(names(ev) == std::vector<std::string>{"session_end", "session_start", "page"});
  const json& end = ev[0];
  CHECK(ts(end) == kT0 + 3 * kMin);  // the last activity, not the time it was noticed
  CHECK(end["properties"]["session_id"] == old_session);
  CHECK(end["properties"]["session_number"] == 1);
  CHECK(end["properties"]["reason"] == "timeout");
  CHECK(end["properties"]["started_at"] == format_iso8601_ms(kT0));
  CHECK(end["properties"]["duration_ms"] == 3 * kMin);
  CHECK(end["properties"]["events"] == 4);  // 2 pages + 2 tracks; session_start does not count
  CHECK(end["properties"]["pages"] == 2);
  CHECK(end["context"]["session"]["id"] == old_session);  // its context is the session it ends
  CHECK(end["anonymousId"] == e.anonymous_id());
  CHECK(ev[1]["properties"]["reason"] == "timeout");
  CHECK(ev[1]["properties"]["session_number"] == 2);
  CHECK(ev[2]["context"]["session"]["number"] == 2);
}

TEST_CASE("engine session_end: an open page wakes up at the expiry and ends the session then, once") {
  Engine e(cfg());
  json o = json::parse(e.ingest(ctx("https://shop.example/") + page(kT0) + track("a", kT0 + kMin), kT0 + kMin).to_json());
  CHECK(o["wake"] == kT0 + 31 * kMin);  // the session's expiry (the queue waits a day)
  drain_delivered(e, kT0 + kMin);
  o = json::parse(e.tick(kT0 + 31 * kMin - 1).to_json());
  CHECK(drain(e, kT0 + 31 * kMin - 1).empty());
  // advance_rules is what the shell's wake-up timer calls; tick() does the same.
  o = json::parse(e.advance_rules(kT0 + 31 * kMin).to_json());
  CHECK(o["persist"] == true);
  json ev = drain_delivered(e, kT0 + 31 * kMin);
  REQUIRE(names(ev) == std::vector<std::string>{"session_end"});
  CHECK(ts(ev[0]) == kT0 + kMin);
  CHECK(ev[0]["properties"]["events"] == 2);
  CHECK(ev[0]["properties"]["pages"] == 1);
  CHECK(ev[0]["properties"]["duration_ms"] == kMin);
  // Nothing more to wake up for, and ticking again sends nothing.
  o = json::parse(e.tick(kT0 + 40 * kMin).to_json());
  CHECK(o["wake"].is_null());
  CHECK(drain(e, kT0 + 40 * kMin).empty());
  // The next event starts session 2 without a second session_end.
  e.ingest(track("b", kT0 + 50 * kMin), kT0 + 50 * kMin);
  ev = drain(e, kT0 + 50 * kMin);
  CHECK(names(ev) == std::vector<std::string>{"session_start", "b"});
  CHECK(ev[0]["properties"]["reason"] == "timeout");
  CHECK(ev[0]["properties"]["session_number"] == 2);
}

TEST_CASE("engine session_end: a new campaign ends the session before the landing's events") {
  Engine e(cfg());
  e.ingest(ctx("https://shop.example/?utm_source=wechat") + page(kT0) + track("a", kT0 + kMin), kT0 + kMin);
  drain(e, kT0 + kMin);
  e.ingest(ctx("https://shop.example/?utm_source=douyin") + page(kT0 + 2 * kMin), kT0 + 2 * kMin);
  json ev = drain(e, kT0 + 2 * kMin);
  REQUIRE(names(ev) == std::vector<std::string>{"session_end", "session_start", "page"});
  CHECK(ev[0]["properties"]["reason"] == "campaign");
  CHECK(ts(ev[0]) == kT0 + kMin);
  CHECK(ev[0]["properties"]["events"] == 2);
  CHECK(ev[1]["properties"]["reason"] == "campaign");
}

TEST_CASE("engine session_end: reset() ends the session under the old identity; the new visitor starts afresh") {
  Engine e(cfg());
  e.ingest(ctx("https://shop.example/") + page(kT0) +
               json{{"type", "identify"}, {"userId", "u-1"}, {"traits", json::object()}, {"ts", kT0 + kMin}}.dump() + "\n",
           kT0 + kMin);
  const std::string old_anon = e.anonymous_id();
  drain(e, kT0 + kMin);
  e.ingest(json{{"type", "reset"}, {"ts", kT0 + 5 * kMin}}.dump() + "\n" + track("after", kT0 + 6 * kMin), kT0 + 6 * kMin);
  json ev = drain(e, kT0 + 6 * kMin);
  REQUIRE(names(ev) == std::vector<std::string>{"session_end", "session_start", "after"});
  CHECK(ev[0]["properties"]["reason"] == "reset");
  CHECK(ts(ev[0]) == kT0 + 5 * kMin);
  CHECK(ev[0]["properties"]["duration_ms"] == 5 * kMin);
  CHECK(ev[0]["properties"]["events"] == 2);
  CHECK(ev[0]["anonymousId"] == old_anon);
  CHECK(ev[0]["userId"] == "u-1");
  CHECK(ev[1]["anonymousId"] != old_anon);
  CHECK(ev[1]["userId"].is_null());
  CHECK(ev[1]["properties"]["reason"] == "first");
  CHECK(ev[1]["properties"]["session_number"] == 1);
  // A reset without a session sends nothing.
  Engine fresh(cfg());
  fresh.ingest(json{{"type", "reset"}, {"ts", kT0}}.dump(), kT0);
  CHECK(drain(fresh, kT0).empty());
}

TEST_CASE("engine session_end: consent denied ends the session without sending anything about it") {
  Engine e(cfg());
  e.ingest(ctx("https://shop.example/") + page(kT0), kT0);
  json o = json::parse(e.ingest(json{{"type", "consent"}, {"state", "denied"}}.dump(), kT0 + kMin).to_json());
  CHECK(o["wipe"] == true);
  bool logged = false;
  for (const auto& line : o["log"]) logged = logged || line.get<std::string>().find("no session_end is sent after a denial") != std::string::npos;
  CHECK(logged);
  CHECK(o["wake"].is_null());  // no wake-up for a session_end that will never be sent
  CHECK(drain(e, kT0 + kMin).empty());
  e.tick(kT0 + 60 * kMin);
  CHECK(drain(e, kT0 + 60 * kMin).empty());
  // Granted again: a new visitor, session 1, and no late session_end for the denied one.
  e.ingest(json{{"type", "consent"}, {"state", "granted"}}.dump() + "\n" + track("x", kT0 + 61 * kMin), kT0 + 61 * kMin);
  json ev = drain(e, kT0 + 61 * kMin);
  CHECK(names(ev) == std::vector<std::string>{"session_start", "x"});
  CHECK(ev[0]["properties"]["session_number"] == 1);
}

TEST_CASE("engine session_end: reset while consent is pending sends nothing and says why") {
  EngineConfig c = cfg();
  Engine e(c);
  e.ingest(ctx("https://shop.example/") + page(kT0), kT0);
  drain(e, kT0);
  e.ingest(json{{"type", "consent"}, {"state", "pending"}}.dump(), kT0 + kMin);
  json o = json::parse(e.ingest(json{{"type", "reset"}, {"ts", kT0 + 2 * kMin}}.dump(), kT0 + 2 * kMin).to_json());
  bool logged = false;
  for (const auto& line : o["log"]) logged = logged || line.get<std::string>().find("no session_end: consent is pending") != std::string::npos;
  CHECK(logged);
  e.ingest(json{{"type", "consent"}, {"state", "granted"}}.dump(), kT0 + 3 * kMin);
  CHECK(named(drain(e, kT0 + 3 * kMin), "session_end").empty());
}

TEST_CASE("engine session_end: the session survives a snapshot; the restored page sends its end with true time and counts") {
  std::string snap;
  {
    Engine a(cfg());
    a.ingest(ctx("https://shop.example/") + page(kT0) + track("a", kT0 + kMin) + track("b", kT0 + 2 * kMin), kT0 + 2 * kMin);
    drain_delivered(a, kT0 + 2 * kMin);
    snap = a.snapshot();  // the page is closed here
  }
  Engine b(cfg());
  const std::int64_t later = kT0 + 24 * 60 * kMin;
  json o = json::parse(b.restore(snap, later).to_json());
  CHECK(o["wake"] == later);  // the restored session has expired: wake up at once
  b.ingest(ctx("https://shop.example/") + page(later), later);
  json ev = drain(b, later);
  REQUIRE(names(ev) == std::vector<std::string>{"session_end", "session_start", "page"});
  CHECK(ts(ev[0]) == kT0 + 2 * kMin);
  CHECK(ev[0]["properties"]["events"] == 3);
  CHECK(ev[0]["properties"]["pages"] == 1);
  CHECK(ev[0]["properties"]["duration_ms"] == 2 * kMin);
  CHECK(ev[1]["properties"]["session_number"] == 2);

  // Restored within the timeout, the session simply continues and keeps counting.
  Engine c(cfg());
  c.restore(snap, kT0 + 10 * kMin);
  c.ingest(track("c", kT0 + 10 * kMin), kT0 + 10 * kMin);
  CHECK(names(drain(c, kT0 + 10 * kMin)) == std::vector<std::string>{"c"});
  c.ingest(track("d", kT0 + 50 * kMin), kT0 + 50 * kMin);
  ev = drain(c, kT0 + 50 * kMin);
  REQUIRE(names(ev)[0] == "session_end");
  CHECK(ev[0]["properties"]["events"] == 4);
}

TEST_CASE("engine midnight split: off by default; on, sessions split at the shell's local midnight") {
  const std::int64_t midnight_utc = 1732233600000 + 24 * 60 * kMin;  // 2024-11-23T00:00:00Z
  const std::int64_t local_midnight = midnight_utc - 8 * 60 * kMin;  // 00:00 in Shanghai (UTC+8)
  {
    Engine off(cfg());
    off.ingest(ctx("https://shop.example/", 480) + track("a", local_midnight - kMin) + track("b", local_midnight + kMin), local_midnight + kMin);
    CHECK(named(drain(off, local_midnight + kMin), "session_start").size() == 1);
  }
  EngineConfig c = cfg();
  ValidationError err;
  auto parsed = EngineConfig::from_json(json{{"splitSessionsAtMidnight", true}}, &err);
  REQUIRE(parsed.has_value());
  CHECK(parsed->split_sessions_at_midnight);
  c.split_sessions_at_midnight = true;
  Engine e(c);
  e.ingest(ctx("https://shop.example/", 480) + page(local_midnight - 2 * kMin) + track("a", local_midnight - kMin) +
               track("b", local_midnight + kMin),
           local_midnight + kMin);
  json ev = drain(e, local_midnight + kMin);
  REQUIRE(names(ev) == std::vector<std::string>{"session_start", "page", "a", "session_end", "session_start", "b"});
  CHECK(ev[3]["properties"]["reason"] == "midnight");
  CHECK(ts(ev[3]) == local_midnight - kMin);
  CHECK(ev[3]["properties"]["events"] == 2);
  CHECK(ev[4]["properties"]["reason"] == "midnight");
  CHECK(ev[5]["context"]["utcOffsetMinutes"] == 480);  // travels with events: reports bucket by it
  // Per-day counts add up: every event of a session is on its session's local date.
  for (const auto& x : ev) {
    const bool day2 = ts(x) >= local_midnight;
    CHECK(x["context"]["session"]["number"] == (day2 ? 2 : 1));
  }
  // UTC midnight (08:00 in Shanghai) is nothing special.
  e.ingest(track("c", midnight_utc - kMin) + track("d", midnight_utc + kMin), midnight_utc + kMin);
  // (idle over 30 min since b: a timeout first, then no split at UTC midnight)
  ev = drain(e, midnight_utc + kMin);
  CHECK(names(ev) == std::vector<std::string>{"session_end", "session_start", "c", "d"});
  CHECK(ev[0]["properties"]["reason"] == "timeout");
}

TEST_CASE("engine midnight split: the offset comes from the context, else the config; bad values are errors") {
  ValidationError err;
  CHECK_FALSE(EngineConfig::from_json(json{{"splitSessionsAtMidnight", "yes"}}, &err).has_value());
  CHECK(err.field == "/splitSessionsAtMidnight");
  CHECK_FALSE(EngineConfig::from_json(json{{"utcOffsetMinutes", 1200}}, &err).has_value());
  CHECK(err.field == "/utcOffsetMinutes");
  CHECK_FALSE(EngineConfig::from_json(json{{"utcOffsetMinutes", 60.5}}, &err).has_value());
  auto parsed = EngineConfig::from_json(json{{"splitSessionsAtMidnight", true}, {"utcOffsetMinutes", -300}}, &err);
  REQUIRE(parsed.has_value());
  CHECK(parsed->utc_offset_minutes == -300);
  parsed->compress = false;
  parsed->queue = cfg().queue;

  const std::int64_t ny_midnight = 1732233600000 + 5 * 60 * kMin;  // 2024-11-22T00:00 in New York (UTC-5)
  Engine e(*parsed);                                                // kiosk shell: no offset in its context
  e.ingest(ctx("https://kiosk.example/") + track("a", ny_midnight - kMin) + track("b", ny_midnight + kMin), ny_midnight + kMin);
  CHECK(named(drain(e, ny_midnight + kMin), "session_end").size() == 1);

  // A context with a broken offset: an error, and the previous offset stays in force.
  json o = json::parse(e.ingest(ctx("https://kiosk.example/b", 5000), ny_midnight + 2 * kMin).to_json());
  REQUIRE(o["errors"].size() == 1);
  CHECK(o["errors"][0]["code"] == "context_invalid");
  CHECK(o["errors"][0]["field"] == "/context/utcOffsetMinutes");
  e.ingest(track("c", ny_midnight + 3 * kMin), ny_midnight + 3 * kMin);
  json ev = drain(e, ny_midnight + 3 * kMin);
  CHECK(names(ev) == std::vector<std::string>{"c"});
  CHECK_FALSE(ev[0]["context"].contains("utcOffsetMinutes"));
  // A valid one from the context wins over the config value, and survives a snapshot.
  e.ingest(ctx("https://kiosk.example/c", 60), ny_midnight + 4 * kMin);
  Engine r(*parsed);
  r.restore(e.snapshot(), ny_midnight + 5 * kMin);
  const std::int64_t cet_midnight = 1732233600000 + 24 * 60 * kMin - 60 * kMin;  // 2024-11-23T00:00 at UTC+1
  r.ingest(track("d", cet_midnight - 10 * kMin), cet_midnight - 10 * kMin);
  r.ingest(track("e", cet_midnight + 10 * kMin), cet_midnight + 10 * kMin);
  ev = drain(r, cet_midnight + 10 * kMin);
  const json ends = named(ev, "session_end");
  REQUIRE(ends.size() == 2);  // a timeout since c, then midnight at UTC+1
  CHECK(ends[1]["properties"]["reason"] == "midnight");
}
