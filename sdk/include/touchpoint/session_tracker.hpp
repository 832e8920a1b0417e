// Sessionisation: which visit an event belongs to, and when a visit ends. Pure: time (and the
// local UTC offset, for the midnight split) comes in with every call; the tracker has no clock
// and no time zone.
//
// Rules (docs/identity.md, "Sessions"):
// * Timeout: activity at last_activity + timeout - 1 continues the session; at last_activity +
//   timeout (= expires_at()) or later a new session starts.
// * Campaign: a non-empty campaign key that differs from the session's starts a new session; an
//   empty key means "no campaign on this hit" and never ends a session.
// * Midnight (opt-in, split_at_local_midnight): activity on another local day than the session's
//   starts a new session, so each session's events fall on one local date and per-day reports
//   add up. The local day is computed with the UTC offset the activity carries.
// * Clock skew (now < last activity): a step back shorter than the timeout is treated as activity
//   at the last known time (the session continues and its expiry does not move); a step back of the
//   timeout or more starts a new session at `now`, otherwise a clock set back by a day would keep
//   one session open for a day.
// * Ending: a session ends when the next activity starts a new one (ended_by() says so first, so
//   the engine can send session_end while its context is still the old session), when an open page
//   wakes up after the timeout (expire()), or explicitly (end(): reset()). Each session ends once;
//   its summary carries the true end time (the last activity), the event count and page count.
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

// UTC offsets are accepted within ±18:00, the range of java.time.ZoneOffset and of ISO 8601 as
// used by RFC 3339 implementations (real zones span -12:00 .. +14:00).
constexpr std::int32_t kMaxUtcOffsetMinutes = 18 * 60;
// The range in words, for error messages.
inline constexpr char kUtcOffsetRangeText[] = "an integer between -1080 and 1080";
static_assert(kMaxUtcOffsetMinutes == 1080, "kUtcOffsetRangeText names the range");

// Why touch() started a session.
enum class SessionStart { kNone, kFirst, kTimeout, kCampaign, kClockSkew, kMidnight };
const char* to_string(SessionStart reason);  // "none", "first", "timeout", "campaign", "clock_skew", "midnight"

// Why a session ended.
enum class SessionEndReason { kTimeout, kCampaign, kClockSkew, kMidnight, kReset, kAdopted };
// "timeout", "campaign", "clock_skew", "midnight", "reset", "adopted"
const char* to_string(SessionEndReason reason);

// One event as the session sees it.
struct SessionActivity {
  std::int64_t now_ms = 0;
  std::string_view campaign_key;        // Attribution::campaign_key(); empty: no campaign on this hit
  bool is_page = false;                 // a page view: counted in `pages` as well as `events`
  std::int32_t utc_offset_minutes = 0;  // local time = UTC + offset (only the midnight split reads it)
};

struct SessionTouch {
  std::string session_id;          // 16 lowercase hex chars
  std::int64_t session_number = 0; // 1-based count of this visitor's sessions
  bool is_new = false;             // this touch started the session: send `session_start`
  SessionStart reason = SessionStart::kNone;
  std::int64_t started_at_ms = 0;
};

// The summary a `session_end` event carries.
struct SessionEnd {
  std::string session_id;
  std::int64_t session_number = 0;
  SessionEndReason reason = SessionEndReason::kTimeout;
  std::int64_t started_at_ms = 0;
  std::int64_t ended_at_ms = 0;  // the last activity (reset: the reset, if later)
  std::int64_t events = 0;       // events that touched the session (not session_start/_end, tags_changed)
  std::int64_t pages = 0;        // of which page views
  std::int64_t duration_ms() const { return ended_at_ms - started_at_ms; }
};

// The session_end event without identity and stamp, serialised:
// {"type":"track","event":"session_end","properties":{"session_id","session_number","reason",
//  "started_at","duration_ms","events","pages"}}. Built here (a size-optimised file), not in the
// engine's hot path.
std::string session_end_event_json(const SessionEnd& end);

// A UTC offset in minutes: an integer within ±kMaxUtcOffsetMinutes; anything else is nullopt.
std::optional<std::int32_t> utc_offset_from_json(const nlohmann::json* value);

class SessionTracker {
 public:
  explicit SessionTracker(std::int64_t timeout_ms = kDefaultSessionTimeoutMs, bool split_at_local_midnight = false);

  // Records activity. `rng_value` (a fresh value from the engine's PRNG) becomes the id of a new
  // session; it is ignored when the current session continues.
  SessionTouch touch(const SessionActivity& activity, std::uint64_t rng_value);
  SessionTouch touch(std::int64_t now_ms, std::string_view campaign_key, std::uint64_t rng_value) {
    return touch(SessionActivity{now_ms, campaign_key}, rng_value);
  }

  // The session `activity` would end (touch() would start a new one), if it has not ended already.
  // Changes nothing: call it before touch() to send session_end ahead of session_start.
  std::optional<SessionEnd> ended_by(const SessionActivity& activity) const;
  // An open page waking up: if the session has timed out at `now_ms`, it ends now (as a timeout, at
  // its last activity) and its summary is returned, once. The next touch() starts a new session.
  std::optional<SessionEnd> expire(std::int64_t now_ms);
  // Ends the session explicitly (reset()). One that had already timed out at `now_ms` ends as a
  // timeout at its last activity; otherwise it ends at max(now, last activity) for `reason`.
  std::optional<SessionEnd> end(std::int64_t now_ms, SessionEndReason reason);
  // When expire() will return something: the expiry of a session that has not ended; else nullopt.
  std::optional<std::int64_t> end_due_at() const;

  // The first instant at which the session is over (last activity + timeout); nullopt without one.
  std::optional<std::int64_t> expires_at() const;
  // True if a session exists, has not ended and has not expired at `now_ms` (changes nothing).
  bool is_active(std::int64_t now_ms) const;

  const std::string& session_id() const { return id_; }  // "" when none
  std::int64_t session_number() const { return count_; }
  std::int64_t started_at() const { return started_ms_; }
  std::int64_t last_activity() const { return last_ms_; }
  std::int64_t events() const { return events_; }
  std::int64_t pages() const { return pages_; }
  bool ended() const { return ended_; }
  std::int64_t timeout_ms() const { return timeout_ms_; }
  bool splits_at_local_midnight() const { return split_at_midnight_; }

  // Continues the session `id` started elsewhere (a mini-program opening this page in a web-view),
  // from `activity` on. A different session still open here ends (reason "adopted") and its summary
  // is returned; the same id changes nothing. An id that is not a session id is refused: false,
  // *error set, nothing changed.
  bool adopt(std::string_view id, const SessionActivity& activity, std::optional<SessionEnd>* ended, std::string* error);

  // Forgets the current session and the count (reset(), consent denied: wipe).
  void clear();

  // {"v":1,"count":n,"id":"…","started_ms":t,"last_ms":t,"campaign":"…","events":n,"pages":n,
  //  "day":d,"ended":true} (no id/times when none; "ended" only when true; "day" is the local day
  // number of the session, days since 1970-01-01 local). State written before session_end existed
  // (no events/pages/day) restores with zero counts. The timeout and the midnight switch are
  // configuration, not state: restore() keeps the ones given to the constructor.
  nlohmann::json to_json() const;
  // Returns false, sets *error and leaves a fresh tracker on corrupt state.
  bool restore(const nlohmann::json& state, std::string* error);

  // "0123456789abcdef" from a 64-bit value: the session id format.
  static std::string format_id(std::uint64_t value);
  // Days since 1970-01-01 in local time (UTC + offset), rounded down (also before 1970).
  static std::int64_t local_day(std::int64_t utc_ms, std::int32_t utc_offset_minutes);

 private:
  SessionStart decide(const SessionActivity& a) const;
  SessionEnd summary(SessionEndReason reason, std::int64_t ended_at_ms) const;

  std::int64_t timeout_ms_;
  bool split_at_midnight_;
  std::string id_;
  std::int64_t count_ = 0;
  std::int64_t started_ms_ = 0;
  std::int64_t last_ms_ = 0;
  std::string campaign_;
  std::int64_t events_ = 0;
  std::int64_t pages_ = 0;
  std::optional<std::int64_t> day_;  // local day of the session (unknown for restored old state)
  bool ended_ = false;               // session_end has been reported; the next touch starts anew
};

}  // namespace touchpoint
