// The engine's visit pipeline: sessions, attribution, referral chains, identity and consent, as
// events carry them (the classes themselves have their own tests).
#include <doctest/doctest.h>

#include "engine_test_support.hpp"
#include "touchpoint/engine.hpp"

using namespace touchpoint;
using nlohmann::json;
using touchpoint::test::drain;
using touchpoint::test::named;

namespace {

EngineConfig cfg() {
  EngineConfig c;
  c.compress = false;
  c.seed = "visit-seed";
  c.queue.flush_at = 1000;  // nothing goes out before drain() collects it
  c.queue.flush_interval_ms = 24LL * 3600 * 1000;
  return c;
}

std::string page_ctx(const std::string& url, const std::string& referrer = "") {
  return json{{"type", "context"}, {"context", {{"page", {{"url", url}, {"path", "/"}, {"referrer", referrer}}}}}}.dump() + "\n";
}

std::string track(const std::string& name, std::int64_t ts, const std::string& props = "{}") {
  return test::track_line(name, ts, props);
}

constexpr std::int64_t kMin = 60 * 1000;

}  // namespace

TEST_CASE("visit: sessions end after 30 min idle and on a new campaign; every event carries one") {
  Engine e(cfg());
  e.ingest(page_ctx("https://shop.example/?utm_source=wechat&utm_campaign=spring") + track("a", 0) + track("b", 29 * kMin), 29 * kMin);
  e.ingest(track("c", 59 * kMin), 59 * kMin);  // exactly 30 min after b: a new session
  e.ingest(page_ctx("https://shop.example/?utm_source=douyin&utm_campaign=live") + track("d", 60 * kMin), 60 * kMin);
  json ev = drain(e, 61 * kMin);
  json starts = named(ev, "session_start");
  REQUIRE(starts.size() == 3);
  CHECK(starts[0]["properties"]["reason"] == "first");
  CHECK(starts[1]["properties"]["reason"] == "timeout");
  CHECK(starts[2]["properties"]["reason"] == "campaign");
  CHECK(starts[2]["properties"]["session_number"] == 3);
  const json a = named(ev, "a")[0], b = named(ev, "b")[0], c = named(ev, "c")[0], d = named(ev, "d")[0];
  CHECK(a["context"]["session"]["id"] == b["context"]["session"]["id"]);
  CHECK(b["context"]["session"]["id"] != c["context"]["session"]["id"]);
  CHECK(c["context"]["session"]["number"] == 2);
  CHECK(d["context"]["session"]["id"] == starts[2]["properties"]["session_id"]);
  // attribution: last touch in context.campaign, first touch kept
  CHECK(a["context"]["campaign"]["source"] == "wechat");
  CHECK(d["context"]["campaign"]["source"] == "douyin");
  CHECK(d["context"]["first_touch"]["source"] == "wechat");
}

TEST_CASE("visit: a shared link decorates, lands with depth + 1 and sends share_landed") {
  Engine sharer(cfg());
  sharer.ingest(page_ctx("https://shop.example/p/1"), 1000);
  Output o;
  const std::string url = sharer.share_url("https://shop.example/p/1?x=1#top", "wechat_chat", 1000, o);
  CHECK(url.find("tp_ref=" + sharer.anonymous_id()) != std::string::npos);
  CHECK(url.find("tp_depth=1") != std::string::npos);
  CHECK(url.find("tp_ch=wechat_chat") != std::string::npos);
  json shares = named(drain(sharer, 2000), "share");
  REQUIRE(shares.size() == 1);
  CHECK(shares[0]["properties"]["channel"] == "wechat_chat");

  EngineConfig c2 = cfg();
  c2.seed = "friend";
  Engine friend_(c2);
  friend_.ingest(page_ctx(url, "https://servicewechat.com/") + track("view", 3000), 3000);
  json ev = drain(friend_, 4000);
  json landed = named(ev, "share_landed");
  REQUIRE(landed.size() == 1);
  CHECK(landed[0]["properties"]["referrer_id"] == sharer.anonymous_id());
  CHECK(landed[0]["properties"]["depth"] == 1);
  CHECK(named(ev, "view")[0]["context"]["referral"]["referrer_id"] == sharer.anonymous_id());
  // the friend shares on: depth 2
  const std::string url2 = friend_.share_url("https://shop.example/p/1", "moments", 5000, o);
  CHECK(url2.find("tp_depth=2") != std::string::npos);
  CHECK(url2.find("tp_ref=" + friend_.anonymous_id()) != std::string::npos);
}

TEST_CASE("visit: consent pending holds events in memory and stores nothing; granted releases them in order") {
  EngineConfig c = cfg();
  c.consent = Consent::kPending;
  Engine e(c);
  json o = json::parse(e.ingest(track("a", 1) + track("b", 2), 10).to_json());
  CHECK(o["accepted"] == 2);
  CHECK(o["persist"] == false);
  CHECK(o["send"].empty());
  CHECK(e.stats()["queued"] == 0);
  CHECK(e.stats()["consentHeld"] == 2);
  o = json::parse(e.ingest("{\"type\":\"consent\",\"state\":\"granted\"}\n", 20).to_json());
  CHECK(o["persist"] == true);
  json ev = drain(e, 30);
  REQUIRE(named(ev, "a").size() == 1);
  CHECK(named(ev, "a")[0]["timestamp"] == "1970-01-01T00:00:00.001Z");  // the time it was tracked
  CHECK(named(ev, "b").size() == 1);
}

TEST_CASE("visit: consent denied drops held events, wipes ids and stops tracking") {
  EngineConfig c = cfg();
  c.consent = Consent::kPending;
  Engine e(c);
  const std::string anon = e.anonymous_id();
  e.ingest(track("a", 1), 10);
  json o = json::parse(e.ingest("{\"type\":\"consent\",\"state\":\"denied\"}\n" + track("after", 11), 20).to_json());
  CHECK(o["wipe"] == true);
  CHECK(o["persist"] == false);
  CHECK(e.anonymous_id() != anon);
  CHECK(e.stats()["queued"] == 0);
  CHECK(drain(e, 30).empty());
  o = json::parse(e.ingest("{\"type\":\"consent\",\"state\":\"maybe\"}\n", 40).to_json());
  CHECK(o["errors"][0]["code"] == "consent_invalid");
}

TEST_CASE("visit: identity — web-view ids adopted and stripped, alias, external ids, super properties") {
  Engine e(cfg());
  const std::string adopted = "1b4e28ba-2fa1-41d2-883f-0016d3cca427";
  json o = json::parse(e.ingest(page_ctx("https://h5.example/p?tp_anon=" + adopted + "&tp_openid=oAbCdEfGhIjKlMnOpQrStUvWx&sku=1"), 1).to_json());
  CHECK(e.anonymous_id() == adopted);
  REQUIRE(o.contains("replaceUrl"));
  CHECK(o["replaceUrl"] == "https://h5.example/p?sku=1");
  e.ingest("{\"type\":\"register\",\"properties\":{\"store\":\"SH-01\",\"sku\":\"super\"}}\n" +
               track("view", 2, "{\"sku\":\"A-1\"}") +
               "{\"type\":\"alias\",\"userId\":\"member-9\"}\n" + track("after_alias", 3),
           5);
  json ev = drain(e, 10);
  const json view = named(ev, "view")[0];
  CHECK(view["properties"]["store"] == "SH-01");
  CHECK(view["properties"]["sku"] == "A-1");  // the event's own properties win
  CHECK(view["context"]["page"]["url"] == "https://h5.example/p?sku=1");
  bool has_openid = false;
  for (const auto& x : view["context"]["externalIds"]) has_openid |= x["type"] == "wechat_openid";
  CHECK(has_openid);
  json alias;
  for (const auto& x : ev) if (x["type"] == "alias") alias = x;
  REQUIRE(alias.is_object());
  CHECK(alias["previousId"] == adopted);
  CHECK(alias["userId"] == "member-9");
  CHECK(named(ev, "after_alias")[0]["userId"] == "member-9");
}

TEST_CASE("visit: a shared-cookie anonymousId is adopted when nothing is stored; state survives a snapshot") {
  EngineConfig c = cfg();
  c.anonymous_id = "cookie-anon-1";
  Engine e(c);
  CHECK(e.anonymous_id() == "cookie-anon-1");
  e.ingest(page_ctx("https://shop.example/?utm_source=poster&tp_store=SH-01") + track("a", 1), 1);
  Engine r(cfg());
  r.restore(e.snapshot(), 2);
  CHECK(r.anonymous_id() == "cookie-anon-1");
  CHECK(r.visit_summary()["campaign"]["store_id"] == "SH-01");
  CHECK(r.visit_summary()["session"]["number"] == 1);
}

TEST_CASE("visit: a web-view's tp_sid continues the mini-program's session; the one open here ends first") {
  Engine e(cfg());
  e.ingest(page_ctx("https://h5.example/") + track("before", 1000), 1000);
  const std::string own = e.visit_summary()["session"]["id"];
  const std::string mp_session = "00aa11bb22cc33dd";
  json o = json::parse(e.ingest(page_ctx("https://h5.example/p?tp_anon=1b4e28ba-2fa1-41d2-883f-0016d3cca427&tp_sid=" + mp_session + "&sku=1") +
                                    track("inside", 2000) + track("later", 3000),
                                2000).to_json());
  CHECK(o["errors"].empty());
  CHECK(o["replaceUrl"] == "https://h5.example/p?sku=1");
  CHECK(e.visit_summary()["session"]["id"] == mp_session);
  json ev = drain(e, 4000);
  json ends = named(ev, "session_end");
  REQUIRE(ends.size() == 1);
  CHECK(ends[0]["properties"]["session_id"] == own);
  CHECK(ends[0]["properties"]["reason"] == "adopted");
  json starts = named(ev, "session_start");
  REQUIRE(starts.size() == 1);  // only this page's own first session: the adopted one started in the mini-program
  CHECK(starts[0]["context"]["session"]["id"] == own);
  CHECK(named(ev, "inside")[0]["context"]["session"]["id"] == mp_session);
  CHECK(named(ev, "later")[0]["context"]["session"]["id"] == mp_session);
  // The same id again (the web-view reloaded with its src) changes nothing.
  o = json::parse(e.ingest(page_ctx("https://h5.example/q?tp_sid=" + mp_session) + track("again", 4000), 4000).to_json());
  ev = drain(e, 5000);
  CHECK(named(ev, "session_end").empty());
  CHECK(named(ev, "again")[0]["context"]["session"]["id"] == mp_session);
  // A session id that is not one is refused, stripped from the URL, and the session goes on.
  o = json::parse(e.ingest(page_ctx("https://h5.example/r?tp_sid=not-a-session") + track("bad", 5000), 5000).to_json());
  REQUIRE(o["errors"].size() == 1);
  CHECK(o["errors"][0]["code"] == "webview_id_invalid");
  CHECK(o["replaceUrl"] == "https://h5.example/r");
  CHECK(e.visit_summary()["session"]["id"] == mp_session);
}

TEST_CASE("visit: an adopted session times out like any other and survives a snapshot") {
  Engine e(cfg());
  e.ingest(page_ctx("https://h5.example/?tp_sid=0123456789abcdef") + track("a", 10), 10);
  CHECK(e.visit_summary()["session"]["id"] == "0123456789abcdef");
  Engine r(cfg());
  r.restore(e.snapshot(), 20);
  CHECK(r.visit_summary()["session"]["id"] == "0123456789abcdef");
  r.ingest(track("b", 20 + 31 * kMin), 20 + 31 * kMin);
  CHECK(r.visit_summary()["session"]["id"] != "0123456789abcdef");
}
