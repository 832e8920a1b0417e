// The SDK's decision core. The shell feeds it calls (track/page/identify/...), the clock, delivery
// results and stored state; it answers with batches to send, the next wake-up time, whether state
// must be persisted, rejected calls and tag changes. It performs no I/O and reads no clock.
//
// Calls: see ingest(). Every entry point returns an Output (see to_json()):
//   {"accepted": n, "errors": [{"index","code","field","message"}], "send": [{"id","events","bytes"}],
//    "wake": ms|null, "persist": bool, "rules": [changes...], "log": ["..."],
//    "put": [[key, event JSON text], ...], "del": [key, ...], "probe": {"id", "messageIds": [...]}}
//
// Records (docs/storage.md): every queued event is its own record in the shell's store, written
// once when it is queued ("put", the event as raw JSON) and deleted once its delivery is
// confirmed or it is dropped ("del"). Keys are "<tabId>.<seq>", unique per page. The small state
// (identity, session, attribution, super properties, rule state, drop counts) is state(), a
// snapshot without events. One tab per origin and write key sends (set_sender); it adopts the
// records other tabs and earlier pages wrote (adopt). Records an unloading page sent but never saw
// the answer of are checked against the collector's receipts ("probe", receipts()) before they
// are sent again.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "touchpoint/batch_queue.hpp"
#include "touchpoint/consent.hpp"
#include "touchpoint/event_validator.hpp"
#include "touchpoint/kiosk.hpp"
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
  std::optional<KioskConfig> kiosk;  // a shared in-store screen: context.kiosk, store first touch (kiosk.hpp)
  // A batch counts as delivered only on the collector's acknowledgement ({accepted, duplicates,
  // rejected} adding up to the batch); any other 2xx is retried and reported as
  // delivery_unconfirmed. true: any 2xx is delivered (third-party Segment-style backends).
  bool accept_any_2xx = false;
  // Every event request is aborted after this (the shell enforces it); the in-flight timeout of
  // the queue is this plus limits::kInFlightGraceMs.
  std::int64_t request_timeout_ms = limits::kDefaultRequestTimeoutMs;

  std::string tab_id;             // prefix of this page's record keys ("" = drawn from the seed)

  // Reads init options {writeKey, flushAt, flushInterval, flushBytes, maxQueueEvents, maxQueueBytes,
  // compress, seed, sessionTimeout, splitSessionsAtMidnight, utcOffsetMinutes, consent, anonymousId,
  // kiosk: {idleResetMs, deviceId, storeId}, acceptAny2xx, requestTimeoutMs, tabId};
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
  std::vector<std::pair<std::string, std::string>> put;  // records to write: key, event JSON
  std::vector<std::string> del;                          // records to delete
  nlohmann::json probe;      // null, or {"id", "messageIds"}: ask the collector which it stored
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
  //   {"type":"end_visit","reason":"idle"|"api","ts":ms}   the visitor left (kiosk): session_end and
  //       visit_end {reason, duration_ms, started_at} under the old ids, then everything reset()
  //       forgets; the next event starts a new visitor with a new session
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
  // The answer for batch `id`: HTTP status (0 = network error or timeout, its text as body; a 3xx is
  // a redirect the shell did not follow), Retry-After in ms (0 if none), body. A 2xx is delivered
  // only with the collector's acknowledgement (see EngineConfig::accept_any_2xx); otherwise it is
  // retried with backoff and reported as delivery_unconfirmed. A 3xx is retried and reported as
  // endpoint_moved, never dropped.
  Output delivered(std::uint64_t id, int status, std::int64_t retry_after_ms, std::string_view body,
                   std::int64_t now_ms);
  // The network is back or the page is visible again: waiting batches are due at once, within a
  // small jitter, with their backoff reset (BatchQueue::resume); what may go now is sent.
  Output resume(std::int64_t now_ms);

  // Body of a batch handed out in Output.send (gzip when compress is on); empty if unknown.
  const std::string& batch_body(std::uint64_t id) const;

  // Rules: the errors (JSON array of {path,message}); a rejected set never replaces the one in force.
  nlohmann::json load_rules(std::string_view rules_json);
  Output advance_rules(std::int64_t now_ms);  // time-driven tag expiry
  const rules::TagEngine& tag_engine() const { return tags_; }

  // Everything, queue included ("TPS1"; each event line is "<key>\t<event>"): what the shell's
  // core guard recovers from after an abort. Never persisted by the shell.
  std::string snapshot() const;
  // The small state without events ("TPS2"): what the shell persists.
  std::string state() const;
  // Restores a state() (identity, rules, drop counts; the queue stays as it is) or a snapshot()
  // (queue too). A snapshot of an older version has events without keys: they get keys and come
  // out as "put" (the one-time migration to records). A corrupt one is reported and discarded.
  Output restore(std::string_view snapshot, std::int64_t now_ms);

  // Records read from the store, one per line "<key>\t<event>"; a line starting with '?' was sent
  // by a page that was unloading and never saw the answer: it is checked against the collector's
  // receipts first (Output.probe). Keys already queued are skipped; unreadable lines are dropped
  // and their keys deleted.
  Output adopt(std::string_view records, std::int64_t now_ms);
  // The answer to Output.probe `id`: status 200 with {"stored":[messageIds]} deletes the stored
  // ones; any other answer (a backend without receipts) queues all of them to be sent again.
  Output receipts(std::uint64_t id, int status, std::string_view body, std::int64_t now_ms);
  // Only the sender sends (and probes); other tabs only write records.
  void set_sender(bool sender) { sender_ = sender; }
  bool sender() const { return sender_; }
  // Forgets waiting events whose records are stored (newline-separated keys): a tab that is not the
  // sender keeps nothing in memory that the sender will adopt. Returns how many.
  std::size_t release(std::string_view keys);
  // The store is full: frees the oldest quarter (at least one) of the waiting events, counted as
  // `storage_full`, their keys in Output.del.
  Output shed(std::int64_t now_ms);
  // Record keys of the batches in flight, newline-separated (marked "sent while unloading").
  std::string in_flight_keys() const;

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
  void end_visit(VisitEndReason reason, std::int64_t t, Output& out);
  void forget_visitor(Output& out);
  void start_session_if_needed(std::int64_t t, bool is_page, Output& out);
  void credit_kiosk_store(std::int64_t t);
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
  std::string next_record_key();
  void take_dropped(Output& out);

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
  bool sender_ = true;
  std::uint64_t next_record_seq_ = 1;
  std::vector<std::pair<std::string, std::string>> probing_;   // adopted '?' records: key, event
  std::vector<std::pair<std::string, std::string>> probe_out_; // those asked about now
  std::uint64_t probe_id_ = 0;
  std::int64_t probe_due_ = 0;  // no receipt query before this (limits::kReceiptGraceMs)
  std::string context_dom_text_;                 // the context text context_dom_ was parsed from
  nlohmann::json context_dom_;
};

}  // namespace touchpoint
