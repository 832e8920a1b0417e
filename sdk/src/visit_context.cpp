#include "touchpoint/visit_context.hpp"

#include "touchpoint/json_access.hpp"

#include <algorithm>

namespace touchpoint {

using nlohmann::json;
namespace ja = json_access;


VisitContext::VisitContext(std::int64_t session_timeout_ms, bool split_sessions_at_midnight, std::int32_t utc_offset_minutes)
    : session_(session_timeout_ms, split_sessions_at_midnight),
      default_utc_offset_(std::clamp(utc_offset_minutes, -kMaxUtcOffsetMinutes, kMaxUtcOffsetMinutes)),
      utc_offset_(default_utc_offset_) {}

PageObservation VisitContext::update(const json& patch, std::int64_t t) {
  PageObservation obs;
  if (!patch.is_object()) return obs;
  // utcOffsetMinutes (minutes east of UTC) is the offset sessions split with at local midnight; a
  // bad value is reported and left out, so events never carry an offset the sessions do not use.
  bool bad_offset = false;
  if (const json* off = ja::find(patch, "utcOffsetMinutes"); off && !off->is_null()) {
    if (auto m = utc_offset_from_json(off)) {
      utc_offset_ = *m;
    } else {
      bad_offset = true;
      obs.utc_offset_error = std::string("utcOffsetMinutes must be ") + kUtcOffsetRangeText + "; the previous offset stays";
    }
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.key() == "library") continue;  // ours
    if (bad_offset && it.key() == "utcOffsetMinutes") continue;
    if (!it.value().is_null()) {
      base_[it.key()] = it.value();
    } else {
      base_.erase(it.key());
      if (it.key() == "utcOffsetMinutes") utc_offset_ = default_utc_offset_;
    }
  }
  dirty_ = true;
  const json* page = ja::find(base_, "page");
  const std::string url = page ? ja::get_string(*page, "url") : std::string();
  if (url.empty() || url == last_url_) return obs;
  last_url_ = url;
  const std::string referrer = ja::get_string(*page, "referrer");
  WebviewAdoption adoption = identity_.from_webview_url(url);
  obs.adoption_errors = std::move(adoption.errors);
  if (!adoption.adopted.empty()) {
    obs.replace_url = strip_webview_params(url);
    // Ids must not linger in the URL the events carry either (pages get shared).
    // json-ok: `page` above is an object of base_ holding a string url
    base_["page"]["url"] = obs.replace_url;
    last_url_ = obs.replace_url;
  }
  obs.touch = attribution_.observe(url, referrer, t);
  // After attribution: the adopted session carries this page's campaign, so it does not restart.
  if (!adoption.session_id.empty()) {
    std::string why;
    if (session_.adopt(adoption.session_id, SessionActivity{t, attribution_.campaign_key(), false, utc_offset_},
                       &obs.session_ended, &why))
      dirty_ = true;
    else
      obs.adoption_errors.push_back({{"param", std::string(kWebviewSessionParam)}, {"message", why}});
  }
  std::vector<std::string> own = {identity_.anonymous_id()};
  if (!identity_.user_id().empty()) own.push_back(identity_.user_id());
  obs.landing = referral_.observe(url, t, own);
  return obs;
}

std::optional<SessionEnd> VisitContext::session_ended_by(std::int64_t t, bool is_page) const {
  return session_.ended_by(SessionActivity{t, attribution_.campaign_key(), is_page, utc_offset_});
}

SessionTouch VisitContext::touch_session(std::int64_t t, Random& rng, bool is_page) {
  SessionTouch s = session_.touch(SessionActivity{t, attribution_.campaign_key(), is_page, utc_offset_}, rng.next());
  if (!visit_started_at_) visit_started_at_ = t;
  if (s.is_new) dirty_ = true;
  return s;
}

const std::string& VisitContext::serialized(const std::string& library_name, const std::string& library_version) {
  if (!dirty_) return cache_;
  json c = base_;
  c["library"] = {{"name", library_name}, {"version", library_version}};
  if (!session_.session_id().empty())
    c["session"] = {{"id", session_.session_id()}, {"number", session_.session_number()}};
  for (const json& part : {attribution_.context(), referral_.context(), identity_.context()})
    for (auto it = part.begin(); it != part.end(); ++it) c[it.key()] = it.value();
  if (!kiosk_.is_null()) c["kiosk"] = kiosk_;
  cache_ = c.dump(-1, ' ', false, json::error_handler_t::replace);
  dirty_ = false;
  return cache_;
}

json VisitContext::summary() const {
  json s = attribution_.context();
  // Bind the temporary: items() of a temporary dangles once the range-init expression ends.
  const json referral = referral_.context();
  for (auto it = referral.begin(); it != referral.end(); ++it) s[it.key()] = it.value();
  s["session"] = session_.session_id().empty() ? json(nullptr)
                                               : json{{"id", session_.session_id()}, {"number", session_.session_number()}};
  s["anonymousId"] = identity_.anonymous_id();
  s["userId"] = identity_.user_id().empty() ? json(nullptr) : json(identity_.user_id());
  s["externalIds"] = identity_.external_ids();
  s["superProperties"] = identity_.super_properties();
  return s;
}

void VisitContext::clear_identity_and_visit() {
  identity_.clear();
  session_.clear();
  attribution_.clear();
  referral_.clear();
  visit_started_at_.reset();
  dirty_ = true;
}

json VisitContext::to_json() const {
  json j = {{"identity", identity_.to_json()}, {"session", session_.to_json()}, {"attribution", attribution_.to_json()},
          {"referral", referral_.to_json()}, {"context", base_}, {"last_url", last_url_}};
  if (visit_started_at_) j["visit_started_at"] = *visit_started_at_;
  return j;
}

std::vector<std::string> VisitContext::restore(const json& state) {
  std::vector<std::string> corrupt;
  std::string err;
  auto part = [&](const char* key) -> json { const json* p = ja::find(state, key); return p ? *p : json(); };
  if (!identity_.restore(part("identity"), &err)) corrupt.push_back("identity: " + err);
  if (!session_.restore(part("session"), &err)) corrupt.push_back("session: " + err);
  if (!attribution_.restore(part("attribution"), &err)) corrupt.push_back("attribution: " + err);
  if (!referral_.restore(part("referral"), &err)) corrupt.push_back("referral: " + err);
  const json c = part("context");
  if (c.is_object()) base_ = c;
  utc_offset_ = utc_offset_from_json(ja::find(base_, "utcOffsetMinutes")).value_or(default_utc_offset_);
  last_url_ = ja::get_string(state, "last_url");
  visit_started_at_.reset();
  if (const json* v = ja::find(state, "visit_started_at"); v && v->is_number_integer()) visit_started_at_ = v->get<std::int64_t>();
  dirty_ = true;
  return corrupt;
}

}  // namespace touchpoint
