// Share chains (裂变): a visitor shares a page, the link carries who shared it and how deep in the
// chain the share is; whoever lands on it records that, and their own shares go one level deeper.
//
//   A shares (original):     ?tp_ref=A&tp_share=s1&tp_depth=1&tp_ch=wechat_chat
//   B lands: depth 1, B shares: ?tp_ref=B&tp_share=s2&tp_depth=2 ...
//   C lands: depth 2, C shares: depth 3 ...
//
// Parameter names and rules: docs/identity.md, "Referral parameters".
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace touchpoint {

// Depth of a share chain. Real chains die out within tens of hops; past this a link is forged or
// looping, so tp_depth above it is ignored and new shares saturate at it.
constexpr int kMaxShareDepth = 1000;
// tp_ref / tp_share / tp_ch values: longer ones are ignored, not cut (a cut id names someone else).
// 128 bytes holds any UUID, WeChat openid (28 chars) or numeric user id with room to spare.
constexpr std::size_t kMaxReferralIdBytes = 128;

struct ReferralLanding {
  std::string referrer_id;  // tp_ref: who shared the link (required)
  std::string share_id;     // tp_share: which share, "" when absent or invalid
  int depth = 1;            // tp_depth: 1 = an original share; 1 when absent or invalid
  std::string channel;      // tp_ch: where it was shared ("wechat_chat", "moments", "poster"...)
  std::int64_t timestamp_ms = 0;

  // Same referrer, share, depth and channel (the time is ignored).
  bool same_share(const ReferralLanding& other) const;
  // {"referrer_id","share_id"?,"depth","channel"?} (+"timestamp_ms" with `with_time`).
  nlohmann::json to_json(bool with_time = true) const;
  static std::optional<ReferralLanding> from_json(const nlohmann::json& j, std::string* error);
};

// `url` with tp_ref=sharer_id, tp_share=share_id, tp_depth=depth, tp_ch=channel appended to its
// query. The query and fragment are otherwise kept byte for byte, except that old tp_ref / tp_share /
// tp_depth / tp_ch values (also those in a hash route) are removed, and so are the identity
// parameters of a web-view URL (tp_anon, tp_uid, tp_openid, tp_unionid, tp_appid), which must never
// travel to someone else. Empty or over-long share_id / channel are left out; depth is clamped to
// [1, kMaxShareDepth]. With an empty or over-long sharer_id only the removal happens.
std::string share_url(std::string_view url, std::string_view sharer_id, std::string_view share_id,
                      std::string_view channel, int depth);

// The landing carried by `url` (query or hash route), nullopt when it has no valid tp_ref.
std::optional<ReferralLanding> parse_landing(std::string_view url, std::int64_t now_ms = 0);

class ReferralState {
 public:
  // Records the landing in `url`. Ignored (nullopt) when the URL has none, when it repeats the
  // current landing (reload), or when tp_ref is one of `own_ids` (the sharer opened their own link).
  // The first landing ever stays as origin(); every new one becomes current().
  std::optional<ReferralLanding> observe(std::string_view url, std::int64_t now_ms,
                                         const std::vector<std::string>& own_ids = {});

  const std::optional<ReferralLanding>& origin() const { return origin_; }
  const std::optional<ReferralLanding>& current() const { return current_; }

  // Depth of this visitor's own shares: current().depth + 1 (at most kMaxShareDepth), 1 without a landing.
  int share_depth() const;
  // share_url() with share_depth().
  std::string share_url(std::string_view url, std::string_view sharer_id, std::string_view share_id,
                        std::string_view channel) const;

  // {"referral":{"referrer_id","share_id","depth","channel"[,"origin":{…}]}} from current(), with
  // the origin when it differs; {} without a landing.
  nlohmann::json context() const;
  // Properties of the `share_landed` event for a landing observe() returned:
  // {"referrer_id","share_id","depth","channel","first_landing":bool}.
  nlohmann::json landed_properties(const ReferralLanding& landing) const;

  void clear();
  // {"v":1,"origin":{…}|absent,"current":{…}|absent}
  nlohmann::json to_json() const;
  // Returns false, sets *error and leaves no landing on corrupt state.
  bool restore(const nlohmann::json& state, std::string* error);

 private:
  std::optional<ReferralLanding> origin_;
  std::optional<ReferralLanding> current_;
};

}  // namespace touchpoint
