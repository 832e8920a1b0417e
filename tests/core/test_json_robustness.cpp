// Every path where the core reads untrusted JSON answers wrong types with a structured error and
// never throws: natively a throw would fail these checks, in wasm (-fno-exceptions) it is an abort
// that kills the module (issue 8). One case per path fixed while closing the class with
// scripts/lint-json.sh; fuzz/ finds the ones nobody thought of.
#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "touchpoint/batch_queue.hpp"
#include "touchpoint/engine.hpp"
#include "touchpoint/json_access.hpp"
#include "touchpoint/rules/tag_engine.hpp"

using namespace touchpoint;
using nlohmann::json;

namespace {

const char* kRules = R"({"format": "touchpoint-rules/1", "version": "r1",
  "traits": [{"id": "c", "kind": "count"}],
  "scores": [{"id": "s", "half_life": "1d", "rules": [{"when": true, "points": 1}]}],
  "tags": [{"id": "t", "when": {">": [{"var": "traits.c"}, 0]}}],
  "stages": [{"id": "st", "order": ["a", "b"], "rules": [{"stage": "b", "when": {"var": "tags.t"}}]}]})";

EngineConfig plain_config() {
  EngineConfig c;
  c.write_key = "wk";
  c.compress = false;
  c.seed = "seed";
  return c;
}

}  // namespace

TEST_CASE("json_access: member() and dump() never throw") {
  const json arr = json::array({1, 2});
  CHECK(json_access::member(arr, "x").is_null());
  CHECK(json_access::member(json(5), "x").is_null());
  CHECK(json_access::member(json{{"x", 3}}, "x") == 3);
  std::string bad_utf8 = "a\xff\xfe";
  CHECK_NOTHROW(json_access::dump(json(bad_utf8)));
  CHECK(json_access::dump(json(bad_utf8)) == "\"a\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST_CASE("tag engine restore: every section with the wrong type is a structured error") {
  rules::TagEngine engine;
  REQUIRE(engine.load(kRules).empty());
  engine.process({{"type", "track"}, {"event", "x"}, {"properties", json::object()}}, 10);
  const json good = json::parse(engine.snapshot());
  std::vector<json> bad;
  for (const char* section : {"traits", "scores", "tags", "stages", "user", "events", "now", "format"}) {
    for (const json& wrong : {json(5), json("x"), json::array({1}), json(nullptr), json(true)}) {
      json s = good;
      s[section] = wrong;
      bad.push_back(s);
    }
  }
  for (const json& wrong : {json(5), json("x"), json::array(), json::object(), json(nullptr)}) {
    json s = good;
    s["traits"]["c"] = wrong;
    bad.push_back(s);
    s = good;
    s["scores"]["s"] = wrong;
    bad.push_back(s);
    s = good;
    s["tags"]["t"] = wrong;
    bad.push_back(s);
    s = good;
    s["stages"]["st"] = wrong;
    bad.push_back(s);
    s = good;
    s["tags"]["t"] = {{"first_seq", wrong}, {"set", wrong}};
    bad.push_back(s);
    s = good;
    s["scores"]["s"] = {{"fp", wrong}, {"value", wrong}, {"max", wrong}, {"last", "x"}};
    bad.push_back(s);
  }
  bad.push_back(json::array());
  bad.push_back(json("snapshot"));
  for (const json& s : bad) {
    CAPTURE(s.dump());
    std::string error;
    bool ok = true;
    CHECK_NOTHROW(ok = engine.restore(s.dump(), &error));
    // A value of the right shape (e.g. "now": null) may be accepted; anything else is explained.
    if (!ok) CHECK_FALSE(error.empty());
    rules::TagEngine no_rules;  // before the rules arrive, only the shape is checked
    CHECK_NOTHROW(no_rules.restore(s.dump(), &error));
  }
}

TEST_CASE("batch queue restore: wrong types and overflowing counts are refused, never read past the lines") {
  BatchQueueConfig cfg;
  std::vector<json> headers = {
      {{"batches", json::array({{{"n", "1"}}})}, {"pending", 0}},
      {{"batches", json::array({{{"n", -1}}})}, {"pending", 0}},
      {{"batches", json::array({5})}, {"pending", 0}},
      {{"batches", "x"}, {"pending", 0}},
      {{"batches", json::array()}, {"pending", "1"}},
      // 2^64-1 + 2 wraps to 1 == the stored line count: must not read 2^64-1 lines.
      {{"batches", json::array({{{"n", std::numeric_limits<std::uint64_t>::max()}}, {{"n", 2}}})}, {"pending", 0}},
      {{"batches", json::array()}, {"pending", std::numeric_limits<std::uint64_t>::max()}},
      {{"batches", json::array({{{"n", 1}, {"id", "x"}, {"attempts", "y"}, {"carried", 5}}})}, {"pending", 0},
       {"dropped_total", "z"}, {"dropped_unreported", json::array()}},
  };
  for (const json& h : headers) {
    CAPTURE(h.dump());
    BatchQueue q(cfg);
    std::string err;
    bool ok = false;
    CHECK_NOTHROW(ok = q.restore(h, {"{\"a\":1}"}, &err));
    if (!ok) {
      CHECK_FALSE(err.empty());
      CHECK(q.total_events() == 0);
    } else {
      CHECK(q.total_events() == 1);  // the last header: bad optional fields fall back to defaults
    }
  }
}

TEST_CASE("engine restore: a header with wrong types is reported as snapshot_corrupt, not thrown") {
  for (const char* header : {R"({"visit":5,"rng":3,"queue":"x"})", R"({"visit":[],"queue":{"batches":5}})",
                             R"({"visit":{"v":"1"},"queue":null})", R"([1,2])", R"("s")"}) {
    CAPTURE(header);
    Engine e(plain_config());
    std::string snap = std::string("TPS1\n") + header + "\n\n{\"a\":1}\n";
    std::string out;
    CHECK_NOTHROW(out = e.restore(snap, 1000).to_json());
    json o = json::parse(out);
    REQUIRE(o["errors"].is_array());
    REQUIRE_FALSE(o["errors"].empty());
    CHECK(o["errors"][0]["code"] == "snapshot_corrupt");
    CHECK_NOTHROW(e.ingest("t\t1\t\"x\"\t{}", 1000));
  }
}

TEST_CASE("engine: a write key or ids holding invalid UTF-8 are serialised with U+FFFD, not thrown") {
  EngineConfig c = plain_config();
  c.write_key = "wk\xff";
  c.queue.flush_at = 1;
  Engine e(c);
  std::string out;
  CHECK_NOTHROW(out = e.ingest("t\t1\t\"x\"\t{}", 1000).to_json());
  json o = json::parse(out);
  REQUIRE_FALSE(o["send"].empty());
  const std::string body = e.batch_body(o["send"][0]["id"].get<std::uint64_t>());
  CHECK(body.find("\"writeKey\":\"wk\xEF\xBF\xBD\"") != std::string::npos);
  CHECK_NOTHROW(e.snapshot());
  CHECK_NOTHROW(e.stats());
}

TEST_CASE("engine: a hot-line timestamp too large for int64 is no time; the clock is used (fuzz_ingest finding)") {
  EngineConfig c = plain_config();
  c.queue.flush_at = 1;
  Engine e(c);
  // 25 digits: accumulating them overflowed int64 (undefined behaviour) before the fix.
  json o = json::parse(e.ingest("t\t1700000000070000000000000\t\"x\"\t{}\nt\t253402300800000\t\"y\"\t{}", 5000).to_json());
  CHECK(o["accepted"] == 2);
  REQUIRE(o["send"].size() >= 1);
  std::string bodies;
  for (const auto& s : o["send"]) bodies += e.batch_body(s["id"].get<std::uint64_t>());
  CHECK(bodies.find("\"timestamp\":\"1970-01-01T00:00:05.000Z\"") != std::string::npos);
  CHECK(bodies.find("+") == std::string::npos);
}
