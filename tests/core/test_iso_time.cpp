#include <doctest/doctest.h>

#include "touchpoint/iso_time.hpp"

using namespace touchpoint;

TEST_CASE("iso8601: formats UTC with milliseconds") {
  CHECK(format_iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_iso8601_ms(1732270800123) == "2024-11-22T10:20:00.123Z");
  CHECK(format_iso8601_ms(951782400000) == "2000-02-29T00:00:00.000Z");  // leap day
  CHECK(format_iso8601_ms(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("iso8601: parses what it formats, offsets and fractions") {
  for (std::int64_t t : {0LL, 1732270800123LL, 951782400000LL, 4102444799999LL})
    CHECK(parse_iso8601_ms(format_iso8601_ms(t)) == t);
  CHECK(parse_iso8601_ms("2024-11-22T18:20:00.123+08:00") == 1732270800123);
  CHECK(parse_iso8601_ms("2024-11-22T10:20:00Z") == 1732270800000);
  CHECK(parse_iso8601_ms("2024-11-22T10:20:00.1234567Z") == 1732270800123);
  CHECK_FALSE(parse_iso8601_ms("2024-11-22"));
  CHECK_FALSE(parse_iso8601_ms("2024-13-22T10:20:00Z"));
  CHECK_FALSE(parse_iso8601_ms("2024-11-22T10:20:00.Z"));
  CHECK_FALSE(parse_iso8601_ms("2024-11-22T10:20:00Zjunk"));
  CHECK_FALSE(parse_iso8601_ms(""));
}
