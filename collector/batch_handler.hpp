// POST /v1/batch: read the body within limits, gunzip, validate, store, answer.
//
// 200 {"accepted":N,"duplicates":N,"rejected":[{"index","code","field","message"}]}
// 400 malformed body, 413 body over the limit (on the wire or after gunzip),
// 500/503 storage failure (the SDK retries), or whatever /__fault says in fault mode.
#pragma once
#include <cstddef>

#include "event_store.hpp"
#include "fault_mode.hpp"
#include "http.hpp"

namespace touchpoint::collector {

class BatchHandler {
 public:
  // `faults` is null unless the collector runs with --fault-mode.
  BatchHandler(EventStore& store, FaultInjector* faults, std::size_t max_body_bytes, bool quiet);

  void handle(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);

 private:
  EventStore& store_;
  FaultInjector* faults_;
  std::size_t max_body_bytes_;
  bool quiet_;
};

}  // namespace touchpoint::collector
