// Kiosk mode as the engine sends it: context.kiosk on every event, the store as each visitor's first
// touch, and end_visit, which ends the customer's session and visit under their ids and then
// forgets everything about them (ids, traits, super properties, external ids, attribution, the
// referral chain, tags, scores and stages), so the next customer is a new visitor.
#include <doctest/doctest.h>

#include "engine_test_support.hpp"
#include "touchpoint/engine.hpp"
#include "touchpoint/iso_time.hpp"
#include "touchpoint/kiosk.hpp"

using namespace touchpoint;
using nlohmann::json;
using touchpoint::test::drain;
using touchpoint::test::named;

namespace {

constexpr std::int64_t kMin = 60 * 1000;
constexpr std::int64_t kT0 = 1732270800000;  // 2024-11-22T10:20:00Z

// Every behaviour the rules have: a trait, a score, a tag and a stage, all moved by product_view.
constexpr const char* kRules = R"({"format":"touchpoint-rules/1","version":"kiosk-1",
  "traits":[{"id":"views","kind":"count","where":{"==":[{"var":"event.event"},"product_view"]}}],
  "scores":[{"id":"lead","half_life":"14d","rules":[{"when":{"==":[{"var":"event.event"},"product_view"]},"points":5}],
             "grades":[{"grade":"C","min":1}]}],
  "tags":[{"id":"browser","when":{">=":[{"var":"traits.views"},1]},"sticky":true}],
  "stages":[{"id":"lifecycle","order":["aware","interested"],
             "rules":[{"stage":"aware","when":true},{"stage":"interested","when":{"==":[{"var":"event.event"},"product_view"]}}]}]})";

EngineConfig cfg(bool kiosk = true) {
  EngineConfig c;
  c.compress = false;
  c.seed = "kiosk-seed";
  c.queue.flush_at = 1000;  // nothing goes out before drain() collects it
  c.queue.flush_interval_ms = 24LL * 3600 * 1000;
  if (kiosk) c.kiosk = KioskConfig{"screen-07", "store-sh-01", 2 * kMin};
  return c;
}

std::string call(json j) { return j.dump() + "\n"; }
std::string ctx(const std::string& url) {
  return call({{"type", "context"}, {"context", {{"page", {{"url", url}, {"path", "/"}, {"referrer", ""}}}}}});
}
std::string end_visit(std::int64_t ts, const char* reason = "idle") { return call({{"type", "end_visit"}, {"reason", reason}, {"ts", ts}}); }

std::vector<std::string> names(const json& events) {
  std::vector<std::string> out;
  for (const auto& ev : events) out.push_back(ev.value("event", ev.value("type", "")));
  return out;
}

std::int64_t ts(const json& ev) { return *parse_iso8601_ms(ev["timestamp"].get<std::string>()); }

json options_error(const json& options) {
  ValidationError err;
  auto c = EngineConfig::from_json(options, &err);
  CHECK_FALSE(c.has_value());
  return err.to_json();
}

}  // namespace

TEST_CASE("kiosk: options — deviceId and storeId required strings, idleResetMs bounded; bad values are errors, not aborts") {
  ValidationError err;
  auto ok = EngineConfig::from_json(json{{"writeKey", "k"}, {"kiosk", {{"deviceId", "d"}, {"storeId", "s"}, {"idleResetMs", 60000}}}}, &err);
  REQUIRE(ok.has_value());
  REQUIRE(ok->kiosk.has_value());
  CHECK(ok->kiosk->device_id == "d");
  CHECK(ok->kiosk->store_id == "s");
  CHECK(ok->kiosk->idle_reset_ms == 60000);
  auto dflt = EngineConfig::from_json(json{{"kiosk", {{"deviceId", "d"}, {"storeId", "s"}}}}, &err);
  REQUIRE(dflt.has_value());
  CHECK(dflt->kiosk->idle_reset_ms == kDefaultKioskIdleResetMs);
  CHECK_FALSE(EngineConfig::from_json(json{{"writeKey", "k"}}, &err)->kiosk.has_value());

  CHECK(options_error({{"kiosk", true}})["field"] == "/kiosk");
  CHECK(options_error({{"kiosk", {{"storeId", "s"}}}})["field"] == "/kiosk/deviceId");
  CHECK(options_error({{"kiosk", {{"deviceId", 7}, {"storeId", "s"}}}})["message"] == "kiosk.deviceId must be a string (required)");
  CHECK(options_error({{"kiosk", {{"deviceId", "d"}, {"storeId", ""}}}})["field"] == "/kiosk/storeId");
  json huge = options_error({{"kiosk", {{"deviceId", "d"}, {"storeId", std::string(100000, 'x')}}}});
  CHECK(huge["code"] == "option_invalid");
  CHECK(huge["message"] == "kiosk.storeId is 100000 bytes; the limit is 255");
  CHECK(options_error({{"kiosk", {{"deviceId", "a\nb"}, {"storeId", "s"}}}})["message"] == "kiosk.deviceId contains a control character");
  CHECK(options_error({{"kiosk", {{"deviceId", "\xff\xfe"}, {"storeId", "s"}}}})["message"] == "kiosk.deviceId is not valid UTF-8");
  CHECK(options_error({{"kiosk", {{"deviceId", "d"}, {"storeId", "s"}, {"idleResetMs", 5}}}})["field"] == "/kiosk/idleResetMs");
  CHECK(options_error({{"kiosk", {{"deviceId", "d"}, {"storeId", "s"}, {"idleResetMs", "2m"}}}})["field"] == "/kiosk/idleResetMs");
  CHECK(options_error({{"kiosk", {{"deviceId", "d"}, {"storeId", "s"}, {"idleResetMs", 1e12}}}})["field"] == "/kiosk/idleResetMs");
}

TEST_CASE("kiosk: deviceId and storeId ride in every event's context; the store is each visitor's first touch") {
  Engine e(cfg());
  e.ingest(ctx("https://shop.example/kiosk/") + test::track_line("product_view", kT0) +
               call({{"type", "identify"}, {"userId", "u-1"}, {"traits", json::object()}, {"ts", kT0 + 1}}) + end_visit(kT0 + 3 * kMin) +
               test::track_line("product_view", kT0 + 4 * kMin),
           kT0 + 4 * kMin);
  json ev = drain(e, kT0 + 4 * kMin);
  REQUIRE(names(ev) == std::vector<std::string>{"session_start", "product_view", "identify", "session_end", "visit_end", "session_start", "product_view"});
  for (const auto& event : ev) {
    CHECK(event["context"]["kiosk"] == json{{"deviceId", "screen-07"}, {"storeId", "store-sh-01"}});
    CHECK(event["context"]["first_touch"]["store_id"] == "store-sh-01");
    CHECK(event["context"]["first_touch"]["source"] == "kiosk");
    CHECK(event["context"]["campaign"]["medium"] == "in_store");
  }
  // Each visitor's touch is their own: stamped with the first visitor's first event, and for the
  // next ones with the end of the visit before (the screen was free for them from then on).
  CHECK(ev[1]["context"]["first_touch"]["timestamp_ms"] == kT0);
  CHECK(ev[6]["context"]["first_touch"]["timestamp_ms"] == kT0 + 3 * kMin);
  CHECK(e.visit_summary()["first_touch"]["store_id"] == "store-sh-01");
  // Without kiosk mode there is no kiosk context and no invented touch.
  Engine plain(cfg(false));
  plain.ingest(ctx("https://shop.example/") + test::track_line("x", kT0), kT0);
  for (const auto& event : drain(plain, kT0)) {
    CHECK_FALSE(event["context"].contains("kiosk"));
    CHECK_FALSE(event["context"].contains("first_touch"));
  }
}

TEST_CASE("kiosk: a visitor's own campaign touch wins over the store's") {
  Engine e(cfg());
  e.ingest(ctx("https://shop.example/kiosk/?utm_source=poster&utm_medium=qr") + test::track_line("x", kT0), kT0);
  json ev = drain(e, kT0);
  CHECK(ev[1]["context"]["first_touch"]["source"] == "poster");
  // After the visit the next customer has no touch of their own: the store's.
  e.ingest(end_visit(kT0 + kMin, "api") + test::track_line("y", kT0 + 2 * kMin), kT0 + 2 * kMin);
  ev = drain(e, kT0 + 2 * kMin);
  CHECK(named(ev, "y")[0]["context"]["first_touch"]["source"] == "kiosk");
}

TEST_CASE("kiosk end_visit: visit_end carries the old ids and the visit; everything of the visitor is reset") {
  Engine e(cfg());
  REQUIRE(e.load_rules(kRules).empty());
  e.ingest(ctx("https://shop.example/kiosk/?tp_ref=sharer-1&tp_share=s-1&tp_depth=1") +
               call({{"type", "identify"}, {"userId", "member-42"}, {"traits", {{"tier", "gold"}}}, {"ts", kT0}}) +
               call({{"type", "register"}, {"properties", {{"screen_lang", "zh"}}}}) +
               call({{"type", "external_id"}, {"kind", "openid"}, {"value", "oABCDEFGHIJKLMNOPQRSTUVWXYZ1"}}) +
               test::track_line("product_view", kT0 + kMin),
           kT0);
  const std::string old_anon = e.anonymous_id();
  CHECK(e.tag_engine().tags() == json::array({"browser"}));
  CHECK(e.tag_engine().stages()["lifecycle"] == "interested");
  CHECK(e.tag_engine().scores(kT0 + kMin)["lead"]["value"].get<double>() > 0);
  json before = drain(e, kT0 + kMin, true);
  const json last_before = named(before, "product_view")[0];
  CHECK(last_before["context"].contains("referral"));
  CHECK(last_before["context"].contains("externalIds"));
  CHECK(last_before["properties"]["screen_lang"] == "zh");
  const std::string old_session = last_before["context"]["session"]["id"];

  json o = json::parse(e.ingest(end_visit(kT0 + 5 * kMin), kT0 + 5 * kMin).to_json());
  CHECK(o["persist"] == true);
  CHECK(o["errors"].empty());
  // Every piece reset in the core.
  CHECK(e.anonymous_id() != old_anon);
  CHECK(e.anonymous_id().size() == 36);
  CHECK(e.user_id().empty());
  json v = e.visit_summary();
  CHECK(v["session"].is_null());
  CHECK(v["first_touch"]["source"] == "kiosk");  // the leaver's referral touch is gone: the store's
  CHECK(v["first_touch"]["timestamp_ms"] == kT0 + 5 * kMin);
  CHECK_FALSE(v.contains("referral"));
  CHECK(v["externalIds"].empty());
  CHECK(v["superProperties"].empty());
  CHECK(e.tag_engine().tags().empty());
  const json traits = e.tag_engine().traits(), scores = e.tag_engine().scores(kT0 + 5 * kMin);
  CHECK((!traits.contains("views") || traits["views"] == 0));
  CHECK((!scores.contains("lead") || scores["lead"]["value"] == 0));
  CHECK(e.tag_engine().stages().empty());

  json ended = drain(e, kT0 + 5 * kMin, true);
  REQUIRE(names(ended) == std::vector<std::string>{"session_end", "visit_end"});
  const json& ve = ended[1];
  CHECK(ve["anonymousId"] == old_anon);
  CHECK(ve["userId"] == "member-42");
  CHECK(ve["properties"]["reason"] == "idle");
  CHECK(ve["properties"]["duration_ms"] == 5 * kMin);
  CHECK(ve["properties"]["started_at"] == format_iso8601_ms(kT0));
  CHECK(ts(ve) == kT0 + 5 * kMin);
  CHECK(ve["context"]["session"]["id"] == old_session);  // the context is still the leaver's
  CHECK(ve["context"]["tags"] == json::array({"browser"}));
  CHECK(ended[0]["anonymousId"] == old_anon);
  CHECK(ended[0]["properties"]["reason"] == "reset");

  // The next customer: a new visitor, a new session (number 1), nothing inherited.
  e.ingest(test::track_line("hello", kT0 + 6 * kMin), kT0 + 6 * kMin);
  json after = drain(e, kT0 + 6 * kMin);
  // tags_changed: the new customer enters the lifecycle at "aware" again (the leaver was "interested").
  REQUIRE(names(after) == std::vector<std::string>{"session_start", "hello", "tags_changed"});
  CHECK(after[2]["properties"]["stages"][0]["to"] == "aware");
  for (const auto& event : after) {
    CHECK(event["anonymousId"] == e.anonymous_id());
    CHECK(event["userId"].is_null());
    CHECK(event["context"]["session"]["id"] != old_session);
    CHECK(event["context"]["session"]["number"] == 1);
    CHECK_FALSE(event["context"].contains("referral"));
    CHECK_FALSE(event["context"].contains("externalIds"));
    CHECK(event["context"]["tags"].empty());
  }
  CHECK_FALSE(after[1]["properties"].contains("screen_lang"));
}

TEST_CASE("kiosk end_visit: without a visit in progress it resets and sends nothing; a bad reason is rejected alone") {
  Engine e(cfg());
  const std::string first = e.anonymous_id();
  json o = json::parse(e.ingest(end_visit(kT0, "api"), kT0).to_json());
  CHECK(o["errors"].empty());
  CHECK(drain(e, kT0).empty());
  CHECK(e.anonymous_id() != first);
  bool logged = false;
  for (const auto& line : o["log"]) logged = logged || line.get<std::string>() == "visit ended (api): no visit in progress";
  CHECK(logged);

  const std::string anon = e.anonymous_id();
  o = json::parse(e.ingest(call({{"type", "end_visit"}, {"reason", "bored"}}) + call({{"type", "end_visit"}, {"reason", 3}}), kT0).to_json());
  REQUIRE(o["errors"].size() == 2);
  CHECK(o["errors"][0]["code"] == "visit_end_reason_invalid");
  CHECK(o["errors"][1]["index"] == 1);
  CHECK(e.anonymous_id() == anon);  // a rejected call changes nothing
  // No reason means the page's own call.
  e.ingest(test::track_line("x", kT0 + 1) + call({{"type", "end_visit"}, {"ts", kT0 + 2}}), kT0 + 2);
  CHECK(named(drain(e, kT0 + 2), "visit_end")[0]["properties"]["reason"] == "api");
}

TEST_CASE("kiosk end_visit: works without kiosk mode (a shared device), and not under pending consent") {
  Engine e(cfg(false));
  e.ingest(test::track_line("x", kT0) + end_visit(kT0 + kMin, "api"), kT0 + kMin);
  json ev = drain(e, kT0 + kMin);
  CHECK(names(ev) == std::vector<std::string>{"session_start", "x", "session_end", "visit_end"});
  CHECK_FALSE(ev[3]["context"].contains("kiosk"));

  Engine p(cfg());
  p.ingest(test::track_line("x", kT0), kT0);
  drain(p, kT0, true);
  p.ingest(call({{"type", "consent"}, {"state", "pending"}}), kT0 + 1);
  json o = json::parse(p.ingest(end_visit(kT0 + kMin), kT0 + kMin).to_json());
  bool logged = false;
  for (const auto& line : o["log"]) logged = logged || line.get<std::string>() == "visit ended (idle): no visit_end: consent is pending";
  CHECK(logged);
  p.ingest(call({{"type", "consent"}, {"state", "granted"}}), kT0 + 2 * kMin);
  CHECK(named(drain(p, kT0 + 2 * kMin), "visit_end").empty());
}

TEST_CASE("kiosk: the visit's start survives a snapshot (nightly reload); visit_end after restore has the true duration") {
  std::string snap, anon;
  {
    Engine e(cfg());
    e.ingest(test::track_line("x", kT0), kT0);
    drain(e, kT0, true);
    snap = e.snapshot();
    anon = e.anonymous_id();
  }
  Engine r(cfg());
  r.restore(snap, kT0 + kMin);
  CHECK(r.anonymous_id() == anon);
  r.ingest(end_visit(kT0 + 3 * kMin), kT0 + 3 * kMin);
  json ve = named(drain(r, kT0 + 3 * kMin), "visit_end");
  REQUIRE(ve.size() == 1);
  CHECK(ve[0]["anonymousId"] == anon);
  CHECK(ve[0]["properties"]["duration_ms"] == 3 * kMin);
  // The visitor after the reset is the one stored next.
  Engine again(cfg());
  again.restore(r.snapshot(), kT0 + 4 * kMin);
  CHECK(again.anonymous_id() == r.anonymous_id());
  CHECK(again.visit_summary()["session"].is_null());
}
