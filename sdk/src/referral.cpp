#include "touchpoint/referral.hpp"

#include "touchpoint/json_access.hpp"

#include <algorithm>

#include "touchpoint/identity.hpp"
#include "touchpoint/url.hpp"

namespace touchpoint {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;
constexpr std::string_view kRefParam = "tp_ref";
constexpr std::string_view kShareParam = "tp_share";
constexpr std::string_view kDepthParam = "tp_depth";
constexpr std::string_view kChannelParam = "tp_ch";

// A referral value: 1..kMaxReferralIdBytes bytes, no control characters.
bool valid_value(std::string_view s) {
  if (s.empty() || s.size() > kMaxReferralIdBytes) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return false;
  }
  return true;
}

// "1".."1000": decimal digits only (no sign, space or exponent); anything else is invalid.
std::optional<int> parse_depth(std::string_view s) {
  if (s.empty() || s.size() > 6) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > kMaxShareDepth) return std::nullopt;
  return v;
}

}  // namespace

bool ReferralLanding::same_share(const ReferralLanding& o) const {
  return referrer_id == o.referrer_id && share_id == o.share_id && depth == o.depth && channel == o.channel;
}

json ReferralLanding::to_json(bool with_time) const {
  json j = {{"referrer_id", referrer_id}, {"depth", depth}};
  if (!share_id.empty()) j["share_id"] = share_id;
  if (!channel.empty()) j["channel"] = channel;
  if (with_time) j["timestamp_ms"] = timestamp_ms;
  return j;
}

std::optional<ReferralLanding> ReferralLanding::from_json(const json& j, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<ReferralLanding> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (!j.is_object()) return fail(std::string("landing must be an object, got ") + j.type_name());
  ReferralLanding l;
  auto ref = j.find("referrer_id");
  if (ref == j.end() || !ref->is_string() || !valid_value(ref->get_ref<const std::string&>()))
    return fail("landing \"referrer_id\" must be a non-empty id");
  l.referrer_id = ref->get<std::string>();
  const std::pair<const char*, std::string*> optional_fields[] = {{"share_id", &l.share_id}, {"channel", &l.channel}};
  for (const auto& [name, field] : optional_fields) {
    auto it = j.find(name);
    if (it == j.end()) continue;
    if (!it->is_string() || !valid_value(it->get_ref<const std::string&>()))
      return fail(std::string("landing \"") + name + "\" must be a non-empty id");
    *field = it->get<std::string>();
  }
  auto depth = j.find("depth");
  if (depth == j.end() || !depth->is_number_integer() || depth->get<std::int64_t>() < 1 ||
      depth->get<std::int64_t>() > kMaxShareDepth)
    return fail("landing \"depth\" must be an integer in [1, " + std::to_string(kMaxShareDepth) + "]");
  l.depth = static_cast<int>(depth->get<std::int64_t>());
  if (auto t = j.find("timestamp_ms"); t != j.end()) {
    if (!t->is_number_integer()) return fail("landing \"timestamp_ms\" must be an integer");
    l.timestamp_ms = t->get<std::int64_t>();
  }
  return l;
}

std::string share_url(std::string_view url, std::string_view sharer_id, std::string_view share_id,
                      std::string_view channel, int depth) {
  std::vector<std::string_view> stale = {kRefParam, kShareParam, kDepthParam, kChannelParam};
  stale.insert(stale.end(), kWebviewParams.begin(), kWebviewParams.end());
  const std::string clean = url::remove_params(url, stale);
  if (!valid_value(sharer_id)) return clean;
  const std::string depth_text = std::to_string(std::clamp(depth, 1, kMaxShareDepth));
  std::vector<std::pair<std::string_view, std::string_view>> kv = {{kRefParam, sharer_id}};
  if (valid_value(share_id)) kv.emplace_back(kShareParam, share_id);
  kv.emplace_back(kDepthParam, depth_text);
  if (valid_value(channel)) kv.emplace_back(kChannelParam, channel);
  return url::append_params(clean, kv);
}

std::optional<ReferralLanding> parse_landing(std::string_view page_url, std::int64_t now_ms) {
  const url::Params params = url::params(page_url);
  const std::string* ref = url::find(params, kRefParam);
  if (!ref || !valid_value(*ref)) return std::nullopt;
  ReferralLanding l;
  l.referrer_id = *ref;
  l.timestamp_ms = now_ms;
  if (const std::string* s = url::find(params, kShareParam); s && valid_value(*s)) l.share_id = *s;
  if (const std::string* c = url::find(params, kChannelParam); c && valid_value(*c)) l.channel = *c;
  if (const std::string* d = url::find(params, kDepthParam))
    if (auto depth = parse_depth(*d)) l.depth = *depth;
  return l;
}

std::optional<ReferralLanding> ReferralState::observe(std::string_view page_url, std::int64_t now_ms,
                                                      const std::vector<std::string>& own_ids) {
  std::optional<ReferralLanding> l = parse_landing(page_url, now_ms);
  if (!l) return std::nullopt;
  if (std::find(own_ids.begin(), own_ids.end(), l->referrer_id) != own_ids.end()) return std::nullopt;
  if (current_ && current_->same_share(*l)) return std::nullopt;
  if (!origin_) origin_ = l;
  current_ = l;
  return l;
}

int ReferralState::share_depth() const {
  return current_ ? std::min(current_->depth + 1, kMaxShareDepth) : 1;
}

std::string ReferralState::share_url(std::string_view page_url, std::string_view sharer_id,
                                     std::string_view share_id, std::string_view channel) const {
  return touchpoint::share_url(page_url, sharer_id, share_id, channel, share_depth());
}

json ReferralState::context() const {
  if (!current_) return json::object();
  json referral = current_->to_json(false);
  if (origin_ && !(origin_->same_share(*current_) && origin_->timestamp_ms == current_->timestamp_ms))
    referral["origin"] = origin_->to_json(false);
  return {{"referral", std::move(referral)}};
}

json ReferralState::landed_properties(const ReferralLanding& landing) const {
  json j = landing.to_json(false);
  j["first_landing"] = origin_ && origin_->same_share(landing) && origin_->timestamp_ms == landing.timestamp_ms;
  return j;
}

void ReferralState::clear() {
  origin_.reset();
  current_.reset();
}

json ReferralState::to_json() const {
  json j = {{"v", kStateVersion}};
  if (origin_) j["origin"] = origin_->to_json();
  if (current_) j["current"] = current_->to_json();
  return j;
}

bool ReferralState::restore(const json& state, std::string* error) {
  clear();
  auto fail = [&](const std::string& why) {
    clear();
    if (error) *error = "referral state: " + why;
    return false;
  };
  if (std::string envelope; !json_access::check_state_version(state, kStateVersion, &envelope)) return fail(envelope);
  std::string why;
  for (const char* name : {"origin", "current"}) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    auto l = ReferralLanding::from_json(*it, &why);
    if (!l) return fail(std::string(name) + ": " + why);
    (name[0] == 'o' ? origin_ : current_) = std::move(l);
  }
  if (origin_.has_value() != current_.has_value())
    return fail("\"origin\" and \"current\" must be both present or both absent");
  return true;
}

}  // namespace touchpoint
