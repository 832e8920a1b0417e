// Tracking consent (PIPL / GDPR): pending | granted | denied. The state decides what happens to each
// event (send, hold in memory, discard); a transition returns what the engine must do now.
//
//   state     events                      storage                      network
//   pending   held in memory, in order    nothing written              nothing sent
//             (bounded: the oldest go)
//   granted   go through normally         ids and queue persisted      sent
//   denied    discarded on arrival        wiped once; nothing written  nothing sent
//
// Transitions (every one is allowed; set() to the current state does nothing):
//   pending -> granted : release the held events, oldest first, stamped as they were.
//   pending -> denied  : drop the held events; wipe (nothing should be stored, wipe anyway).
//   granted -> denied  : wipe stored ids, session, attribution, referral, traits and the unsent
//                        queue, and stop tracking (withdrawal must be as easy as giving consent).
//   granted -> pending : stop storing and sending; new events are held. Stored data stays.
//   denied  -> granted : start tracking from scratch (the wipe already happened: new anonymousId).
//   denied  -> pending : hold new events again (the user re-opened the banner).
// Only the state is persisted, never the held events.
#pragma once
#include <nlohmann/json.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace touchpoint {

// Events held while consent is pending. amplitude-js keeps at most 1000 unsent events
// (savedMaxCount); ours live in memory only and the page may never get an answer, so the byte
// bound is 1 MiB, far below the persisted queue's limits::kDefaultMaxQueueBytes.
constexpr std::size_t kMaxPendingConsentEvents = 1000;
constexpr std::size_t kMaxPendingConsentBytes = 1024 * 1024;

enum class Consent { kPending, kGranted, kDenied };

const char* to_string(Consent c);  // "pending", "granted", "denied"
// Exact lowercase names only; anything else is nullopt with *error naming the value.
std::optional<Consent> parse_consent(std::string_view text, std::string* error);

// What offer() did with one event.
enum class ConsentDisposition {
  kSend,     // granted: the engine processes the event as usual
  kHeld,     // pending: kept in memory until a decision
  kDiscard,  // denied: dropped, do not count it anywhere
};

struct ConsentOffer {
  ConsentDisposition disposition = ConsentDisposition::kSend;
  std::size_t evicted = 0;  // held events dropped (oldest first) to make room for this one
};

// What a transition asks the engine to do, in this order: drop, wipe, then process `release`.
struct ConsentAction {
  Consent from = Consent::kPending;
  Consent to = Consent::kPending;
  bool changed = false;
  std::vector<nlohmann::json> release;  // held events to process now, oldest first
  std::size_t dropped = 0;              // held events discarded
  bool wipe = false;                    // delete stored ids/state/queue; stop tracking
  bool persist = false;                 // storing is allowed from now on (granted)
  nlohmann::json to_json() const;       // {"from","to","changed","release":n,"dropped":n,"wipe","persist"}
};

class ConsentState {
 public:
  // `initial`: the state before any decision (pending for opt-in regimes, granted when the site has
  // another legal basis).
  explicit ConsentState(Consent initial = Consent::kPending);

  Consent state() const { return state_; }
  // Storage and network allowed (granted only).
  bool may_store() const { return state_ == Consent::kGranted; }

  // Routes one event. While pending it is held; past kMaxPendingConsentEvents or
  // kMaxPendingConsentBytes (serialised size) the oldest held events are evicted. An event larger
  // than the whole byte budget is evicted itself (counted in `evicted`), leaving the others.
  ConsentOffer offer(nlohmann::json event);
  std::size_t held_events() const { return held_.size(); }
  std::size_t held_bytes() const { return held_bytes_; }
  std::uint64_t evicted_total() const { return evicted_total_; }

  ConsentAction set(Consent next);

  // {"v":1,"state":"granted"}
  nlohmann::json to_json() const;
  // Returns false, sets *error and falls back to the initial state on corrupt state. Call it at
  // start-up, before offer(): held events are not part of the state, and restoring over them does
  // not release or drop them (only set() does).
  bool restore(const nlohmann::json& state, std::string* error);

 private:
  Consent initial_;
  Consent state_;
  std::deque<std::pair<nlohmann::json, std::size_t>> held_;  // event, serialised bytes
  std::size_t held_bytes_ = 0;
  std::uint64_t evicted_total_ = 0;
};

}  // namespace touchpoint
