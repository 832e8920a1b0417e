#include <doctest/doctest.h>

#include "touchpoint/session_tracker.hpp"

using namespace touchpoint;
using nlohmann::json;

namespace {

constexpr std::int64_t kMin = 60 * 1000;
constexpr std::int64_t kT0 = 1732270800000;  // 2024-11-22T10:20:00Z

// A fake clock and a fake PRNG: the tracker reads neither, the test hands both in.
struct Clock {
  std::int64_t now = kT0;
  std::uint64_t rng = 0x1000;
  SessionTouch touch(SessionTracker& s, std::string_view campaign = {}) { return s.touch(now, campaign, ++rng); }
};

}  // namespace

TEST_CASE("session: first touch starts session 1 with an id from the random value") {
  SessionTracker s;
  CHECK_FALSE(s.expires_at().has_value());
  CHECK_FALSE(s.is_active(kT0));
  auto t = s.touch(kT0, "", 0xDEADBEEFCAFEF00DULL);
  CHECK(t.is_new);
  CHECK(t.reason == SessionStart::kFirst);
  CHECK(std::string(to_string(t.reason)) == "first");
  CHECK(t.session_number == 1);
  CHECK(t.session_id == "deadbeefcafef00d");
  CHECK(t.started_at_ms == kT0);
  CHECK(*s.expires_at() == kT0 + 30 * kMin);
  CHECK(SessionTracker::format_id(1) == "0000000000000001");
}

TEST_CASE("session: the 30 minute timeout edge") {
  SessionTracker s;
  Clock c;
  const auto first = c.touch(s);
  c.now += 30 * kMin - 1;  // one ms before expiry: same session, expiry moves
  auto t = c.touch(s);
  CHECK_FALSE(t.is_new);
  CHECK(t.session_id == first.session_id);
  CHECK(t.session_number == 1);
  CHECK(t.started_at_ms == kT0);
  CHECK(*s.expires_at() == c.now + 30 * kMin);
  CHECK(s.is_active(c.now + 30 * kMin - 1));
  CHECK_FALSE(s.is_active(c.now + 30 * kMin));

  c.now += 30 * kMin;  // exactly at expires_at(): a new session
  t = c.touch(s);
  CHECK(t.is_new);
  CHECK(t.reason == SessionStart::kTimeout);
  CHECK(t.session_number == 2);
  CHECK(t.session_id != first.session_id);
  CHECK(t.started_at_ms == c.now);
}

TEST_CASE("session: configurable timeout, clamped to the named bounds") {
  SessionTracker s(5 * kMin);
  CHECK(s.timeout_ms() == 5 * kMin);
  Clock c;
  c.touch(s);
  c.now += 5 * kMin;
  CHECK(c.touch(s).reason == SessionStart::kTimeout);
  CHECK(SessionTracker(1).timeout_ms() == kMinSessionTimeoutMs);
  CHECK(SessionTracker(-5).timeout_ms() == kMinSessionTimeoutMs);
  CHECK(SessionTracker(INT64_MAX).timeout_ms() == kMaxSessionTimeoutMs);
}

TEST_CASE("session: a different campaign starts a new session, an empty key does not") {
  SessionTracker s;
  Clock c;
  auto t = c.touch(s, "c:aaaa");
  CHECK(t.session_number == 1);
  c.now += kMin;
  t = c.touch(s, "");  // internal navigation, no campaign on this hit
  CHECK_FALSE(t.is_new);
  c.now += kMin;
  t = c.touch(s, "c:aaaa");  // same campaign clicked again
  CHECK_FALSE(t.is_new);
  c.now += kMin;
  t = c.touch(s, "c:bbbb");
  CHECK(t.is_new);
  CHECK(t.reason == SessionStart::kCampaign);
  CHECK(t.session_number == 2);
  c.now += kMin;
  CHECK_FALSE(c.touch(s, "c:bbbb").is_new);

  // Keys that are not short printable ASCII are ignored (treated as "no campaign").
  c.now += kMin;
  CHECK_FALSE(c.touch(s, std::string(kMaxCampaignKeyBytes + 1, 'k')).is_new);
  CHECK_FALSE(c.touch(s, "c:\xFF").is_new);
  CHECK_FALSE(c.touch(s, "with space").is_new);

  // A session started without a campaign also ends when one arrives.
  SessionTracker d;
  Clock c2;
  c2.touch(d);
  c2.now += 1000;
  CHECK(c2.touch(d, "c:x").reason == SessionStart::kCampaign);
}

TEST_CASE("session: clock skew") {
  SessionTracker s;
  Clock c;
  const auto first = c.touch(s);
  c.now += 10 * kMin;
  c.touch(s);
  const std::int64_t last = c.now;

  SUBCASE("a small step back continues the session and does not move the expiry") {
    c.now = last - 5 * kMin;
    auto t = c.touch(s);
    CHECK_FALSE(t.is_new);
    CHECK(t.session_id == first.session_id);
    CHECK(s.last_activity() == last);
    CHECK(*s.expires_at() == last + 30 * kMin);
    CHECK(s.is_active(c.now));
    // Back to the real time: still the same session.
    c.now = last + 29 * kMin;
    CHECK_FALSE(c.touch(s).is_new);
  }
  SUBCASE("a step back of the timeout or more starts a new session at the new time") {
    c.now = last - 30 * kMin;
    auto t = c.touch(s);
    CHECK(t.is_new);
    CHECK(t.reason == SessionStart::kClockSkew);
    CHECK(t.session_number == 2);
    CHECK(s.last_activity() == c.now);
    CHECK(*s.expires_at() == c.now + 30 * kMin);
    c.now += kMin;
    CHECK_FALSE(c.touch(s).is_new);
  }
  SUBCASE("a step back just under the timeout continues") {
    c.now = last - (30 * kMin - 1);
    CHECK_FALSE(c.touch(s).is_new);
  }
  SUBCASE("extreme values do not overflow") {
    auto t = s.touch(INT64_MIN, "", 7);
    CHECK(t.reason == SessionStart::kClockSkew);
    t = s.touch(INT64_MAX, "", 8);
    CHECK(t.reason == SessionStart::kTimeout);
    CHECK(*s.expires_at() == INT64_MAX);
  }
}

TEST_CASE("session: the random value is only used for a new session") {
  SessionTracker s;
  auto a = s.touch(kT0, "", 1);
  auto b = s.touch(kT0 + 1000, "", 2);
  CHECK(a.session_id == b.session_id);
  CHECK(a.session_id == "0000000000000001");
}

TEST_CASE("session: state round trip") {
  SessionTracker s;
  Clock c;
  c.touch(s, "c:0123456789abcdef");
  c.now += 40 * kMin;
  c.touch(s, "c:0123456789abcdef");
  const json state = s.to_json();
  CHECK(state["v"] == 1);
  CHECK(state["count"] == 2);

  SessionTracker r;
  std::string error;
  REQUIRE(r.restore(json::parse(state.dump(), nullptr, false), &error));
  CHECK(r.to_json() == state);
  CHECK(r.session_id() == s.session_id());
  CHECK(r.session_number() == 2);
  CHECK(*r.expires_at() == *s.expires_at());
  // The restored session continues and knows its campaign.
  c.now += kMin;
  CHECK_FALSE(c.touch(r, "c:0123456789abcdef").is_new);
  CHECK(c.touch(r, "c:ffffffffffffffff").session_number == 3);

  // No session yet, but a count: restored as is.
  SessionTracker e;
  REQUIRE(e.restore(json{{"v", 1}, {"count", 4}}, &error));
  CHECK(e.session_id().empty());
  CHECK(e.touch(kT0, "", 9).session_number == 5);

  // clear() forgets everything.
  r.clear();
  CHECK(r.session_number() == 0);
  CHECK_FALSE(r.expires_at().has_value());
}

TEST_CASE("session: corrupt state gives an error and a fresh tracker") {
  const json good = {{"v", 1}, {"count", 2}, {"id", "00000000000000ff"}, {"started_ms", kT0}, {"last_ms", kT0 + 5}};
  const json bad[] = {
      json(),
      json::array(),
      json("garbage"),
      json::parse("{\"v\":2,\"count\":1}"),
      json{{"count", 1}},
      json{{"v", 1}},
      json{{"v", 1}, {"count", -1}},
      json{{"v", 1}, {"count", "2"}},
      json{{"v", 1}, {"count", 1.5}},
      [&] { json j = good; j["id"] = "XYZ"; return j; }(),
      [&] { json j = good; j["id"] = 12; return j; }(),
      [&] { json j = good; j.erase("last_ms"); return j; }(),
      [&] { json j = good; j["last_ms"] = kT0 - 1; return j; }(),
      [&] { json j = good; j["started_ms"] = -1; return j; }(),
      [&] { json j = good; j["count"] = 0; return j; }(),
      [&] { json j = good; j["campaign"] = json::object(); return j; }(),
      [&] { json j = good; j["campaign"] = std::string(500, 'c'); return j; }(),
  };
  SessionTracker s;
  std::string error;
  REQUIRE(s.restore(good, &error));
  for (const auto& b : bad) {
    CAPTURE(b.dump());
    SessionTracker t;
    t.touch(kT0, "", 1);
    error.clear();
    CHECK_FALSE(t.restore(b, &error));
    CHECK_FALSE(error.empty());
    CHECK(t.session_number() == 0);
    CHECK(t.session_id().empty());
    CHECK(t.touch(kT0, "", 2).reason == SessionStart::kFirst);
  }
  CHECK_FALSE(s.restore(json::parse("{bad", nullptr, false), nullptr));  // discarded value, no error out
}

// ---- session_end: the summary of a session that ends -------------------------------------------

namespace {

SessionActivity at(std::int64_t now, bool is_page = false, std::string_view campaign = {}, std::int32_t offset = 0) {
  return SessionActivity{now, campaign, is_page, offset};
}

}  // namespace

TEST_CASE("session end: a timeout ends the session at its last activity, with its counts") {
  SessionTracker s;
  CHECK_FALSE(s.ended_by(at(kT0)).has_value());  // no session yet: nothing ends
  s.touch(at(kT0, true), 1);                        // page view
  s.touch(at(kT0 + kMin), 2);                       // track
  s.touch(at(kT0 + 2 * kMin, true), 3);             // page view
  const std::int64_t last = kT0 + 2 * kMin;
  CHECK(s.events() == 3);
  CHECK(s.pages() == 2);

  // One ms before expiry the session continues: nothing ends.
  CHECK_FALSE(s.ended_by(at(last + 30 * kMin - 1)).has_value());
  // At expiry it ends; ended_by() changes nothing, so asking twice gives the same answer.
  auto end = s.ended_by(at(last + 30 * kMin));
  REQUIRE(end.has_value());
  CHECK(s.ended_by(at(last + 30 * kMin))->session_id == end->session_id);
  CHECK(end->session_id == "0000000000000001");
  CHECK(end->session_number == 1);
  CHECK(end->reason == SessionEndReason::kTimeout);
  CHECK(std::string(to_string(end->reason)) == "timeout");
  CHECK(end->started_at_ms == kT0);
  CHECK(end->ended_at_ms == last);  // the true end: the last activity, not the moment it is noticed
  CHECK(end->duration_ms() == 2 * kMin);
  CHECK(end->events == 3);
  CHECK(end->pages == 2);

  // The next touch starts session 2 with fresh counts.
  auto t = s.touch(at(last + 30 * kMin), 9);
  CHECK(t.reason == SessionStart::kTimeout);
  CHECK(s.events() == 1);
  CHECK(s.pages() == 0);
}

TEST_CASE("session end: a new campaign ends the session; an empty or repeated key does not") {
  SessionTracker s;
  s.touch(at(kT0, true, "c:aaaa"), 1);
  CHECK_FALSE(s.ended_by(at(kT0 + kMin, false, "")).has_value());
  CHECK_FALSE(s.ended_by(at(kT0 + kMin, false, "c:aaaa")).has_value());
  CHECK_FALSE(s.ended_by(at(kT0 + kMin, false, "not a key")).has_value());  // invalid: treated as none
  s.touch(at(kT0 + kMin), 2);
  auto end = s.ended_by(at(kT0 + 5 * kMin, true, "c:bbbb"));
  REQUIRE(end.has_value());
  CHECK(end->reason == SessionEndReason::kCampaign);
  CHECK(end->ended_at_ms == kT0 + kMin);
  CHECK(end->events == 2);
  CHECK(end->pages == 1);
  CHECK(s.touch(at(kT0 + 5 * kMin, true, "c:bbbb"), 3).reason == SessionStart::kCampaign);
}

TEST_CASE("session end: clock skew of the timeout or more ends the session as clock_skew") {
  SessionTracker s;
  s.touch(at(kT0), 1);
  CHECK_FALSE(s.ended_by(at(kT0 - 29 * kMin)).has_value());
  auto end = s.ended_by(at(kT0 - 30 * kMin));
  REQUIRE(end.has_value());
  CHECK(end->reason == SessionEndReason::kClockSkew);
  CHECK(end->ended_at_ms == kT0);
}

TEST_CASE("session end: an open page's wake-up expires the session once; the next event starts a new one") {
  SessionTracker s;
  CHECK_FALSE(s.end_due_at().has_value());
  CHECK_FALSE(s.expire(kT0).has_value());
  s.touch(at(kT0, true), 1);
  s.touch(at(kT0 + 10 * kMin), 2);
  const std::int64_t due = kT0 + 40 * kMin;
  CHECK(*s.end_due_at() == due);
  CHECK_FALSE(s.expire(due - 1).has_value());
  CHECK_FALSE(s.ended());
  auto end = s.expire(due + 5 * kMin);  // the timer fired late (background tab): same end time
  REQUIRE(end.has_value());
  CHECK(end->reason == SessionEndReason::kTimeout);
  CHECK(end->ended_at_ms == kT0 + 10 * kMin);
  CHECK(end->duration_ms() == 10 * kMin);
  CHECK(end->events == 2);
  CHECK(end->pages == 1);
  CHECK(s.ended());
  CHECK_FALSE(s.is_active(due - 1));
  CHECK_FALSE(s.end_due_at().has_value());  // nothing more to wake up for
  CHECK_FALSE(s.expire(due + 6 * kMin).has_value());
  // Reported already: the next activity does not end it again, it just starts session 2.
  CHECK_FALSE(s.ended_by(at(due + 7 * kMin)).has_value());
  auto t = s.touch(at(due + 7 * kMin), 3);
  CHECK(t.is_new);
  CHECK(t.reason == SessionStart::kTimeout);
  CHECK(t.session_number == 2);
  CHECK_FALSE(s.ended());
  // An ended session never continues, even if the clock went back within the timeout.
  s.expire(due + 7 * kMin + 30 * kMin);
  CHECK(s.touch(at(due + 7 * kMin - 1000), 4).reason == SessionStart::kClockSkew);
}

TEST_CASE("session end: reset ends the session at the reset; a session already timed out ends as a timeout") {
  SessionTracker s;
  CHECK_FALSE(s.end(kT0, SessionEndReason::kReset).has_value());  // none to end
  s.touch(at(kT0, true), 1);
  s.touch(at(kT0 + kMin), 2);
  auto end = s.end(kT0 + 3 * kMin, SessionEndReason::kReset);
  REQUIRE(end.has_value());
  CHECK(end->reason == SessionEndReason::kReset);
  CHECK(std::string(to_string(end->reason)) == "reset");
  CHECK(end->ended_at_ms == kT0 + 3 * kMin);  // the reset is the visitor's last act
  CHECK(end->duration_ms() == 3 * kMin);
  CHECK(end->events == 2);
  CHECK_FALSE(s.end(kT0 + 4 * kMin, SessionEndReason::kReset).has_value());  // once

  SessionTracker late;
  late.touch(at(kT0), 1);
  auto timed_out = late.end(kT0 + 31 * kMin, SessionEndReason::kReset);
  REQUIRE(timed_out.has_value());
  CHECK(timed_out->reason == SessionEndReason::kTimeout);
  CHECK(timed_out->ended_at_ms == kT0);

  SessionTracker skewed;  // a reset with the clock a little behind ends at the last activity
  skewed.touch(at(kT0), 1);
  CHECK(skewed.end(kT0 - 1000, SessionEndReason::kReset)->ended_at_ms == kT0);
}

// ---- the midnight split --------------------------------------------------------------------------

namespace {

constexpr std::int64_t kDay = 24 * 60 * kMin;
constexpr std::int64_t kMidnightUtc = 1732233600000;  // 2024-11-22T00:00:00Z
constexpr std::int32_t kShanghai = 8 * 60;             // UTC+08:00, no DST

}  // namespace

TEST_CASE("midnight: local_day floors in local time, before 1970 too") {
  CHECK(SessionTracker::local_day(0, 0) == 0);
  CHECK(SessionTracker::local_day(kDay - 1, 0) == 0);
  CHECK(SessionTracker::local_day(kDay, 0) == 1);
  CHECK(SessionTracker::local_day(-1, 0) == -1);
  CHECK(SessionTracker::local_day(kMidnightUtc, 0) == kMidnightUtc / kDay);
  // 16:00Z is midnight in Shanghai; 05:00Z is midnight in New York (UTC-05:00).
  CHECK(SessionTracker::local_day(kMidnightUtc + 16 * 60 * kMin - 1, kShanghai) == kMidnightUtc / kDay);
  CHECK(SessionTracker::local_day(kMidnightUtc + 16 * 60 * kMin, kShanghai) == kMidnightUtc / kDay + 1);
  CHECK(SessionTracker::local_day(kMidnightUtc + 5 * 60 * kMin - 1, -5 * 60) == kMidnightUtc / kDay - 1);
  CHECK(SessionTracker::local_day(kMidnightUtc + 5 * 60 * kMin, -5 * 60) == kMidnightUtc / kDay);
  // Out-of-range offsets are clamped, extreme times saturate instead of overflowing.
  CHECK(SessionTracker::local_day(0, 100000) == SessionTracker::local_day(0, kMaxUtcOffsetMinutes));
  CHECK(SessionTracker::local_day(INT64_MAX, kMaxUtcOffsetMinutes) == INT64_MAX / kDay);
  CHECK(SessionTracker::local_day(INT64_MIN, -kMaxUtcOffsetMinutes) < 0);
}

TEST_CASE("midnight: off by default, a session runs across midnight") {
  SessionTracker s;
  CHECK_FALSE(s.splits_at_local_midnight());
  const std::int64_t before = kMidnightUtc + 16 * 60 * kMin - 10 * 1000;  // 23:59:50 in Shanghai
  s.touch(at(before, false, {}, kShanghai), 1);
  CHECK_FALSE(s.ended_by(at(before + 20 * 1000, false, {}, kShanghai)).has_value());
  CHECK_FALSE(s.touch(at(before + 20 * 1000, false, {}, kShanghai), 2).is_new);
}

TEST_CASE("midnight: split at local midnight, with the offset each activity carries") {
  SessionTracker s(kDefaultSessionTimeoutMs, true);
  CHECK(s.splits_at_local_midnight());
  const std::int64_t midnight = kMidnightUtc + 16 * 60 * kMin;  // 00:00 in Shanghai = 16:00Z
  s.touch(at(midnight - 20 * kMin, true, {}, kShanghai), 1);     // 23:40
  s.touch(at(midnight - 10 * 1000, false, {}, kShanghai), 2);    // 23:59:50
  // UTC midnight means nothing here; at 00:00:00 local the session ends.
  CHECK_FALSE(s.ended_by(at(midnight - 1, false, {}, kShanghai)).has_value());
  auto end = s.ended_by(at(midnight, false, {}, kShanghai));
  REQUIRE(end.has_value());
  CHECK(end->reason == SessionEndReason::kMidnight);
  CHECK(std::string(to_string(end->reason)) == "midnight");
  CHECK(end->ended_at_ms == midnight - 10 * 1000);
  CHECK(end->events == 2);
  auto t = s.touch(at(midnight + 5000, true, {}, kShanghai), 3);
  CHECK(t.is_new);
  CHECK(t.reason == SessionStart::kMidnight);
  CHECK(std::string(to_string(t.reason)) == "midnight");
  CHECK(t.session_number == 2);
  // The new day's session runs on until its own midnight.
  CHECK_FALSE(s.touch(at(midnight + 20 * kMin, false, {}, kShanghai), 4).is_new);
  // A day later (idle far past the timeout) it is a timeout, not a midnight.
  CHECK(s.ended_by(at(midnight + kDay, false, {}, kShanghai))->reason == SessionEndReason::kTimeout);
}

TEST_CASE("midnight: the same instant splits or not depending on the offset") {
  const std::int64_t t1 = kMidnightUtc - 5 * 1000;  // 23:59:55Z
  const std::int64_t t2 = kMidnightUtc + 5 * 1000;  // 00:00:05Z
  SessionTracker utc(kDefaultSessionTimeoutMs, true), cst(kDefaultSessionTimeoutMs, true);
  utc.touch(at(t1), 1);
  cst.touch(at(t1, false, {}, kShanghai), 1);
  CHECK(utc.touch(at(t2), 2).reason == SessionStart::kMidnight);  // UTC: midnight crossed
  CHECK_FALSE(cst.touch(at(t2, false, {}, kShanghai), 2).is_new);  // Shanghai: 07:59:55 -> 08:00:05
}

TEST_CASE("midnight: DST changes at 02:00/03:00 do not split; a change at midnight splits at the new midnight") {
  // Europe/Berlin, 2024-10-27: 03:00 CEST (+120) becomes 02:00 CET (+60). Local date unchanged.
  SessionTracker s(kDefaultSessionTimeoutMs, true);
  const std::int64_t change = 1729990800000;  // 2024-10-27T01:00:00Z
  s.touch(at(change - 10 * kMin, false, {}, 120), 1);  // 02:50 CEST
  CHECK_FALSE(s.touch(at(change + 10 * kMin, false, {}, 60), 2).is_new);  // 02:10 CET, same day

  // A zone whose clocks go back at midnight (fall back 00:00 -> 23:00): the hour after the change
  // is still the old date in local time, so the session continues; the new date starts a new one.
  SessionTracker m(kDefaultSessionTimeoutMs, true);
  const std::int64_t back = kMidnightUtc - 3 * 60 * kMin;  // 21:00Z: 00:00 at +180 == 23:00 at +120
  m.touch(at(back - 10 * kMin, false, {}, 180), 1);         // 23:50 (+180)
  CHECK_FALSE(m.touch(at(back + 10 * kMin, false, {}, 120), 2).is_new);   // 23:10 (+120), same date
  CHECK_FALSE(m.touch(at(back + 35 * kMin, false, {}, 120), 3).is_new);   // 23:35
  CHECK(m.touch(at(back + 61 * kMin, false, {}, 120), 4).reason == SessionStart::kMidnight);  // 00:01 (+120)
}

TEST_CASE("midnight: a small clock step back across midnight is activity at the last time, not a new day") {
  SessionTracker s(kDefaultSessionTimeoutMs, true);
  s.touch(at(kMidnightUtc + 5000), 1);                          // 00:00:05Z
  CHECK_FALSE(s.ended_by(at(kMidnightUtc - 5000)).has_value());  // 23:59:55Z, 10 s behind
  CHECK_FALSE(s.touch(at(kMidnightUtc - 5000), 2).is_new);
}

TEST_CASE("midnight: the timeout wins over midnight, midnight over a campaign") {
  SessionTracker s(kDefaultSessionTimeoutMs, true);
  s.touch(at(kMidnightUtc - 40 * kMin, false, "c:aaaa"), 1);
  CHECK(s.ended_by(at(kMidnightUtc + kMin, false, "c:bbbb"))->reason == SessionEndReason::kTimeout);
  SessionTracker t(kDefaultSessionTimeoutMs, true);
  t.touch(at(kMidnightUtc - kMin, false, "c:aaaa"), 1);
  CHECK(t.ended_by(at(kMidnightUtc + kMin, false, "c:bbbb"))->reason == SessionEndReason::kMidnight);
}

TEST_CASE("session end: counts, day and the ended flag survive a snapshot; old state restores with zero counts") {
  SessionTracker s(kDefaultSessionTimeoutMs, true);
  s.touch(at(kMidnightUtc + kMin, true, {}, kShanghai), 1);
  s.touch(at(kMidnightUtc + 2 * kMin, false, {}, kShanghai), 2);
  s.touch(at(kMidnightUtc + 3 * kMin, true, {}, kShanghai), 3);
  json state = s.to_json();
  CHECK(state["events"] == 3);
  CHECK(state["pages"] == 2);
  CHECK(state["day"] == SessionTracker::local_day(kMidnightUtc + kMin, kShanghai));
  CHECK_FALSE(state.contains("ended"));

  SessionTracker r(kDefaultSessionTimeoutMs, true);
  std::string error;
  REQUIRE(r.restore(json::parse(state.dump()), &error));
  CHECK(r.to_json() == state);
  // The page was closed; the visitor is back an hour later: the restored session ends with its
  // true end time and counts, then session 2 starts.
  auto end = r.ended_by(at(kMidnightUtc + 63 * kMin, true, {}, kShanghai));
  REQUIRE(end.has_value());
  CHECK(end->ended_at_ms == kMidnightUtc + 3 * kMin);
  CHECK(end->events == 3);
  CHECK(end->pages == 2);
  CHECK(end->duration_ms() == 2 * kMin);

  // An expired-and-reported session stays reported across a snapshot.
  REQUIRE(r.expire(kMidnightUtc + 63 * kMin).has_value());
  SessionTracker e;
  REQUIRE(e.restore(json::parse(r.to_json().dump()), &error));
  CHECK(e.ended());
  CHECK_FALSE(e.expire(kMidnightUtc + 90 * kMin).has_value());
  CHECK_FALSE(e.ended_by(at(kMidnightUtc + 90 * kMin)).has_value());
  CHECK(e.touch(at(kMidnightUtc + 90 * kMin), 4).session_number == 2);

  // State from before session_end: no counts, no day. It restores; the split then uses the start day.
  SessionTracker old(kDefaultSessionTimeoutMs, true);
  REQUIRE(old.restore(json{{"v", 1}, {"count", 1}, {"id", "00000000000000aa"}, {"started_ms", kMidnightUtc - 2 * kMin},
                           {"last_ms", kMidnightUtc - kMin}}, &error));
  CHECK(old.events() == 0);
  CHECK_FALSE(old.ended());
  CHECK(old.ended_by(at(kMidnightUtc + kMin))->reason == SessionEndReason::kMidnight);

  // Corrupt additions are rejected like the rest.
  const json good = {{"v", 1}, {"count", 1}, {"id", "00000000000000ff"}, {"started_ms", kT0}, {"last_ms", kT0 + 5}};
  for (const json& bad : {
           [&] { json j = good; j["events"] = -1; return j; }(),
           [&] { json j = good; j["events"] = "3"; return j; }(),
           [&] { json j = good; j["pages"] = 2; j["events"] = 1; return j; }(),
           [&] { json j = good; j["day"] = 1.5; return j; }(),
           [&] { json j = good; j["day"] = INT64_MAX; return j; }(),
           [&] { json j = good; j["ended"] = 1; return j; }(),
       }) {
    CAPTURE(bad.dump());
    SessionTracker t;
    CHECK_FALSE(t.restore(bad, &error));
    CHECK(t.session_id().empty());
  }
}

TEST_CASE("utc offsets: integers within ±18:00 only; session_end serialises its summary") {
  const json ok[] = {0, 480, -300, 1080, -1080};
  for (const auto& v : ok) CHECK(utc_offset_from_json(&v) == v.get<std::int32_t>());
  const json bad[] = {1081, -1081, 60.5, "480", nullptr, json::object(), true};
  for (const auto& v : bad) CHECK_FALSE(utc_offset_from_json(&v).has_value());
  CHECK_FALSE(utc_offset_from_json(nullptr).has_value());

  const SessionEnd e{"00000000000000ab", 3, SessionEndReason::kMidnight, kT0, kT0 + 90 * 1000, 7, 2};
  const json j = json::parse(session_end_event_json(e), nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  CHECK(j == json{{"type", "track"}, {"event", "session_end"},
                  {"properties", {{"session_id", "00000000000000ab"}, {"session_number", 3}, {"reason", "midnight"},
                                  {"started_at", "2024-11-22T10:20:00.000Z"}, {"duration_ms", 90000}, {"events", 7}, {"pages", 2}}}});
}

TEST_CASE("session tracker: adopt() takes a session id from elsewhere and ends the open one") {
  SessionTracker s;
  std::optional<SessionEnd> ended;
  std::string why;
  CHECK_FALSE(s.adopt("XYZ", SessionActivity{0, ""}, &ended, &why));
  CHECK(!why.empty());
  CHECK(s.session_id().empty());
  REQUIRE(s.adopt("0123456789abcdef", SessionActivity{1000, ""}, &ended, &why));
  CHECK_FALSE(ended);  // nothing was open
  CHECK(s.session_id() == "0123456789abcdef");
  CHECK(s.session_number() == 1);
  CHECK_FALSE(s.touch(SessionActivity{2000, ""}, 7).is_new);  // continues: no session_start
  REQUIRE(s.adopt("fedcba9876543210", SessionActivity{3000, ""}, &ended, &why));
  REQUIRE(ended);
  CHECK(ended->session_id == "0123456789abcdef");
  CHECK(ended->reason == SessionEndReason::kAdopted);
  CHECK(std::string(to_string(ended->reason)) == "adopted");
  CHECK(s.session_number() == 2);
  REQUIRE(s.adopt("fedcba9876543210", SessionActivity{4000, ""}, &ended, &why));
  CHECK_FALSE(ended);  // the same id: nothing changes
  CHECK(s.session_number() == 2);
}
