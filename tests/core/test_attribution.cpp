#include <doctest/doctest.h>

#include "touchpoint/attribution.hpp"
#include "touchpoint/session_tracker.hpp"

using namespace touchpoint;
using nlohmann::json;

namespace {

constexpr std::int64_t kT0 = 1732270800000;
constexpr const char* kPage = "https://shop.example.com/landing";

CampaignTouch touch(const std::string& page_url, std::string_view referrer = {}) {
  auto t = parse_campaign_touch(page_url, referrer, kT0);
  REQUIRE(t.has_value());
  return *t;
}

}  // namespace

TEST_CASE("attribution: utm parameters") {
  auto t = touch(std::string(kPage) +
                 "?utm_source=newsletter&utm_medium=email&utm_campaign=%E6%98%A5%E5%AD%A3%E4%BF%83%E9%94%80"
                 "&utm_term=running+shoes&utm_content=banner_a&other=1");
  CHECK(t.source == "newsletter");
  CHECK(t.medium == "email");
  CHECK(t.name == "\xE6\x98\xA5\xE5\xAD\xA3\xE4\xBF\x83\xE9\x94\x80");  // 春季促销
  CHECK(t.term == "running shoes");
  CHECK(t.content == "banner_a");
  CHECK(t.timestamp_ms == kT0);
  CHECK(t.referrer_host.empty());
  const json j = t.to_json();
  CHECK(j["name"] == t.name);
  CHECK_FALSE(j.contains("store_id"));
  CHECK_FALSE(j.contains("click_ids"));

  // A campaign with only a medium takes its source from an external referrer.
  auto m = touch(std::string(kPage) + "?utm_medium=cpc", "https://www.baidu.com/s?wd=x");
  CHECK(m.source == "baidu");
  CHECK(m.referrer_host == "www.baidu.com");
  auto n = touch(std::string(kPage) + "?utm_campaign=x", "https://www.partner.cn/a");
  CHECK(n.source == "partner.cn");
}

TEST_CASE("attribution: WeChat from= maps to source/medium, explicit utm wins") {
  CHECK(touch(std::string(kPage) + "?from=singlemessage").medium == "wechat_chat");
  CHECK(touch(std::string(kPage) + "?from=groupmessage").medium == "wechat_group");
  auto t = touch(std::string(kPage) + "?from=timeline&isappinstalled=0");
  CHECK(t.source == "wechat");
  CHECK(t.medium == "wechat_moments");
  auto u = touch(std::string(kPage) + "?from=timeline&utm_source=kol&utm_medium=article");
  CHECK(u.source == "kol");
  CHECK(u.medium == "article");
  // Other from= values are not campaign information.
  CHECK_FALSE(parse_campaign_touch(std::string(kPage) + "?from=home", "", kT0).has_value());
}

TEST_CASE("attribution: store, staff, QR code and channel ids") {
  auto t = touch(std::string(kPage) + "?tp_store=SH-001&tp_staff=E%2042&tp_qr=Q9&tp_channel=offline_poster");
  CHECK(t.store_id == "SH-001");
  CHECK(t.staff_id == "E 42");
  CHECK(t.qr_id == "Q9");
  CHECK(t.channel == "offline_poster");
  CHECK(t.medium == "qr");
  CHECK(t.source.empty());
  const json j = t.to_json();
  CHECK(j["store_id"] == "SH-001");
  CHECK(j["staff_id"] == "E 42");
  CHECK(j["qr_id"] == "Q9");
  CHECK(j["channel"] == "offline_poster");
  CHECK(touch(std::string(kPage) + "?tp_store=S1").medium.empty());
}

TEST_CASE("attribution: ad click ids imply network and cpc") {
  struct Case {
    const char* param;
    const char* source;
  };
  for (auto c : {Case{"gclid", "google"}, Case{"bd_vid", "baidu"}, Case{"qz_gdt", "tencent"},
                 Case{"gdt_vid", "tencent"}, Case{"clickid", "oceanengine"}}) {
    CAPTURE(c.param);
    auto t = touch(std::string(kPage) + "?" + c.param + "=abc123");
    CHECK(t.source == c.source);
    CHECK(t.medium == "cpc");
    CHECK(t.click_ids.at(c.param) == "abc123");
    CHECK(t.to_json()["click_ids"][c.param] == "abc123");
  }
  auto t = touch(std::string(kPage) + "?bd_vid=1&utm_source=baidu_feed&utm_medium=feed");
  CHECK(t.source == "baidu_feed");
  CHECK(t.medium == "feed");
  // Several click ids are all kept; the first in the table names the network.
  auto both = touch(std::string(kPage) + "?clickid=c&gclid=g");
  CHECK(both.click_ids.size() == 2);
  CHECK(both.source == "google");
}

TEST_CASE("attribution: organic search and social referrers") {
  struct Case {
    const char* referrer;
    const char* source;
    const char* medium;
    const char* term;
  };
  const Case cases[] = {
      {"https://www.baidu.com/s?wd=%E8%B7%91%E9%9E%8B", "baidu", "organic", "\xE8\xB7\x91\xE9\x9E\x8B"},
      {"https://m.baidu.com/from=844b/s?word=shoes", "baidu", "organic", "shoes"},
      {"https://www.baidu.com/link?url=abc", "baidu", "organic", ""},
      {"https://www.so.com/s?q=shoes", "360", "organic", "shoes"},
      {"https://m.sogou.com/web?query=a+b", "sogou", "organic", "a b"},
      {"https://m.sm.cn/s?q=x", "shenma", "organic", "x"},
      {"https://cn.bing.com/search?q=x", "bing", "organic", "x"},
      {"https://www.google.com/", "google", "organic", ""},
      {"https://www.google.com.hk/search?q=y", "google", "organic", "y"},
      {"https://google.cn/", "google", "organic", ""},
      {"https://www.google.co.jp/", "google", "organic", ""},
      {"https://mp.weixin.qq.com/s/abc", "wechat", "social", ""},
      {"https://servicewechat.com/wx1234/0/page-frame.html", "wechat", "social", ""},
      {"android-app://com.tencent.mm/", "wechat", "social", ""},
      {"https://user.qzone.qq.com/1", "qq", "social", ""},
      {"https://weibo.com/u/1", "weibo", "social", ""},
      {"https://m.weibo.cn/status/1", "weibo", "social", ""},
      {"http://t.cn/A6abc", "weibo", "social", ""},
      {"https://www.douyin.com/video/1", "douyin", "social", ""},
      {"https://www.iesdouyin.com/share/video/1", "douyin", "social", ""},
      {"https://www.xiaohongshu.com/explore/1", "xiaohongshu", "social", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.referrer);
    auto t = touch(kPage, c.referrer);
    CHECK(t.source == c.source);
    CHECK(t.medium == c.medium);
    CHECK(t.term == c.term);
    CHECK(t.name.empty());
  }
  // Look-alikes are plain referrals.
  for (const char* r : {"https://notbaidu.com/", "https://baidu.com.evil.cn/", "https://google.evil.example.com/"}) {
    CAPTURE(r);
    CHECK(touch(kPage, r).medium == "referral");
  }
  auto other = touch(kPage, "https://www.zhihu-partner.org/post/1?x=1");
  CHECK(other.source == "zhihu-partner.org");
  CHECK(other.medium == "referral");
  CHECK(other.referrer_host == "www.zhihu-partner.org");
}

TEST_CASE("attribution: direct and same-site visits carry no touch") {
  CHECK_FALSE(parse_campaign_touch(kPage, "", kT0).has_value());
  CHECK_FALSE(parse_campaign_touch(kPage, "not a url", kT0).has_value());
  CHECK_FALSE(parse_campaign_touch(kPage, "https://shop.example.com/other", kT0).has_value());
  CHECK_FALSE(parse_campaign_touch(kPage, "https://www.shop.example.com/", kT0).has_value());
  CHECK_FALSE(parse_campaign_touch("https://www.example.com/", "https://m.example.com/", kT0).has_value());
  CHECK_FALSE(parse_campaign_touch("https://m.example.com/", "https://EXAMPLE.com./", kT0).has_value());
  // Campaign parameters count even on internal navigation; the same-site referrer is not recorded.
  auto t = touch(std::string(kPage) + "?utm_source=banner", "https://shop.example.com/home");
  CHECK(t.source == "banner");
  CHECK(t.referrer_host.empty());
  // Empty or blank values are absent.
  CHECK_FALSE(parse_campaign_touch(std::string(kPage) + "?utm_source=&utm_medium=+%20", "", kT0).has_value());
}

TEST_CASE("attribution: percent-decoding and length edge cases") {
  CHECK(touch(std::string(kPage) + "?utm_campaign=50%25+off").name == "50% off");
  CHECK(touch(std::string(kPage) + "?utm_campaign=100%").name == "100%");
  CHECK(touch(std::string(kPage) + "?utm_campaign=a%zzb%4").name == "a%zzb%4");
  CHECK(touch(std::string(kPage) + "?utm_campaign=a%2Bb").name == "a+b");
  CHECK(touch(std::string(kPage) + "?utm_campaign=a%26b%3Dc").name == "a&b=c");
  CHECK(touch(std::string(kPage) + "?utm_source=%20%20padded%09").source == "padded");
  CHECK(touch(std::string(kPage) + "?utm%5Fsource=enc").source == "enc");

  // Invalid UTF-8 is repaired, so the touch always serialises (dump() would throw/abort otherwise).
  auto bad = touch(std::string(kPage) + "?utm_campaign=%FF%FEx");
  CHECK(bad.name == "\xEF\xBF\xBD\xEF\xBF\xBDx");
  CHECK_FALSE(bad.to_json().dump().empty());

  // Values are cut at the named limit, on a UTF-8 boundary.
  std::string long_value;
  for (int i = 0; i < 100; ++i) long_value += "%E6%98%A5";  // 300 bytes of 春
  auto cut = touch(std::string(kPage) + "?utm_campaign=" + long_value);
  CHECK(cut.name.size() <= kMaxCampaignValueBytes);
  CHECK(cut.name.size() == 255);
  CHECK(cut.to_json().dump().size() > 255);
  auto click = touch(std::string(kPage) + "?gclid=" + std::string(2000, 'g'));
  CHECK(click.click_ids["gclid"].size() == kMaxClickIdBytes);
  // Garbage URLs do not crash.
  CHECK_FALSE(parse_campaign_touch("?&&==&=%", "::::", kT0).has_value());
  CHECK(parse_campaign_touch(std::string(100000, '?') + "utm_source=x", "", kT0) == std::nullopt);
}

TEST_CASE("attribution: SPA hash routes are scanned, the real query first") {
  auto t = touch("https://m.example.com/#/item/1?utm_source=moments&tp_store=S2");
  CHECK(t.source == "moments");
  CHECK(t.store_id == "S2");
  CHECK(touch("https://m.example.com/#!/p?utm_source=bang").source == "bang");
  CHECK(touch("https://m.example.com/#utm_source=bare&utm_medium=x").source == "bare");
  CHECK(touch("https://m.example.com/?utm_source=query#/r?utm_source=hash").source == "query");
  CHECK_FALSE(parse_campaign_touch("https://m.example.com/#/route", "", kT0).has_value());
}

TEST_CASE("attribution: first touch is kept, last touch follows new campaigns") {
  Attribution a;
  CHECK(a.campaign_key().empty());
  CHECK(a.context() == json::object());

  auto first = a.observe(std::string(kPage) + "?utm_source=baidu&utm_medium=cpc&utm_campaign=spring", "", kT0);
  REQUIRE(first);
  CHECK(a.first_touch()->name == "spring");
  CHECK(a.last_touch()->name == "spring");
  const std::string key1 = a.campaign_key();
  CHECK(key1.size() == 18);
  CHECK(key1.rfind("c:", 0) == 0);

  // Direct visit and same-site navigation change nothing.
  CHECK_FALSE(a.observe(kPage, "", kT0 + 1));
  CHECK_FALSE(a.observe(kPage, "https://shop.example.com/cart", kT0 + 2));
  CHECK(a.campaign_key() == key1);
  // A reload of the same landing is not a new touch (the time of the touch stays).
  CHECK_FALSE(a.observe(std::string(kPage) + "?utm_source=baidu&utm_medium=cpc&utm_campaign=spring", "", kT0 + 3));
  CHECK(a.last_touch()->timestamp_ms == kT0);

  // A new campaign replaces the last touch only.
  auto second = a.observe(std::string(kPage) + "?utm_source=wechat&utm_campaign=summer", "", kT0 + 10);
  REQUIRE(second);
  CHECK(a.first_touch()->name == "spring");
  CHECK(a.last_touch()->name == "summer");
  CHECK(a.campaign_key() != key1);

  // An organic/social referral is a touch too.
  REQUIRE(a.observe(kPage, "https://weibo.com/x", kT0 + 20));
  CHECK(a.last_touch()->source == "weibo");
  CHECK(a.first_touch()->name == "spring");

  const json ctx = a.context();
  CHECK(ctx["campaign"]["source"] == "weibo");
  CHECK(ctx["campaign"]["medium"] == "social");
  CHECK(ctx["first_touch"]["name"] == "spring");
  CHECK(ctx["first_touch"]["timestamp_ms"] == kT0);
}

TEST_CASE("attribution: campaign keys drive new sessions") {
  auto a = touch(std::string(kPage) + "?utm_source=s&utm_campaign=c");
  auto b = touch(std::string(kPage) + "?utm_campaign=c&utm_source=s", "https://other.example.org/");
  b.timestamp_ms = kT0 + 99;
  CHECK(a.key() == b.key());  // parameter order, referrer and time do not matter
  CHECK(a.key() != touch(std::string(kPage) + "?utm_source=s&utm_campaign=d").key());
  CHECK(touch(std::string(kPage) + "?gclid=1").key() != touch(std::string(kPage) + "?gclid=2").key());
  // Field boundaries are part of the key: ("ab","") differs from ("a","b").
  CHECK(touch(std::string(kPage) + "?utm_source=ab&utm_medium=x").key() !=
        touch(std::string(kPage) + "?utm_source=a&utm_medium=bx").key());

  Attribution attr;
  SessionTracker sessions;
  attr.observe(std::string(kPage) + "?utm_campaign=one", "", kT0);
  CHECK(sessions.touch(kT0, attr.campaign_key(), 1).session_number == 1);
  CHECK_FALSE(sessions.touch(kT0 + 1000, attr.campaign_key(), 2).is_new);
  attr.observe(std::string(kPage) + "?utm_campaign=two", "", kT0 + 2000);
  auto s = sessions.touch(kT0 + 2000, attr.campaign_key(), 3);
  CHECK(s.is_new);
  CHECK(s.reason == SessionStart::kCampaign);
}

TEST_CASE("attribution: state round trip") {
  Attribution a;
  a.observe(std::string(kPage) + "?utm_source=s&gclid=G&tp_store=S", "https://www.google.com/", kT0);
  a.observe(std::string(kPage) + "?from=groupmessage", "", kT0 + 5);
  const json state = a.to_json();
  Attribution r;
  std::string error;
  REQUIRE(r.restore(json::parse(state.dump(), nullptr, false), &error));
  CHECK(r.to_json() == state);
  CHECK(r.campaign_key() == a.campaign_key());
  CHECK(r.context() == a.context());
  CHECK(r.first_touch()->click_ids.at("gclid") == "G");
  CHECK(r.first_touch()->referrer_host == "www.google.com");

  Attribution empty;
  REQUIRE(r.restore(empty.to_json(), &error));
  CHECK_FALSE(r.first_touch());

  // Unknown click id kinds and over-long values from an older/newer version are tolerated.
  json lenient = state;
  lenient["first"]["click_ids"]["future_id"] = "x";
  lenient["first"]["name"] = std::string(1000, 'n');
  REQUIRE(r.restore(lenient, &error));
  CHECK(r.first_touch()->click_ids.count("future_id") == 0);
  CHECK(r.first_touch()->name.size() == kMaxCampaignValueBytes);
}

TEST_CASE("attribution: corrupt state gives an error and no touches") {
  Attribution good;
  good.observe(std::string(kPage) + "?utm_source=s", "", kT0);
  const json state = good.to_json();
  auto with = [&](const char* ptr, json v) {
    json j = state;
    j[json::json_pointer(ptr)] = std::move(v);
    return j;
  };
  const json bad[] = {
      json(),
      json(42),
      json::array({1, 2}),
      json::object(),
      with("/v", 2),
      with("/first", "x"),
      with("/first/source", 5),
      with("/first/click_ids", json::array()),
      with("/first/click_ids/gclid", 1),
      with("/first/timestamp_ms", "yesterday"),
      with("/last/referrer_host", json::object()),
      [&] { json j = state; j.erase("last"); return j; }(),
  };
  for (const auto& b : bad) {
    CAPTURE(b.dump());
    Attribution a;
    a.observe(std::string(kPage) + "?utm_source=before", "", kT0);
    std::string error;
    CHECK_FALSE(a.restore(b, &error));
    CHECK_FALSE(error.empty());
    CHECK_FALSE(a.first_touch());
    CHECK_FALSE(a.last_touch());
    CHECK(a.campaign_key().empty());
  }
}
