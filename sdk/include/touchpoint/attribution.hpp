// Where a visitor came from: a landing page URL plus document.referrer become a campaign touch
// (utm_*, WeChat's from=, Touchpoint's store/staff/QR/channel ids, ad click ids, or an organic /
// social / referral touch read from the referrer). Attribution keeps the first touch forever and the
// last touch until the next one. The tables and precedence rules are in docs/identity.md.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace touchpoint {

// One campaign value (utm_*, tp_*): longer ones are cut (Mixpanel truncates strings at 255 bytes;
// GA4 cuts campaign parameters at 100 chars, too short for Chinese campaign names in UTF-8).
constexpr std::size_t kMaxCampaignValueBytes = 255;
// One ad click id: Google's gclid is ~100 chars and Ocean Engine's clickid longer; an id that is
// cut no longer matches in a conversion upload, so the limit is generous and only stops garbage.
constexpr std::size_t kMaxClickIdBytes = 512;

struct CampaignTouch {
  std::string source;    // utm_source, else implied (click id network, "wechat", search engine, host)
  std::string medium;    // utm_medium, else implied ("cpc", "wechat_*", "organic", "social", "referral", "qr")
  std::string name;      // utm_campaign (Segment's context.campaign.name)
  std::string term;      // utm_term, else the search words of an organic search referrer if visible
  std::string content;   // utm_content
  std::string store_id;  // tp_store
  std::string staff_id;  // tp_staff
  std::string qr_id;     // tp_qr
  std::string channel;   // tp_channel
  std::map<std::string, std::string> click_ids;  // "gclid" | "bd_vid" | "qz_gdt" | "gdt_vid" | "clickid" -> value
  std::string referrer_host;  // external referrer's host, "" when none or same-site
  std::int64_t timestamp_ms = 0;

  // Identifies the campaign (every field but referrer_host and the time): "c:" + 16 hex chars of a
  // 64-bit FNV-1a hash. Two clicks with different click ids are different campaigns (as in GA).
  std::string key() const;
  // Non-empty fields only: {"source","medium","name","term","content","store_id","staff_id","qr_id",
  // "channel","click_ids":{..},"referrer_host","timestamp_ms"}.
  nlohmann::json to_json() const;
  // nullopt and *error when `j` is not an object of such fields (strings are cut to the limits).
  static std::optional<CampaignTouch> from_json(const nlohmann::json& j, std::string* error);
};

// Reads one landing. Returns nullopt for a direct visit (no campaign parameter, and the referrer is
// empty, unparseable or on the same site as the page).
std::optional<CampaignTouch> parse_campaign_touch(std::string_view page_url, std::string_view referrer,
                                                  std::int64_t now_ms);

class Attribution {
 public:
  // Reads a landing (see parse_campaign_touch). A touch always becomes the last touch, and also the
  // first touch when there is none yet. Returns the touch, or nullopt when nothing changed.
  std::optional<CampaignTouch> observe(std::string_view page_url, std::string_view referrer, std::int64_t now_ms);

  // A default touch (kiosk: the store) becomes first and last touch when there is none; false when
  // the visitor already has one (theirs wins).
  bool adopt_if_none(CampaignTouch touch);

  const std::optional<CampaignTouch>& first_touch() const { return first_; }
  const std::optional<CampaignTouch>& last_touch() const { return last_; }
  // The last touch's key() for SessionTracker::touch(), "" when there is none.
  std::string campaign_key() const;
  // {"campaign": {…last touch}, "first_touch": {…}}; {} when there is no touch.
  nlohmann::json context() const;

  void clear();
  // {"v":1,"first":{…}|absent,"last":{…}|absent}
  nlohmann::json to_json() const;
  // Returns false, sets *error and leaves no touches on corrupt state.
  bool restore(const nlohmann::json& state, std::string* error);

 private:
  std::optional<CampaignTouch> first_;
  std::optional<CampaignTouch> last_;
};

}  // namespace touchpoint
