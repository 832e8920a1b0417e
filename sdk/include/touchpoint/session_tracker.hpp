// Sessionisation: which visit an event belongs to. A session ends after `timeout_ms` without
// activity or when a different campaign arrives; the shell sends `session_start` when touch() says
// is_new and schedules a wake-up at expires_at(). Pure: time comes in with every call.
//
// Rules (docs/identity.md, "Sessions"):
// * Timeout: activity at last_activity + timeout - 1 continues the session; at last_activity +
//   timeout (= expires_at()) or later a new session starts.
// * Campaign: a non-empty campaign key that differs from the session's starts a new session; an
//   empty key means "no campaign on this hit" and never ends a session.
// * Clock skew (now < last activity): a step back shorter than the timeout is treated as activity
//   at the last known time (the session continues and its expiry does not move); a step back of the
//   timeout or more starts a new session at `now`, otherwise a clock set back by a day would keep
//   one session open for a day.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace touchpoint {

// GA4, Adobe and Amplitude (web) all end a session after 30 minutes without activity.
constexpr std::int64_t kDefaultSessionTimeoutMs = 30 * 60 * 1000;
// Accepted timeouts are clamped to [1 min, 24 h] (GA4's admin UI offers 5 min to 7 h 55 min;
// anything past a day is no longer a "visit").
constexpr std::int64_t kMinSessionTimeoutMs = 60 * 1000;
constexpr std::int64_t kMaxSessionTimeoutMs = 24 * 60 * 60 * 1000;

// Campaign keys are Attribution::campaign_key() values ("c:" + 16 hex chars); touch() treats a key
// that is not 1..64 printable ASCII characters as empty, so whatever it stores restores.
constexpr std::size_t kMaxCampaignKeyBytes = 64;

// Why touch() started a session.
enum class SessionStart { kNone, kFirst, kTimeout, kCampaign, kClockSkew };
const char* to_string(SessionStart reason);  // "none", "first", "timeout", "campaign", "clock_skew"

struct SessionTouch {
  std::string session_id;          // 16 lowercase hex chars
  std::int64_t session_number = 0; // 1-based count of this visitor's sessions
  bool is_new = false;             // this touch started the session: send `session_start`
  SessionStart reason = SessionStart::kNone;
  std::int64_t started_at_ms = 0;
};

class SessionTracker {
 public:
  explicit SessionTracker(std::int64_t timeout_ms = kDefaultSessionTimeoutMs);

  // Records activity at `now_ms`. `campaign_key` is Attribution::campaign_key() (empty: none).
  // `rng_value` (a fresh value from the engine's PRNG) becomes the id of a new session; it is
  // ignored when the current session continues.
  SessionTouch touch(std::int64_t now_ms, std::string_view campaign_key, std::uint64_t rng_value);

  // The first instant at which the session is over (last activity + timeout); nullopt without one.
  std::optional<std::int64_t> expires_at() const;
  // True if a session exists and has not expired at `now_ms` (does not change anything).
  bool is_active(std::int64_t now_ms) const;

  const std::string& session_id() const { return id_; }  // "" when none
  std::int64_t session_number() const { return count_; }
  std::int64_t started_at() const { return started_ms_; }
  std::int64_t last_activity() const { return last_ms_; }
  std::int64_t timeout_ms() const { return timeout_ms_; }

  // Forgets the current session and the count (consent denied: wipe). Logout (Identity::reset) need
  // not call it: like Segment and GA, the visit goes on under the new anonymousId.
  void clear();

  // {"v":1,"count":n,"id":"…","started_ms":t,"last_ms":t,"campaign":"…"} (no id/times when none).
  // The timeout is configuration, not state: restore() keeps the one given to the constructor.
  nlohmann::json to_json() const;
  // Returns false, sets *error and leaves a fresh tracker on corrupt state.
  bool restore(const nlohmann::json& state, std::string* error);

  // "0123456789abcdef" from a 64-bit value: the session id format.
  static std::string format_id(std::uint64_t value);

 private:
  std::int64_t timeout_ms_;
  std::string id_;
  std::int64_t count_ = 0;
  std::int64_t started_ms_ = 0;
  std::int64_t last_ms_ = 0;
  std::string campaign_;
};

}  // namespace touchpoint
