#include "touchpoint/attribution.hpp"

#include "touchpoint/json_access.hpp"

#include <algorithm>

#include "touchpoint/url.hpp"

namespace touchpoint {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;

// Ad click ids and the network they imply (GA auto-tagging reads gclid as google / cpc).
struct ClickIdRule {
  const char* param;
  const char* source;
};
constexpr ClickIdRule kClickIds[] = {
    {"gclid", "google"},         // Google Ads
    {"bd_vid", "baidu"},         // Baidu 营销 (OCPC)
    {"qz_gdt", "tencent"},       // Tencent ads (广点通), QZone / WeChat Moments placements
    {"gdt_vid", "tencent"},      // Tencent ads (广点通)
    {"clickid", "oceanengine"},  // Ocean Engine (巨量引擎): Douyin, Toutiao
};

// WeChat appends from= when a page is shared inside WeChat.
struct WeChatFrom {
  const char* value;
  const char* medium;
};
constexpr WeChatFrom kWeChatFrom[] = {
    {"singlemessage", "wechat_chat"},    // sent to one contact
    {"groupmessage", "wechat_group"},    // sent to a group chat
    {"timeline", "wechat_moments"},      // posted to Moments (朋友圈)
};

// Referrer hosts (the domain itself or any subdomain), most specific first. `terms`: query
// parameters that may carry the search words, space separated.
struct ReferrerRule {
  const char* domain;
  const char* source;
  const char* medium;
  const char* terms;
};
constexpr ReferrerRule kReferrers[] = {
    {"baidu.com", "baidu", "organic", "wd word"},
    {"so.com", "360", "organic", "q"},
    {"sogou.com", "sogou", "organic", "query keyword"},
    {"sm.cn", "shenma", "organic", "q"},
    {"bing.com", "bing", "organic", "q"},
    // google.<tld> is matched in code (google.com, google.com.hk, google.cn, ...)
    {"weixin.qq.com", "wechat", "social", ""},
    {"wx.qq.com", "wechat", "social", ""},
    {"servicewechat.com", "wechat", "social", ""},       // mini-program web-view
    {"com.tencent.mm", "wechat", "social", ""},          // android-app://com.tencent.mm
    {"qq.com", "qq", "social", ""},
    {"com.tencent.mobileqq", "qq", "social", ""},
    {"weibo.com", "weibo", "social", ""},
    {"weibo.cn", "weibo", "social", ""},
    {"t.cn", "weibo", "social", ""},                     // Weibo's link shortener
    {"com.sina.weibo", "weibo", "social", ""},
    {"douyin.com", "douyin", "social", ""},
    {"iesdouyin.com", "douyin", "social", ""},           // Douyin share pages
    {"com.ss.android.ugc.aweme", "douyin", "social", ""},
    {"xiaohongshu.com", "xiaohongshu", "social", ""},
    {"xhslink.com", "xiaohongshu", "social", ""},
    {"kuaishou.com", "kuaishou", "social", ""},
};
constexpr ReferrerRule kGoogle = {"google", "google", "organic", "q"};

// "www.google.com.hk": a "google" label followed by one or two more labels (the public suffix).
bool is_google(std::string_view host) {
  std::size_t start = 0;
  while (start < host.size()) {
    std::size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) return false;
    if (host.substr(start, dot - start) == "google") {
      const std::string_view rest = host.substr(dot + 1);
      const std::size_t dots = static_cast<std::size_t>(std::count(rest.begin(), rest.end(), '.'));
      return !rest.empty() && dots <= 1;
    }
    start = dot + 1;
  }
  return false;
}

const ReferrerRule* referrer_rule(std::string_view host) {
  for (const auto& r : kReferrers)
    if (url::host_is_under(host, r.domain)) return &r;
  return is_google(host) ? &kGoogle : nullptr;
}

std::string_view strip_www(std::string_view host) {
  return host.substr(0, 4) == "www." ? host.substr(4) : host;
}

// Same site: equal hosts once "www." is dropped, or one a subdomain of the other.
bool same_site(std::string_view a, std::string_view b) {
  a = strip_www(a);
  b = strip_www(b);
  return url::host_is_under(a, b) || url::host_is_under(b, a);
}

std::string trimmed(std::string s, std::size_t limit) {
  const char* ws = " \t\r\n";
  const std::size_t first = s.find_first_not_of(ws);
  if (first == std::string::npos) return {};
  s = s.substr(first, s.find_last_not_of(ws) - first + 1);
  url::truncate_utf8(s, limit);
  return s;
}

std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

// The string fields of CampaignTouch with their JSON names, for to_json/from_json/key.
template <typename Touch, typename F>
void for_each_field(Touch& t, F&& f) {
  f("source", t.source);
  f("medium", t.medium);
  f("name", t.name);
  f("term", t.term);
  f("content", t.content);
  f("store_id", t.store_id);
  f("staff_id", t.staff_id);
  f("qr_id", t.qr_id);
  f("channel", t.channel);
}

}  // namespace

std::string CampaignTouch::key() const {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for_each_field(*this, [&](const char*, const std::string& v) { h = fnv1a(fnv1a(h, v), "\x1f"); });
  for (const auto& [k, v] : click_ids) h = fnv1a(fnv1a(fnv1a(fnv1a(h, k), "="), v), "\x1f");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "c:";
  for (int i = 15; i >= 0; --i) out += kHex[(h >> (i * 4)) & 0xF];
  return out;
}

json CampaignTouch::to_json() const {
  json j = json::object();
  for_each_field(*this, [&](const char* name, const std::string& v) {
    if (!v.empty()) j[name] = v;
  });
  if (!click_ids.empty()) j["click_ids"] = click_ids;
  if (!referrer_host.empty()) j["referrer_host"] = referrer_host;
  j["timestamp_ms"] = timestamp_ms;
  return j;
}

std::optional<CampaignTouch> CampaignTouch::from_json(const json& j, std::string* error) {
  auto fail = [&](const std::string& why) -> std::optional<CampaignTouch> {
    if (error) *error = why;
    return std::nullopt;
  };
  if (!j.is_object()) return fail(std::string("campaign touch must be an object, got ") + j.type_name());
  CampaignTouch t;
  std::string bad;
  for_each_field(t, [&](const char* name, std::string& v) {
    auto it = j.find(name);
    if (it == j.end()) return;
    if (!it->is_string()) {
      if (bad.empty()) bad = name;
      return;
    }
    v = trimmed(it->get<std::string>(), kMaxCampaignValueBytes);
  });
  if (!bad.empty()) return fail("campaign touch field \"" + bad + "\" must be a string");
  if (auto it = j.find("click_ids"); it != j.end()) {
    if (!it->is_object()) return fail("campaign touch \"click_ids\" must be an object");
    for (auto c = it->begin(); c != it->end(); ++c) {
      if (!c.value().is_string()) return fail("click id \"" + c.key() + "\" must be a string");
      bool known = false;
      for (const auto& rule : kClickIds) known = known || c.key() == rule.param;
      if (!known) continue;  // a click id this version does not know: drop it, keep the touch
      t.click_ids[c.key()] = trimmed(c.value().get<std::string>(), kMaxClickIdBytes);
    }
  }
  if (auto it = j.find("referrer_host"); it != j.end()) {
    if (!it->is_string()) return fail("campaign touch \"referrer_host\" must be a string");
    t.referrer_host = trimmed(it->get<std::string>(), kMaxCampaignValueBytes);
  }
  if (auto it = j.find("timestamp_ms"); it != j.end()) {
    if (!it->is_number_integer()) return fail("campaign touch \"timestamp_ms\" must be an integer");
    t.timestamp_ms = it->get<std::int64_t>();
  }
  return t;
}

std::optional<CampaignTouch> parse_campaign_touch(std::string_view page_url, std::string_view referrer,
                                                  std::int64_t now_ms) {
  const url::Parts page = url::split(page_url);
  const url::Params params = url::params(page);
  auto param = [&](const char* key, std::size_t limit) {
    const std::string* v = url::find(params, key);
    return v ? trimmed(*v, limit) : std::string();
  };

  CampaignTouch t;
  t.timestamp_ms = now_ms;
  t.source = param("utm_source", kMaxCampaignValueBytes);
  t.medium = param("utm_medium", kMaxCampaignValueBytes);
  t.name = param("utm_campaign", kMaxCampaignValueBytes);
  t.term = param("utm_term", kMaxCampaignValueBytes);
  t.content = param("utm_content", kMaxCampaignValueBytes);
  t.store_id = param("tp_store", kMaxCampaignValueBytes);
  t.staff_id = param("tp_staff", kMaxCampaignValueBytes);
  t.qr_id = param("tp_qr", kMaxCampaignValueBytes);
  t.channel = param("tp_channel", kMaxCampaignValueBytes);
  const char* click_source = nullptr;
  for (const auto& rule : kClickIds) {
    std::string v = param(rule.param, kMaxClickIdBytes);
    if (v.empty()) continue;
    t.click_ids[rule.param] = std::move(v);
    if (!click_source) click_source = rule.source;
  }
  const char* wechat_medium = nullptr;
  const std::string from = param("from", kMaxCampaignValueBytes);
  for (const auto& f : kWeChatFrom)
    if (from == f.value) wechat_medium = f.medium;

  const bool campaign = !t.source.empty() || !t.medium.empty() || !t.name.empty() || !t.term.empty() ||
                        !t.content.empty() || !t.store_id.empty() || !t.staff_id.empty() || !t.qr_id.empty() ||
                        !t.channel.empty() || !t.click_ids.empty() || wechat_medium;

  // The referrer counts when it is external: it names the source of an organic/social/referral
  // visit, and fills a campaign's missing source.
  const url::Parts ref = url::split(referrer);
  const bool external = !ref.host.empty() && (page.host.empty() || !same_site(ref.host, page.host));
  const ReferrerRule* rule = external ? referrer_rule(ref.host) : nullptr;
  if (external) {
    t.referrer_host = ref.host;
    url::truncate_utf8(t.referrer_host, kMaxCampaignValueBytes);
  }

  if (campaign) {
    if (t.source.empty()) {
      if (click_source) t.source = click_source;
      else if (wechat_medium) t.source = "wechat";
      else if (rule) t.source = rule->source;
      else if (external) t.source = std::string(strip_www(t.referrer_host));
    }
    if (t.medium.empty()) {
      if (click_source) t.medium = "cpc";
      else if (wechat_medium) t.medium = wechat_medium;
      else if (!t.qr_id.empty()) t.medium = "qr";
    }
    return t;
  }
  if (!external) return std::nullopt;  // direct, or internal navigation
  if (rule) {
    t.source = rule->source;
    t.medium = rule->medium;
    const url::Params ref_params = url::params(ref);
    std::string_view names = rule->terms;
    while (!names.empty() && t.term.empty()) {
      const std::size_t sp = names.find(' ');
      const std::string name(names.substr(0, sp));
      names = sp == std::string_view::npos ? std::string_view() : names.substr(sp + 1);
      if (const std::string* v = url::find(ref_params, name)) t.term = trimmed(*v, kMaxCampaignValueBytes);
    }
  } else {
    t.source = std::string(strip_www(t.referrer_host));
    t.medium = "referral";
  }
  return t;
}

std::optional<CampaignTouch> Attribution::observe(std::string_view page_url, std::string_view referrer,
                                                  std::int64_t now_ms) {
  std::optional<CampaignTouch> t = parse_campaign_touch(page_url, referrer, now_ms);
  if (!t) return std::nullopt;
  if (last_ && last_->key() == t->key()) return std::nullopt;  // a reload of the same landing
  if (!first_) first_ = *t;
  last_ = t;
  return t;
}

bool Attribution::adopt_if_none(CampaignTouch touch) {
  if (first_) return false;
  first_ = touch;
  last_ = std::move(touch);
  return true;
}

std::string Attribution::campaign_key() const { return last_ ? last_->key() : std::string(); }

json Attribution::context() const {
  json j = json::object();
  if (last_) j["campaign"] = last_->to_json();
  if (first_) j["first_touch"] = first_->to_json();
  return j;
}

void Attribution::clear() {
  first_.reset();
  last_.reset();
}

json Attribution::to_json() const {
  json j = {{"v", kStateVersion}};
  if (first_) j["first"] = first_->to_json();
  if (last_) j["last"] = last_->to_json();
  return j;
}

bool Attribution::restore(const json& state, std::string* error) {
  clear();
  auto fail = [&](const std::string& why) {
    clear();
    if (error) *error = "attribution state: " + why;
    return false;
  };
  if (std::string envelope; !json_access::check_state_version(state, kStateVersion, &envelope)) return fail(envelope);
  std::string why;
  for (const char* name : {"first", "last"}) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    auto t = CampaignTouch::from_json(*it, &why);
    if (!t) return fail(std::string(name) + ": " + why);
    (name[0] == 'f' ? first_ : last_) = std::move(t);
  }
  if (first_.has_value() != last_.has_value()) return fail("\"first\" and \"last\" must be both present or both absent");
  return true;
}

}  // namespace touchpoint
