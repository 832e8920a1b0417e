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
};

class VisitContext {
 public:
  explicit VisitContext(std::int64_t session_timeout_ms = kDefaultSessionTimeoutMs);

  // Merges the shell's context patch ({page, userAgent, locale, timezone, screen, ...}; null
  // removes a key). When page.url changed, reads web-view ids, campaign and share parameters.
  PageObservation update(const nlohmann::json& patch, std::int64_t t);

  // Touches the session at an event's time; is_new means "send session_start first".
  SessionTouch touch_session(std::int64_t t, Random& rng);

  // Mutable access marks the serialised context stale; read through identity() on hot paths.
  Identity& mutable_identity() { dirty_ = true; return identity_; }
  const Identity& identity() const { return identity_; }
  const SessionTracker& session() const { return session_; }
  const Attribution& attribution() const { return attribution_; }
  const ReferralState& referral() const { return referral_; }
  const nlohmann::json& base() const { return base_; }

  // The context object serialised: base + library + session + campaign + referral + externalIds.
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
  std::string last_url_;
  std::string cache_;
  bool dirty_ = true;
};

}  // namespace touchpoint
