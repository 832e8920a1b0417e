#ifdef TP_HAVE_LIBPQ
#include <doctest/doctest.h>

#include "pg_db.hpp"

namespace tc = touchpoint::collector;

TEST_CASE("pg_db: text arrays quote every value, escape quotes and backslashes, keep NULLs") {
  CHECK(tc::pg_text_array({}) == "{}");
  CHECK(tc::pg_text_array({std::string("a"), std::nullopt, std::string("")}) == R"({"a",NULL,""})");
  CHECK(tc::pg_text_array({std::string(R"({"k":"v\"w"})")}) == R"({"{\"k\":\"v\\\"w\"}"})");
  CHECK(tc::pg_text_array({std::string("NULL")}) == R"({"NULL"})");  // the string, not a NULL
}

TEST_CASE("pg_db: deadlocks and serialization failures are retried; lock and connection trouble is busy") {
  CHECK(tc::PgError("x", "40P01", false).retryable());
  CHECK(tc::PgError("x", "40001", false).retryable());
  CHECK_FALSE(tc::PgError("x", "23505", false).retryable());
  CHECK(tc::PgError("x", "55P03", false).busy);
  CHECK(tc::PgError("x", "", true).busy);
  CHECK_FALSE(tc::PgError("x", "42P01", false).busy);
}
#endif
