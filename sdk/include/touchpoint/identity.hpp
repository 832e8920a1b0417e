// Who the visitor is: anonymousId, userId, traits, WeChat ids (openid / unionid / appid) and super
// properties, with Segment's identify/alias/reset semantics. Pure: randomness comes in as bytes.
// Rules and the web-view URL parameters: docs/identity.md.
#pragma once
#include <nlohmann/json.hpp>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace touchpoint {

// anonymousId / userId: 1..255 bytes of UTF-8 without control characters (Mixpanel's distinct_id
// and the VARCHAR(255) key columns of most warehouses).
constexpr std::size_t kMaxIdBytes = 255;
// Random material for a new anonymousId: a v4 UUID carries 122 random bits, so at least 16 bytes.
constexpr std::size_t kMinRandomBytes = 16;
// WeChat openid / unionid: 28 chars of [A-Za-z0-9_-] today; accept 16..64 so a format change does
// not lose ids, while anything else (spaces, JSON, a URL) is refused.
constexpr std::size_t kMinWeChatIdBytes = 16;
constexpr std::size_t kMaxWeChatIdBytes = 64;

// URL parameters through which a mini-program web-view hands ids to an H5 page (docs/identity.md).
constexpr std::string_view kWebviewAnonymousIdParam = "tp_anon";
constexpr std::string_view kWebviewUserIdParam = "tp_uid";
constexpr std::string_view kWebviewOpenIdParam = "tp_openid";
constexpr std::string_view kWebviewUnionIdParam = "tp_unionid";
constexpr std::string_view kWebviewAppIdParam = "tp_appid";
// The mini-program's session id: the H5 page continues that session (one session chain).
constexpr std::string_view kWebviewSessionParam = "tp_sid";
constexpr std::array<std::string_view, 6> kWebviewParams = {kWebviewAnonymousIdParam, kWebviewUserIdParam,
                                                            kWebviewOpenIdParam, kWebviewUnionIdParam,
                                                            kWebviewAppIdParam, kWebviewSessionParam};

// An id (anonymousId, userId, a kiosk's deviceId/storeId): 1..kMaxIdBytes bytes of valid UTF-8
// without control characters. False and *error ("<what> is 300 bytes; the limit is 255") otherwise.
bool valid_id(std::string_view id, const char* what, std::string* error);

// `url` without the web-view identity parameters, for history.replaceState() after adoption: they
// must not stay in the address bar where a share would copy them to someone else.
std::string strip_webview_params(std::string_view url);

// A v4 UUID derived deterministically from `random_bytes` (at least kMinRandomBytes of any kind,
// e.g. crypto.getRandomValues output or its hex), nullopt when there are too few.
std::optional<std::string> uuid_from_random(std::string_view random_bytes);

struct AliasResult {
  std::string user_id;      // the new id, now userId
  std::string previous_id;  // what it replaces (given, or the old userId, or the anonymousId)
};

struct WebviewAdoption {
  std::vector<std::string> adopted;          // parameter names taken, e.g. {"tp_anon","tp_openid"}
  nlohmann::json errors = nlohmann::json::array();  // [{"param","message"}] for refused values
  std::string previous_anonymous_id;         // set when tp_anon replaced a different anonymousId
  bool user_changed = false;                 // tp_uid replaced a different userId
  std::string session_id;                    // tp_sid as given: the session tracker judges and adopts it
};

class Identity {
 public:
  const std::string& anonymous_id() const { return anonymous_id_; }
  const std::string& user_id() const { return user_id_; }
  const nlohmann::json& traits() const { return traits_; }
  const nlohmann::json& super_properties() const { return super_; }

  // Takes an anonymousId the shell restored or received (1..kMaxIdBytes, no control characters).
  bool set_anonymous_id(std::string_view id, std::string* error);
  // A fresh anonymousId: uuid_from_random(random_bytes).
  bool generate_anonymous_id(std::string_view random_bytes, std::string* error);

  // identify(userId, traits), after analytics.js: an empty user_id keeps the current userId. Traits
  // (an object, or null for none) are merged shallowly into the stored ones: a key replaces the old
  // value whole (nested objects are not merged), a null value deletes the key. When user_id differs
  // from a non-empty current userId the stored traits are replaced instead of merged (they belong to
  // someone else) and *user_changed is set; the anonymousId stays (call reset() on logout).
  // Refused (false, nothing changed): an invalid user_id, traits that are not an object or fail
  // validate_payload(), or a merge ending with more than limits::kMaxObjectKeys traits.
  bool identify(std::string_view user_id, const nlohmann::json& traits, std::string* error,
                bool* user_changed = nullptr);

  // alias(new_id, previous_id): new_id becomes the userId; previous_id defaults to the current
  // userId, else the anonymousId. Traits stay. nullopt (*error) for an invalid new_id or when
  // new_id equals previous_id.
  std::optional<AliasResult> alias(std::string_view new_id, std::string_view previous_id, std::string* error);

  // Logout: a new anonymousId from `random_bytes`; userId, traits, external ids and super properties
  // cleared (as Segment's reset() and Mixpanel's reset()). False and nothing changed with too few bytes.
  bool reset(std::string_view random_bytes, std::string* error);

  // WeChat ids: kind "openid" | "unionid" | "appid". appid is "wx" + 16 letters/digits; openid and
  // unionid are kMinWeChatIdBytes..kMaxWeChatIdBytes of [A-Za-z0-9_-]. An empty value removes the id.
  bool set_external_id(std::string_view kind, std::string_view value, std::string* error);
  std::string external_id(std::string_view kind) const;  // "" when not set
  // Segment's context.externalIds: [{"id","type":"wechat_openid"|"wechat_unionid"|"wechat_appid",
  // "collection":"users","encoding":"none"}], in that order; [] when none.
  nlohmann::json external_ids() const;
  // {"externalIds":[…]} or {} (what the engine merges into every event's context).
  nlohmann::json context() const;

  // Picks up tp_anon (adopted as anonymousId), tp_uid (identify without traits), tp_openid,
  // tp_unionid, tp_appid from the query or hash route of `url`. Invalid values are refused one by
  // one and reported; the others are still taken.
  WebviewAdoption from_webview_url(std::string_view url);

  // Super properties, sent with every event under its own properties (the event's keys win).
  // register_properties: set each key (null deletes). register_once: set keys not present yet
  // (null values ignored). Refused as identify() is, for the same reasons.
  bool register_properties(const nlohmann::json& props, std::string* error);
  bool register_once(const nlohmann::json& props, std::string* error);
  void unregister(std::string_view key);
  // The super properties overlaid with `event_properties` (an object, or null for none).
  nlohmann::json with_super_properties(const nlohmann::json& event_properties) const;

  // Everything forgotten, anonymousId included (consent denied).
  void clear();
  // {"v":1,"anonymous_id","user_id"?,"traits":{},"external_ids":{"openid":…},"super_properties":{}}
  nlohmann::json to_json() const;
  // All or nothing: false, *error and a cleared identity (no anonymousId) on corrupt state.
  bool restore(const nlohmann::json& state, std::string* error);

 private:
  std::string anonymous_id_;
  std::string user_id_;
  nlohmann::json traits_ = nlohmann::json::object();
  nlohmann::json super_ = nlohmann::json::object();
  std::string openid_, unionid_, appid_;
};

}  // namespace touchpoint
