// A store's failure, whichever database: `busy` when it clears up by itself (SQLite's lock,
// PostgreSQL's lock timeouts, deadlocks or a lost connection), which the SDK should retry later.
#pragma once
#include <stdexcept>
#include <string>

namespace touchpoint::collector {

struct StoreError : std::runtime_error {
  StoreError(const std::string& what, bool is_busy) : std::runtime_error(what), busy(is_busy) {}
  bool busy;
};

}  // namespace touchpoint::collector
