// Everything the core knows about the current visit that travels in each event's context: the
// page/device context the shell reports, identity (anonymousId, userId, WeChat ids, super
// properties), the session, campaign attribution (first/last touch) and the referral chain.
// It serialises that context once and reuses it until something in it changes.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "touchpoint/attribution.hpp"
#include "touchpoint/identity.hpp"
#include "touchpoint/random.hpp"
#include "touchpoint/referral.hpp"
#include "touchpoint/session_tracker.hpp"

namespace touchpoint {

// What a new page URL told us.
struct PageObservation {
  std::optional<CampaignTouch> touch;          // a new campaign touch (attribution changed)
  std::optional<ReferralLanding> landing;      // arrived through a shared link: send share_landed
  std::string replace_url;                     // URL without adopted web-view ids ("" = unchanged)
  nlohmann::json adoption_errors = nlohmann::json::array();
  std::string utc_offset_error;                // utcOffsetMinutes was not a valid offset (ignored)
  std::optional<SessionEnd> session_ended;     // the session open here ended: a web-view's tp_sid was adopted
};

class VisitContext {
 public:
  // `utc_offset_minutes`: the local offset used until the shell reports one in its context.
  explicit VisitContext(std::int64_t session_timeout_ms = kDefaultSessionTimeoutMs, bool split_sessions_at_midnight = false,
                        std::int32_t utc_offset_minutes = 0);

  // Merges the shell's context patch ({page, userAgent, locale, timezone, utcOffsetMinutes, screen,
  // ...}; null removes a key). When page.url changed, reads web-view ids, campaign and share
  // parameters. utcOffsetMinutes (minutes east of UTC, -Date#getTimezoneOffset()) is the offset
  // sessions are split with at local midnight, from this patch on.
  PageObservation update(const nlohmann::json& patch, std::int64_t t);

  // The session an event at `t` would end (send session_end first, while the context is still the
  // old session's), then touch it; is_new means "send session_start first".
  std::optional<SessionEnd> session_ended_by(std::int64_t t, bool is_page) const;
  SessionTouch touch_session(std::int64_t t, Random& rng, bool is_page = false);
  // An open page woke up: the session's summary if it timed out (once).
  std::optional<SessionEnd> expire_session(std::int64_t now) { return session_.expire(now); }
  // reset(): ends the session (then clear_identity_and_visit()).
  std::optional<SessionEnd> end_session(std::int64_t now, SessionEndReason why) { return session_.end(now, why); }
  std::int32_t utc_offset_minutes() const { return utc_offset_; }
  // When this visitor's first event was (cleared with the visitor): visit_end's duration.
  std::optional<std::int64_t> visit_started_at() const { return visit_started_at_; }
  // Kiosk mode: context.kiosk of every event ({deviceId, storeId}; null: none). Not stored: it is
  // the page's configuration, not the visitor's.
  void set_kiosk(nlohmann::json kiosk) { kiosk_ = std::move(kiosk); dirty_ = true; }
  // A touch that is the visitor's first and last when they have none (kiosk: the store).
  void adopt_touch(CampaignTouch touch) { if (attribution_.adopt_if_none(std::move(touch))) dirty_ = true; }

  // Mutable access marks the serialised context stale; read through identity() on hot paths.
  Identity& mutable_identity() { dirty_ = true; return identity_; }
  const Identity& identity() const { return identity_; }
  const SessionTracker& session() const { return session_; }
  const Attribution& attribution() const { return attribution_; }
  const ReferralState& referral() const { return referral_; }
  const nlohmann::json& base() const { return base_; }

  // The context object serialised: base + library + session + campaign + referral + externalIds
  // (+ kiosk).
  const std::string& serialized(const std::string& library_name, const std::string& library_version);

  // {session, campaign, first_touch, referral, anonymousId, userId} for the page (demo panel).
  nlohmann::json summary() const;

  void clear_identity_and_visit();  // reset(): a new anonymous visitor on this device
  nlohmann::json to_json() const;
  // Restores each part on its own; returns the parts that were corrupt (and are now fresh).
  std::vector<std::string> restore(const nlohmann::json& state);

 private:
  Identity identity_;
  SessionTracker session_;
  Attribution attribution_;
  ReferralState referral_;
  nlohmann::json base_ = nlohmann::json::object();
  nlohmann::json kiosk_;
  std::optional<std::int64_t> visit_started_at_;
  std::string last_url_;
  std::int32_t default_utc_offset_ = 0;
  std::int32_t utc_offset_ = 0;
  std::string cache_;
  bool dirty_ = true;
};

}  // namespace touchpoint
