#include <doctest/doctest.h>

#include <set>

#include "touchpoint/engine.hpp"

using namespace touchpoint;
using nlohmann::json;

namespace {

EngineConfig plain_config() {
  EngineConfig c;
  c.write_key = "wk_test";
  c.compress = false;  // bodies readable in tests; compression has its own tests
  c.seed = "test-seed";
  c.queue.backlog_batch_events = 0;  // batches of exactly flushAt; backlog packing has its own test
  return c;
}

json out_json(const Output& o) { return json::parse(o.to_json()); }

// The shell's hot-path line for track (see Engine::ingest).
std::string track(const std::string& name, std::int64_t ts, const std::string& props = "{}") {
  return "t\t" + std::to_string(ts) + "\t" + json(name).dump() + "\t" + props + "\n";
}
// The same call as a JSON object line (the general path).
std::string track_object(const std::string& name, std::int64_t ts, const std::string& props = "{}") {
  return "{\"type\":\"track\",\"event\":" + json(name).dump() + ",\"properties\":" + props + ",\"ts\":" + std::to_string(ts) + "}\n";
}

json body_of(const Engine& e, const json& out, std::size_t i = 0) {
  return json::parse(e.batch_body(out["send"][i]["id"].get<std::uint64_t>()));
}

// The events of a body minus the session_start the engine adds on its own.
json user_events(const json& body) {
  json out = json::array();
  for (const auto& ev : body["batch"])
    if (ev.value("event", "") != "session_start") out.push_back(ev);
  return out;
}

}  // namespace

TEST_CASE("engine: Segment-shaped events, batched at flushAt") {
  Engine e(plain_config());
  std::string calls = "{\"type\":\"context\",\"context\":{\"page\":{\"path\":\"/p/1\",\"url\":\"https://shop.example/p/1\"},\"locale\":\"zh-CN\"}}\n";
  for (int i = 0; i < 18; ++i) calls += track("product_view", 1000 + i, "{\"sku\":\"A-1001\",\"price\":129.5}");
  json o = out_json(e.ingest(calls, 2000));
  CHECK(o["accepted"] == 18);  // + the session_start the first event opened: 19 queued
  CHECK(o["send"].empty());
  CHECK(o["wake"] == 1000 + 5000);  // T ms after the oldest event
  CHECK(o["persist"] == true);
  o = out_json(e.ingest(track("add_to_cart", 2100), 2100));
  REQUIRE(o["send"].size() == 1);
  CHECK(o["send"][0]["events"] == 20);
  json body = body_of(e, o);
  REQUIRE(body["batch"].size() == 20);
  CHECK(body["sentAt"] == "1970-01-01T00:00:02.100Z");
  CHECK(body["writeKey"] == "wk_test");
  const json& start = body["batch"][0];
  CHECK(start["event"] == "session_start");
  CHECK(start["properties"]["session_number"] == 1);
  CHECK(start["properties"]["reason"] == "first");
  const json& ev = body["batch"][1];
  CHECK(ev["context"]["session"]["id"] == start["properties"]["session_id"]);
  CHECK(ev["type"] == "track");
  CHECK(ev["event"] == "product_view");
  CHECK(ev["properties"]["price"] == 129.5);
  CHECK(ev["context"]["page"]["path"] == "/p/1");
  CHECK(ev["context"]["locale"] == "zh-CN");
  CHECK(ev["context"]["library"]["name"] == "touchpoint");
  CHECK(ev["anonymousId"] == e.anonymous_id());
  CHECK(ev["userId"].is_null());
  CHECK(ev["timestamp"] == "1970-01-01T00:00:01.000Z");
  CHECK(ev["messageId"].get<std::string>().size() == 36);
  CHECK(ev["messageId"].get<std::string>()[14] == '4');
  std::set<std::string> ids;
  for (const auto& x : body["batch"]) ids.insert(x["messageId"].get<std::string>());
  CHECK(ids.size() == 20);
  CHECK(validate_event(ev) == std::nullopt);
}

TEST_CASE("engine: rejected calls come back structured; the rest of the input is processed") {
  Engine e(plain_config());
  std::string calls = track("ok", 1) + "{not json\n" + track(std::string(300, 'x'), 2) +
                      "{\"type\":\"track\",\"event\":\"p\",\"properties\":[1,2]}\n" + "{\"type\":\"launch\"}\n" +
                      "{\"type\":\"track\",\"event\":\"lone\\ud800surrogate\",\"properties\":{\"s\":\"x\\udc00y\"}}\n" +
                      track("ok2", 3) + "t\t4\t\"fast\\ud800lone\"\t{\"s\":\"x\\udc00y\"}\n";
  json o = out_json(e.ingest(calls, 10));
  CHECK(o["accepted"] == 4);
  REQUIRE(o["errors"].size() == 4);
  CHECK(o["errors"][0]["index"] == 1);
  CHECK(o["errors"][0]["code"] == "call_malformed");
  CHECK(o["errors"][1]["code"] == "event_name_too_long");
  CHECK(o["errors"][1]["field"] == "/event");
  CHECK(o["errors"][2]["code"] == "properties_not_object");
  CHECK(o["errors"][3]["code"] == "type_unknown");
  CHECK(o["log"].dump().find("U+FFFD") != std::string::npos);
  json f = out_json(e.flush(20, false, 0));
  json batch = user_events(body_of(e, f));
  REQUIRE(batch.size() == 4);
  CHECK(batch[3]["event"] == "fast\xEF\xBF\xBDlone");
  CHECK(batch[3]["properties"]["s"] == "x\xEF\xBF\xBDy");
  CHECK(batch[1]["event"] == "lone\xEF\xBF\xBDsurrogate");
  CHECK(batch[1]["properties"]["s"] == "x\xEF\xBF\xBDy");
}

TEST_CASE("engine: the tab-separated track line and the JSON object line give the same event") {
  Engine a(plain_config()), b(plain_config());
  const std::string props = R"({"sku":"A-1001","price":129.5,"tags":["new","promo"],"nested":{"x":[1,{"y":null}]}})";
  a.ingest(track("product_view", 1234, props), 2000);
  b.ingest(track_object("product_view", 1234, props), 2000);
  json ea = body_of(a, out_json(a.flush(3000, false, 0)))["batch"][0];
  json eb = body_of(b, out_json(b.flush(3000, false, 0)))["batch"][0];
  CHECK(ea == eb);  // same seed: even the messageId matches
  // malformed fast-path lines are rejected one by one
  Engine c(plain_config());
  json o = out_json(c.ingest("t\t1\tnoname\t{}\n"
                             "t\t1\t\"ok\"\t{broken\n"
                             "t\t1\t\"ok\"\n"
                             "t\tabc\t\"ok\"\t[1]\n"
                             "t\t1\t\"deep\"\t{\"a\":{\"b\":\"" + std::string(9000, 'x') + "\"}}\n"
                             "t\t5\t\"fine\"\tnull\n", 10));
  REQUIRE(o["errors"].size() == 5);
  CHECK(o["errors"][0]["code"] == "event_name_missing");
  CHECK(o["errors"][1]["code"] == "properties_malformed");
  CHECK(o["errors"][2]["code"] == "call_malformed");
  CHECK(o["errors"][3]["code"] == "properties_not_object");
  CHECK(o["errors"][4]["code"] == "string_too_long");
  CHECK(o["errors"][4]["field"] == "/properties/a/b");
  CHECK(o["accepted"] == 1);
}

TEST_CASE("engine: a hot-line error inside arrays points at the element") {
  Engine e(plain_config());
  const std::string big(9000, 'x');
  json o = out_json(e.ingest("t\t1\t\"a\"\t{\"l\":[1,{\"m/n\":[\"ok\",\"" + big + "\"]}]}\n"
                             "t\t1\t\"b\"\t{\"l\":[\"" + big + "\"]}\n"
                             "t\t1\t\"c\"\t{\"l\":[[],[],{\"s\":\"" + big + "\"}]}\n", 10));
  REQUIRE(o["errors"].size() == 3);
  CHECK(o["errors"][0]["field"] == "/properties/l/1/m~1n/1");
  CHECK(o["errors"][1]["field"] == "/properties/l/0");
  CHECK(o["errors"][2]["field"] == "/properties/l/2/s");
  CHECK(o["accepted"] == 0);
}

TEST_CASE("engine: an event over 32 KB is rejected, not queued") {
  Engine e(plain_config());
  json props = json::object();
  for (int i = 0; i < 5; ++i) props["k" + std::to_string(i)] = std::string(8000, 'a');
  json o = out_json(e.ingest(track("big", 1, props.dump()), 1));
  CHECK(o["accepted"] == 1);  // valid call; the serialised event is what is too large
  REQUIRE(o["errors"].size() == 1);
  CHECK(o["errors"][0]["code"] == "event_too_large");
  CHECK(e.stats()["queued"] == 1);  // only the session_start
}

TEST_CASE("engine: page, identify, reset") {
  Engine e(plain_config());
  std::string calls =
      "{\"type\":\"context\",\"context\":{\"page\":{\"path\":\"/\",\"title\":\"Shop\",\"url\":\"https://s/\",\"referrer\":\"\"}}}\n"
      "{\"type\":\"page\",\"name\":\"Home\",\"properties\":{\"title\":\"Custom\"},\"ts\":5}\n"
      "{\"type\":\"identify\",\"userId\":\"u-42\",\"traits\":{\"plan\":\"vip\",\"city\":\"SH\"},\"ts\":6}\n"
      "{\"type\":\"identify\",\"traits\":{\"city\":null,\"age\":30},\"ts\":7}\n" +
      track("after_login", 8);
  const std::string anon = e.anonymous_id();
  json o = out_json(e.ingest(calls, 10));
  CHECK(o["accepted"] == 4);
  const json b = user_events(body_of(e, out_json(e.flush(10, false, 0))));
  REQUIRE(b.size() == 4);
  CHECK(b[0]["type"] == "page");
  CHECK(b[0]["name"] == "Home");
  CHECK(b[0]["properties"]["path"] == "/");
  CHECK(b[0]["properties"]["title"] == "Custom");
  CHECK(b[1]["type"] == "identify");
  CHECK(b[1]["userId"] == "u-42");
  CHECK(b[1]["anonymousId"] == anon);
  CHECK(b[2]["traits"] == json({{"plan", "vip"}, {"age", 30}}));
  CHECK(b[3]["userId"] == "u-42");
  e.ingest("{\"type\":\"reset\"}\n", 11);
  CHECK(e.anonymous_id() != anon);
  CHECK(e.user_id().empty());
  CHECK(json::parse(e.ingest("{\"type\":\"identify\",\"userId\":\"\"}", 12).to_json())["errors"][0]["code"] == "user_id_invalid");
}

TEST_CASE("engine: delivery results — retry with backoff, 413 split, 4xx drop reported") {
  EngineConfig c = plain_config();
  c.queue.flush_at = 4;
  Engine e(c);
  std::string calls;
  for (int i = 0; i < 4; ++i) calls += track("e" + std::to_string(i), i);
  json o = out_json(e.ingest(calls, 100));
  REQUIRE(o["send"].size() == 1);
  auto id = o["send"][0]["id"].get<std::uint64_t>();
  o = out_json(e.delivered(id, 0, 0, "", 200));  // network error
  CHECK(o["send"].empty());
  REQUIRE(o["wake"].is_number());
  const std::int64_t retry_at = o["wake"].get<std::int64_t>();
  CHECK(retry_at <= 200 + 1000);
  o = out_json(e.tick(retry_at));
  REQUIRE(o["send"].size() == 1);
  CHECK(o["send"][0]["attempt"] == 2);
  o = out_json(e.delivered(id, 413, 0, "", retry_at));
  REQUIRE(o["send"].size() == 2);  // two halves go out at once
  CHECK(o["send"][0]["events"] == 2);
  auto a = o["send"][0]["id"].get<std::uint64_t>(), b = o["send"][1]["id"].get<std::uint64_t>();
  o = out_json(e.delivered(a, 200, 0, "{\"accepted\":2,\"duplicates\":0,\"rejected\":[]}", retry_at + 1));
  CHECK(o["errors"].empty());
  o = out_json(e.delivered(b, 400, 0, "{\"error\":{\"code\":\"bad\"}}", retry_at + 2));
  REQUIRE(o["errors"].size() == 1);
  CHECK(o["errors"][0]["code"] == "batch_rejected");
  CHECK(e.stats()["dropped"]["rejected"] == 2);
  CHECK(e.stats()["queued"] == 1);  // the 4th track: the first batch held session_start + 3
  // the drop is reported in the next batch body
  calls.clear();
  for (int i = 0; i < 4; ++i) calls += track("n" + std::to_string(i), 500 + i);
  o = out_json(e.ingest(calls, 600));
  CHECK(body_of(e, o)["dropped"]["rejected"] == 2);
  // a 2xx naming rejected events surfaces them
  REQUIRE(o["send"][0]["events"] == 4);
  o = out_json(e.delivered(o["send"][0]["id"], 200, 0, "{\"accepted\":3,\"duplicates\":0,\"rejected\":[{\"index\":1,\"code\":\"x\",\"message\":\"m\"}]}", 700));
  CHECK(o["errors"][0]["code"] == "x");
  // garbage from the backend is logged, never fatal
  o = out_json(e.delivered(12345, 200, 0, "\xFF\xFE garbage", 701));
  CHECK(o["log"][0].get<std::string>().find("unknown_batch") != std::string::npos);
}

TEST_CASE("engine: a burst goes out in batches packed up to flushBytes, not one request per flushAt") {
  EngineConfig c = plain_config();
  c.queue.backlog_batch_events = limits::kMaxBacklogBatchEvents;  // the default
  Engine e(c);
  std::string calls;
  const std::string props = "{\"sku\":\"A-1001\",\"pad\":\"" + std::string(400, 'x') + "\"}";
  for (int i = 0; i < 1000; ++i) calls += track("product_view", i, props);
  json o = out_json(e.ingest(calls, 1000));
  REQUIRE(o["send"].size() == 2);  // the in-flight limit still holds
  std::size_t events = 0, batches = 0;
  std::set<std::string> ids;
  auto take = [&](const json& out) {
    for (std::size_t i = 0; i < out["send"].size(); ++i) {
      const json body = body_of(e, out, i);
      CHECK(e.batch_body(out["send"][i]["id"].get<std::uint64_t>()).size() <= limits::kDefaultFlushBytes + 200);
      for (const auto& ev : body["batch"]) ids.insert(ev["messageId"].get<std::string>());
      events += out["send"][i]["events"].get<std::size_t>();
      ++batches;
    }
  };
  take(o);
  CHECK(o["send"][0]["events"].get<std::size_t>() > 20);
  for (int guard = 0; guard < 100 && !o["send"].empty(); ++guard) {  // answer everything sent
    json next = json::array();
    for (const auto& s : o["send"]) {
      const std::size_t n = s["events"].get<std::size_t>();
      json d = out_json(e.delivered(s["id"].get<std::uint64_t>(), 200, 0,
                                    "{\"accepted\":" + std::to_string(n) + ",\"duplicates\":0,\"rejected\":[]}", 1001));
      for (const auto& n : d["send"]) next.push_back(n);
    }
    o = {{"send", next}};
    take(o);
  }
  // 1000 tracks + session_start, each sent once; a tail below flushAt waits for flushInterval.
  const auto tail = e.stats()["queued"].get<std::size_t>();
  CHECK(tail < 20);
  CHECK(events + tail == 1001);
  CHECK(ids.size() == events);
  CHECK(batches <= 15);  // ~750 bytes per event: ~80 per 60 KiB, ~350 per 256 KiB batch, where flushAt would make 50
}

TEST_CASE("engine: unloading flush sends everything within the byte budget") {
  EngineConfig c = plain_config();
  Engine e(c);
  std::string calls;
  for (int i = 0; i < 100; ++i) calls += track("ev", i, "{\"n\":" + std::to_string(i) + "}");
  json o = out_json(e.ingest(calls, 100));
  CHECK(o["send"].size() == 2);  // in-flight limit while the page lives
  o = out_json(e.flush(101, true, 64 * 1024));
  std::size_t events = 0, bytes = 0;
  for (const auto& s : o["send"]) { events += s["events"].get<std::size_t>(); bytes += s["bytes"].get<std::size_t>(); }
  CHECK(events == 61);  // 100 tracks + session_start, minus the 2 batches already in flight
  CHECK(bytes <= 64 * 1024);
  o = out_json(e.flush(102, true, 10));  // nothing fits a 10-byte budget
  CHECK(o["send"].empty());
}

TEST_CASE("engine: snapshot round trip keeps identity, context and every queued event") {
  Engine e(plain_config());
  std::string calls = "{\"type\":\"context\",\"context\":{\"locale\":\"zh-CN\"}}\n"
                      "{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"a\":1}}\n";
  for (int i = 0; i < 45; ++i) calls += track("ev" + std::to_string(i), i);
  json o = out_json(e.ingest(calls, 100));
  CHECK(o["send"].size() == 2);  // 40 events in flight, 6 pending
  std::string snap = e.snapshot();

  EngineConfig c2 = plain_config();
  c2.seed = "other-tab";
  Engine r(c2);
  o = out_json(r.restore(snap, 200));
  CHECK(o["errors"].empty());
  CHECK(r.anonymous_id() == e.anonymous_id());
  CHECK(r.user_id() == "u1");
  CHECK(r.stats()["queued"] == 47);  // 45 tracks, identify, session_start
  // in-flight batches of the dead page are re-sent at once (the backend dedupes on messageId)
  REQUIRE(o["send"].size() == 2);
  std::set<std::string> seen;
  auto collect = [&](const json& out) {
    for (std::size_t i = 0; i < out["send"].size(); ++i) {
      const json body = body_of(r, out, i);
      for (const auto& ev : body["batch"]) seen.insert(ev["messageId"].get<std::string>());
    }
  };
  collect(o);
  json f = out_json(r.flush(300, true, 1 << 20));
  collect(f);
  CHECK(seen.size() == 47);
  // new events after restore keep the identity and the context
  r.ingest(track("later", 400), 400);
  json body = body_of(r, out_json(r.flush(400, true, 1 << 20)));
  CHECK(body["batch"].back()["userId"] == "u1");
  CHECK(body["batch"].back()["context"]["locale"] == "zh-CN");
  CHECK(seen.count(body["batch"].back()["messageId"].get<std::string>()) == 0);
}

TEST_CASE("engine: a corrupt snapshot is reported and discarded, never a crash") {
  Engine src(plain_config());
  std::string calls;
  for (int i = 0; i < 5; ++i) calls += track("ev", i);
  src.ingest(calls, 10);
  const std::string snap = src.snapshot();
  for (std::string bad : {std::string("garbage"), std::string("TPS1\n{bad json\n\n"), std::string("TPS1\n[1,2]\n\n"),
                          snap.substr(0, snap.size() / 2), std::string("\xFF\xFE\x00", 3), std::string()}) {
    Engine e(plain_config());
    json o = out_json(e.restore(bad, 100));
    if (!bad.empty()) {
      CHECK_FALSE(o["errors"].empty());
      CHECK(o["errors"][0]["code"] == "snapshot_corrupt");
    }
    e.ingest(track("still_works", 101), 101);
    CHECK(e.stats()["queued"].get<int>() >= 1);
  }
  // a truncated tail keeps the readable events
  Engine e(plain_config());
  json o = out_json(e.restore(snap.substr(0, snap.size() - 20), 100));
  CHECK(e.stats()["queued"] == 5);  // session_start + 4 of the 5 tracks
  // fuzz: random truncations and byte flips never crash
  Random rng(99);
  for (int k = 0; k < 300; ++k) {
    std::string s = snap.substr(0, static_cast<std::size_t>(rng.uniform(static_cast<std::int64_t>(snap.size()))));
    if (!s.empty() && k % 2) s[static_cast<std::size_t>(rng.uniform(static_cast<std::int64_t>(s.size() - 1)))] ^= 0x5A;
    Engine f(plain_config());
    f.restore(s, 100);
    f.ingest(track("x", 1), 1);
  }
}

TEST_CASE("engine: gzip bodies by default") {
  EngineConfig c = plain_config();
  c.compress = true;
  Engine e(c);
  std::string calls;
  for (int i = 0; i < 20; ++i) calls += track("product_view", i, "{\"sku\":\"A-1001\",\"price\":129.5}");
  json o = out_json(e.ingest(calls, 100));
  REQUIRE(o["send"].size() == 1);
  const std::string& body = e.batch_body(o["send"][0]["id"]);
  REQUIRE(body.size() > 18);
  CHECK(static_cast<unsigned char>(body[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(body[1]) == 0x8b);
  CHECK(o["send"][0]["bytes"] == body.size());
}

TEST_CASE("engine: init options are checked") {
  ValidationError err;
  CHECK(EngineConfig::from_json(json::parse(R"({"writeKey":"k","flushAt":5,"flushInterval":1000})"), &err));
  CHECK_FALSE(EngineConfig::from_json(json::parse(R"({"flushAt":0})"), &err));
  CHECK(err.field == "/flushAt");
  CHECK_FALSE(EngineConfig::from_json(json::parse(R"({"flushAt":"20"})"), &err));
  CHECK_FALSE(EngineConfig::from_json(json::parse("[]"), &err));
}
