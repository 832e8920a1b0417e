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

// validate_payload_text scans the text itself (no nlohmann pass): it must accept exactly what
// nlohmann's strict parser accepts, which the rest of the SDK and the collector parse with.
TEST_CASE("validator: the payload text scanner agrees with nlohmann on syntax") {
  auto agrees = [](const std::string& text) {
    bool well_formed = false;
    const auto err = validate_payload_text(text, "/properties", &well_formed);
    if (err && err->code != "properties_not_object") return true;  // a limit, judged before any later syntax error
    INFO("text: " << text);
    CHECK(well_formed == json::accept(text));
    return well_formed == json::accept(text);
  };
  const char* cases[] = {
      "{}", "[]", " {\"a\" : [1, -0, 0.5, -1.5e+3, 1E-2, 123456789012345678901234567890]} ", "\xEF\xBB\xBF{}",
      "\xEF\xBB{}", "{\"a\":1,}", "[1,]", "[,1]", "{,}", "{\"a\"}", "{\"a\":}", "{a:1}", "[01]", "[1.]", "[.5]", "[-]",
      "[1e]", "[1e+]", "[--1]", "[+1]", "[1.5e3.2]", "[tru]", "[true]", "[nul]", "[null ]", "[false]", "[fals]", "{}{}",
      "{} x", "", " ", "\"s\"", "\"\\u00e9\\n\\t\\/\\\\\\\"\"", "\"\\u12\"", "\"\\uZZZZ\"", "\"\\x\"", "\"\\ud83d\\ude00\"",
      "\"\\ud83d\"", "\"\\ud83d\\u0041\"", "\"\\ude00\"", "\"\\ud83dx\"", "\"a\x01\"", "\"\xC3\xA9\"", "\"\xC3\"",
      "\"\xC0\xAF\"", "\"\xE0\x80\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xF0\x9F\x98\x80\"", "\"\xFF\"",
      "[1e308]", "[1.7976931348623157e308]", "[1.8e308]", "[1e309]", "[-1e400]", "[0e99999]", "[0.000e500]",
      "[1e-400]", "[100000000000000000000e290]", "[0.0001e312]", "[0.001e312]", "\"unterminated", "[\"a\"", "{\"a\":[}",
      "\t\r\n{\"k\":\"v\"}\n", "{\"a\":1 \"b\":2}", "[1 2]", "nan", "[NaN]", "[Infinity]", "{\"\":{}}",
  };
  for (const char* c : cases) agrees(c);
  // Mutations of a realistic payload: every byte class the scanner branches on, ~40k cases.
  const std::string seed = "{\"sku\":\"A-1001\",\"price\":129.5,\"n\":-3e2,\"ok\":true,\"tags\":[\"new\",\"\\u00e9\\ud83d\\ude00\",null],"
                           "\"page\":{\"path\":\"/p/1\",\"s\":\"caf\xC3\xA9\"}}";
  const std::string alphabet = "{}[]\",:.-+eE0159tfnul\\/ \t\n\x01\x7F\xC3\xA9\xED\xA0\xF0\x9F\xFF";
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  auto rnd = [&](std::size_t n) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return static_cast<std::size_t>(x % n); };
  std::size_t disagreements = 0;
  for (int i = 0; i < 40000 && disagreements < 5; ++i) {
    std::string t = seed;
    for (int m = 1 + static_cast<int>(rnd(3)); m > 0; --m) {
      const std::size_t at = rnd(t.size());
      const char c = alphabet[rnd(alphabet.size())];
      switch (rnd(3)) {
        case 0: t[at] = c; break;
        case 1: t.insert(t.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: t.erase(at, 1); break;
      }
    }
    if (!agrees(t)) ++disagreements;
  }
  CHECK(disagreements == 0);
}

TEST_CASE("validator: the text scanner measures strings and keys as they decode") {
  bool ok = false;
  std::string escaped;
  for (std::size_t i = 0; i < limits::kMaxStringBytes; ++i) escaped += "\\n";  // 2 bytes written, 1 decoded
  CHECK_FALSE(validate_payload_text("{\"s\":\"" + escaped + "\"}", "/properties", &ok));
  CHECK(ok);
  const auto e = validate_payload_text("{\"s\":[\"" + escaped + "\\u00e9\"]}", "/properties", &ok);  // one over
  REQUIRE(e);
  CHECK(e->code == "string_too_long");
  CHECK(e->field == "/properties/s/0");
  std::string key;
  for (std::size_t i = 0; i < 128; ++i) key += "\\u00e9";  // 256 bytes decoded
  const auto k = validate_payload_text("{\"" + key + "\":1}", "/properties", &ok);
  REQUIRE(k);
  CHECK(k->code == "key_too_long");
}
