// POST /v1/batch: read the body within limits, gunzip, validate, store, answer.
//
// 200 {"accepted":N,"duplicates":N,"rejected":[{"index","code","field","message"}]}
// 401 no or an unknown write key (with --write-key): nothing is stored,
// 400 malformed body, 413 body over the limit (on the wire or after gunzip) or too many events,
// 500/503 storage failure (the SDK retries), or whatever /__fault says in fault mode.
#pragma once
#include <cstddef>

#include "access_policy.hpp"
#include "event_store.hpp"
#include "fault_mode.hpp"
#include "identity_verifier.hpp"
#include "rules_source.hpp"
#include "http.hpp"

namespace touchpoint::collector {

class BatchHandler {
 public:
  // `faults` is null unless the collector runs with --fault-mode.
  BatchHandler(EventStore& store, RulesSource& rules, const AccessPolicy& policy, const IdentityVerifier& identity,
               FaultInjector* faults, std::size_t max_body_bytes, std::size_t max_batch_events, bool quiet);

  void handle(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);

 private:
  EventStore& store_;
  RulesSource& rules_;
  const AccessPolicy& policy_;
  const IdentityVerifier& identity_;
  FaultInjector* faults_;
  std::size_t max_body_bytes_;
  std::size_t max_batch_events_;
  bool quiet_;
};

}  // namespace touchpoint::collector
