// TagEngine: traits and their windows, decaying scores and grades, tags, stages, time-driven
// changes, validation, persistence and rule set upgrades.
#include <doctest/doctest.h>

#include <string>

#include "touchpoint/rules/tag_engine.hpp"

using nlohmann::json;
using touchpoint::rules::TagEngine;

namespace {

std::string rules_with(const std::string& body) {
  return R"({"format": "touchpoint-rules/1", "version": "test", )" + body + "}";
}

TagEngine engine_with(const std::string& body) {
  TagEngine engine;
  auto errors = engine.load(rules_with(body));
  for (const auto& e : errors) MESSAGE(e.path << ": " << e.message);
  REQUIRE(errors.empty());
  return engine;
}

json track(const std::string& name, json properties = json::object()) {
  return {{"type", "track"}, {"event", name}, {"properties", std::move(properties)}};
}

bool has_tag(const TagEngine& engine, const std::string& tag) {
  for (const auto& t : engine.tags())
    if (t == tag) return true;
  return false;
}

}  // namespace

TEST_CASE("tag engine: every trait kind over the lifetime") {
  TagEngine engine = engine_with(R"("traits": [
    {"id": "views", "kind": "count", "where": {"===": [{"var": "event.event"}, "view"]}},
    {"id": "spend", "kind": "sum", "property": "event.properties.price"},
    {"id": "avg_price", "kind": "avg", "property": "event.properties.price"},
    {"id": "cheapest", "kind": "min", "property": "event.properties.price"},
    {"id": "dearest", "kind": "max", "property": "event.properties.price"},
    {"id": "fav", "kind": "most_frequent", "property": "event.properties.category"},
    {"id": "first_cat", "kind": "first", "property": "event.properties.category"},
    {"id": "last_cat", "kind": "last", "property": "event.properties.category"},
    {"id": "n_cats", "kind": "unique_count", "property": "event.properties.category"},
    {"id": "cats", "kind": "unique_list", "property": "event.properties.category"}])");
  json empty = engine.traits();
  CHECK(empty["views"] == 0);
  CHECK(empty["spend"].is_null());
  CHECK(empty["fav"].is_null());
  CHECK(empty["cats"].is_null());

  engine.process(track("view", {{"category", "toys"}, {"price", 10}}), 1000);
  engine.process(track("view", {{"category", "books"}, {"price", 30}}), 2000);
  engine.process(track("buy", {{"category", "books"}, {"price", "n/a"}}), 3000);  // not a number
  engine.process(track("view", {{"category", "toys"}}), 4000);
  engine.process(track("view", {{"category", 7}, {"price", 5}}), 5000);
  json t = engine.traits();
  CHECK(t["views"] == 4);
  CHECK(t["spend"] == 45.0);
  CHECK(t["avg_price"] == 15.0);
  CHECK(t["cheapest"] == 5);
  CHECK(t["dearest"] == 30);
  CHECK(t["fav"] == "books");  // books 2, toys 2: the smallest value wins the tie
  CHECK(t["first_cat"] == "toys");
  CHECK(t["last_cat"] == 7);
  CHECK(t["n_cats"] == 3);
  CHECK(t["cats"] == json::parse(R"([7, "books", "toys"])"));  // numbers sort before strings
}

TEST_CASE("tag engine: a window counts u when t - window < u <= t") {
  TagEngine engine = engine_with(R"("traits": [{"id": "c", "kind": "count", "window": "1s"}],
    "tags": [{"id": "busy", "when": {">=": [{"var": "traits.c"}, 2]}}])");
  engine.process(track("x"), 0);
  engine.process(track("x"), 500);
  CHECK(engine.traits()["c"] == 2);
  CHECK(has_tag(engine, "busy"));
  REQUIRE(engine.next_change_at().has_value());
  CHECK(*engine.next_change_at() == 1000);  // the event at 0 leaves when t - 1000 = 0
  engine.process(track("x"), 1000);
  CHECK(engine.traits()["c"] == 2);  // 500 and 1000
  CHECK(*engine.next_change_at() == 1500);
  json changes = engine.advance(1499);
  CHECK(changes.empty());
  CHECK(engine.traits()["c"] == 2);
  changes = engine.advance(1500);
  CHECK(engine.traits()["c"] == 1);
  REQUIRE(changes.contains("tags_removed"));
  CHECK(changes["tags_removed"][0]["tag"] == "busy");
  CHECK(changes["tags_removed"][0]["rule"] == "/tags/0");
  CHECK(*engine.next_change_at() == 2000);
  engine.advance(5000);
  CHECK(engine.traits()["c"] == 0);
  CHECK_FALSE(engine.next_change_at().has_value());
}

TEST_CASE("tag engine: windowed aggregates follow entries out of the window") {
  TagEngine engine = engine_with(R"("traits": [
    {"id": "mx", "kind": "max", "property": "event.properties.v", "window": 100},
    {"id": "mn", "kind": "min", "property": "event.properties.v", "window": 100},
    {"id": "sum", "kind": "sum", "property": "event.properties.v", "window": 100},
    {"id": "fav", "kind": "most_frequent", "property": "event.properties.c", "window": 100},
    {"id": "first", "kind": "first", "property": "event.properties.c", "window": 100},
    {"id": "list", "kind": "unique_list", "property": "event.properties.c", "window": 100}])");
  engine.process(track("x", {{"v", 9}, {"c", "b"}}), 0);
  engine.process(track("x", {{"v", 1}, {"c", "a"}}), 50);
  engine.process(track("x", {{"v", 4}, {"c", "a"}}), 60);
  json t = engine.traits();
  CHECK(t["mx"] == 9);
  CHECK(t["mn"] == 1);
  CHECK(t["sum"] == 14.0);
  CHECK(t["fav"] == "a");
  CHECK(t["first"] == "b");
  CHECK(t["list"] == json::parse(R"(["a", "b"])"));
  CHECK(engine.summary(100)["traits"]["mx"] == 4);  // a view at t = 100, state untouched
  engine.advance(100);
  t = engine.traits();
  CHECK(t["mx"] == 4);
  CHECK(t["mn"] == 1);
  CHECK(t["sum"] == 5.0);
  CHECK(t["first"] == "a");
  CHECK(t["list"] == json::parse(R"(["a"])"));
  engine.advance(200);
  t = engine.traits();
  CHECK(t["mx"].is_null());
  CHECK(t["sum"].is_null());
  CHECK(t["list"].is_null());
}

TEST_CASE("tag engine: scores decay by half-life and grades follow, also without events") {
  TagEngine engine = engine_with(R"("scores": [{"id": "lead", "half_life": 1000,
      "rules": [{"when": {"===": [{"var": "event.event"}, "demo"]}, "points": 10},
                {"when": {"===": [{"var": "event.properties.plan"}, "pro"]}, "points": 6}],
      "grades": [{"grade": "A", "min": 8}, {"grade": "B", "min": 4}]}],
    "tags": [{"id": "hot", "when": {"===": [{"var": "grades.lead"}, "A"]}},
             {"id": "warm", "when": {">": [{"var": "scores.lead"}, 3]}}])");
  json changes = engine.process(track("demo"), 0);
  REQUIRE(changes["scores"].size() == 1);
  CHECK(changes["scores"][0]["grade"] == "A");
  CHECK(changes["scores"][0]["previous_grade"].is_null());
  CHECK(has_tag(engine, "hot"));
  CHECK(engine.scores(1000)["lead"]["value"] == doctest::Approx(5.0));
  // A drops below 8 at 1000 * log2(10 / 8) = 321.9 ms.
  REQUIRE(engine.next_change_at().has_value());
  CHECK(*engine.next_change_at() == 322);
  changes = engine.advance(322);
  CHECK(changes["scores"][0]["grade"] == "B");
  CHECK(changes["scores"][0]["previous_grade"] == "A");
  CHECK(changes["tags_removed"][0]["tag"] == "hot");
  CHECK(has_tag(engine, "warm"));
  // warm (> 3) ends at 1000 * log2(10 / 3) = 1736.97 ms, before B ends at 1321.9? No: B (>= 4) ends first.
  CHECK(*engine.next_change_at() == 1322);
  engine.advance(1322);
  CHECK(engine.scores(1322)["lead"]["grade"].is_null());
  CHECK(*engine.next_change_at() == 1737);
  changes = engine.advance(1737);
  CHECK(changes["tags_removed"][0]["tag"] == "warm");
  // Both rules hold: decay first, then add in rule order.
  changes = engine.process(track("demo", {{"plan", "pro"}}), 2000);
  CHECK(changes["scores"][0]["value"] == doctest::Approx(10.0 / 4 + 16));
  json s = engine.scores(2000)["lead"];
  CHECK(s["max"] == doctest::Approx(18.5));
  CHECK(s["grade"] == "A");
}

TEST_CASE("tag engine: sticky tags stay, others follow their condition") {
  TagEngine engine = engine_with(R"("tags": [
    {"id": "buyer", "when": {"===": [{"var": "event.event"}, "purchase"]}, "sticky": true},
    {"id": "buying", "when": {"===": [{"var": "event.event"}, "purchase"]}}])");
  json changes = engine.process(track("purchase"), 10);
  CHECK(changes["tags_added"].size() == 2);
  CHECK(engine.tags() == json::parse(R"(["buyer", "buying"])"));
  changes = engine.process(track("view"), 20);
  CHECK(changes["tags_removed"] == json::parse(R"([{"tag": "buying", "rule": "/tags/1"}])"));
  CHECK(engine.tags() == json::parse(R"(["buyer"])"));
  engine.process(track("purchase"), 30);
  json summary = engine.summary(30);
  CHECK(summary["tags"]["buyer"]["first_seq"] == 0);
  CHECK(summary["tags"]["buying"]["first_seq"] == 0);  // first set by event 0, set again by event 2
  CHECK(summary["events"] == 3);
  CHECK(summary["t_end"] == "1970-01-01T00:00:00.030Z");
}

TEST_CASE("tag engine: tags see the tags set earlier in the same pass") {
  TagEngine engine = engine_with(R"("tags": [
    {"id": "c", "when": {"var": "tags.a"}},
    {"id": "a", "when": {"===": [{"var": "event.event"}, "go"]}, "sticky": true},
    {"id": "b", "when": {"var": "tags.a"}}])");
  engine.process(track("go"), 100);
  CHECK(engine.tags() == json::parse(R"(["a", "b"])"));  // c ran before a was set
  REQUIRE(engine.next_change_at().has_value());
  CHECK(*engine.next_change_at() == 100);  // c is due now
  json changes = engine.advance(100);
  CHECK(changes["tags_added"][0]["tag"] == "c");
  CHECK(engine.summary(100)["tags"]["c"]["first_seq"] == 1);  // after event 0
  CHECK_FALSE(engine.next_change_at().has_value());
}

TEST_CASE("tag engine: stages only move forward, to the furthest stage whose rule holds") {
  TagEngine engine = engine_with(R"("stages": [{"id": "lifecycle",
      "order": ["aware", "interested", "trying", "bought"],
      "rules": [{"stage": "interested", "when": {"===": [{"var": "event.event"}, "view"]}},
                {"stage": "bought", "when": {"===": [{"var": "event.event"}, "purchase"]}},
                {"stage": "trying", "when": {"in": [{"var": "event.event"}, ["trial", "purchase"]]}},
                {"stage": "aware", "when": true}]}])");
  json changes = engine.process(track("hello"), 1);
  CHECK(changes["stages"] == json::parse(R"([{"id": "lifecycle", "from": null, "to": "aware", "rule": "/stages/0/rules/3"}])"));
  engine.process(track("view"), 2);
  CHECK(engine.stages()["lifecycle"] == "interested");
  changes = engine.process(track("purchase"), 3);
  CHECK(changes["stages"][0]["to"] == "bought");
  CHECK(changes["stages"][0]["from"] == "interested");
  CHECK(changes["stages"][0]["rule"] == "/stages/0/rules/1");
  changes = engine.process(track("view"), 4);
  CHECK_FALSE(changes.contains("stages"));
  CHECK(engine.stages()["lifecycle"] == "bought");
}

TEST_CASE("tag engine: stage and user reads") {
  TagEngine engine = engine_with(R"("stages": [{"id": "life", "order": ["new", "known"],
      "rules": [{"stage": "known", "when": {"!!": [{"var": "user.email"}]}}]}],
    "tags": [{"id": "pro", "when": {"===": [{"var": "user.plan.tier"}, "pro"]}},
             {"id": "known", "when": {"===": [{"var": "stage.life"}, "known"]}}])");
  engine.process(track("x"), 10);
  CHECK(engine.tags().empty());
  engine.set_user_traits({{"plan", {{"tier", "pro"}}}, {"email", "a@b.c"}});
  REQUIRE(engine.next_change_at().has_value());
  CHECK(*engine.next_change_at() == 10);
  engine.advance(10);
  CHECK(engine.stages()["life"] == "known");
  CHECK(has_tag(engine, "pro"));
  engine.advance(10);
  CHECK(has_tag(engine, "known"));
}

TEST_CASE("tag engine: rules are filed by event name and the context paths still work") {
  TagEngine engine = engine_with(R"("traits": [
      {"id": "n", "kind": "count", "where": {"or": [
        {"and": [{"===": [{"var": "event.event"}, "a"]}, {"starts_with": [{"var": "event.properties.path"}, "/blog/"]}]},
        {"===": ["b", {"var": "event.event"}]},
        {"in": [{"var": "event.event"}, ["c", "d"]]},
        {"and": [{"==": [{"var": "event.event"}, "e"]}]}]}},
      {"id": "items", "kind": "sum", "property": "event.properties.items.1.qty"}],
    "tags": [{"id": "any", "when": {"some": [{"var": "event.properties.items"}, {">": [{"var": "qty"}, 4]}]}},
             {"id": "ctx", "when": {"==": [{"var": "traits"}, null]}},
             {"id": "m", "when": {"missing": ["event.properties.zzz"]}}])");
  engine.process(track("a", {{"path", "/blog/x"}}), 1);
  engine.process(track("a", {{"path", "/shop"}}), 2);
  engine.process(track("b"), 3);
  engine.process(track("d"), 4);
  engine.process(track("e"), 5);
  engine.process(track("f"), 6);
  engine.process(json{{"type", "page"}}, 7);
  CHECK(engine.traits()["n"] == 4);
  engine.process(track("z", {{"items", json::parse(R"([{"qty": 1}, {"qty": 5}])")}}), 8);
  CHECK(engine.traits()["items"] == 5.0);
  CHECK(has_tag(engine, "any"));
  CHECK_FALSE(has_tag(engine, "ctx"));
  CHECK(has_tag(engine, "m"));
}

TEST_CASE("tag engine: process_text reads the same events as process") {
  const std::string rules = rules_with(R"("traits": [
      {"id": "cat", "kind": "last", "property": "event.properties.category"},
      {"id": "price", "kind": "sum", "property": "event.properties.price"},
      {"id": "n", "kind": "count", "where": {"===": [{"var": "event.properties.tags.1"}, "b"]}}],
    "tags": [{"id": "esc", "when": {"===": [{"var": "event.properties.category"}, "a\"b\u00e9"]}, "sticky": true},
             {"id": "whole", "when": {"==": [{"var": "event.properties.obj"}, "[object Object]"]}}])");
  const char* lines[] = {
      R"({"type":"track","event":"x","properties":{"category":"a\"b\u00e9","price":1.5e1,"tags":["a","b"],"obj":{"k":[1,{"z":null}]}},"timestamp":"2024-01-01T00:00:00.000Z"})",
      R"( {"event":"y","properties":{"price":-2,"category":"plain","tags":"ab"}, "timestamp":"2024-01-01T00:00:01Z"} )",
  };
  TagEngine a, b;
  REQUIRE(a.load(rules).empty());
  REQUIRE(b.load(rules).empty());
  std::string error;
  json changes_text;
  for (const char* line : lines) {
    REQUIRE(a.process_text(line, 0, &changes_text, &error));
    json event = json::parse(line);
    auto t = event["timestamp"].get<std::string>();
    json changes = b.process(event, t.size() > 20 ? 1704067200000 : 1704067201000);
    CHECK(changes == changes_text);
  }
  CHECK(a.summary(1704067201000) == b.summary(1704067201000));
  CHECK(a.traits()["price"] == 13.0);
  CHECK(a.traits()["n"] == 1);
  CHECK(a.summary(1704067201000)["tags"]["esc"]["first_seq"] == 0);
  // Malformed text is rejected and nothing is processed.
  for (const char* bad : {"", "[1]", R"({"event": "x")", R"({"event": "x"} x)", R"({"event": "x", "timestamp": "yesterday"})",
                          R"({"a": "\ud800"})", "{\"a\": \"\x01\"}", "{\"a\": \"\xff\"}", "{\"a\": \"\xed\xa0\x80\"}", R"({"a": 01})", R"({"a": tru})"}) {
    CHECK_FALSE(a.process_text(bad, 0, nullptr, &error));
    CHECK_FALSE(error.empty());
  }
  CHECK(a.events_processed() == 2);
}

TEST_CASE("tag engine: time never runs backwards") {
  TagEngine engine = engine_with(R"("traits": [{"id": "c", "kind": "count", "window": 100}])");
  engine.process(track("x"), 1000);
  engine.process(track("x"), 500);  // late: counted at 1000
  CHECK(engine.current_time() == 1000);
  CHECK(engine.traits()["c"] == 2);
  engine.advance(1100);
  CHECK(engine.traits()["c"] == 0);
}

TEST_CASE("tag engine: windows and value sets are bounded") {
  TagEngine engine = engine_with(R"("traits": [{"id": "c", "kind": "count", "window": "1d"},
      {"id": "u", "kind": "unique_count", "property": "event.properties.v"}])");
  for (int i = 0; i < 10050; ++i) engine.process(track("x", {{"v", i}}), i);
  CHECK(engine.traits()["c"] == 10000);  // the oldest entries were dropped
  CHECK(engine.traits()["u"] == 1000);   // new values past 1000 distinct do not count
}

TEST_CASE("tag engine: validation rejects with JSON pointers and keeps the rules in force") {
  struct Case {
    const char* body;
    const char* path;
    const char* message_part;
  };
  const Case cases[] = {
      {R"("tags": [{"id": "a", "when": true, "colour": 1}])", "/tags/0/colour", "unknown field"},
      {R"("tags": [{"id": "a", "when": {"and": [true, {"foo": 1}]}}])", "/tags/0/when/and/1/foo", "unknown operator"},
      {R"("traits": [{"id": "a", "kind": "median", "property": "event.x"}])", "/traits/0/kind", "unknown trait kind"},
      {R"("traits": [{"id": "a", "kind": "sum"}])", "/traits/0", "missing \"property\""},
      {R"("traits": [{"id": "a", "kind": "count", "window": "7 days"}])", "/traits/0/window", "duration"},
      {R"("tags": [{"id": "a", "when": true, "sticky": "yes"}])", "/tags/0/sticky", "boolean"},
      {R"("tags": [{"id": "a", "when": true}, {"id": "a", "when": false}])", "/tags/1/id", "duplicate"},
      {R"("tags": [{"id": "a.b", "when": true}])", "/tags/0/id", "\".\""},
      {R"("tags": [{"id": "a", "when": {">=": [{"var": "traits.nope"}, 3]}}])", "/tags/0/when/>=/0/var", "unknown trait \"nope\""},
      {R"("tags": [{"id": "a", "when": {"var": "grades.nope"}}])", "/tags/0/when/var", "unknown score"},
      {R"("tags": [{"id": "a", "when": {"var": "tags.b"}}])", "/tags/0/when/var", "unknown tag"},
      {R"("tags": [{"id": "a", "when": {"var": "stage.s"}}])", "/tags/0/when/var", "unknown stage"},
      {R"("tags": [{"id": "a", "when": {"var": "session.id"}}])", "/tags/0/when/var", "unknown variable"},
      {R"("traits": [{"id": "a", "kind": "last", "property": "nope.x"}])", "/traits/0/property", "unknown variable"},
      {R"("scores": [{"id": "s", "half_life": "1d", "rules": [{"when": true, "points": "ten"}]}])", "/scores/0/rules/0/points", "number"},
      {R"("scores": [{"id": "s", "half_life": "1d", "rules": [], "grades": [{"grade": "B", "min": 1}, {"grade": "A", "min": 5}]}])", "/scores/0/grades/1/min", "highest"},
      {R"("scores": [{"id": "s", "rules": []}])", "/scores/0", "half_life"},
      {R"("stages": [{"id": "s", "order": ["a"], "rules": [{"stage": "z", "when": true}]}])", "/stages/0/rules/0/stage", "unknown stage"},
      {R"("tags": {"id": "a"})", "/tags", "array"},
      {R"("extra": 1)", "/extra", "unknown field"},
  };
  TagEngine engine = engine_with(R"("tags": [{"id": "kept", "when": true}])");
  for (const auto& c : cases) {
    CAPTURE(c.body);
    auto errors = engine.load(rules_with(c.body));
    REQUIRE_FALSE(errors.empty());
    CHECK(errors[0].path == c.path);
    CHECK(errors[0].message.find(c.message_part) != std::string::npos);
  }
  auto errors = engine.load("{\"format\": \"touchpoint-rules/1\", ");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path == "");
  CHECK(errors[0].message.find("parse error") != std::string::npos);
  errors = engine.load(R"({"format": "touchpoint-rules/2"})");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].path == "/format");
  errors = engine.load("[]");
  REQUIRE(errors.size() == 1);
  CHECK(engine.version() == "test");
  engine.process(track("x"), 1);
  CHECK(has_tag(engine, "kept"));
}

TEST_CASE("tag engine: snapshot and restore round trip") {
  const std::string body = R"("traits": [
      {"id": "c", "kind": "count", "window": "1h", "where": {"===": [{"var": "event.event"}, "view"]}},
      {"id": "fav", "kind": "most_frequent", "property": "event.properties.cat"},
      {"id": "total", "kind": "sum", "property": "event.properties.price", "window": "1d"}],
    "scores": [{"id": "s", "half_life": "1h", "rules": [{"when": true, "points": 3}], "grades": [{"grade": "A", "min": 5}]}],
    "tags": [{"id": "t", "when": {">=": [{"var": "traits.c"}, 2]}, "sticky": true},
             {"id": "u", "when": {"==": [{"var": "user.plan"}, "pro"]}}],
    "stages": [{"id": "st", "order": ["one", "two"], "rules": [{"stage": "two", "when": {"var": "tags.t"}}]}])";
  TagEngine a = engine_with(body);
  a.set_user_traits({{"plan", "pro"}});
  a.process(track("view", {{"cat", "x"}, {"price", 2.5}}), 1000);
  a.process(track("view", {{"cat", "y"}, {"price", 1}}), 2000);
  a.process(track("view", {{"cat", "y"}}), 3000);
  std::string snapshot = a.snapshot();

  TagEngine b = engine_with(body);
  std::string error;
  REQUIRE(b.restore(snapshot, &error));
  CHECK(b.summary(3000) == a.summary(3000));
  CHECK(b.snapshot() == snapshot);
  CHECK(b.stages() == a.stages());
  CHECK(*b.next_change_at() == 3000);  // restored tags are re-checked first
  CHECK(b.advance(3000).empty());
  CHECK(b.next_change_at() == a.next_change_at());
  for (TagEngine* e : {&a, &b}) {
    e->process(track("view", {{"cat", "x"}}), 4000);
    e->advance(4000 + 3600 * 1000);
  }
  CHECK(b.summary(4000 + 3600 * 1000) == a.summary(4000 + 3600 * 1000));
  CHECK(b.tags() == a.tags());

  // Restored before the rules arrive: applied by load().
  TagEngine c;
  REQUIRE(c.restore(snapshot, &error));
  REQUIRE(c.load(rules_with(body)).empty());
  TagEngine d = engine_with(body);
  REQUIRE(d.restore(snapshot, &error));
  CHECK(c.summary(3000) == d.summary(3000));
}

TEST_CASE("tag engine: a corrupt snapshot is rejected and leaves the state empty") {
  TagEngine engine = engine_with(R"("traits": [{"id": "c", "kind": "count", "window": 100}],
    "tags": [{"id": "t", "when": {">": [{"var": "traits.c"}, 0]}}])");
  engine.process(track("x"), 10);
  std::string good = engine.snapshot();
  json good_json = json::parse(good);
  std::vector<std::string> bad = {"", "not json", good.substr(0, good.size() / 2), "[]", "{}"};
  json wrong_format = good_json;
  wrong_format["format"] = "other/1";
  bad.push_back(wrong_format.dump());
  json bad_times = good_json;
  bad_times["traits"]["c"]["state"]["t"] = json::parse(R"([5, 3])");  // out of order
  bad.push_back(bad_times.dump());
  json bad_type = good_json;
  bad_type["traits"]["c"]["state"]["t"] = "many";
  bad.push_back(bad_type.dump());
  json bad_score = good_json;
  bad_score["scores"]["x"] = {{"fp", "0"}, {"value", "high"}, {"last", nullptr}, {"max", 0}};
  bad.push_back(bad_score.dump());
  json bad_events = good_json;
  bad_events["events"] = -1;
  bad.push_back(bad_events.dump());
  for (const auto& snapshot : bad) {
    CAPTURE(snapshot);
    engine.process(track("x"), 20);
    std::string error;
    CHECK_FALSE(engine.restore(snapshot, &error));
    CHECK_FALSE(error.empty());
    CHECK(engine.events_processed() == 0);
    CHECK(engine.traits()["c"] == 0);
    CHECK(engine.tags().empty());
  }
  std::string error;
  CHECK(engine.restore(good, &error));
  CHECK(engine.traits()["c"] == 1);
}

TEST_CASE("tag engine: a new rules version keeps the state of unchanged definitions") {
  TagEngine engine = engine_with(R"("traits": [
      {"id": "same", "kind": "count"},
      {"id": "changed", "kind": "count", "where": {"===": [{"var": "event.event"}, "a"]}}],
    "scores": [{"id": "s", "half_life": "1d", "rules": [{"when": true, "points": 1}], "grades": [{"grade": "A", "min": 1}]},
               {"id": "r", "half_life": "1d", "rules": [{"when": true, "points": 1}]}],
    "tags": [{"id": "keep", "when": true, "sticky": true}])");
  engine.process(track("a"), 1);
  engine.process(track("a"), 2);
  const std::string v2 = R"({"format": "touchpoint-rules/1", "version": "2", "traits": [
      {"id": "same", "kind": "count"},
      {"id": "changed", "kind": "count", "where": {"===": [{"var": "event.event"}, "b"]}},
      {"id": "new", "kind": "count"}],
    "scores": [{"id": "s", "half_life": "1d", "rules": [{"when": true, "points": 1}], "grades": [{"grade": "A", "min": 1.5}]},
               {"id": "r", "half_life": "2d", "rules": [{"when": true, "points": 1}]}],
    "tags": [{"id": "keep", "when": false, "sticky": true}]})";
  REQUIRE(engine.load(v2).empty());
  CHECK(engine.version() == "2");
  json t = engine.traits();
  CHECK(t["same"] == 2);
  CHECK(t["changed"] == 0);
  CHECK(t["new"] == 0);
  json s = engine.scores(2);
  CHECK(s["s"]["value"] == doctest::Approx(2.0));  // grades changed, rules and half-life did not
  CHECK(s["s"]["grade"] == "A");
  CHECK(s["r"]["value"] == 0.0);  // half-life changed
  CHECK(engine.events_processed() == 2);
  CHECK(has_tag(engine, "keep"));
}

TEST_CASE("tag engine: tags that feed back on each other cannot make next_change_at spin") {
  TagEngine engine = engine_with(R"("tags": [
    {"id": "a", "when": {"!": [{"var": "tags.b"}]}},
    {"id": "b", "when": {"var": "tags.a"}}])");
  engine.process(track("x"), 5);
  CHECK(engine.tags() == json::parse(R"(["a", "b"])"));
  REQUIRE(engine.next_change_at().has_value());  // a is due: b changed after it ran
  engine.advance(5);
  CHECK(engine.tags().empty());
  CHECK_FALSE(engine.next_change_at().has_value());  // not due again at the same instant
  engine.process(track("x"), 6);  // the next event evaluates them again
  CHECK(engine.tags() == json::parse(R"(["a", "b"])"));
}
