#include <doctest/doctest.h>

#include "touchpoint/referral.hpp"

using namespace touchpoint;
using nlohmann::json;

namespace {
constexpr std::int64_t kT0 = 1732270800000;
}  // namespace

TEST_CASE("referral: share_url decorates and keeps query and fragment") {
  CHECK(share_url("https://h.example.com/p", "A", "s1", "wechat_chat", 1) ==
        "https://h.example.com/p?tp_ref=A&tp_share=s1&tp_depth=1&tp_ch=wechat_chat");
  CHECK(share_url("https://h.example.com/p?x=1&y=%E4%B8%AD#/item/9?tab=2", "user 7", "s/2", "", 3) ==
        "https://h.example.com/p?x=1&y=%E4%B8%AD&tp_ref=user%207&tp_share=s%2F2&tp_depth=3#/item/9?tab=2");
  // Old tp_* values are replaced, in the query and in a hash route.
  CHECK(share_url("https://h/p?tp_ref=A&x=1&tp_share=s1&tp_depth=1&tp_ch=c#/r?tp_ref=Z&k=v", "B", "s2", "moments", 2) ==
        "https://h/p?x=1&tp_ref=B&tp_share=s2&tp_depth=2&tp_ch=moments#/r?k=v");
  // Identity parameters never travel with a share.
  CHECK(share_url("https://h/p?tp_anon=a1&tp_uid=u1&tp_openid=o1&tp_unionid=n1&tp_appid=wx1&q=1", "B", "", "", 1) ==
        "https://h/p?q=1&tp_ref=B&tp_depth=1");
  // Depth is clamped, invalid share id / channel left out.
  CHECK(share_url("https://h/", "A", std::string(200, 's'), "bad\nchannel", 0) == "https://h/?tp_ref=A&tp_depth=1");
  CHECK(share_url("https://h/", "A", "", "", 5000) == "https://h/?tp_ref=A&tp_depth=1000");
  // Without a valid sharer only the stale parameters go.
  CHECK(share_url("https://h/?tp_ref=A&x=1", "", "s", "c", 2) == "https://h/?x=1");
  CHECK(share_url("https://h/?tp_ref=A", std::string(129, 'x'), "s", "c", 2) == "https://h/");
}

TEST_CASE("referral: parse_landing reads tp_* from the query or a hash route") {
  auto l = parse_landing("https://h/p?tp_ref=user%207&tp_share=s%2F2&tp_depth=3&tp_ch=moments", kT0);
  REQUIRE(l);
  CHECK(l->referrer_id == "user 7");
  CHECK(l->share_id == "s/2");
  CHECK(l->depth == 3);
  CHECK(l->channel == "moments");
  CHECK(l->timestamp_ms == kT0);

  auto h = parse_landing("https://h/#/item?tp_ref=A&tp_depth=2");
  REQUIRE(h);
  CHECK(h->referrer_id == "A");
  CHECK(h->depth == 2);
  CHECK(h->share_id.empty());

  CHECK_FALSE(parse_landing("https://h/p?x=1"));
  CHECK_FALSE(parse_landing("https://h/p?tp_ref="));
  CHECK_FALSE(parse_landing("https://h/p?tp_share=s1&tp_depth=2"));
  CHECK_FALSE(parse_landing("https://h/p?tp_ref=" + std::string(129, 'r')));
  CHECK_FALSE(parse_landing("https://h/p?tp_ref=a%0Ab"));  // control character
  CHECK_FALSE(parse_landing(""));
}

TEST_CASE("referral: invalid depths are ignored (depth 1)") {
  for (const char* d : {"0", "-1", "+2", "1001", "99999999999", "2.5", "1e3", " 2", "abc", "", "%32%30x"}) {
    CAPTURE(d);
    auto l = parse_landing(std::string("https://h/?tp_ref=A&tp_depth=") + d);
    REQUIRE(l);
    CHECK(l->depth == 1);
  }
  CHECK(parse_landing("https://h/?tp_ref=A&tp_depth=1000")->depth == kMaxShareDepth);
  CHECK(parse_landing("https://h/?tp_ref=A&tp_depth=007")->depth == 7);
  CHECK(parse_landing("https://h/?tp_ref=A&tp_depth=%32")->depth == 2);
}

TEST_CASE("referral: share chain A -> B -> C -> D") {
  const std::string page = "https://h.example.com/offer?sku=9";

  // A shares an original link (A has no landing).
  ReferralState a;
  CHECK(a.share_depth() == 1);
  const std::string link_a = a.share_url(page, "A", "sA", "wechat_chat");
  CHECK(link_a == page + "&tp_ref=A&tp_share=sA&tp_depth=1&tp_ch=wechat_chat");

  // B lands at depth 1.
  ReferralState b;
  auto landed_b = b.observe(link_a, kT0, {"B-anon"});
  REQUIRE(landed_b);
  CHECK(landed_b->referrer_id == "A");
  CHECK(landed_b->depth == 1);
  const json props_b = b.landed_properties(*landed_b);
  CHECK(props_b == json{{"referrer_id", "A"}, {"share_id", "sA"}, {"depth", 1}, {"channel", "wechat_chat"},
                        {"first_landing", true}});
  CHECK(b.context() == json{{"referral", {{"referrer_id", "A"}, {"share_id", "sA"}, {"depth", 1}, {"channel", "wechat_chat"}}}});

  // B shares the page it is on: depth 2, A's parameters replaced by B's.
  CHECK(b.share_depth() == 2);
  const std::string link_b = b.share_url(link_a, "B", "sB", "moments");
  CHECK(link_b == page + "&tp_ref=B&tp_share=sB&tp_depth=2&tp_ch=moments");

  // C lands at depth 2, shares at depth 3; D lands at depth 3.
  ReferralState c;
  REQUIRE(c.observe(link_b, kT0 + 1000));
  CHECK(c.current()->depth == 2);
  CHECK(c.current()->referrer_id == "B");
  const std::string link_c = c.share_url(link_b, "C", "sC", "");
  ReferralState d;
  REQUIRE(d.observe(link_c, kT0 + 2000));
  CHECK(d.current()->depth == 3);
  CHECK(d.current()->referrer_id == "C");
  CHECK(d.share_depth() == 4);
}

TEST_CASE("referral: origin is kept, current follows new landings; reloads and own links are ignored") {
  ReferralState s;
  CHECK(s.context() == json::object());
  auto first = s.observe("https://h/?tp_ref=A&tp_share=s1&tp_depth=1", kT0);
  REQUIRE(first);
  // Reload of the same link: nothing new.
  CHECK_FALSE(s.observe("https://h/?tp_ref=A&tp_share=s1&tp_depth=1", kT0 + 10));
  CHECK(s.current()->timestamp_ms == kT0);
  // The visitor opens their own share.
  CHECK_FALSE(s.observe("https://h/?tp_ref=me&tp_depth=2", kT0 + 20, {"anon-1", "me"}));
  // A later landing through someone else's link.
  auto second = s.observe("https://h/?tp_ref=Z&tp_share=s9&tp_depth=5&tp_ch=poster", kT0 + 30);
  REQUIRE(second);
  CHECK(s.origin()->referrer_id == "A");
  CHECK(s.current()->referrer_id == "Z");
  CHECK(s.share_depth() == 6);
  CHECK(s.landed_properties(*second)["first_landing"] == false);
  const json ctx = s.context();
  CHECK(ctx["referral"]["referrer_id"] == "Z");
  CHECK(ctx["referral"]["depth"] == 5);
  CHECK(ctx["referral"]["channel"] == "poster");
  CHECK(ctx["referral"]["origin"]["referrer_id"] == "A");
  // Coming back through A's link again is a new landing (current changes), origin stays.
  auto again = s.observe("https://h/?tp_ref=A&tp_share=s1&tp_depth=1", kT0 + 40);
  REQUIRE(again);
  CHECK(s.landed_properties(*again)["first_landing"] == false);
  CHECK(s.context()["referral"]["origin"]["referrer_id"] == "A");
  // No landing on the page: nothing changes.
  CHECK_FALSE(s.observe("https://h/?x=1", kT0 + 50));
}

TEST_CASE("referral: depth saturates at the limit") {
  ReferralState s;
  REQUIRE(s.observe("https://h/?tp_ref=A&tp_depth=1000", kT0));
  CHECK(s.share_depth() == kMaxShareDepth);
  CHECK(s.share_url("https://h/", "B", "", "") == "https://h/?tp_ref=B&tp_depth=1000");
}

TEST_CASE("referral: state round trip") {
  ReferralState s;
  s.observe("https://h/?tp_ref=A&tp_share=s1&tp_depth=1&tp_ch=c", kT0);
  s.observe("https://h/?tp_ref=Z&tp_depth=4", kT0 + 5);
  const json state = s.to_json();
  ReferralState r;
  std::string error;
  REQUIRE(r.restore(json::parse(state.dump(), nullptr, false), &error));
  CHECK(r.to_json() == state);
  CHECK(r.context() == s.context());
  CHECK(r.share_depth() == 5);
  CHECK_FALSE(r.observe("https://h/?tp_ref=Z&tp_depth=4", kT0 + 9));  // still knows the current landing

  ReferralState empty;
  REQUIRE(r.restore(empty.to_json(), &error));
  CHECK_FALSE(r.current());
  CHECK(r.share_depth() == 1);
}

TEST_CASE("referral: corrupt state gives an error and no landing") {
  ReferralState good;
  good.observe("https://h/?tp_ref=A&tp_share=s1&tp_depth=2", kT0);
  const json state = good.to_json();
  auto with = [&](const char* ptr, json v) {
    json j = state;
    j[json::json_pointer(ptr)] = std::move(v);
    return j;
  };
  const json bad[] = {
      json(),
      json("x"),
      json::array(),
      with("/v", "1"),
      with("/origin", 3),
      with("/origin/referrer_id", ""),
      with("/origin/referrer_id", std::string(300, 'x')),
      with("/current/depth", 0),
      with("/current/depth", 1001),
      with("/current/depth", "2"),
      with("/current/share_id", 9),
      with("/current/channel", ""),
      with("/current/timestamp_ms", 1.5),
      [&] { json j = state; j.erase("origin"); return j; }(),
      [&] { json j = state; j["current"].erase("depth"); return j; }(),
  };
  for (const auto& b : bad) {
    CAPTURE(b.dump());
    ReferralState r;
    r.observe("https://h/?tp_ref=Q", kT0);
    std::string error;
    CHECK_FALSE(r.restore(b, &error));
    CHECK_FALSE(error.empty());
    CHECK_FALSE(r.origin());
    CHECK_FALSE(r.current());
    CHECK(r.share_depth() == 1);
  }
}
