#include "event_store.hpp"

#include <stdexcept>

#include "sqlite_event_store.hpp"
#ifdef TP_HAVE_LIBPQ
#include "postgres_event_store.hpp"
#endif

namespace touchpoint::collector {

bool is_postgres_location(const std::string& db) {
  auto starts = [&](const char* prefix) { return db.rfind(prefix, 0) == 0; };
  return starts("postgres://") || starts("postgresql://") || starts("host=") || starts("dbname=");
}

std::unique_ptr<EventStore> open_event_store(const std::string& db) {
  if (!is_postgres_location(db)) return std::make_unique<SqliteEventStore>(db);
#ifdef TP_HAVE_LIBPQ
  return std::make_unique<PostgresEventStore>(db);
#else
  throw std::runtime_error(
      "postgres is unavailable: this collector was built without libpq (install libpq-dev and rebuild)");
#endif
}

}  // namespace touchpoint::collector
