#include <doctest/doctest.h>

#include "touchpoint/identity.hpp"
#include "touchpoint/limits.hpp"

using namespace touchpoint;
using nlohmann::json;

namespace {

constexpr const char* kSeedA = "0123456789abcdef0123456789abcdef";  // what the shell passes: random hex
constexpr const char* kSeedB = "fedcba9876543210fedcba9876543210";
constexpr const char* kOpenId = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
constexpr const char* kUnionId = "o6_bmasdasdsad6_2sgVt7hMZOPfL";
constexpr const char* kAppId = "wx0123456789abcdef";

bool is_uuid_v4(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

Identity with_anon() {
  Identity id;
  REQUIRE(id.generate_anonymous_id(kSeedA, nullptr));
  return id;
}

}  // namespace

TEST_CASE("identity: anonymousId from random bytes is a deterministic v4 UUID") {
  auto a = uuid_from_random(kSeedA);
  REQUIRE(a);
  CHECK(is_uuid_v4(*a));
  CHECK(uuid_from_random(kSeedA) == a);
  CHECK(uuid_from_random(kSeedB) != a);
  CHECK_FALSE(uuid_from_random("too short"));
  CHECK(uuid_from_random(std::string(16, '\0')));  // raw bytes work too

  Identity id;
  CHECK(id.anonymous_id().empty());
  std::string error;
  CHECK_FALSE(id.generate_anonymous_id("short", &error));
  CHECK(error.find("16") != std::string::npos);
  CHECK(id.anonymous_id().empty());
  REQUIRE(id.generate_anonymous_id(kSeedA, &error));
  CHECK(id.anonymous_id() == *a);

  // Restored / received ids are validated.
  CHECK(id.set_anonymous_id("restored-id-1", &error));
  CHECK(id.anonymous_id() == "restored-id-1");
  CHECK_FALSE(id.set_anonymous_id("", &error));
  CHECK_FALSE(id.set_anonymous_id(std::string(256, 'x'), &error));
  CHECK_FALSE(id.set_anonymous_id("a\tb", &error));
  CHECK_FALSE(id.set_anonymous_id("a\xFF", &error));
  CHECK(error.find("UTF-8") != std::string::npos);
  CHECK(id.set_anonymous_id("\xE8\xAE\xBF\xE5\xAE\xA2-1", &error));  // UTF-8 is fine
  CHECK(id.set_anonymous_id("restored-id-1", &error));
  CHECK(id.anonymous_id() == "restored-id-1");
}

TEST_CASE("identity: identify merges traits shallowly, null deletes") {
  Identity id = with_anon();
  std::string error;
  bool changed = true;
  REQUIRE(id.identify("u1", json{{"name", "Li"}, {"plan", "free"}, {"address", {{"city", "SH"}, {"zip", "200000"}}}},
                      &error, &changed));
  CHECK_FALSE(changed);
  CHECK(id.user_id() == "u1");
  REQUIRE(id.identify("", json{{"plan", "pro"}, {"name", nullptr}, {"address", {{"city", "BJ"}}}}, &error));
  CHECK(id.user_id() == "u1");  // empty keeps the userId
  CHECK(id.traits() == json{{"plan", "pro"}, {"address", {{"city", "BJ"}}}});  // nested replaced whole
  REQUIRE(id.identify("u1", json(), &error));  // null traits: nothing to merge
  CHECK(id.traits().size() == 2);
  // Deleting a key that is not there is fine.
  REQUIRE(id.identify("u1", json{{"ghost", nullptr}}, &error));
  CHECK(id.traits().size() == 2);
}

TEST_CASE("identity: identify with a different user replaces the traits and reports the change") {
  Identity id = with_anon();
  const std::string anon = id.anonymous_id();
  REQUIRE(id.identify("u1", json{{"a", 1}}, nullptr));
  bool changed = false;
  REQUIRE(id.identify("u2", json{{"b", 2}, {"c", nullptr}}, nullptr, &changed));
  CHECK(changed);
  CHECK(id.user_id() == "u2");
  CHECK(id.traits() == json{{"b", 2}});
  CHECK(id.anonymous_id() == anon);
}

TEST_CASE("identity: identify refuses bad input and changes nothing") {
  Identity id = with_anon();
  REQUIRE(id.identify("u1", json{{"a", 1}}, nullptr));
  std::string error;
  CHECK_FALSE(id.identify("u\n2", json{{"b", 1}}, &error));
  CHECK_FALSE(id.identify(std::string(kMaxIdBytes + 1, 'u'), json::object(), &error));
  CHECK_FALSE(id.identify("u2", json::array({1}), &error));
  CHECK(error.find("object") != std::string::npos);
  CHECK_FALSE(id.identify("u2", json("str"), &error));
  json deep = 1;
  for (std::size_t i = 0; i < limits::kMaxNestingDepth + 2; ++i) deep = json{{"d", deep}};
  CHECK_FALSE(id.identify("u2", deep, &error));
  // Too many keys after the merge.
  json many = json::object();
  for (std::size_t i = 0; i < limits::kMaxObjectKeys; ++i) many["k" + std::to_string(i)] = i;
  CHECK_FALSE(id.identify("", many, &error));
  CHECK(error.find("limit") != std::string::npos);
  CHECK(id.user_id() == "u1");
  CHECK(id.traits() == json{{"a", 1}});
}

TEST_CASE("identity: alias") {
  Identity id = with_anon();
  const std::string anon = id.anonymous_id();
  std::string error;
  auto a = id.alias("member-9", "", &error);
  REQUIRE(a);
  CHECK(a->user_id == "member-9");
  CHECK(a->previous_id == anon);  // no userId yet: the anonymousId
  CHECK(id.user_id() == "member-9");

  REQUIRE(id.identify("", json{{"t", 1}}, nullptr));
  auto b = id.alias("phone-138", "", &error);
  REQUIRE(b);
  CHECK(b->previous_id == "member-9");  // the userId
  CHECK(id.traits() == json{{"t", 1}});  // traits stay

  auto c = id.alias("x", "legacy-1", &error);
  REQUIRE(c);
  CHECK(c->previous_id == "legacy-1");

  CHECK_FALSE(id.alias("", "p", &error));
  CHECK_FALSE(id.alias("x", "", &error));  // to itself (x is the userId now)
  CHECK(error.find("itself") != std::string::npos);
  CHECK_FALSE(id.alias("y", std::string(300, 'p'), &error));
  CHECK(id.user_id() == "x");
  Identity empty;
  CHECK_FALSE(empty.alias("x", "", &error));
}

TEST_CASE("identity: reset for logout") {
  Identity id = with_anon();
  const std::string anon = id.anonymous_id();
  REQUIRE(id.identify("u1", json{{"a", 1}}, nullptr));
  REQUIRE(id.set_external_id("openid", kOpenId, nullptr));
  REQUIRE(id.register_properties(json{{"app", "h5"}}, nullptr));

  std::string error;
  CHECK_FALSE(id.reset("short", &error));  // refused: nothing changes
  CHECK(id.user_id() == "u1");

  REQUIRE(id.reset(kSeedB, &error));
  CHECK(id.anonymous_id() != anon);
  CHECK(is_uuid_v4(id.anonymous_id()));
  CHECK(id.user_id().empty());
  CHECK(id.traits() == json::object());
  CHECK(id.external_ids() == json::array());
  CHECK(id.super_properties() == json::object());
  CHECK(id.context() == json::object());
}

TEST_CASE("identity: WeChat external ids") {
  Identity id = with_anon();
  std::string error;
  CHECK(id.external_ids() == json::array());
  REQUIRE(id.set_external_id("unionid", kUnionId, &error));
  REQUIRE(id.set_external_id("openid", kOpenId, &error));
  REQUIRE(id.set_external_id("appid", kAppId, &error));
  CHECK(id.external_id("openid") == kOpenId);
  CHECK(id.context() ==
        json{{"externalIds",
              {{{"id", kOpenId}, {"type", "wechat_openid"}, {"collection", "users"}, {"encoding", "none"}},
               {{"id", kUnionId}, {"type", "wechat_unionid"}, {"collection", "users"}, {"encoding", "none"}},
               {{"id", kAppId}, {"type", "wechat_appid"}, {"collection", "users"}, {"encoding", "none"}}}}});

  struct Bad {
    const char* kind;
    std::string value;
  };
  const Bad bad[] = {
      {"openid", "short"},
      {"openid", std::string(65, 'o')},
      {"openid", "oUpF8uMuAJO M2pxb1Q9zNjWeS6o"},
      {"unionid", "o6_bmasdasdsad6_2sgVt7hMZOP\xE4\xB8\xAD"},
      {"appid", "wx0123"},
      {"appid", "ab0123456789abcdef"},
      {"appid", "wx0123456789abcde!"},
      {"idfa", "whatever-value-0000"},
      {"", kOpenId},
  };
  for (const auto& b : bad) {
    CAPTURE(b.kind);
    CAPTURE(b.value);
    error.clear();
    CHECK_FALSE(id.set_external_id(b.kind, b.value, &error));
    CHECK_FALSE(error.empty());
  }
  CHECK(id.external_id("openid") == kOpenId);  // unchanged by refusals
  CHECK(id.external_id("idfa").empty());
  // An empty value removes the id.
  REQUIRE(id.set_external_id("appid", "", &error));
  CHECK(id.external_ids().size() == 2);
}

TEST_CASE("identity: ids handed over on a mini-program web-view URL") {
  Identity id = with_anon();
  const std::string anon = id.anonymous_id();
  const std::string page = std::string("https://h5.example.com/p?x=1&tp_anon=mp-anon-42&tp_uid=u%2077&tp_openid=") +
                           kOpenId + "&tp_unionid=" + kUnionId + "&tp_appid=" + kAppId;
  auto r = id.from_webview_url(page);
  CHECK(r.errors == json::array());
  CHECK(r.adopted == std::vector<std::string>{"tp_anon", "tp_uid", "tp_openid", "tp_unionid", "tp_appid"});
  CHECK(r.previous_anonymous_id == anon);
  CHECK_FALSE(r.user_changed);
  CHECK(id.anonymous_id() == "mp-anon-42");
  CHECK(id.user_id() == "u 77");
  CHECK(id.external_id("openid") == kOpenId);
  CHECK(id.external_id("unionid") == kUnionId);
  CHECK(id.external_id("appid") == kAppId);
  // The shell strips them from the address bar afterwards.
  CHECK(strip_webview_params(page) == "https://h5.example.com/p?x=1");

  // The same URL again changes nothing.
  auto again = id.from_webview_url(page);
  CHECK(again.previous_anonymous_id.empty());
  CHECK_FALSE(again.user_changed);

  // Hash route, a different user, and refused values reported one by one.
  auto h = id.from_webview_url("https://h5.example.com/#/shop?tp_uid=u88&tp_openid=bad%20id&tp_anon=a%0Ab&tp_appid=");
  CHECK(h.user_changed);
  CHECK(h.adopted == std::vector<std::string>{"tp_uid"});
  REQUIRE(h.errors.size() == 2);
  CHECK(h.errors[0]["param"] == "tp_anon");
  CHECK(h.errors[1]["param"] == "tp_openid");
  CHECK(id.anonymous_id() == "mp-anon-42");
  CHECK(id.external_id("openid") == kOpenId);
  CHECK(id.external_id("appid") == kAppId);  // an empty parameter is ignored, not a removal
  CHECK(id.user_id() == "u88");

  // A URL without any of them.
  auto none = id.from_webview_url("https://h5.example.com/?utm_source=x");
  CHECK(none.adopted.empty());
  CHECK(none.errors.empty());
}

TEST_CASE("identity: super properties") {
  Identity id = with_anon();
  std::string error;
  REQUIRE(id.register_properties(json{{"app", "h5"}, {"store", "S1"}}, &error));
  REQUIRE(id.register_once(json{{"store", "S2"}, {"first_seen", "2024-11-22"}, {"nothing", nullptr}}, &error));
  CHECK(id.super_properties() == json{{"app", "h5"}, {"store", "S1"}, {"first_seen", "2024-11-22"}});
  REQUIRE(id.register_properties(json{{"store", "S3"}, {"app", nullptr}}, &error));
  CHECK(id.super_properties() == json{{"store", "S3"}, {"first_seen", "2024-11-22"}});
  id.unregister("first_seen");
  id.unregister("not-there");
  CHECK(id.super_properties() == json{{"store", "S3"}});

  // Merged under the event's own properties: the event wins.
  CHECK(id.with_super_properties(json{{"store", "mine"}, {"sku", 9}}) == json{{"store", "mine"}, {"sku", 9}});
  CHECK(id.with_super_properties(json{{"sku", 9}}) == json{{"store", "S3"}, {"sku", 9}});
  CHECK(id.with_super_properties(json()) == json{{"store", "S3"}});

  CHECK_FALSE(id.register_properties(json::array(), &error));
  CHECK_FALSE(id.register_once(json(5), &error));
  CHECK(id.super_properties() == json{{"store", "S3"}});
}

TEST_CASE("identity: state round trip") {
  Identity id = with_anon();
  REQUIRE(id.identify("u1", json{{"name", "\xE6\x9D\x8E"}, {"vip", true}}, nullptr));
  REQUIRE(id.set_external_id("openid", kOpenId, nullptr));
  REQUIRE(id.set_external_id("appid", kAppId, nullptr));
  REQUIRE(id.register_properties(json{{"app", "h5"}}, nullptr));
  const json state = id.to_json();
  CHECK(state["v"] == 1);

  Identity r;
  std::string error;
  REQUIRE(r.restore(json::parse(state.dump(), nullptr, false), &error));
  CHECK(r.to_json() == state);
  CHECK(r.anonymous_id() == id.anonymous_id());
  CHECK(r.user_id() == "u1");
  CHECK(r.traits() == id.traits());
  CHECK(r.context() == id.context());
  CHECK(r.super_properties() == id.super_properties());

  // A fresh identity round-trips too (no ids yet).
  Identity fresh;
  REQUIRE(r.restore(fresh.to_json(), &error));
  CHECK(r.anonymous_id().empty());
  // Unknown external id kinds from a newer version are ignored.
  json newer = state;
  newer["external_ids"]["phone_hash"] = "abc";
  REQUIRE(r.restore(newer, &error));
  CHECK(r.external_ids().size() == 2);
}

TEST_CASE("identity: corrupt state gives an error and an empty identity") {
  Identity good = with_anon();
  REQUIRE(good.identify("u1", json{{"a", 1}}, nullptr));
  REQUIRE(good.set_external_id("openid", kOpenId, nullptr));
  const json state = good.to_json();
  auto with = [&](const char* ptr, json v) {
    json j = state;
    j[json::json_pointer(ptr)] = std::move(v);
    return j;
  };
  json deep = 1;
  for (std::size_t i = 0; i < limits::kMaxNestingDepth + 2; ++i) deep = json{{"d", deep}};
  const json bad[] = {
      json(),
      json(1.5),
      json::array(),
      json::parse("[1,", nullptr, false),
      with("/v", 0),
      with("/anonymous_id", 7),
      with("/anonymous_id", std::string(300, 'a')),
      with("/user_id", "a\x01"),
      with("/traits", "x"),
      with("/traits", deep),
      with("/super_properties", json::array()),
      with("/external_ids", "x"),
      with("/external_ids/openid", "not valid!"),
      with("/external_ids/appid", 5),
  };
  for (const auto& b : bad) {
    CAPTURE(b.dump());
    Identity id = with_anon();
    REQUIRE(id.identify("someone", json{{"k", 1}}, nullptr));
    std::string error;
    CHECK_FALSE(id.restore(b, &error));
    CHECK_FALSE(error.empty());
    CHECK(id.anonymous_id().empty());
    CHECK(id.user_id().empty());
    CHECK(id.traits() == json::object());
    CHECK(id.external_ids() == json::array());
  }
}
