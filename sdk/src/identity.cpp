#include "touchpoint/identity.hpp"

#include "touchpoint/json_access.hpp"

#include "touchpoint/event_validator.hpp"
#include "touchpoint/limits.hpp"
#include "touchpoint/random.hpp"
#include "touchpoint/url.hpp"

namespace touchpoint {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}


// The WeChat id kinds, in the order context.externalIds lists them.
struct ExternalKind {
  const char* kind;
  const char* type;  // Segment externalIds "type"
};
const ExternalKind kExternalKinds[] = {
    {"openid", "wechat_openid"},
    {"unionid", "wechat_unionid"},
    {"appid", "wechat_appid"},
};

bool valid_wechat_id(std::string_view kind, std::string_view v, std::string* error) {
  auto is_alnum = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (kind == "appid") {
    bool ok = v.size() == 18 && v[0] == 'w' && v[1] == 'x';
    for (std::size_t i = 2; ok && i < v.size(); ++i) ok = is_alnum(v[i]);
    return ok || fail(error, "appid must be \"wx\" followed by 16 letters or digits");
  }
  bool ok = v.size() >= kMinWeChatIdBytes && v.size() <= kMaxWeChatIdBytes;
  for (std::size_t i = 0; ok && i < v.size(); ++i) ok = is_alnum(v[i]) || v[i] == '_' || v[i] == '-';
  return ok || fail(error, std::string(kind) + " must be " + std::to_string(kMinWeChatIdBytes) + ".." +
                               std::to_string(kMaxWeChatIdBytes) + " chars of A-Z a-z 0-9 _ -");
}

// Merges `patch` (an object or null) into a copy of `base` and stores it in `target` when valid.
// `once`: only keys not in base, nulls ignored; otherwise null deletes.
bool merge_into(json& target, json base, const json& patch, const char* field, bool once, std::string* error) {
  if (auto e = validate_payload(patch, field)) return fail(error, e->message);
  if (patch.is_object()) {
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      if (once) {
        if (!it.value().is_null() && !base.contains(it.key())) base[it.key()] = it.value();
      } else if (it.value().is_null()) {
        base.erase(it.key());
      } else {
        base[it.key()] = it.value();
      }
    }
  }
  if (base.size() > limits::kMaxObjectKeys)
    return fail(error, std::string(field) + " would hold " + std::to_string(base.size()) + " keys; the limit is " +
                           std::to_string(limits::kMaxObjectKeys));
  target = std::move(base);
  return true;
}

}  // namespace

bool valid_id(std::string_view id, const char* what, std::string* error) {
  if (id.empty()) return fail(error, std::string(what) + " must not be empty");
  if (id.size() > kMaxIdBytes)
    return fail(error, std::string(what) + " is " + std::to_string(id.size()) + " bytes; the limit is " +
                           std::to_string(kMaxIdBytes));
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return fail(error, std::string(what) + " contains a control character");
  }
  std::string copy(id);
  if (repair_utf8(copy)) return fail(error, std::string(what) + " is not valid UTF-8");  // dump() would abort
  return true;
}

std::string strip_webview_params(std::string_view page_url) {
  return url::remove_params(page_url, std::vector<std::string_view>(kWebviewParams.begin(), kWebviewParams.end()));
}

std::optional<std::string> uuid_from_random(std::string_view random_bytes) {
  if (random_bytes.size() < kMinRandomBytes) return std::nullopt;
  Random rng;
  rng.reseed(random_bytes);
  return rng.uuid_v4();
}

bool Identity::set_anonymous_id(std::string_view id, std::string* error) {
  if (!valid_id(id, "anonymousId", error)) return false;
  anonymous_id_.assign(id);
  return true;
}

bool Identity::generate_anonymous_id(std::string_view random_bytes, std::string* error) {
  auto id = uuid_from_random(random_bytes);
  if (!id)
    return fail(error, "a new anonymousId needs at least " + std::to_string(kMinRandomBytes) + " random bytes, got " +
                           std::to_string(random_bytes.size()));
  anonymous_id_ = std::move(*id);
  return true;
}

bool Identity::identify(std::string_view user_id, const json& traits, std::string* error, bool* user_changed) {
  if (user_changed) *user_changed = false;
  if (!user_id.empty() && !valid_id(user_id, "userId", error)) return false;
  const bool changed = !user_id.empty() && !user_id_.empty() && user_id != user_id_;
  if (!merge_into(traits_, changed ? json::object() : traits_, traits, "/traits", false, error)) return false;
  if (!user_id.empty()) user_id_.assign(user_id);
  if (user_changed) *user_changed = changed;
  return true;
}

std::optional<AliasResult> Identity::alias(std::string_view new_id, std::string_view previous_id, std::string* error) {
  if (!valid_id(new_id, "alias userId", error)) return std::nullopt;
  AliasResult r{std::string(new_id), std::string(previous_id)};
  if (r.previous_id.empty()) r.previous_id = user_id_.empty() ? anonymous_id_ : user_id_;
  if (r.previous_id.empty()) {
    fail(error, "alias needs a previousId: there is no userId or anonymousId yet");
    return std::nullopt;
  }
  if (!valid_id(r.previous_id, "alias previousId", error)) return std::nullopt;
  if (r.previous_id == r.user_id) {
    fail(error, "alias of \"" + r.user_id + "\" to itself");
    return std::nullopt;
  }
  user_id_ = r.user_id;
  return r;
}

bool Identity::reset(std::string_view random_bytes, std::string* error) {
  auto id = uuid_from_random(random_bytes);
  if (!id)
    return fail(error, "reset needs at least " + std::to_string(kMinRandomBytes) + " random bytes, got " +
                           std::to_string(random_bytes.size()));
  clear();
  anonymous_id_ = std::move(*id);
  return true;
}

bool Identity::set_external_id(std::string_view kind, std::string_view value, std::string* error) {
  std::string* field = kind == "openid" ? &openid_ : kind == "unionid" ? &unionid_ : kind == "appid" ? &appid_ : nullptr;
  if (!field) {
    return fail(error, "unknown external id kind " +
                           json(std::string(kind.substr(0, 64))).dump(-1, ' ', false, json::error_handler_t::replace) +
                           "; expected \"openid\", \"unionid\" or \"appid\"");
  }
  if (!value.empty() && !valid_wechat_id(kind, value, error)) return false;
  field->assign(value);
  return true;
}

std::string Identity::external_id(std::string_view kind) const {
  if (kind == "openid") return openid_;
  if (kind == "unionid") return unionid_;
  if (kind == "appid") return appid_;
  return {};
}

json Identity::external_ids() const {
  json out = json::array();
  for (const auto& k : kExternalKinds) {
    const std::string v = external_id(k.kind);
    if (!v.empty()) out.push_back({{"id", v}, {"type", k.type}, {"collection", "users"}, {"encoding", "none"}});
  }
  return out;
}

json Identity::context() const {
  json ids = external_ids();
  if (ids.empty()) return json::object();
  return {{"externalIds", std::move(ids)}};
}

WebviewAdoption Identity::from_webview_url(std::string_view page_url) {
  WebviewAdoption out;
  const url::Params params = url::params(page_url);
  auto refuse = [&](std::string_view param, const std::string& why) {
    out.errors.push_back({{"param", std::string(param)}, {"message", why}});
  };
  std::string why;
  if (const std::string* anon = url::find(params, kWebviewAnonymousIdParam); anon && !anon->empty()) {
    if (!valid_id(*anon, "anonymousId", &why)) {
      refuse(kWebviewAnonymousIdParam, why);
    } else {
      if (*anon != anonymous_id_) out.previous_anonymous_id = anonymous_id_;
      anonymous_id_ = *anon;
      out.adopted.emplace_back(kWebviewAnonymousIdParam);
    }
  }
  if (const std::string* uid = url::find(params, kWebviewUserIdParam); uid && !uid->empty()) {
    if (!identify(*uid, json(), &why, &out.user_changed)) refuse(kWebviewUserIdParam, why);
    else out.adopted.emplace_back(kWebviewUserIdParam);
  }
  const std::pair<std::string_view, const char*> wechat[] = {
      {kWebviewOpenIdParam, "openid"}, {kWebviewUnionIdParam, "unionid"}, {kWebviewAppIdParam, "appid"}};
  for (const auto& [param, kind] : wechat) {
    const std::string* v = url::find(params, param);
    if (!v || v->empty()) continue;
    if (!set_external_id(kind, *v, &why)) refuse(param, why);
    else out.adopted.emplace_back(param);
  }
  if (const std::string* sid = url::find(params, kWebviewSessionParam); sid && !sid->empty()) {
    out.session_id = *sid;
    out.adopted.emplace_back(kWebviewSessionParam);  // stripped from the URL whether or not it is valid
  }
  return out;
}

bool Identity::register_properties(const json& props, std::string* error) {
  return merge_into(super_, super_, props, "/super_properties", false, error);
}

bool Identity::register_once(const json& props, std::string* error) {
  return merge_into(super_, super_, props, "/super_properties", true, error);
}

void Identity::unregister(std::string_view key) { super_.erase(std::string(key)); }

json Identity::with_super_properties(const json& event_properties) const {
  json out = super_;
  if (event_properties.is_object())
    for (auto it = event_properties.begin(); it != event_properties.end(); ++it) out[it.key()] = it.value();
  return out;
}

void Identity::clear() {
  anonymous_id_.clear();
  user_id_.clear();
  traits_ = json::object();
  super_ = json::object();
  openid_.clear();
  unionid_.clear();
  appid_.clear();
}

json Identity::to_json() const {
  json j = {{"v", kStateVersion}, {"anonymous_id", anonymous_id_}, {"traits", traits_}, {"super_properties", super_}};
  if (!user_id_.empty()) j["user_id"] = user_id_;
  json ext = json::object();
  for (const auto& k : kExternalKinds) {
    const std::string v = external_id(k.kind);
    if (!v.empty()) ext[k.kind] = v;
  }
  j["external_ids"] = std::move(ext);
  return j;
}

bool Identity::restore(const json& state, std::string* error) {
  clear();
  Identity fresh;
  std::string why;
  auto bad = [&](const std::string& what) {
    clear();
    return fail(error, "identity state: " + what);
  };
  if (std::string envelope; !json_access::check_state_version(state, kStateVersion, &envelope)) return bad(envelope);
  for (const char* name : {"anonymous_id", "user_id"}) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    if (!it->is_string()) return bad(std::string("\"") + name + "\" must be a string");
    const auto& s = it->get_ref<const std::string&>();
    if (s.empty()) continue;
    if (!valid_id(s, name, &why)) return bad(why);
    (name[0] == 'a' ? fresh.anonymous_id_ : fresh.user_id_) = s;
  }
  for (const char* name : {"traits", "super_properties"}) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    if (auto e = validate_payload(*it, std::string("/") + name)) return bad(e->message);
    if (it->is_object()) (name[0] == 't' ? fresh.traits_ : fresh.super_) = *it;
  }
  if (auto ext = state.find("external_ids"); ext != state.end()) {
    if (!ext->is_object()) return bad("\"external_ids\" must be an object");
    for (const auto& k : kExternalKinds) {
      auto it = ext->find(k.kind);
      if (it == ext->end()) continue;
      if (!it->is_string()) return bad(std::string("external id \"") + k.kind + "\" must be a string");
      if (!fresh.set_external_id(k.kind, it->get_ref<const std::string&>(), &why)) return bad(why);
    }
  }
  *this = std::move(fresh);
  return true;
}

}  // namespace touchpoint
