#include <doctest/doctest.h>

#include <string>

#include "batch_parser.hpp"

namespace tc = touchpoint::collector;

namespace {
std::string event(const std::string& id, const std::string& extra = "") {
  return "{\"type\":\"track\",\"event\":\"product_view\",\"messageId\":\"" + id +
         "\",\"anonymousId\":\"a1\",\"timestamp\":\"2026-11-22T10:00:00.000Z\"" + extra + "}";
}
std::optional<tc::BatchParseError> parse(const std::string& body, tc::ParsedBatch* out, std::size_t max_events = 2000) {
  tc::BatchLimits limits;
  limits.max_events = max_events;
  return tc::parse_batch(body, limits, out);
}
}  // namespace

TEST_CASE("parser: a valid batch with its members") {
  tc::ParsedBatch p;
  const auto error = parse("{\"batch\":[" + event("m1") + "," + event("m2") +
                               "],\"sentAt\":\"2026-11-22T10:00:01.000Z\",\"writeKey\":\"shop\","
                               "\"dropped\":{\"queue_full\":2,\"too_large\":1},\"other\":[1,2,3]}",
                           &p);
  REQUIRE_FALSE(error);
  CHECK(p.event_count == 2);
  REQUIRE(p.events.size() == 2);
  CHECK(p.events[0].message_id == "m1");
  CHECK(p.events[1].sent_at.value() == "2026-11-22T10:00:01.000Z");
  CHECK(p.write_key.value() == "shop");
  CHECK(p.dropped.total == 3);
  CHECK(p.dropped.queue_full == 2);
}

TEST_CASE("parser: body errors keep their codes") {
  tc::ParsedBatch p;
  CHECK(parse("not json", &p)->code == "invalid_json");
  CHECK(parse("[1,2]", &p)->code == "batch_missing");
  CHECK(parse("[1,2]", &p)->message.find("got array") != std::string::npos);
  CHECK(parse("{}", &p)->code == "batch_missing");
  CHECK(parse("{\"batch\":{}}", &p)->code == "batch_not_array");
  CHECK(parse("{\"batch\":[]} x", &p)->code == "invalid_json");
  CHECK(parse("{\"batch\":[{]}", &p)->code == "invalid_json");
  CHECK_FALSE(parse("{\"batch\":[]}", &p));
}

TEST_CASE("parser: bad events are rejected by index, too deep ones before parsing") {
  tc::ParsedBatch p;
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  REQUIRE_FALSE(parse("{\"batch\":[{}," + event("m1") + ",{\"type\":\"track\",\"x\":" + deep + "}]}", &p));
  CHECK(p.events.size() == 1);
  REQUIRE(p.rejected.size() == 2);
  CHECK(p.rejected[0].index == 0);
  CHECK(p.rejected[1].index == 2);
  CHECK(p.rejected[1].code == "too_deep");
}

TEST_CASE("parser: more events than the limit is an error, not a partial batch") {
  tc::ParsedBatch p;
  std::string body = "{\"batch\":[";
  for (int i = 0; i < 11; ++i) body += (i ? ",{}" : "{}");
  body += "]}";
  const auto error = parse(body, &p, 10);
  REQUIRE(error);
  CHECK(error->code == "too_many_events");
  CHECK(p.events.empty());
}

TEST_CASE("parser: 300,000 empty events under the limit cost spans, not a DOM") {
  // With the default limit this is refused; the scan itself must stay cheap either way.
  std::string body = "{\"batch\":[";
  for (int i = 0; i < 300000; ++i) body += (i ? ",{}" : "{}");
  body += "]}";
  tc::ParsedBatch p;
  const auto error = parse(body, &p);
  REQUIRE(error);
  CHECK(error->code == "too_many_events");
}

TEST_CASE("parser: the last duplicate key wins, as in nlohmann") {
  tc::ParsedBatch p;
  REQUIRE_FALSE(parse("{\"batch\":[" + event("m1") + "],\"batch\":[" + event("m2") + "]}", &p));
  REQUIRE(p.events.size() == 1);
  CHECK(p.events[0].message_id == "m2");
}

TEST_CASE("parser: invalid UTF-8 is repaired, not refused") {
  tc::ParsedBatch p;
  REQUIRE_FALSE(parse("{\"batch\":[" + event("m1", ",\"properties\":{\"s\":\"a\xff\"}") + "]}", &p));
  REQUIRE(p.events.size() == 1);
  CHECK(p.events[0].body.find("\xef\xbf\xbd") != std::string::npos);
}
