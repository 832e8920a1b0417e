// Raw SQLite's insert rate on this machine, the baseline of bench/collector-bench.mjs: the same
// rows the collector stores (an events table with UNIQUE(message_id), the collector's pragmas:
// WAL, synchronous=NORMAL), N rows per transaction, nothing else. Prints one JSON line.
//   collector-bench-sqlite FILE [--rows 20000] [--per-tx 20] [--body-bytes 600]
#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: collector-bench-sqlite FILE [--rows N] [--per-tx N] [--body-bytes N]\n");
    return 2;
  }
  long rows = 20000, per_tx = 20, body_bytes = 600;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows")) rows = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--per-tx")) per_tx = std::atol(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--body-bytes")) body_bytes = std::atol(argv[i + 1]);
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(argv[1], &db) != SQLITE_OK) return 1;
  const char* setup =
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
      "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE,"
      " type TEXT NOT NULL, event TEXT, anonymous_id TEXT, user_id TEXT, timestamp_ms INTEGER,"
      " received_at_ms INTEGER NOT NULL, body TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS events_by_user ON events(user_id);"
      "CREATE INDEX IF NOT EXISTS events_by_anonymous ON events(anonymous_id);"
      "CREATE INDEX IF NOT EXISTS events_by_event ON events(event);";
  if (sqlite3_exec(db, setup, nullptr, nullptr, nullptr) != SQLITE_OK) return 1;
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT OR IGNORE INTO events (message_id, type, event, anonymous_id, user_id, timestamp_ms,"
                     " received_at_ms, body) VALUES (?1, 'track', 'product_view', ?2, NULL, ?3, ?3, ?4)",
                     -1, &insert, nullptr);
  const std::string body(static_cast<std::size_t>(body_bytes), 'x');
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t cpu0 = std::clock();
  for (long i = 0; i < rows;) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (long k = 0; k < per_tx && i < rows; ++k, ++i) {
      const std::string mid = "raw-" + std::to_string(i);
      const std::string anon = "anon-" + std::to_string(i % 2000);
      sqlite3_bind_text(insert, 1, mid.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(insert, 2, anon.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert, 3, 1764000000000 + i);
      sqlite3_bind_text(insert, 4, body.c_str(), -1, SQLITE_STATIC);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return 1;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  sqlite3_finalize(insert);
  sqlite3_close(db);
  // CPU time too: on a shared machine, rows per CPU-second compare better than per wall second.
  std::printf("{\"rows\":%ld,\"per_tx\":%ld,\"seconds\":%.3f,\"rows_per_s\":%.0f,\"cpu_seconds\":%.3f}\n", rows, per_tx,
              s, rows / s, cpu);
  return 0;
}
