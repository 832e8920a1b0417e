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
