#include "touchpoint/session_tracker.hpp"

#include "touchpoint/iso_time.hpp"
#include "touchpoint/json_access.hpp"

#include <algorithm>
#include <cstdint>

namespace touchpoint {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;

// 1..kMaxCampaignKeyBytes printable ASCII characters.
bool is_campaign_key(std::string_view s) {
  if (s.empty() || s.size() > kMaxCampaignKeyBytes) return false;
  for (char c : s)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

bool is_session_id(std::string_view s) {
  if (s.size() != 16) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Restored timestamps must lie in [1970, 9999] (what format_iso8601_ms can print).
constexpr std::int64_t kMaxTimestampMs = 253402300799999;

// Day numbers of restored state: the days of [1970, 9999] (kMaxTimestampMs), with room for offsets.
constexpr std::int64_t kMaxDayNumber = kMaxTimestampMs / (24 * 60 * 60 * 1000) + 1;

// |a - b| without signed overflow.
std::uint64_t gap(std::int64_t a, std::int64_t b) {
  return a >= b ? static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b)
                : static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a);
}

}  // namespace

std::string session_end_event_json(const SessionEnd& e) {
  // Every value is a hex id, a number, an ISO time or a fixed word: nothing needs escaping.
  std::string s = "{\"type\":\"track\",\"event\":\"session_end\",\"properties\":{\"session_id\":\"";
  s += e.session_id;
  s += "\",\"session_number\":" + std::to_string(e.session_number);
  s += ",\"reason\":\"";
  s += to_string(e.reason);
  s += "\",\"started_at\":\"" + format_iso8601_ms(e.started_at_ms);
  s += "\",\"duration_ms\":" + std::to_string(e.duration_ms());
  s += ",\"events\":" + std::to_string(e.events);
  s += ",\"pages\":" + std::to_string(e.pages);
  s += "}}";
  return s;
}

std::optional<std::int32_t> utc_offset_from_json(const json* v) {
  if (!v || !v->is_number_integer()) return std::nullopt;
  const std::int64_t m = v->get<std::int64_t>();
  if (m < -kMaxUtcOffsetMinutes || m > kMaxUtcOffsetMinutes) return std::nullopt;
  return static_cast<std::int32_t>(m);
}

const char* to_string(SessionStart reason) {
  switch (reason) {
    case SessionStart::kFirst: return "first";
    case SessionStart::kTimeout: return "timeout";
    case SessionStart::kCampaign: return "campaign";
    case SessionStart::kClockSkew: return "clock_skew";
    case SessionStart::kMidnight: return "midnight";
    case SessionStart::kNone: break;
  }
  return "none";
}

const char* to_string(SessionEndReason reason) {
  switch (reason) {
    case SessionEndReason::kCampaign: return "campaign";
    case SessionEndReason::kClockSkew: return "clock_skew";
    case SessionEndReason::kMidnight: return "midnight";
    case SessionEndReason::kReset: return "reset";
    case SessionEndReason::kAdopted: return "adopted";
    case SessionEndReason::kTimeout: break;
  }
  return "timeout";
}

SessionTracker::SessionTracker(std::int64_t timeout_ms, bool split_at_local_midnight)
    : timeout_ms_(std::clamp(timeout_ms, kMinSessionTimeoutMs, kMaxSessionTimeoutMs)),
      split_at_midnight_(split_at_local_midnight) {}

std::int64_t SessionTracker::local_day(std::int64_t utc_ms, std::int32_t utc_offset_minutes) {
  constexpr std::int64_t kDayMs = 24 * 60 * 60 * 1000;
  const std::int32_t off = std::clamp(utc_offset_minutes, -kMaxUtcOffsetMinutes, kMaxUtcOffsetMinutes);
  // Saturate instead of overflowing at the ends of the int64 range (no real clock gets there).
  const std::int64_t shift = static_cast<std::int64_t>(off) * 60 * 1000;
  std::int64_t local;
  if (shift > 0 && utc_ms > INT64_MAX - shift) local = INT64_MAX;
  else if (shift < 0 && utc_ms < INT64_MIN - shift) local = INT64_MIN;
  else local = utc_ms + shift;
  std::int64_t day = local / kDayMs;
  if (local % kDayMs < 0) --day;  // floor, not truncation, before 1970
  return day;
}

std::string SessionTracker::format_id(std::uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[i] = kHex[value & 0xF];
  return out;
}

SessionStart SessionTracker::decide(const SessionActivity& a) const {
  if (id_.empty()) return SessionStart::kFirst;
  const bool back = a.now_ms < last_ms_;
  if (ended_ || gap(a.now_ms, last_ms_) >= static_cast<std::uint64_t>(timeout_ms_))
    return back ? SessionStart::kClockSkew : SessionStart::kTimeout;
  if (split_at_midnight_) {
    // A small step back counts as activity at the last known time (see clock skew): same day.
    const std::int64_t day = day_ ? *day_ : local_day(started_ms_, a.utc_offset_minutes);
    if (local_day(std::max(a.now_ms, last_ms_), a.utc_offset_minutes) != day) return SessionStart::kMidnight;
  }
  std::string_view campaign = is_campaign_key(a.campaign_key) ? a.campaign_key : std::string_view();
  if (!campaign.empty() && campaign != campaign_) return SessionStart::kCampaign;
  return SessionStart::kNone;
}

SessionEnd SessionTracker::summary(SessionEndReason reason, std::int64_t ended_at_ms) const {
  return SessionEnd{id_, count_, reason, started_ms_, ended_at_ms, events_, pages_};
}

SessionTouch SessionTracker::touch(const SessionActivity& a, std::uint64_t rng_value) {
  const SessionStart reason = decide(a);
  if (reason != SessionStart::kNone) {
    id_ = format_id(rng_value);
    ++count_;
    started_ms_ = a.now_ms;
    last_ms_ = a.now_ms;
    campaign_.assign(is_campaign_key(a.campaign_key) ? a.campaign_key : std::string_view());
    events_ = 1;
    pages_ = a.is_page ? 1 : 0;
    day_ = local_day(a.now_ms, a.utc_offset_minutes);
    ended_ = false;
  } else {
    last_ms_ = std::max(last_ms_, a.now_ms);  // a small step back does not move the expiry back
    ++events_;
    if (a.is_page) ++pages_;
    if (!day_) day_ = local_day(started_ms_, a.utc_offset_minutes);
  }
  return SessionTouch{id_, count_, reason != SessionStart::kNone, reason, started_ms_};
}

std::optional<SessionEnd> SessionTracker::ended_by(const SessionActivity& a) const {
  if (id_.empty() || ended_) return std::nullopt;
  switch (decide(a)) {
    case SessionStart::kTimeout: return summary(SessionEndReason::kTimeout, last_ms_);
    case SessionStart::kClockSkew: return summary(SessionEndReason::kClockSkew, last_ms_);
    case SessionStart::kMidnight: return summary(SessionEndReason::kMidnight, last_ms_);
    case SessionStart::kCampaign: return summary(SessionEndReason::kCampaign, last_ms_);
    case SessionStart::kFirst:
    case SessionStart::kNone: break;
  }
  return std::nullopt;
}

std::optional<SessionEnd> SessionTracker::expire(std::int64_t now_ms) {
  if (id_.empty() || ended_ || gap(now_ms, last_ms_) < static_cast<std::uint64_t>(timeout_ms_)) return std::nullopt;
  ended_ = true;
  return summary(now_ms < last_ms_ ? SessionEndReason::kClockSkew : SessionEndReason::kTimeout, last_ms_);
}

std::optional<SessionEnd> SessionTracker::end(std::int64_t now_ms, SessionEndReason reason) {
  if (id_.empty() || ended_) return std::nullopt;
  if (auto timed_out = expire(now_ms)) return timed_out;
  ended_ = true;
  last_ms_ = std::max(last_ms_, now_ms);
  return summary(reason, last_ms_);
}

bool SessionTracker::adopt(std::string_view id, const SessionActivity& a, std::optional<SessionEnd>* ended,
                           std::string* error) {
  if (ended) ended->reset();
  if (!is_session_id(id)) {
    if (error) *error = "a session id is 16 lowercase hex digits";
    return false;
  }
  if (id == id_ && !ended_) return true;
  // The session open here ends first (as a timeout if it had already timed out).
  if (std::optional<SessionEnd> previous = end(a.now_ms, SessionEndReason::kAdopted); previous && ended) *ended = previous;
  id_.assign(id);
  ++count_;
  started_ms_ = a.now_ms;
  last_ms_ = a.now_ms;
  campaign_.assign(is_campaign_key(a.campaign_key) ? a.campaign_key : std::string_view());
  events_ = 0;  // this page's events count from here; the mini-program counted its own
  pages_ = 0;
  day_ = local_day(a.now_ms, a.utc_offset_minutes);
  ended_ = false;
  return true;
}

std::optional<std::int64_t> SessionTracker::end_due_at() const {
  if (ended_) return std::nullopt;
  return expires_at();
}

std::optional<std::int64_t> SessionTracker::expires_at() const {
  if (id_.empty()) return std::nullopt;
  if (last_ms_ > INT64_MAX - timeout_ms_) return INT64_MAX;
  return last_ms_ + timeout_ms_;
}

bool SessionTracker::is_active(std::int64_t now_ms) const {
  return !id_.empty() && !ended_ && gap(now_ms, last_ms_) < static_cast<std::uint64_t>(timeout_ms_);
}

void SessionTracker::clear() {
  id_.clear();
  count_ = 0;
  started_ms_ = 0;
  last_ms_ = 0;
  campaign_.clear();
  events_ = 0;
  pages_ = 0;
  day_.reset();
  ended_ = false;
}

json SessionTracker::to_json() const {
  json j = {{"v", kStateVersion}, {"count", count_}};
  if (!id_.empty()) {
    j["id"] = id_;
    j["started_ms"] = started_ms_;
    j["last_ms"] = last_ms_;
    if (!campaign_.empty()) j["campaign"] = campaign_;
    j["events"] = events_;
    j["pages"] = pages_;
    if (day_) j["day"] = *day_;
    if (ended_) j["ended"] = true;
  }
  return j;
}

bool SessionTracker::restore(const json& state, std::string* error) {
  clear();
  auto fail = [&](const std::string& why) {
    clear();
    if (error) *error = "session state: " + why;
    return false;
  };
  if (std::string envelope; !json_access::check_state_version(state, kStateVersion, &envelope)) return fail(envelope);
  auto count = state.find("count");
  if (count == state.end() || !count->is_number_integer() || count->get<std::int64_t>() < 0)
    return fail("\"count\" must be a non-negative integer");
  auto id = state.find("id");
  if (id == state.end()) {
    count_ = count->get<std::int64_t>();
    return true;
  }
  if (!id->is_string() || !is_session_id(id->get_ref<const std::string&>()))
    return fail("\"id\" must be 16 lowercase hex chars");
  auto started = state.find("started_ms");
  auto last = state.find("last_ms");
  if (started == state.end() || !started->is_number_integer() || last == state.end() || !last->is_number_integer())
    return fail("\"started_ms\" and \"last_ms\" must be integers");
  const std::int64_t started_ms = started->get<std::int64_t>(), last_ms = last->get<std::int64_t>();
  if (started_ms < 0 || last_ms > kMaxTimestampMs) return fail("timestamps out of range");
  if (last_ms < started_ms) return fail("\"last_ms\" is before \"started_ms\"");
  if (count->get<std::int64_t>() < 1) return fail("a session exists but \"count\" is 0");
  std::string campaign;
  auto c = state.find("campaign");
  if (c != state.end()) {
    if (!c->is_string() || !is_campaign_key(c->get_ref<const std::string&>()))
      return fail("\"campaign\" must be a campaign key string");
    campaign = c->get<std::string>();
  }
  // Counts, day and the ended flag came with session_end; state from before has none of them.
  auto counter = [&](const char* key, std::int64_t* to) {
    auto it = state.find(key);
    if (it == state.end()) return true;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) return false;
    *to = it->get<std::int64_t>();
    return true;
  };
  std::int64_t events = 0, pages = 0;
  if (!counter("events", &events) || !counter("pages", &pages)) return fail("\"events\" and \"pages\" must be non-negative integers");
  if (pages > events) return fail("\"pages\" exceeds \"events\"");
  std::optional<std::int64_t> day;
  if (auto d = state.find("day"); d != state.end()) {
    if (!d->is_number_integer() || d->get<std::int64_t>() < -kMaxDayNumber || d->get<std::int64_t>() > kMaxDayNumber)
      return fail("\"day\" must be a day number");
    day = d->get<std::int64_t>();
  }
  bool ended = false;
  if (auto e = state.find("ended"); e != state.end()) {
    if (!e->is_boolean()) return fail("\"ended\" must be a boolean");
    ended = e->get<bool>();
  }
  id_ = id->get<std::string>();
  count_ = count->get<std::int64_t>();
  started_ms_ = started_ms;
  last_ms_ = last_ms;
  campaign_ = std::move(campaign);
  events_ = events;
  pages_ = pages;
  day_ = day;
  ended_ = ended;
  return true;
}

}  // namespace touchpoint
