#include "touchpoint/session_tracker.hpp"

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

bool is_session_id(const std::string& s) {
  if (s.size() != 16) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// Restored timestamps must lie in [1970, 9999] (what format_iso8601_ms can print).
constexpr std::int64_t kMaxTimestampMs = 253402300799999;

// |a - b| without signed overflow.
std::uint64_t gap(std::int64_t a, std::int64_t b) {
  return a >= b ? static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b)
                : static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a);
}

}  // namespace

const char* to_string(SessionStart reason) {
  switch (reason) {
    case SessionStart::kFirst: return "first";
    case SessionStart::kTimeout: return "timeout";
    case SessionStart::kCampaign: return "campaign";
    case SessionStart::kClockSkew: return "clock_skew";
    case SessionStart::kNone: break;
  }
  return "none";
}

SessionTracker::SessionTracker(std::int64_t timeout_ms)
    : timeout_ms_(std::clamp(timeout_ms, kMinSessionTimeoutMs, kMaxSessionTimeoutMs)) {}

std::string SessionTracker::format_id(std::uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[i] = kHex[value & 0xF];
  return out;
}

SessionTouch SessionTracker::touch(std::int64_t now_ms, std::string_view campaign_key, std::uint64_t rng_value) {
  if (!is_campaign_key(campaign_key)) campaign_key = {};
  SessionStart reason = SessionStart::kNone;
  if (id_.empty()) {
    reason = SessionStart::kFirst;
  } else if (gap(now_ms, last_ms_) >= static_cast<std::uint64_t>(timeout_ms_)) {
    reason = now_ms < last_ms_ ? SessionStart::kClockSkew : SessionStart::kTimeout;
  } else if (!campaign_key.empty() && campaign_key != campaign_) {
    reason = SessionStart::kCampaign;
  }

  if (reason != SessionStart::kNone) {
    id_ = format_id(rng_value);
    ++count_;
    started_ms_ = now_ms;
    last_ms_ = now_ms;
    campaign_.assign(campaign_key);
  } else {
    last_ms_ = std::max(last_ms_, now_ms);  // a small step back does not move the expiry back
  }
  return SessionTouch{id_, count_, reason != SessionStart::kNone, reason, started_ms_};
}

std::optional<std::int64_t> SessionTracker::expires_at() const {
  if (id_.empty()) return std::nullopt;
  if (last_ms_ > INT64_MAX - timeout_ms_) return INT64_MAX;
  return last_ms_ + timeout_ms_;
}

bool SessionTracker::is_active(std::int64_t now_ms) const {
  return !id_.empty() && gap(now_ms, last_ms_) < static_cast<std::uint64_t>(timeout_ms_);
}

void SessionTracker::clear() {
  id_.clear();
  count_ = 0;
  started_ms_ = 0;
  last_ms_ = 0;
  campaign_.clear();
}

json SessionTracker::to_json() const {
  json j = {{"v", kStateVersion}, {"count", count_}};
  if (!id_.empty()) {
    j["id"] = id_;
    j["started_ms"] = started_ms_;
    j["last_ms"] = last_ms_;
    if (!campaign_.empty()) j["campaign"] = campaign_;
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
  id_ = id->get<std::string>();
  count_ = count->get<std::int64_t>();
  started_ms_ = started_ms;
  last_ms_ = last_ms;
  campaign_ = std::move(campaign);
  return true;
}

}  // namespace touchpoint
