#include "touchpoint/engine.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "delivery_ack.hpp"
#include "touchpoint/gzip_encoder.hpp"
#include "touchpoint/iso_time.hpp"
#include "touchpoint/json_access.hpp"

// Calls other than track (identify, page, context, consent...) come a few per page: their code is
// compiled for size even in this file built for speed (wasm bytes cost every page load).
#if defined(__clang__)
#define TP_COLD __attribute__((minsize, noinline))
#else
#define TP_COLD __attribute__((noinline))
#endif

namespace touchpoint {

using nlohmann::json;
namespace ja = json_access;
// A hex HMAC-SHA256 is 64 characters; room for other encodings, no room for payloads.
constexpr std::size_t kMaxUserHashBytes = 128;

namespace {

constexpr std::string_view kSnapshotMagic = "TPS1";   // everything, queue included (core guard)
constexpr std::string_view kStateMagic = "TPS2";      // the small state, without events (persisted)

// The messageId our engine splices into every event ("messageId":"<uuid>"); "" if none.
std::string_view message_id_of(std::string_view line) {
  constexpr std::string_view kField = "\"messageId\":\"";
  const std::size_t at = line.find(kField);
  if (at == std::string_view::npos) return {};
  const std::size_t start = at + kField.size();
  const std::size_t end = line.find('"', start);
  return end == std::string_view::npos ? std::string_view() : line.substr(start, end - start);
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// JSON.stringify escapes lone UTF-16 surrogates as "\udXXX", which strict JSON parsers (nlohmann
// included) reject. Replace each unpaired surrogate escape with U+FFFD, as TextEncoder would.
bool repair_lone_surrogates(std::string& s) {
  bool changed = false;
  auto hex4 = [&](std::size_t at, unsigned& v) {
    if (at + 6 > s.size() || s[at] != '\\' || (s[at + 1] != 'u' && s[at + 1] != 'U')) return false;
    v = 0;
    for (std::size_t k = at + 2; k < at + 6; ++k) {
      const char c = s[k];
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return false;
      v = v * 16 + static_cast<unsigned>(d);
    }
    return true;
  };
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] != '\\') continue;
    unsigned v;
    if (!hex4(i, v)) { ++i; continue; }  // skip the escaped char
    if (v >= 0xD800 && v <= 0xDBFF) {
      unsigned low;
      if (hex4(i + 6, low) && low >= 0xDC00 && low <= 0xDFFF) { i += 11; continue; }
      s.replace(i, 6, "\\ufffd");
      changed = true;
    } else if (v >= 0xDC00 && v <= 0xDFFF) {
      s.replace(i, 6, "\\ufffd");
      changed = true;
    }
    i += 5;
  }
  return changed;
}

// A JSON string token of printable ASCII without escapes: what JSON.stringify writes for most event
// names. It parses to its inner text and dumps back to itself, so no parser is needed.
bool is_plain_json_string(std::string_view token) {
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < token.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(token[i]);
    if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return false;
  }
  return true;
}

json parse_call(std::string_view line, bool& repaired) {
  repaired = false;
  json j = json::parse(line, nullptr, false);
  if (!j.is_discarded()) return j;
  std::string fixed(line);
  repaired = repair_utf8(fixed);
  repaired = repair_lone_surrogates(fixed) || repaired;
  if (!repaired) return j;
  return json::parse(fixed, nullptr, false);
}

// An error about a delivery (no call index): one definition, so each report costs a call, not a
// json initializer list inlined at every site.
TP_COLD void add_delivery_error(Output& out, const char* code, std::string message) {
  json e = json::object();
  e["index"] = nullptr;
  e["code"] = code;
  e["field"] = "";
  e["message"] = std::move(message);
  out.errors.push_back(std::move(e));
}

TP_COLD void add_error(Output& out, std::size_t index, const ValidationError& e) {
  json j = e.to_json();
  j["index"] = index;
  out.log.push_back("rejected call " + std::to_string(index) + ": " + e.message);
  out.errors.push_back(std::move(j));
}

std::optional<std::size_t> read_size(const json& o, const char* key, std::size_t min, std::size_t max, ValidationError* err,
                                     bool& bad) {
  const json* v = ja::find(o, key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_number_integer() || v->get<std::int64_t>() < static_cast<std::int64_t>(min) ||
      v->get<std::int64_t>() > static_cast<std::int64_t>(max)) {
    if (err) *err = {"option_invalid", std::string("/") + key,
                     std::string(key) + " must be an integer between " + std::to_string(min) + " and " + std::to_string(max)};
    bad = true;
    return std::nullopt;
  }
  return static_cast<std::size_t>(v->get<std::int64_t>());
}

// An optional boolean option: absent or null keeps `out`; another type is an error.
bool read_bool(const json& o, const char* key, bool& out, ValidationError* err) {
  const json* v = ja::find(o, key);
  if (!v || v->is_null()) return true;
  if (!v->is_boolean()) {
    if (err) *err = {"option_invalid", std::string("/") + key, std::string(key) + " must be a boolean"};
    return false;
  }
  out = v->get<bool>();
  return true;
}

}  // namespace

TP_COLD std::optional<EngineConfig> EngineConfig::from_json(const json& o, ValidationError* error) {
  EngineConfig c;
  if (!o.is_object()) {
    if (error) *error = {"options_not_object", "", "init options must be an object"};
    return std::nullopt;
  }
  c.write_key = ja::get_string(o, "writeKey");
  bool bad = false;
  if (auto v = read_size(o, "flushAt", 1, 1000, error, bad)) c.queue.flush_at = *v;
  if (auto v = read_size(o, "flushInterval", 0, 24 * 3600 * 1000, error, bad)) c.queue.flush_interval_ms = static_cast<std::int64_t>(*v);
  if (auto v = read_size(o, "flushBytes", 1024, limits::kMaxBatchBodyBytes, error, bad)) c.queue.flush_bytes = *v;
  if (auto v = read_size(o, "maxQueueEvents", 1, 1000000, error, bad)) c.queue.max_events = *v;
  if (auto v = read_size(o, "maxQueueBytes", 64 * 1024, 64 * 1024 * 1024, error, bad)) c.queue.max_bytes = *v;
  if (auto v = read_size(o, "requestTimeoutMs", limits::kMinRequestTimeoutMs, limits::kMaxRequestTimeoutMs, error, bad)) {
    c.request_timeout_ms = static_cast<std::int64_t>(*v);
    c.queue.in_flight_timeout_ms = c.request_timeout_ms + limits::kInFlightGraceMs;
  }
  if (bad) return std::nullopt;
  if (!read_bool(o, "acceptAny2xx", c.accept_any_2xx, error)) return std::nullopt;
  if (auto v = read_size(o, "sessionTimeout", kMinSessionTimeoutMs, kMaxSessionTimeoutMs, error, bad))
    c.session_timeout_ms = static_cast<std::int64_t>(*v);
  if (bad) return std::nullopt;
  if (!read_bool(o, "splitSessionsAtMidnight", c.split_sessions_at_midnight, error)) return std::nullopt;
  if (const json* v = ja::find(o, "utcOffsetMinutes"); v && !v->is_null()) {
    auto m = utc_offset_from_json(v);
    if (!m) {
      if (error) *error = {"option_invalid", "/utcOffsetMinutes", std::string("utcOffsetMinutes must be ") + kUtcOffsetRangeText};
      return std::nullopt;
    }
    c.utc_offset_minutes = *m;
  }
  c.compress = ja::get_bool(o, "compress", true);
  c.seed = ja::get_string(o, "seed");
  c.anonymous_id = ja::get_string(o, "anonymousId");
  c.tab_id = ja::get_string(o, "tabId");
  if (c.tab_id.size() > 64 || c.tab_id.find_first_of("\t\n.?") != std::string::npos) {
    if (error) *error = {"option_invalid", "/tabId", "tabId must be at most 64 characters without tab, newline, '.' or '?'"};
    return std::nullopt;
  }
  if (const json* cs = ja::find(o, "consent"); cs && !cs->is_null()) {
    std::string why;
    auto parsed = cs->is_string() ? parse_consent(cs->get_ref<const std::string&>(), &why) : std::nullopt;
    if (!parsed) {
      if (error) *error = {"option_invalid", "/consent", "consent must be \"pending\", \"granted\" or \"denied\""};
      return std::nullopt;
    }
    c.consent = *parsed;
  }
  if (const json* k = ja::find(o, "kiosk"); k && !k->is_null()) {
    c.kiosk = KioskConfig::from_json(*k, error);
    if (!c.kiosk) return std::nullopt;
  }
  return c;
}

std::string Output::to_json() const {
  json j = {{"accepted", accepted}, {"errors", errors}, {"send", send}, {"persist", persist}};
  j["wake"] = wake ? json(*wake) : json(nullptr);
  if (!replace_url.empty()) j["replaceUrl"] = replace_url;
  if (wipe) j["wipe"] = true;
  if (!rules.empty()) j["rules"] = rules;
  if (!log.empty()) j["log"] = log;
  if (!del.empty()) j["del"] = del;
  if (!probe.is_null()) j["probe"] = probe;
  // Each record's event travels as a JSON string: the shell stores that text as it is.
  if (!put.empty()) {
    json records = json::array();
    for (const auto& [key, event] : put) records.push_back(json::array({key, event}));
    j["put"] = std::move(records);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Engine::Engine(EngineConfig config)
    : config_(std::move(config)), queue_(config_.queue),
      visit_(config_.session_timeout_ms, config_.split_sessions_at_midnight, config_.utc_offset_minutes), consent_(config_.consent) {
  rng_.reseed(config_.seed);
  std::string ignored;
  if (config_.anonymous_id.empty() || !visit_.mutable_identity().set_anonymous_id(config_.anonymous_id, &ignored))
    visit_.mutable_identity().generate_anonymous_id(random_bytes(16), &ignored);
  if (config_.kiosk) visit_.set_kiosk(config_.kiosk->context());
  if (config_.tab_id.empty()) config_.tab_id = rng_.uuid_v4().substr(0, 8);
}

// "<tabId>.<seq>", the seq zero-padded so keys sort in queue order within a tab.
std::string Engine::next_record_key() {
  std::string seq = std::to_string(next_record_seq_++);
  if (seq.size() < 10) seq.insert(0, 10 - seq.size(), '0');
  return config_.tab_id + "." + seq;
}

void Engine::take_dropped(Output& out) {
  for (auto& k : queue_.take_dropped_keys()) out.del.push_back(std::move(k));
}

std::string Engine::random_bytes(std::size_t n) {
  std::string bytes;
  while (bytes.size() < n) {
    const std::uint64_t v = rng_.next();
    for (int k = 0; k < 8 && bytes.size() < n; ++k) bytes.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
  }
  return bytes;
}

Output Engine::ingest(std::string_view ndjson, std::int64_t now) {
  Output out;
  std::size_t index = 0, start = 0;
  while (start <= ndjson.size()) {
    std::size_t end = ndjson.find('\n', start);
    if (end == std::string_view::npos) end = ndjson.size();
    std::string_view line = ndjson.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > 2 && line[0] == 't' && line[1] == '\t') {
      handle_track_line(line, index, now, out);
      ++index;
    } else if (!line.empty()) {
      bool repaired = false;
      json call = parse_call(line, repaired);
      if (call.is_discarded() || !call.is_object()) {
        add_error(out, index, {"call_malformed", "", "call " + std::to_string(index) + " is not a JSON object"});
      } else {
        if (repaired) out.log.push_back("call " + std::to_string(index) + ": invalid UTF-8 / lone surrogates replaced with U+FFFD");
        handle_call(call, index, now, out);
      }
      ++index;
    }
    start = end + 1;
  }
  send_ready(now, false, 0, out);
  finish(out, now);
  return out;
}

// The hot path: "t\t<ts>\t<event name as JSON string>\t<properties JSON>", as the shell writes
// it with JSON.stringify (which never emits a raw tab). Properties are checked by a SAX pass and
// spliced into the event as they are: no DOM, no re-serialisation, unless rules need the event.
void Engine::handle_track_line(std::string_view line, std::size_t index, std::int64_t now, Output& out) {
  const std::size_t a = line.find('\t', 2);
  const std::size_t b = a == std::string_view::npos ? a : line.find('\t', a + 1);
  if (b == std::string_view::npos)
    return add_error(out, index, {"call_malformed", "", "track call " + std::to_string(index) + " is not ts<TAB>name<TAB>properties"});
  // A time past 9999-12-31 (ISO 8601's last 4-digit year, as session_tracker) is no time: it
  // would overflow int64 on the next digit (found by fuzz/fuzz_ingest). Use the clock instead.
  constexpr std::int64_t kMaxHotLineTs = 253402300799999;
  std::int64_t t = 0;
  bool digits = a > 2;
  for (std::size_t i = 2; i < a && digits; ++i) {
    if (line[i] < '0' || line[i] > '9') digits = false;
    else t = t * 10 + (line[i] - '0');
    if (t > kMaxHotLineTs) digits = false;
  }
  if (!digits) t = now;
  std::string name_token(line.substr(a + 1, b - a - 1));
  std::string_view props(line.substr(b + 1));
  std::string repaired_props;  // only when the properties needed a repair
  json name;
  if (is_plain_json_string(name_token)) {
    name = name_token.substr(1, name_token.size() - 2);  // printable ASCII, no escapes: the token is its own dump
  } else {
    name = json::parse(name_token, nullptr, false);
    if (name.is_discarded() && (repair_utf8(name_token) | repair_lone_surrogates(name_token))) {
      name = json::parse(name_token, nullptr, false);
      out.log.push_back("call " + std::to_string(index) + ": invalid UTF-8 / lone surrogates replaced with U+FFFD");
    }
    if (name.is_string()) name_token = name.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (auto e = validate_event_name(name.is_discarded() ? json() : name)) return add_error(out, index, *e);
  bool well_formed = true;
  auto err = validate_payload_text(props, "/properties", &well_formed);
  if (!well_formed) {
    repaired_props = props;
    if (repair_utf8(repaired_props) | repair_lone_surrogates(repaired_props)) {
      out.log.push_back("call " + std::to_string(index) + ": invalid UTF-8 / lone surrogates replaced with U+FFFD");
      props = repaired_props;
      err = validate_payload_text(props, "/properties", &well_formed);
    }
  }
  if (!well_formed) return add_error(out, index, {"properties_malformed", "/properties", "properties are not valid JSON"});
  if (err) return add_error(out, index, *err);
  if (props == "null") props = "{}";
  ++out.accepted;
  // Rules, super properties and consent need the event as a DOM; the common case does not. (The
  // rules' text scanner, TagEngine::process_text, would skip the DOM but adds ~4 KB gzip of wasm.)
  if (tags_.has_rules() || !std::as_const(visit_).identity().super_properties().empty() || consent_.state() != Consent::kGranted) {
    json event = {{"type", "track"}, {"event", std::move(name)}, {"properties", json::parse(props, nullptr, false)}};
    admit(std::move(event), t, out);
    return;
  }
  start_session_if_needed(t, false, out);
  std::string ev;
  ev.reserve(props.size() + name_token.size() + 256);
  ev += "{\"type\":\"track\",\"event\":";
  ev += name_token;
  ev += ",\"properties\":";
  ev += props;
  ev += '}';
  push_stamped_line(std::move(ev), context_json(), t, out);
}

TP_COLD void Engine::handle_call(const json& call, std::size_t index, std::int64_t now, Output& out) {
  const std::string type = ja::get_string(call, "type");
  const std::int64_t t = ja::get_int(call, "ts", now);
  std::string why;
  Identity& id = visit_.mutable_identity();
  if (type == "context") {
    const json* c = ja::find(call, "context");
    if (!c || !c->is_object()) return add_error(out, index, {"context_invalid", "/context", "context must be an object"});
    if (auto e = validate_payload(*c, "/context")) return add_error(out, index, *e);
    PageObservation obs = visit_.update(*c, t);
    for (const auto& e : obs.adoption_errors)
      add_error(out, index, {"webview_id_invalid", "/context/page/url", ja::get_string(e, "param") + ": " + ja::get_string(e, "message")});
    if (!obs.utc_offset_error.empty()) add_error(out, index, {"context_invalid", "/context/utcOffsetMinutes", obs.utc_offset_error});
    if (!obs.replace_url.empty()) out.replace_url = obs.replace_url;
    if (obs.session_ended) {
      if (consent_.state() == Consent::kGranted) push_session_end(*obs.session_ended, out);
      else out.log.push_back("session " + obs.session_ended->session_id + " ended by a web-view session; no session_end: consent is " + to_string(consent_.state()));
    }
    if (obs.landing) {
      json landed = {{"type", "track"}, {"event", "share_landed"}, {"properties", visit_.referral().landed_properties(*obs.landing)}};
      admit(std::move(landed), t, out);
    }
    out.persist = true;
    return;
  }
  if (type == "reset") {
    // The visit ends with the visitor: session_end goes out under the old identity, before it is cleared.
    if (auto end = visit_.end_session(t, SessionEndReason::kReset)) {
      if (consent_.state() == Consent::kGranted) push_session_end(*end, out);
      else out.log.push_back("session " + end->session_id + " ended by reset(); no session_end: consent is " + to_string(consent_.state()));
    }
    forget_visitor(out);
    return;
  }
  if (type == "end_visit") {
    const json* r = ja::find(call, "reason");
    auto reason = !r || r->is_null() ? std::optional<VisitEndReason>(VisitEndReason::kApi)
                  : r->is_string()   ? parse_visit_end_reason(r->get_ref<const std::string&>())
                                     : std::nullopt;
    if (!reason) return add_error(out, index, {"visit_end_reason_invalid", "/reason", "end_visit reason must be \"idle\" or \"api\""});
    return end_visit(*reason, t, out);
  }
  if (type == "consent") {
    auto next = parse_consent(ja::get_string(call, "state"), &why);
    if (!next) return add_error(out, index, {"consent_invalid", "/state", why});
    return apply_consent(*next, out, now);
  }
  if (type == "register" || type == "register_once") {
    const json* p = ja::find(call, "properties");
    if (auto e = validate_payload(p ? *p : json(), "/properties")) return add_error(out, index, *e);
    const bool ok = type == "register" ? id.register_properties(p ? *p : json::object(), &why)
                                       : id.register_once(p ? *p : json::object(), &why);
    if (!ok) return add_error(out, index, {"super_properties_invalid", "/properties", why});
    out.persist = true;
    return;
  }
  if (type == "unregister") {
    id.unregister(ja::get_string(call, "key"));
    out.persist = true;
    return;
  }
  if (type == "external_id") {
    if (!id.set_external_id(ja::get_string(call, "kind"), ja::get_string(call, "value"), &why))
      return add_error(out, index, {"external_id_invalid", "/value", why});
    out.persist = true;
    return;
  }
  json event = json::object();
  if (type == "track") {
    const json* name = ja::find(call, "event");
    if (auto e = validate_event_name(name ? *name : json())) return add_error(out, index, *e);
    event["type"] = "track";
    event["event"] = *name;
  } else if (type == "page") {
    event["type"] = "page";
    const json* name = ja::find(call, "name");
    if (name && !name->is_null()) {
      if (auto e = validate_event_name(*name)) return add_error(out, index, {e->code, "/name", "page " + e->message});
      event["name"] = *name;
    }
  } else if (type == "identify") {
    event["type"] = "identify";
  } else if (type == "alias") {
    auto r = id.alias(ja::get_string(call, "userId"), ja::get_string(call, "previousId"), &why);
    if (!r) return add_error(out, index, {"alias_invalid", "/userId", why});
    event = {{"type", "alias"}, {"previousId", r->previous_id}};
    admit(std::move(event), t, out);
    ++out.accepted;
    return;
  } else {
    return add_error(out, index, {"type_unknown", "/type", "call type \"" + type + "\" is not one the core knows"});
  }
  const char* payload_key = type == "identify" ? "traits" : "properties";
  const json* payload = ja::find(call, payload_key);
  if (payload && !payload->is_null()) {
    if (auto e = validate_payload(*payload, std::string("/") + payload_key)) return add_error(out, index, *e);
  }
  json body = payload && payload->is_object() ? *payload : json::object();
  if (type == "identify") {
    const json* uid = ja::find(call, "userId");
    std::string user = uid && uid->is_string() ? uid->get<std::string>() : std::string();
    if (uid && !uid->is_null() && (!uid->is_string() || user.empty()))
      return add_error(out, index, {"user_id_invalid", "/userId", "userId must be a non-empty string"});
    bool changed = false;
    if (!id.identify(user, body, &why, &changed)) return add_error(out, index, {"user_id_invalid", "/userId", why});
    if (changed) tags_.clear_state();  // another person on this device: their tags are not ours
    tags_.set_user_traits(id.traits());
    event["traits"] = id.traits();
    // identify(userId, traits, { userHash }): the site backend's HMAC-SHA256 of the userId, checked
    // by the collector (--identity-secret). Carried as is on this identify event only.
    const std::string hash = ja::get_string(call, "userHash");
    if (!hash.empty() && hash.size() <= kMaxUserHashBytes) event["userHash"] = hash;
  } else {
    if (type == "page") {
      // Segment's page spec: properties default to the page's path, url, title, referrer, search.
      const json* page = ja::find(visit_.base(), "page");
      if (page && page->is_object())
        for (auto it = page->begin(); it != page->end(); ++it)
          if (!body.contains(it.key())) body[it.key()] = it.value();
    }
    event["properties"] = std::move(body);
  }
  admit(std::move(event), t, out);
  ++out.accepted;
}

// Consent gate: granted events go on, pending ones wait in memory, denied ones are discarded.
void Engine::admit(json event, std::int64_t t, Output& out) {
  if (consent_.state() == Consent::kGranted) return enqueue(std::move(event), t, out);
  if (consent_.state() == Consent::kDenied) { ++consent_discarded_; return; }
  ConsentOffer o = consent_.offer(json{{"e", std::move(event)}, {"t", t}});
  if (o.evicted) out.log.push_back("consent pending: " + std::to_string(o.evicted) + " oldest held events dropped (buffer full)");
}

TP_COLD void Engine::apply_consent(Consent next, Output& out, std::int64_t now) {
  ConsentAction a = consent_.set(next);
  if (!a.changed) return;
  out.log.push_back(std::string("consent ") + to_string(a.from) + " -> " + to_string(a.to) + ": " +
                    std::to_string(a.release.size()) + " held events released, " + std::to_string(a.dropped) + " dropped");
  if (a.wipe) {
    // Denied: forget the visitor and everything queued; the shell deletes what it stored. The session
    // ends without a session_end: nothing about this visitor may be sent after the denial.
    if (auto end = visit_.end_session(now, SessionEndReason::kReset))
      out.log.push_back("session " + end->session_id + " ended by consent denied; no session_end is sent after a denial");
    visit_.clear_identity_and_visit();
    std::string why;
    visit_.mutable_identity().generate_anonymous_id(random_bytes(16), &why);
    queue_.clear();
    bodies_.clear();
    tags_.clear_state();
    out.wipe = true;
    return;
  }
  for (auto& held : a.release) {
    const json* e = ja::find(held, "e");
    if (e) enqueue(*e, ja::get_int(held, "t", now), out);
  }
  out.persist = true;
}

// The customer left the kiosk (or the page said so): their session and visit end under their ids,
// then the device forgets them, so the next customer shares nothing with them.
void Engine::end_visit(VisitEndReason reason, std::int64_t t, Output& out) {
  const std::optional<std::int64_t> started = visit_.visit_started_at();
  const bool granted = consent_.state() == Consent::kGranted;
  if (auto end = visit_.end_session(t, SessionEndReason::kReset); end && granted) push_session_end(*end, out);
  if (started && granted) {
    json props = {{"reason", to_string(reason)}, {"duration_ms", t > *started ? t - *started : 0},
                  {"started_at", format_iso8601_ms(*started)}};
    json ev = {{"type", "track"}, {"event", "visit_end"}, {"properties", std::move(props)}};
    stamp(ev, t);
    // Derived by the SDK like session_end: never fed to the rules (it would re-tag the leaver).
    push_line(ev, tags_.has_rules() ? context_with_tags() : context_json(), t, out);
  } else {
    out.log.push_back(std::string("visit ended (") + to_string(reason) + "): " +
                      (started ? "no visit_end: consent is " + std::string(to_string(consent_.state())) : "no visit in progress"));
  }
  forget_visitor(out);
  // The next customer is the store's from now on: whatever they send first (even a time-driven
  // tags_changed before their first event) is credited to it.
  if (config_.kiosk) visit_.adopt_touch(config_.kiosk->touch(t));
}

// reset() and end_visit: a new anonymous visitor, nothing of the old one kept (ids, traits, super
// properties, external ids, session, attribution, referral chain, tags, scores and stages).
void Engine::forget_visitor(Output& out) {
  std::string why;
  visit_.clear_identity_and_visit();
  visit_.mutable_identity().generate_anonymous_id(random_bytes(16), &why);
  tags_.clear_state();
  tags_.set_user_traits(json::object());
  out.persist = true;
}

// A kiosk visitor without a campaign touch of their own is credited to the store, before the first
// event of any kind (a time-driven tags_changed can come before the customer's first call).
void Engine::credit_kiosk_store(std::int64_t t) {
  if (config_.kiosk && !visit_.attribution().first_touch()) visit_.adopt_touch(config_.kiosk->touch(t));
}

void Engine::start_session_if_needed(std::int64_t t, bool is_page, Output& out) {
  credit_kiosk_store(t);
  // The old session ends first, stamped with its last activity, while the context is still its own.
  if (auto end = visit_.session_ended_by(t, is_page)) push_session_end(*end, out);
  SessionTouch s = visit_.touch_session(t, rng_, is_page);
  out.persist = true;
  if (!s.is_new) return;
  json start = {{"type", "track"}, {"event", "session_start"},
                {"properties", {{"session_id", s.session_id}, {"session_number", s.session_number}, {"reason", to_string(s.reason)}}}};
  stamp(start, t);
  push_line(start, tags_.has_rules() ? context_with_tags() : context_json(), t, out);
}

// session_end, stamped with the session's end (its last activity; on a page that was closed it is
// only known with the next session's first event). Its old timestamp makes the batch due at once:
// it is late already. Like session_start, it is derived by the SDK and never fed to the rules.
void Engine::push_session_end(const SessionEnd& end, Output& out) {
  push_stamped_line(session_end_event_json(end), tags_.has_rules() ? context_with_tags() : context_json(), end.ended_at_ms, out);
}

// An open page woke up after the timeout: the session ends now, not with the next event.
void Engine::expire_session(std::int64_t now, Output& out) {
  if (consent_.state() != Consent::kGranted) return;
  if (auto end = visit_.expire_session(now)) {
    push_session_end(*end, out);
    out.persist = true;
  }
}

// What the page saw travels with each event: its current tags and the rules version.
std::string Engine::context_with_tags() {
  std::string context = context_json();
  json extra = {{"tags", tags_.tags()}, {"rules_version", tags_.version()}};
  context.pop_back();
  if (context.size() > 1) context += ',';
  context += ja::dump(extra).substr(1);
  return context;
}

// Serialises `event` with the (cached, already serialised) context spliced in and queues it.
bool Engine::push_line(const json& event, const std::string& context, std::int64_t t, Output& out) {
  return push_serialized(event.dump(-1, ' ', false, json::error_handler_t::replace), context, t, out);
}

// Appends identity, messageId and timestamp to a serialised event without a DOM.
bool Engine::push_stamped_line(std::string line, const std::string& context, std::int64_t t, Output& out) {
  stamp_line(line, t);
  return push_serialized(std::move(line), context, t, out);
}

// The text counterpart of stamp(): identity, messageId and timestamp appended to a serialised event.
void Engine::stamp_line(std::string& line, std::int64_t t) {
  line.pop_back();
  line += ",\"anonymousId\":";
  line += anonymous_id_json_.of(anonymous_id());
  line += ",\"userId\":";
  line += user_id().empty() ? std::string("null") : user_id_json_.of(user_id());
  line += ",\"messageId\":\"";
  line += rng_.uuid_v4();
  line += "\",\"timestamp\":\"";
  line += format_iso8601_ms(t);
  line += "\"}";
}

bool Engine::push_serialized(std::string line, const std::string& context, std::int64_t t, Output& out) {
  line.pop_back();
  line += ",\"context\":";
  line += context;
  line += '}';
  if (line.size() > limits::kMaxEventBytes) {
    out.errors.push_back({{"index", nullptr}, {"code", "event_too_large"}, {"field", ""},
                          {"message", "event is " + std::to_string(line.size()) + " bytes serialised; the limit is " +
                                          std::to_string(limits::kMaxEventBytes)}});
    return false;
  }
  std::string key = next_record_key();
  out.put.emplace_back(key, line);
  queue_.push(std::move(line), t, std::move(key));
  out.persist = true;
  return true;
}

void Engine::stamp(json& event, std::int64_t t) {
  event["anonymousId"] = anonymous_id();
  event["userId"] = user_id().empty() ? json(nullptr) : json(user_id());
  event["messageId"] = rng_.uuid_v4();
  event["timestamp"] = format_iso8601_ms(t);
}

void Engine::enqueue(json event, std::int64_t t, Output& out) {
  const json* type = ja::find(event, "type");
  start_session_if_needed(t, type && *type == "page", out);
  const Identity& id = std::as_const(visit_).identity();
  if (const json* p = ja::find(event, "properties"); p && !id.super_properties().empty())
    event["properties"] = id.with_super_properties(*p);
  stamp(event, t);
  if (!tags_.has_rules()) {
    push_line(event, context_json(), t, out);
    return;
  }
  // The rules see the event with the context it was tracked in; it is queued without it (the
  // serialised context, with the tags the event left, is spliced in by queue_with_changes).
  json probe = event;
  probe["context"] = context_dom();
  queue_with_changes(event.dump(-1, ' ', false, json::error_handler_t::replace), tags_.process(probe, t), t, out);
}

// The context as a DOM for the rules, parsed again only when its text changed (not per event).
const json& Engine::context_dom() {
  const std::string& text = context_json();
  if (text != context_dom_text_) {
    context_dom_ = json::parse(text, nullptr, false);
    context_dom_text_ = text;
  }
  return context_dom_;
}

// Queues a stamped event the rules have seen, with the tags it left, and tags_changed after it.
void Engine::queue_with_changes(std::string stamped, json changes, std::int64_t t, Output& out) {
  const std::string context = context_with_tags();
  if (!push_serialized(std::move(stamped), context, t, out) || changes.empty()) return;
  out.rules.push_back(changes);
  // tags_changed is queued right after its cause but not fed back into the rules (no re-trigger).
  json tc = {{"type", "track"}, {"event", "tags_changed"}, {"properties", std::move(changes)}};
  stamp(tc, t);
  push_line(tc, context, t, out);
}

std::string Engine::build_body(const Batch& b, std::int64_t now) const {
  std::string body;
  body.reserve(b.bytes + b.events.size() + 96);
  body += "{\"batch\":[";
  for (std::size_t i = 0; i < b.events.size(); ++i) {
    if (i) body += ',';
    body += b.events[i];
  }
  body += "],\"sentAt\":\"" + format_iso8601_ms(now) + "\"";
  if (b.carried.any()) body += ",\"dropped\":" + ja::dump(b.carried.to_json());
  if (!config_.write_key.empty()) body += ",\"writeKey\":" + ja::dump(json(config_.write_key));
  body += "}";
  return config_.compress ? gzip_compress(body, kBatchGzipLevel) : body;
}

void Engine::send_ready(std::int64_t now, bool unloading, std::size_t budget, Output& out) {
  if (!sender_) return;  // another tab sends what this one writes
  if (!probing_.empty() && probe_out_.empty() && !unloading && now >= probe_due_) {
    json ids = json::array();
    auto end = probing_.begin();
    for (; end != probing_.end() && ids.size() < limits::kMaxReceiptQueryIds; ++end) ids.push_back(std::string(message_id_of(end->second)));
    probe_out_.assign(std::make_move_iterator(probing_.begin()), std::make_move_iterator(end));
    probing_.erase(probing_.begin(), end);
    out.probe = {{"id", ++probe_id_}, {"messageIds", std::move(ids)}};
  }
  if (std::size_t lost = queue_.expire_in_flight(now)) {
    for (auto it = bodies_.begin(); it != bodies_.end();)  // their answers will never come
      it = queue_.find(it->first) && queue_.find(it->first)->in_flight ? std::next(it) : bodies_.erase(it);
    out.log.push_back(std::to_string(lost) + " batches got no answer within " + std::to_string(queue_.config().in_flight_timeout_ms / 1000) +
                      " s; sending them again");
  }
  queue_.form_batches(now, unloading);
  std::size_t used = 0;
  for (std::uint64_t id : queue_.sendable(now, unloading)) {
    const Batch* b = queue_.find(id);
    if (!b) continue;
    std::string body = build_body(*b, now);
    if (unloading && used + body.size() > budget) continue;  // a smaller later batch may still fit
    used += body.size();
    out.send.push_back({{"id", id}, {"events", b->events.size()}, {"bytes", body.size()}, {"attempt", b->attempts + 1}});
    bodies_[id] = std::move(body);
    queue_.mark_in_flight(id, now);
    out.persist = true;
  }
}

void Engine::finish(Output& out, std::int64_t now) {
  take_dropped(out);
  if (consent_.state() != Consent::kGranted) out.persist = false;  // nothing is stored without consent
  if (sender_) out.wake = queue_.next_wake();  // a tab that does not send has no batches to wake for
  if (sender_ && !probing_.empty() && probe_out_.empty() && (!out.wake || probe_due_ < *out.wake)) out.wake = probe_due_;
  if (auto r = tags_.next_change_at())
    if (!out.wake || *r < *out.wake) out.wake = *r;
  if (auto s = visit_.session().end_due_at(); s && consent_.state() == Consent::kGranted)  // session_end on time
    if (!out.wake || *s < *out.wake) out.wake = *s;
  if (out.wake && *out.wake < now) out.wake = now;
}

Output Engine::tick(std::int64_t now) {
  Output out;
  expire_session(now, out);
  send_ready(now, false, 0, out);
  finish(out, now);
  return out;
}

Output Engine::flush(std::int64_t now, bool unloading, std::size_t budget) {
  Output out;
  queue_.form_batches(now, true);
  send_ready(now, unloading, budget, out);
  finish(out, now);
  return out;
}

Output Engine::delivered(std::uint64_t id, int status, std::int64_t retry_after_ms, std::string_view body, std::int64_t now) {
  Output out;
  bodies_.erase(id);
  // Confirmation (issue 7): a 2xx counts only with the collector's acknowledgement of this batch;
  // a captive portal's HTML page, an empty or foreign body is retried like a network error.
  const Batch* batch = queue_.find(id);
  std::vector<std::string> keys = batch ? batch->keys : std::vector<std::string>();
  DeliveryAction action = classify_status(status);
  std::optional<DeliveryAck> ack;
  std::string unconfirmed;  // why a 2xx did not confirm
  if (action == DeliveryAction::kDone && !config_.accept_any_2xx && batch) {
    ack = parse_delivery_ack(body, batch->events.size(), &unconfirmed);
    if (!ack) action = DeliveryAction::kRetry;
  }
  DeliveryOutcome o = queue_.on_result(id, action, retry_after_ms, now, rng_);
  if (!queue_.find(id))  // delivered or dropped: its records go
    for (auto& k : keys)
      if (!k.empty()) out.del.push_back(std::move(k));
  std::string msg = "batch " + std::to_string(id) + " (" + std::to_string(o.events) + " events): HTTP " +
                    std::to_string(status) + " -> " + o.action;
  if (o.action == "retry") msg += " at " + format_iso8601_ms(o.retry_at);
  if (status == 0 && !body.empty()) msg += " (" + std::string(body.substr(0, 200)) + ")";  // network error, timeout
  out.log.push_back(msg);
  if (!unconfirmed.empty() && o.action == "retry")
    add_delivery_error(out, "delivery_unconfirmed", msg + ": not the collector's acknowledgement (" + unconfirmed + ")" +
                                                     (body.empty() ? "" : ": " + std::string(body.substr(0, 120))));
  if (is_redirect_status(status) && o.action == "retry")
    add_delivery_error(out, "endpoint_moved", msg + ": a redirect, which event requests never follow; check the endpoint option");
  if (o.action == "drop")
    add_delivery_error(out, status == 413 ? "event_too_large" : "batch_rejected",
                       msg + (body.empty() ? "" : ": " + std::string(body.substr(0, 300))));
  if (o.action == "done") {
    // The collector reports events it rejected; surface them (they are not retried: same answer).
    // With acceptAny2xx the body may be anything: read a rejected list only if there is one.
    json lenient = ack ? json() : json::parse(body, nullptr, false);
    const json* rej = ack ? &ack->rejected : ja::find(lenient, "rejected");
    if (rej && rej->is_array()) {
      for (const auto& e : *rej)
        add_delivery_error(out, ja::get_string(e, "code", "rejected_by_backend").c_str(),
                           "backend rejected an event of batch " + std::to_string(id) + ": " + ja::get_string(e, "message"));
    } else if (!ack && lenient.is_discarded()) {
      out.log.push_back("batch " + std::to_string(id) + ": backend answered 2xx with a body that is not JSON; counted as delivered (acceptAny2xx)");
    }
  }
  out.persist = o.action != "unknown_batch";
  send_ready(now, false, 0, out);
  finish(out, now);
  return out;
}

Output Engine::resume(std::int64_t now) {
  Output out;
  if (std::size_t n = queue_.resume(now, rng_))
    out.log.push_back("resume: " + std::to_string(n) + " waiting batches due now (backoff reset, jitter up to " +
                      std::to_string(limits::kResumeJitterMs) + " ms)");
  expire_session(now, out);
  send_ready(now, false, 0, out);
  finish(out, now);
  return out;
}

const std::string& Engine::batch_body(std::uint64_t id) const {
  static const std::string kEmpty;
  auto it = bodies_.find(id);
  return it == bodies_.end() ? kEmpty : it->second;
}

json Engine::load_rules(std::string_view rules_json) {
  json errors = json::array();
  for (const auto& e : tags_.load(rules_json)) errors.push_back({{"path", e.path}, {"message", e.message}});
  return errors;
}

TP_COLD Output Engine::advance_rules(std::int64_t now) {
  Output out;
  expire_session(now, out);
  json changes = tags_.advance(now);
  if (!changes.empty()) {
    out.rules.push_back(changes);
    json tc = {{"type", "track"}, {"event", "tags_changed"}, {"properties", changes}};
    credit_kiosk_store(now);
    stamp(tc, now);
    push_line(tc, context_with_tags(), now, out);
  }
  send_ready(now, false, 0, out);
  finish(out, now);
  return out;
}

TP_COLD std::string Engine::share_url(std::string_view url, std::string_view channel, std::int64_t now, Output& out) {
  const std::string share_id = rng_.uuid_v4();
  const std::string sharer = user_id().empty() ? anonymous_id() : user_id();
  std::string decorated = visit_.referral().share_url(url, sharer, share_id, channel);
  json props = {{"share_id", share_id}, {"channel", std::string(channel)}, {"url", decorated},
                {"depth", visit_.referral().share_depth()}};
  admit(json{{"type", "track"}, {"event", "share"}, {"properties", std::move(props)}}, now, out);
  send_ready(now, false, 0, out);
  finish(out, now);
  return decorated;
}

TP_COLD json Engine::stats() const {
  std::size_t in_flight = bodies_.size();
  return {{"queued", queue_.total_events()}, {"queuedBytes", queue_.total_bytes()}, {"pending", queue_.pending_events()},
          {"batches", queue_.batch_count()}, {"inFlight", in_flight}, {"dropped", queue_.dropped_total().to_json()},
          {"anonymousId", anonymous_id()}, {"userId", user_id().empty() ? json(nullptr) : json(user_id())},
          {"consent", to_string(consent_.state())}, {"consentHeld", consent_.held_events()},
          {"kiosk", config_.kiosk ? config_.kiosk->context(true) : json(nullptr)}};
}

std::string Engine::snapshot() const {
  json header = {{"visit", visit_.to_json()}, {"rng", rng_.state_hex()}, {"queue", queue_.header()},
                 {"record_seq", next_record_seq_}};
  std::string out(kSnapshotMagic);
  out += '\n';
  out += header.dump(-1, ' ', false, json::error_handler_t::replace);
  out += '\n';
  std::string rules_state = tags_.snapshot();
  for (char& c : rules_state)
    if (c == '\n') c = ' ';  // one line per section; JSON allows a space wherever a newline was
  out += rules_state;
  out += '\n';
  const auto keys = queue_.event_keys();
  const auto lines = queue_.event_lines();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    out += *keys[i];
    out += '\t';
    out += *lines[i];
    out += '\n';
  }
  return out;
}

std::string Engine::state() const {
  json header = {{"visit", visit_.to_json()}, {"rng", rng_.state_hex()},
                 {"dropped_unreported", queue_.dropped_unreported().to_json()}, {"dropped_total", queue_.dropped_total().to_json()}};
  std::string out(kStateMagic);
  out += '\n';
  out += header.dump(-1, ' ', false, json::error_handler_t::replace);
  out += '\n';
  std::string rules_state = tags_.snapshot();
  for (char& c : rules_state)
    if (c == '\n') c = ' ';
  out += rules_state;
  out += '\n';
  return out;
}

Output Engine::adopt(std::string_view records, std::int64_t now) {
  Output out;
  std::set<std::string> known;
  for (auto& k : queue_.keys(false)) known.insert(std::move(k));
  for (const auto& p : probing_) known.insert(p.first);
  for (const auto& p : probe_out_) known.insert(p.first);
  std::size_t adopted = 0, checking = 0, bad = 0;
  for (std::string_view line : split_lines(records)) {
    const bool unconfirmed = !line.empty() && line[0] == '?';
    if (unconfirmed) line.remove_prefix(1);
    const std::size_t tab = line.find('\t');
    if (tab == 0 || tab == std::string_view::npos) continue;
    std::string key(line.substr(0, tab));
    std::string_view event = line.substr(tab + 1);
    if (known.count(key)) continue;
    known.insert(key);
    if (event.size() > limits::kMaxEventBytes || !json::accept(event)) {
      ++bad;
      out.del.push_back(std::move(key));
      continue;
    }
    if (unconfirmed) {
      if (probing_.empty()) probe_due_ = now + limits::kReceiptGraceMs;
      probing_.emplace_back(std::move(key), std::string(event));
      ++checking;
    } else {
      queue_.push(std::string(event), now, std::move(key));
      ++adopted;
    }
  }
  if (bad) out.errors.push_back({{"index", nullptr}, {"code", "record_corrupt"}, {"field", ""},
                                 {"message", std::to_string(bad) + " stored records were unreadable and deleted"}});
  if (adopted || checking || bad)
    out.log.push_back("adopted " + std::to_string(adopted + checking) + " stored events (" + std::to_string(checking) +
                      " sent while unloading, checked against the collector's receipts first)");
  send_ready(now, false, 0, out);
  finish(out, now);
  return out;
}

Output Engine::receipts(std::uint64_t id, int status, std::string_view body, std::int64_t now) {
  Output out;
  if (id != probe_id_ || probe_out_.empty()) {
    finish(out, now);
    return out;
  }
  std::set<std::string> stored;
  const json r = status == 200 ? json::parse(body, nullptr, false) : json();
  const json* ids = ja::find(r, "stored");
  if (ids && ids->is_array())
    for (const auto& m : *ids)
      if (m.is_string()) stored.insert(m.get<std::string>());
  std::size_t confirmed = 0;
  for (auto& [key, event] : probe_out_) {
    if (stored.count(std::string(message_id_of(event)))) {
      out.del.push_back(std::move(key));
      ++confirmed;
    } else {
      queue_.push(std::move(event), now, std::move(key));
    }
  }
  out.log.push_back(ids && ids->is_array()
                        ? "receipts: " + std::to_string(confirmed) + " of " + std::to_string(probe_out_.size()) +
                              " events sent while unloading were stored; the rest go again"
                        : "receipts: HTTP " + std::to_string(status) + " (no receipts here); sending the " +
                              std::to_string(probe_out_.size()) + " events again");
  probe_out_.clear();
  send_ready(now, false, 0, out);
  finish(out, now);
  return out;
}

std::size_t Engine::release(std::string_view keys) {
  std::vector<std::string> list;
  for (std::string_view k : split_lines(keys))
    if (!k.empty()) list.emplace_back(k);
  return queue_.release(list);
}

Output Engine::shed(std::int64_t now) {
  Output out;
  const std::size_t n = std::max<std::size_t>(1, queue_.total_events() / limits::kStorageFullShedDivisor);
  const std::size_t freed = queue_.shed(n);
  out.log.push_back("store full: freed the " + std::to_string(freed) + " oldest waiting events (counted as storage_full)");
  out.persist = true;
  finish(out, now);
  return out;
}

std::string Engine::in_flight_keys() const {
  std::string out;
  for (const auto& k : queue_.keys(true)) {
    out += k;
    out += '\n';
  }
  return out;
}

Output Engine::restore(std::string_view snap, std::int64_t now) {
  Output out;
  auto corrupt = [&](const std::string& why) {
    out.errors.push_back({{"index", nullptr}, {"code", "snapshot_corrupt"}, {"field", ""},
                          {"message", "stored state discarded: " + why}});
    out.log.push_back("stored state discarded: " + why);
  };
  const std::vector<std::string_view> lines = split_lines(snap);
  const bool small = !lines.empty() && lines[0] == kStateMagic;
  if (lines.size() < 3 || (lines[0] != kSnapshotMagic && !small)) {
    if (!snap.empty()) corrupt("not a touchpoint snapshot (bad magic or truncated)");
    finish(out, now);
    return out;
  }
  json header = json::parse(lines[1], nullptr, false);
  if (header.is_discarded() || !header.is_object()) {
    corrupt("header is not a JSON object");
    finish(out, now);
    return out;
  }
  const std::string adopted = anonymous_id();
  for (const auto& why : visit_.restore(ja::member(header, "visit"))) corrupt(why);
  if (anonymous_id().empty()) {
    std::string ignored;
    visit_.mutable_identity().set_anonymous_id(adopted, &ignored);
  }
  tags_.set_user_traits(std::as_const(visit_).identity().traits());
  const std::string anon = anonymous_id();
  if (!rng_.restore_hex(ja::get_string(header, "rng"))) rng_.reseed(config_.seed + anon);
  // Fold fresh entropy in too, so two tabs restoring the same snapshot never repeat messageIds.
  rng_.reseed(rng_.state_hex() + config_.seed);
  if (!lines[2].empty()) {
    std::string err;
    if (!tags_.restore(std::string(lines[2]), &err)) corrupt("rule state: " + err);
  }
  if (small) {  // the queue lives in the record store: adopt() brings it
    queue_.restore_drops(DropCounts::from_json(ja::member(header, "dropped_unreported")),
                         DropCounts::from_json(ja::member(header, "dropped_total")));
    finish(out, now);
    return out;
  }
  next_record_seq_ = std::max<std::uint64_t>(next_record_seq_, ja::get_uint(header, "record_seq", 1));
  std::vector<std::string> events, keys;
  std::size_t bad = 0;
  for (std::size_t i = 3; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.empty()) continue;
    std::string key;
    if (const std::size_t tab = line.find('\t'); tab != std::string_view::npos && line[0] != '{') {
      key = std::string(line.substr(0, tab));
      line.remove_prefix(tab + 1);
    }
    if (!json::accept(line)) { ++bad; continue; }
    if (key.empty()) {  // written by an older version, inside the snapshot: it becomes a record now
      key = next_record_key();
      out.put.emplace_back(key, std::string(line));
    }
    events.emplace_back(line);
    keys.push_back(std::move(key));
  }
  if (bad) {
    // Line count no longer matches the header: keep the readable events as pending.
    corrupt(std::to_string(bad) + " stored events were unreadable and dropped");
    json h = {{"batches", json::array()}, {"pending", events.size()}};
    std::string err;
    queue_.restore(h, std::move(events), &err, std::move(keys));
  } else {
    std::string err;
    const json* qh = ja::find(header, "queue");
    if (!queue_.restore(qh ? *qh : json(), std::move(events), &err, std::move(keys))) {
      corrupt("queue: " + err);
      out.put.clear();
    }
  }
  out.log.push_back("restored " + std::to_string(queue_.total_events()) + " queued events");
  send_ready(now, false, 0, out);
  finish(out, now);
  return out;
}

}  // namespace touchpoint
