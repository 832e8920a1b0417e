#include <doctest/doctest.h>

#include "touchpoint/consent.hpp"

using namespace touchpoint;
using nlohmann::json;

namespace {
json event(int i) { return {{"type", "track"}, {"event", "e" + std::to_string(i)}}; }
}  // namespace

TEST_CASE("consent: parse and print") {
  std::string error;
  CHECK(parse_consent("pending", &error) == Consent::kPending);
  CHECK(parse_consent("granted", &error) == Consent::kGranted);
  CHECK(parse_consent("denied", &error) == Consent::kDenied);
  for (const char* bad : {"", "Granted", "yes", " denied", "granted\n"}) {
    CAPTURE(bad);
    error.clear();
    CHECK_FALSE(parse_consent(bad, &error));
    CHECK(error.find("unknown consent state") == 0);
  }
  CHECK_FALSE(parse_consent(std::string("\xFF\x01", 2), &error));  // garbage bytes still give a printable error
  CHECK(json(error).dump().size() > 0);
  CHECK_FALSE(parse_consent("x", nullptr));
  CHECK(std::string(to_string(Consent::kDenied)) == "denied");
}

TEST_CASE("consent: pending holds events, granted releases them in order") {
  ConsentState c;
  CHECK(c.state() == Consent::kPending);
  CHECK_FALSE(c.may_store());
  for (int i = 0; i < 3; ++i) CHECK(c.offer(event(i)).disposition == ConsentDisposition::kHeld);
  CHECK(c.held_events() == 3);
  CHECK(c.held_bytes() > 0);

  auto a = c.set(Consent::kGranted);
  CHECK(a.changed);
  CHECK(a.from == Consent::kPending);
  CHECK(a.to == Consent::kGranted);
  CHECK(a.persist);
  CHECK_FALSE(a.wipe);
  CHECK(a.dropped == 0);
  REQUIRE(a.release.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(a.release[i] == event(i));
  CHECK(a.to_json() == json{{"from", "pending"}, {"to", "granted"}, {"changed", true}, {"release", 3},
                            {"dropped", 0}, {"wipe", false}, {"persist", true}});
  CHECK(c.held_events() == 0);
  CHECK(c.held_bytes() == 0);
  CHECK(c.may_store());
  CHECK(c.offer(event(9)).disposition == ConsentDisposition::kSend);
  CHECK(c.held_events() == 0);

  // Setting the same state again does nothing.
  auto same = c.set(Consent::kGranted);
  CHECK_FALSE(same.changed);
  CHECK(same.release.empty());
  CHECK_FALSE(same.persist);
}

TEST_CASE("consent: pending -> denied drops and wipes") {
  ConsentState c;
  c.offer(event(1));
  c.offer(event(2));
  auto a = c.set(Consent::kDenied);
  CHECK(a.changed);
  CHECK(a.dropped == 2);
  CHECK(a.wipe);
  CHECK(a.release.empty());
  CHECK_FALSE(a.persist);
  CHECK(c.held_events() == 0);
  CHECK(c.offer(event(3)).disposition == ConsentDisposition::kDiscard);
  CHECK(c.held_events() == 0);
}

TEST_CASE("consent: the other transitions") {
  ConsentState c(Consent::kGranted);
  CHECK(c.state() == Consent::kGranted);

  SUBCASE("granted -> denied wipes, denied -> granted starts fresh") {
    auto a = c.set(Consent::kDenied);
    CHECK(a.wipe);
    CHECK(a.dropped == 0);
    auto b = c.set(Consent::kGranted);
    CHECK(b.changed);
    CHECK_FALSE(b.wipe);
    CHECK(b.persist);
    CHECK(b.release.empty());
  }
  SUBCASE("granted -> pending holds again without wiping; then denied drops what was held") {
    auto a = c.set(Consent::kPending);
    CHECK(a.changed);
    CHECK_FALSE(a.wipe);
    CHECK_FALSE(a.persist);
    CHECK_FALSE(c.may_store());
    CHECK(c.offer(event(1)).disposition == ConsentDisposition::kHeld);
    auto b = c.set(Consent::kDenied);
    CHECK(b.dropped == 1);
    CHECK(b.wipe);
  }
  SUBCASE("denied -> pending -> granted releases only what came after denial") {
    c.set(Consent::kDenied);
    CHECK(c.offer(event(0)).disposition == ConsentDisposition::kDiscard);
    CHECK_FALSE(c.set(Consent::kPending).wipe);
    c.offer(event(1));
    auto a = c.set(Consent::kGranted);
    REQUIRE(a.release.size() == 1);
    CHECK(a.release[0] == event(1));
  }
}

TEST_CASE("consent: the held buffer is bounded, the oldest go first") {
  ConsentState c;
  std::size_t evicted = 0;
  for (std::size_t i = 0; i < kMaxPendingConsentEvents + 5; ++i) evicted += c.offer(event(static_cast<int>(i))).evicted;
  CHECK(evicted == 5);
  CHECK(c.evicted_total() == 5);
  CHECK(c.held_events() == kMaxPendingConsentEvents);
  auto a = c.set(Consent::kGranted);
  REQUIRE(a.release.size() == kMaxPendingConsentEvents);
  CHECK(a.release.front() == event(5));
  CHECK(a.release.back() == event(static_cast<int>(kMaxPendingConsentEvents + 4)));

  // Byte bound: big events push out old ones; one event over the whole budget is not kept.
  ConsentState b;
  const json big = {{"blob", std::string(300 * 1024, 'x')}};
  for (int i = 0; i < 3; ++i) CHECK(b.offer(big).evicted == 0);
  CHECK(b.offer(big).evicted == 1);
  CHECK(b.held_events() == 3);
  CHECK(b.held_bytes() <= kMaxPendingConsentBytes);
  const json huge = {{"blob", std::string(kMaxPendingConsentBytes, 'y')}};
  auto o = b.offer(huge);
  CHECK(o.disposition == ConsentDisposition::kHeld);
  CHECK(o.evicted == 1);  // the huge one itself; the held ones stay
  CHECK(b.held_events() == 3);
  // Invalid UTF-8 inside an event does not break the size measurement.
  CHECK(b.offer(json{{"s", std::string("\xFF\xFE")}}).evicted == 0);
}

TEST_CASE("consent: state round trip and corrupt state") {
  ConsentState c;
  c.set(Consent::kDenied);
  const json state = c.to_json();
  CHECK(state == json{{"v", 1}, {"state", "denied"}});
  ConsentState r;
  std::string error;
  REQUIRE(r.restore(json::parse(state.dump(), nullptr, false), &error));
  CHECK(r.state() == Consent::kDenied);

  for (const json& bad : {json(), json("granted"), json{{"v", 1}}, json{{"v", 1}, {"state", "maybe"}},
                          json{{"v", 1}, {"state", true}}, json{{"v", 3}, {"state", "granted"}},
                          json::parse("{bad", nullptr, false)}) {
    CAPTURE(bad.dump());
    ConsentState s(Consent::kPending);
    s.set(Consent::kGranted);
    error.clear();
    CHECK_FALSE(s.restore(bad, &error));
    CHECK_FALSE(error.empty());
    CHECK(s.state() == Consent::kPending);  // back to the configured initial state
  }
  ConsentState g(Consent::kGranted);
  CHECK_FALSE(g.restore(json{{"v", 1}, {"state", "nope"}}, &error));
  CHECK(error.find("nope") != std::string::npos);
  CHECK(g.state() == Consent::kGranted);
}
