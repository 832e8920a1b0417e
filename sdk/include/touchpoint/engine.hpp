// The SDK's decision core. The shell feeds it calls (track/page/identify/...), the clock, delivery
// results and stored state; it answers with batches to send, the next wake-up time, whether state
// must be persisted, rejected calls and tag changes. It performs no I/O and reads no clock.
//
// Calls: see ingest(). Every entry point returns an Output (see to_json()):
//   {"accepted": n, "errors": [{"index","code","field","message"}], "send": [{"id","events","bytes"}],
//    "wake": ms|null, "persist": bool, "rules": [changes...], "log": ["..."]}
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "touchpoint/batch_queue.hpp"
#include "touchpoint/consent.hpp"
#include "touchpoint/event_validator.hpp"
#include "touchpoint/json_access.hpp"
#include "touchpoint/random.hpp"
#include "touchpoint/rules/tag_engine.hpp"
#include "touchpoint/visit_context.hpp"

namespace touchpoint {

struct EngineConfig {
  std::string write_key;
  BatchQueueConfig queue;
  bool compress = true;           // gzip batch bodies inside the core
  std::string library_name = "touchpoint";
  std::string library_version = TOUCHPOINT_VERSION;
  std::string seed;               // entropy from the shell (crypto.getRandomValues), any bytes
  std::int64_t session_timeout_ms = kDefaultSessionTimeoutMs;
  bool split_sessions_at_midnight = false;  // a new session at local midnight (docs/identity.md, "Sessions")
  std::int32_t utc_offset_minutes = 0;      // local offset until the shell's context reports utcOffsetMinutes
  Consent consent = Consent::kGranted;  // 'pending': hold events in memory, store and send nothing
  std::string anonymous_id;       // adopt this id when no stored state has one (shared cookie)

  // Reads init options {writeKey, flushAt, flushInterval, flushBytes, maxQueueEvents, maxQueueBytes,
  // compress, seed, sessionTimeout, splitSessionsAtMidnight, utcOffsetMinutes, consent, anonymousId};
  // unknown keys are ignored (the shell owns them), wrong types are errors.
  static std::optional<EngineConfig> from_json(const nlohmann::json& options, ValidationError* error);
};

struct Output {
  std::size_t accepted = 0;
  nlohmann::json errors = nlohmann::json::array();
  nlohmann::json send = nlohmann::json::array();
  std::optional<std::int64_t> wake;
  bool persist = false;
  nlohmann::json rules = nlohmann::json::array();
  nlohmann::json log = nlohmann::json::array();
  std::string replace_url;   // the shell should history.replaceState to this (web-view ids removed)
  bool wipe = false;         // consent denied: delete everything stored for this write key
  std::string to_json() const;
};

class Engine {
 public:
  explicit Engine(EngineConfig config);

  // Calls as newline-delimited lines, processed in order. The hot path for track is the tab-separated
  // line "t\t<ts>\t<name as JSON string>\t<properties JSON>"; every other line is a JSON object:
  //   {"type":"track","event":name,"properties":{..},"ts":ms}
  //   {"type":"page","name":name?,"properties":{..},"ts":ms}
  //   {"type":"identify","userId":id?,"traits":{..},"ts":ms}
  //   {"type":"reset","ts":ms}
  //   {"type":"context","context":{"page":{..},"userAgent":..,"locale":..,"timezone":..,"screen":{..}}}
  //   {"type":"alias","userId":id,"previousId":id?,"ts":ms}
  //   {"type":"register"|"register_once","properties":{..}}   {"type":"unregister","key":k}
  //   {"type":"external_id","kind":"openid"|"unionid"|"appid","value":v}
  //   {"type":"consent","state":"pending"|"granted"|"denied"}
  // A malformed line is rejected alone (errors[].index is its 0-based line number).
  Output ingest(std::string_view ndjson, std::int64_t now_ms);
  // Time passed: form due batches, send what may go, report the next wake-up.
  Output tick(std::int64_t now_ms);
  // Flush now. `unloading`: the page is going away, so everything not in flight goes out at once,
  // ignoring backoff, with bodies adding up to at most `budget_bytes` (the 64 KB keepalive budget).
  Output flush(std::int64_t now_ms, bool unloading, std::size_t budget_bytes);
  // The answer for batch `id`: HTTP status (0 = network error), Retry-After in ms (0 if none), body.
  Output delivered(std::uint64_t id, int status, std::int64_t retry_after_ms, std::string_view body,
                   std::int64_t now_ms);

  // Body of a batch handed out in Output.send (gzip when compress is on); empty if unknown.
  const std::string& batch_body(std::uint64_t id) const;

  // Rules: the errors (JSON array of {path,message}); a rejected set never replaces the one in force.
  nlohmann::json load_rules(std::string_view rules_json);
  Output advance_rules(std::int64_t now_ms);  // time-driven tag expiry
  const rules::TagEngine& tag_engine() const { return tags_; }

  std::string snapshot() const;
  // Restores identity, queue and rule state; a corrupt snapshot is reported and discarded.
  Output restore(std::string_view snapshot, std::int64_t now_ms);

  // Decorates `url` for sharing (tp_ref/tp_share/tp_depth/tp_ch) and queues a `share` event.
  std::string share_url(std::string_view url, std::string_view channel, std::int64_t now_ms, Output& out);

  const std::string& anonymous_id() const { return visit_.identity().anonymous_id(); }
  const std::string& user_id() const { return visit_.identity().user_id(); }
  Consent consent() const { return consent_.state(); }
  nlohmann::json visit_summary() const { return visit_.summary(); }
  nlohmann::json stats() const;

 private:
  void handle_track_line(std::string_view line, std::size_t index, std::int64_t now, Output& out);
  bool push_stamped_line(std::string line, const std::string& context, std::int64_t t, Output& out);
  void stamp_line(std::string& line, std::int64_t t);
  void queue_with_changes(std::string stamped, nlohmann::json changes, std::int64_t t, Output& out);
  bool push_serialized(std::string line, const std::string& context, std::int64_t t, Output& out);
  void handle_call(const nlohmann::json& call, std::size_t index, std::int64_t now, Output& out);
  void enqueue(nlohmann::json event, std::int64_t t, Output& out);
  void admit(nlohmann::json event, std::int64_t t, Output& out);
  void start_session_if_needed(std::int64_t t, bool is_page, Output& out);
  void push_session_end(const SessionEnd& end, Output& out);
  void expire_session(std::int64_t now, Output& out);
  void apply_consent(Consent next, Output& out, std::int64_t now);
  std::string random_bytes(std::size_t n);
  void stamp(nlohmann::json& event, std::int64_t t);
  bool push_line(const nlohmann::json& event, const std::string& context, std::int64_t t, Output& out);
  void send_ready(std::int64_t now, bool unloading, std::size_t budget, Output& out);
  void finish(Output& out, std::int64_t now);
  const std::string& context_json() { return visit_.serialized(config_.library_name, config_.library_version); }
  std::string context_with_tags();
  const nlohmann::json& context_dom();
  std::string build_body(const Batch& b, std::int64_t now) const;

  // The JSON text of an id stamped on every event, dumped again only when the id changes.
  struct CachedJsonString {
    std::string value, text;
    const std::string& of(const std::string& v) {
      if (text.empty() || v != value) {
        value = v;
        text = json_access::dump(nlohmann::json(v));
      }
      return text;
    }
  };

  EngineConfig config_;
  CachedJsonString anonymous_id_json_, user_id_json_;
  Random rng_;
  BatchQueue queue_;
  rules::TagEngine tags_;
  VisitContext visit_;
  ConsentState consent_;
  std::uint64_t consent_discarded_ = 0;
  std::map<std::uint64_t, std::string> bodies_;  // bodies of batches in flight
  std::string context_dom_text_;                 // the context text context_dom_ was parsed from
  nlohmann::json context_dom_;
};

}  // namespace touchpoint
