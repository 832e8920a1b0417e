#include <doctest/doctest.h>

#include "touchpoint/event_validator.hpp"
#include "touchpoint/limits.hpp"

using namespace touchpoint;
using nlohmann::json;

namespace {
json good_event() {
  return {{"type", "track"}, {"event", "product_view"}, {"properties", {{"sku", "A-1"}}},
          {"messageId", "0b8e3c1e-2c3a-4d5e-8f90-123456789abc"}, {"timestamp", "2026-11-22T10:00:00.000Z"},
          {"anonymousId", "anon-1"}, {"context", json::object()}};
}
}  // namespace

TEST_CASE("validator: event names") {
  CHECK_FALSE(validate_event_name("ok"));
  CHECK(validate_event_name("")->code == "event_name_empty");
  CHECK(validate_event_name(42)->code == "event_name_missing");
  CHECK_FALSE(validate_event_name(std::string(limits::kMaxEventNameLength, 'x')));
  auto e = validate_event_name(std::string(limits::kMaxEventNameLength + 1, 'x'));
  REQUIRE(e);
  CHECK(e->code == "event_name_too_long");
  CHECK(e->field == "/event");
  CHECK(e->message.find("256") != std::string::npos);
}

TEST_CASE("validator: payload limits name the field") {
  CHECK(validate_payload(json::array(), "/properties")->code == "properties_not_object");
  json deep = json::object();
  json* cur = &deep;
  for (std::size_t i = 0; i < limits::kMaxNestingDepth + 1; ++i) {
    (*cur)["a"] = json::object();
    cur = &(*cur)["a"];
  }
  auto e = validate_payload(deep, "/properties");
  REQUIRE(e);
  CHECK(e->code == "too_deep");
  CHECK(e->field.rfind("/properties/a/a", 0) == 0);
  json lng = {{"items", {1, {{"name", std::string(limits::kMaxStringBytes + 1, 'x')}}}}};
  e = validate_payload(lng, "/properties");
  REQUIRE(e);
  CHECK(e->code == "string_too_long");
  CHECK(e->field == "/properties/items/1/name");
  json slash = {{"a/b", std::string(limits::kMaxStringBytes + 1, 'x')}};
  CHECK(validate_payload(slash, "/properties")->field == "/properties/a~1b");
  CHECK(validate_payload({{"x", std::nan("")}}, "/properties")->code == "non_finite_number");
  json many = json::object();
  for (std::size_t i = 0; i <= limits::kMaxObjectKeys; ++i) many["k" + std::to_string(i)] = i;
  CHECK(validate_payload(many, "/traits")->code == "too_many_keys");
}

TEST_CASE("validator: whole events as a backend receives them") {
  CHECK_FALSE(validate_event(good_event()));
  json e = good_event();
  e.erase("messageId");
  CHECK(validate_event(e)->code == "message_id_missing");
  e = good_event();
  e["timestamp"] = "yesterday";
  CHECK(validate_event(e)->code == "timestamp_invalid");
  e = good_event();
  e["type"] = "bogus";
  CHECK(validate_event(e)->code == "type_unknown");
  e = good_event();
  e.erase("anonymousId");
  CHECK(validate_event(e)->code == "identity_missing");
  e["userId"] = "u1";
  CHECK_FALSE(validate_event(e));
  e = good_event();
  e["properties"]["blob"] = std::string(limits::kMaxStringBytes, 'x');
  e["properties"]["blob2"] = std::string(limits::kMaxStringBytes, 'x');
  e["properties"]["blob3"] = std::string(limits::kMaxStringBytes, 'x');
  e["properties"]["blob4"] = std::string(limits::kMaxStringBytes, 'x');
  CHECK(validate_event(e)->code == "event_too_large");
  CHECK(validate_event(json::array())->code == "event_not_object");
  e = good_event();
  e.erase("event");
  CHECK(validate_event(e)->code == "event_name_missing");
  // a deeply nested member outside properties/traits/context is bounded as well (no deep recursion)
  e = good_event();
  json deep = 1;
  for (int i = 0; i < 100000; ++i) deep = json::array({std::move(deep)});
  e["extra"] = std::move(deep);
  CHECK(validate_event(e)->code == "too_deep");
}

TEST_CASE("validator: UTF-8 repair") {
  std::string ok = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  std::string copy = ok;
  CHECK_FALSE(repair_utf8(copy));
  CHECK(copy == ok);
  std::string bad = "a\xFF" "b\xC3" "c\xED\xA0\x80" "d";
  CHECK(repair_utf8(bad));
  CHECK(bad == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "d");
  CHECK(json::accept("\"" + bad + "\""));
}
