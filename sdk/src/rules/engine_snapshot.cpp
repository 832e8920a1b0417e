// Persisted visitor state, format "touchpoint-rules-state/1":
// {"format", "rules_version", "events", "now",
//  "traits": {id: {"fp": fingerprint, "state": {...}}},
//  "scores": {id: {"fp", "value", "last", "max"}},
//  "tags": {id: {"first_seq", "set"}}, "stages": {id: stage}, "user": {...}}
// Trait and score state is keyed by the fingerprint of its definition, so state only flows into
// a rule whose definition is unchanged (across snapshot/restore and across rule set versions).
#include <cmath>

#include "tag_engine_impl.hpp"
#include "touchpoint/json_access.hpp"

namespace touchpoint::rules {

namespace ja = touchpoint::json_access;

namespace {

std::string fingerprint_hex(std::uint64_t fp) {
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, fp >>= 4) out[static_cast<std::size_t>(i)] = "0123456789abcdef"[fp & 15];
  return out;
}

bool read_int64(const nlohmann::json& j, std::int64_t* out) {
  if (j.is_number_unsigned()) {
    std::uint64_t u = *j.get_ptr<const std::uint64_t*>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return false;
    *out = static_cast<std::int64_t>(u);
    return true;
  }
  if (!j.is_number_integer()) return false;
  *out = *j.get_ptr<const std::int64_t*>();
  return true;
}

bool read_finite(const nlohmann::json& j, double* out) {
  if (!j.is_number()) return false;
  *out = j.get<double>();
  return std::isfinite(*out);
}

}  // namespace

nlohmann::json TagEngine::Impl::state_json() const {
  const CompiledRuleSet& rs = *rules;
  nlohmann::json out = nlohmann::json::object();
  out["format"] = kStateFormat;
  out["rules_version"] = rs.version;
  out["events"] = events;
  out["now"] = now ? nlohmann::json(*now) : nlohmann::json();
  nlohmann::json traits_json = nlohmann::json::object();
  for (std::size_t i = 0; i < rs.traits.size(); ++i)
    traits_json[rs.traits[i].id] = {{"fp", fingerprint_hex(rs.traits[i].fingerprint)}, {"state", traits[i].snapshot()}};
  nlohmann::json scores_json = nlohmann::json::object();
  for (std::size_t s = 0; s < rs.scores.size(); ++s) {
    const ScoreState& st = scores[s];
    scores_json[rs.scores[s].id] = {{"fp", fingerprint_hex(rs.scores[s].fingerprint)},
                                    {"value", st.value},
                                    {"last", st.last ? nlohmann::json(*st.last) : nlohmann::json()},
                                    {"max", st.max}};
  }
  nlohmann::json tags_json = nlohmann::json::object();
  for (std::uint32_t k = 0; k < rs.tags.size(); ++k) {
    if (tag_first_seq[k] < 0) continue;
    bool set = (tag_set[k / 64] >> (k % 64)) & 1;
    tags_json[rs.tags[k].id] = {{"first_seq", tag_first_seq[k]}, {"set", set}};
  }
  nlohmann::json stages_json = nlohmann::json::object();
  for (std::size_t s = 0; s < rs.stages.size(); ++s)
    if (stage_current[s] >= 0) stages_json[rs.stages[s].id] = rs.stages[s].order[static_cast<std::size_t>(stage_current[s])];
  out["traits"] = std::move(traits_json);
  out["scores"] = std::move(scores_json);
  out["tags"] = std::move(tags_json);
  out["stages"] = std::move(stages_json);
  out["user"] = user_traits;
  return out;
}

bool TagEngine::Impl::check_state_shape(const nlohmann::json& state, std::string* error) {
  auto fail = [&](const std::string& message) {
    *error = message;
    return false;
  };
  if (!state.is_object()) return fail("snapshot is not a JSON object");
  auto format = state.find("format");
  if (format == state.end() || !format->is_string() || *format->get_ptr<const std::string*>() != kStateFormat)
    return fail(std::string("snapshot format is not \"") + kStateFormat + "\"");
  std::int64_t n;
  auto events_it = state.find("events");
  if (events_it == state.end() || !read_int64(*events_it, &n) || n < 0) return fail("snapshot \"events\" is not a count");
  auto now_it = state.find("now");
  if (now_it == state.end() || (!now_it->is_null() && !read_int64(*now_it, &n))) return fail("snapshot \"now\" is not a time");
  for (const char* key : {"traits", "scores", "tags", "stages", "user"}) {
    auto it = state.find(key);
    if (it == state.end() || !it->is_object()) return fail(std::string("snapshot \"") + key + "\" is not an object");
  }
  const auto& traits_section = ja::member(state, "traits");
  for (const auto& entry : traits_section.items()) {
    const auto& v = entry.value();
    if (!v.is_object() || !v.contains("fp") || !ja::member(v, "fp").is_string() || !v.contains("state"))
      return fail("snapshot trait \"" + entry.key() + "\" is malformed");
  }
  const auto& scores_section = ja::member(state, "scores");
  for (const auto& entry : scores_section.items()) {
    const auto& v = entry.value();
    double x;
    std::int64_t t;
    if (!v.is_object() || !v.contains("fp") || !ja::member(v, "fp").is_string() || !v.contains("value") ||
        !read_finite(ja::member(v, "value"), &x) || !v.contains("max") || !read_finite(ja::member(v, "max"), &x) || !v.contains("last") ||
        (!ja::member(v, "last").is_null() && !read_int64(ja::member(v, "last"), &t)))
      return fail("snapshot score \"" + entry.key() + "\" is malformed");
  }
  const auto& tags_section = ja::member(state, "tags");
  for (const auto& entry : tags_section.items()) {
    const auto& v = entry.value();
    std::int64_t seq;
    if (!v.is_object() || !v.contains("first_seq") || !read_int64(ja::member(v, "first_seq"), &seq) || seq < 0 ||
        !v.contains("set") || !ja::member(v, "set").is_boolean())
      return fail("snapshot tag \"" + entry.key() + "\" is malformed");
  }
  const auto& stages_section = ja::member(state, "stages");
  for (const auto& entry : stages_section.items())
    if (!entry.value().is_string()) return fail("snapshot stage \"" + entry.key() + "\" is malformed");
  return true;
}

bool TagEngine::Impl::apply_state(const nlohmann::json& state, std::string* error) {
  if (!check_state_shape(state, error)) return false;
  const CompiledRuleSet& rs = *rules;
  std::int64_t n = 0;
  read_int64(ja::member(state, "events"), &n);
  events = static_cast<std::uint64_t>(n);
  now.reset();
  if (read_int64(ja::member(state, "now"), &n)) now = n;
  const auto& traits_json = ja::member(state, "traits");
  for (std::size_t i = 0; i < rs.traits.size(); ++i) {
    auto it = traits_json.find(rs.traits[i].id);
    if (it == traits_json.end() || ja::member(*it, "fp") != fingerprint_hex(rs.traits[i].fingerprint)) continue;
    std::string trait_error;
    if (!traits[i].restore(ja::member(*it, "state"), &trait_error)) {
      *error = "snapshot trait \"" + rs.traits[i].id + "\": " + trait_error;
      return false;
    }
  }
  const auto& scores_json = ja::member(state, "scores");
  for (std::size_t s = 0; s < rs.scores.size(); ++s) {
    auto it = scores_json.find(rs.scores[s].id);
    if (it == scores_json.end() || ja::member(*it, "fp") != fingerprint_hex(rs.scores[s].fingerprint)) continue;
    ScoreState st;
    read_finite(ja::member(*it, "value"), &st.value);
    read_finite(ja::member(*it, "max"), &st.max);
    if (read_int64(ja::member(*it, "last"), &n)) st.last = n;
    scores[s] = st;
  }
  const auto& tags_json = ja::member(state, "tags");
  for (std::uint32_t k = 0; k < rs.tags.size(); ++k) {
    auto it = tags_json.find(rs.tags[k].id);
    if (it == tags_json.end()) continue;
    read_int64(ja::member(*it, "first_seq"), &n);
    tag_first_seq[k] = n;
    if (ja::get_bool(*it, "set", false)) tag_set[k / 64] |= 1ULL << (k % 64);
  }
  const auto& stages_json = ja::member(state, "stages");
  for (std::size_t s = 0; s < rs.stages.size(); ++s) {
    auto it = stages_json.find(rs.stages[s].id);
    if (it == stages_json.end()) continue;
    const auto& order = rs.stages[s].order;
    for (std::size_t k = 0; k < order.size(); ++k)
      // json-ok: check_state_shape() proved every stage value is a string
      if (order[k] == *it->get_ptr<const std::string*>()) stage_current[s] = static_cast<int>(k);
  }
  user_traits = ja::member(state, "user");
  schedule_all();
  refresh_slots();
  dirty = rs.tag_all;  // re-evaluate everything against the restored state
  last_pass_advanced = false;
  return true;
}

std::string TagEngine::snapshot() const {
  const Impl& m = *impl_;
  // Invalid UTF-8 can only come from a caller-built event: replace it rather than abort.
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  if (m.rules) return m.state_json().dump(-1, ' ', false, kReplace);
  if (m.pending_state) return m.pending_state->dump(-1, ' ', false, kReplace);
  nlohmann::json empty = {{"format", kStateFormat}, {"rules_version", ""}, {"events", m.events},
                          {"now", m.now ? nlohmann::json(*m.now) : nlohmann::json()},
                          {"traits", nlohmann::json::object()}, {"scores", nlohmann::json::object()},
                          {"tags", nlohmann::json::object()}, {"stages", nlohmann::json::object()},
                          {"user", m.user_traits}};
  return empty.dump(-1, ' ', false, kReplace);
}

bool TagEngine::restore(std::string_view snapshot, std::string* error) {
  Impl& m = *impl_;
  std::string message;
  nlohmann::json state = nlohmann::json::parse(snapshot, nullptr, false);
  bool ok = !state.is_discarded();
  if (!ok) message = "snapshot is not valid JSON";
  if (ok) ok = Impl::check_state_shape(state, &message);
  if (ok && m.rules) {
    m.reset_state();
    ok = m.apply_state(state, &message);
  }
  if (!ok) {
    clear_state();
    if (error) *error = message;
    return false;
  }
  if (!m.rules) {
    std::int64_t n = 0;
    read_int64(ja::member(state, "events"), &n);
    m.events = static_cast<std::uint64_t>(n);
    m.now.reset();
    if (read_int64(ja::member(state, "now"), &n)) m.now = n;
    m.user_traits = ja::member(state, "user");
    m.pending_state = std::move(state);
  }
  return true;
}

}  // namespace touchpoint::rules
