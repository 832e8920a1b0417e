// Test-only fault injection for POST /v1/batch, so SDK retry/backoff paths can be exercised
// against a real server. Off unless the collector runs with --fault-mode.
#pragma once
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "http.hpp"

namespace touchpoint::collector {

// What a faulted batch request gets.
struct FaultDecision {
  int status = 0;            // 0 = answer normally (possibly after a hang)
  int retry_after_s = -1;    // >= 0: send Retry-After with the status
  std::int64_t hang_ms = 0;  // wait this long before answering
  std::optional<std::string> body;  // answer exactly this body (html200, body200) instead of an error
  std::string content_type;         // of `body`
  std::string location;             // non-empty: a redirect, sent as the Location header
  bool discard_after_hang = false;  // the hung request is answered 503 and not stored
};

class FaultInjector {
 public:
  using Clock = std::chrono::steady_clock;

  // Applies a POST /__fault body:
  //   {"status":500,"duration_ms":10000}               answer 500 for 10 s
  //   {"status":429,"retry_after_s":2,"duration_ms":5000}
  //   {"hang_ms":3000,"duration_ms":5000}              stall 3 s, then answer normally
  //   {"status":503,"count":2}                         only the next 2 batch requests
  //   {"html200":true}                                 200 with a captive portal's HTML login page
  //   {"body200":"ok"}                                 200 with exactly this body ("" = empty), text/plain
  //   {"redirect":301,"location":"/moved"}             a redirect (301, 302, 303, 307 or 308)
  //   {"hang_ms":120000,"discard":true}                a hang past any client timeout (until reset);
  //                                                    the hung requests are then refused, not stored
  //                                                    (their client gave up long ago)
  //   {"reset":true}                                   back to normal; ends every hang at once
  // One of status/html200/body200/redirect at most; hang_ms combines with each. Without
  // duration_ms and count the fault lasts until reset. Returns an error message for a body that
  // is not one of these, leaving the current fault untouched. A hang ended by reset answers
  // normally (the client has usually given up by then; the collector dedupes a re-send).
  std::optional<std::string> configure(const nlohmann::json& body);

  // Called once per batch request: the fault in force (if any) and counts it.
  FaultDecision next_batch_request();

  // Sleeps up to ms, returning early on reset or shutdown so no worker is stuck in a hang.
  void hang(std::int64_t ms);

  // {"active":bool, "status", "retry_after_s", "hang_ms", "remaining_ms", "remaining_count",
  //  "body_bytes" (html200/body200), "location" (redirect),
  //  "faulted": requests faulted by the current/last fault, "faulted_total": since start}
  nlohmann::json describe();

  void shutdown();  // wakes every hang; later hangs return at once

 private:
  bool active_locked(Clock::time_point now) const;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::uint64_t generation_ = 0;  // bumped on every configure/reset to end hangs early
  bool stopping_ = false;

  bool configured_ = false;
  int status_ = 0;
  int retry_after_s_ = -1;
  std::int64_t hang_ms_ = 0;
  std::optional<std::string> body_;
  std::string content_type_;
  std::string location_;
  bool discard_ = false;
  std::optional<Clock::time_point> until_;
  std::optional<std::int64_t> remaining_count_;
  std::uint64_t faulted_ = 0;
  std::uint64_t faulted_total_ = 0;
};

// POST /__fault (body: see FaultInjector::configure) and GET /__fault.
void register_fault_routes(httplib::Server& server, FaultInjector& faults);

}  // namespace touchpoint::collector
