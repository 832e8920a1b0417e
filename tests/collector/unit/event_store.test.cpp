#include <doctest/doctest.h>

#include <stdexcept>

#include "event_store.hpp"

namespace tc = touchpoint::collector;

TEST_CASE("event store: --db names PostgreSQL by URL or libpq key=value, anything else is a SQLite file") {
  CHECK(tc::is_postgres_location("postgres://tp@db.internal/touchpoint"));
  CHECK(tc::is_postgres_location("postgresql:///touchpoint?host=/run/postgresql"));
  CHECK(tc::is_postgres_location("host=/tmp dbname=tp"));
  CHECK(tc::is_postgres_location("dbname=tp"));
  CHECK_FALSE(tc::is_postgres_location("touchpoint.db"));
  CHECK_FALSE(tc::is_postgres_location("/var/lib/touchpoint/postgres.db"));
  CHECK_FALSE(tc::is_postgres_location(":memory:"));
}

TEST_CASE("event store: an unreachable PostgreSQL is a readable error, not a crash") {
#ifdef TP_HAVE_LIBPQ
  try {
    tc::open_event_store("postgresql:///nope?host=/nonexistent-socket-dir&connect_timeout=2");
    FAIL("expected an error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("cannot connect to PostgreSQL") != std::string::npos);
  }
#else
  CHECK_THROWS_WITH_AS(tc::open_event_store("postgres://localhost/tp"), doctest::Contains("postgres is unavailable"),
                       std::runtime_error);
#endif
}

TEST_CASE("event store: SQLite is the embedded default") {
  auto store = tc::open_event_store(":memory:");
  REQUIRE(store);
  CHECK(store->stats()["events"] == 0);
}
