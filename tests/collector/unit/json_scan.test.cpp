#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "json_scan.hpp"

namespace tc = touchpoint::collector;

namespace {
bool scans(const std::string& text, tc::ScannedValue* out = nullptr) {
  tc::ScannedValue v;
  std::size_t pos = 0;
  if (!tc::scan_json_value(text, &pos, &v)) return false;
  tc::skip_json_whitespace(text, &pos);
  if (out) *out = v;
  return pos == text.size();
}
}  // namespace

TEST_CASE("scan: agrees with nlohmann on valid and invalid documents") {
  for (const char* text : {"{}", "[]", "0", "-0.5e+3", "\"a\\u00e9\\n\"", "true", "null", "{\"a\":[1,{\"b\":null}]}",
                           " [ 1 , 2 ] ", "{\"\":\"\"}", "[[[]]]"}) {
    INFO(text);
    CHECK(scans(text));
    CHECK(nlohmann::json::accept(text));
  }
  for (const char* text : {"", "{", "[1,]", "{\"a\"}", "{\"a\":}", "{a:1}", "01", "1.", "-", "tru", "\"\\x\"",
                           "\"abc", "[1 2]", "{\"a\":1,}", "[}", "{]", "\"\\u12\"", "1e", "[1]]"}) {
    INFO(text);
    CHECK_FALSE(scans(text));
    CHECK_FALSE(nlohmann::json::accept(text));
  }
  CHECK_FALSE(scans(std::string("\"a\x01\"")));
}

TEST_CASE("scan: spans, kinds and depth") {
  tc::ScannedValue v;
  REQUIRE(scans("  {\"a\":[[1]]}", &v));
  CHECK(v.begin == 2);
  CHECK(v.kind == '{');
  CHECK(v.depth == 3);
  REQUIRE(scans("5", &v));
  CHECK(v.depth == 0);
  CHECK(std::string(tc::json_kind_name('[')) == "array");
  CHECK(std::string(tc::json_kind_name('7')) == "number");
}

TEST_CASE("scan: a million brackets deep is fine (iterative)") {
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  tc::ScannedValue v;
  REQUIRE(scans(deep, &v));
  CHECK(v.depth == 1000000);
}
