#include "batch_parser.hpp"

#include <touchpoint/event_validator.hpp>
#include <touchpoint/iso_time.hpp>
#include <touchpoint/json_access.hpp>

#include "json_scan.hpp"

#include <string_view>
#include <utility>
#include <vector>

namespace touchpoint::collector {
namespace {

using nlohmann::json;

// Serialising and copying nlohmann values recurses once per nesting level, so a 1 MB body of
// "[[[[..." would overflow the stack. The validator bounds depth only inside properties, traits and
// context; this bound covers every key. limits::kMaxNestingDepth is 16 inside those objects.
constexpr std::size_t kMaxEventDepth = 32;
// The drop report is a flat object of counters.
constexpr std::size_t kMaxDroppedDepth = 4;

// Iterative, so it is safe on any input.
bool deeper_than(const json& root, std::size_t max_depth) {
  std::vector<std::pair<const json*, std::size_t>> stack{{&root, 1}};
  while (!stack.empty()) {
    auto [value, depth] = stack.back();
    stack.pop_back();
    if (!value->is_structured()) continue;
    if (depth > max_depth) return true;
    for (const auto& child : *value) stack.emplace_back(&child, depth + 1);
  }
  return false;
}

std::optional<std::string> string_field(const json& object, const char* key) {
  const json* v = touchpoint::json_access::find(object, key);
  if (v && v->is_string()) return v->get<std::string>();
  return std::nullopt;
}

// Session ids are strings in the SDK; accept numbers from other senders rather than lose them.
std::optional<std::string> session_id_of(const json& event) {
  const json* context = touchpoint::json_access::find(event, "context");
  const json* session = context ? touchpoint::json_access::find(*context, "session") : nullptr;
  const json* id = session ? touchpoint::json_access::find(*session, "id") : nullptr;
  if (!id) return std::nullopt;
  if (id->is_string()) return id->get<std::string>();
  if (id->is_number()) return id->dump();
  return std::nullopt;
}

DroppedCounts read_dropped(const json& body) {
  DroppedCounts d;
  const json* dropped = touchpoint::json_access::find(body, "dropped");
  if (!dropped || !dropped->is_object() || deeper_than(*dropped, kMaxDroppedDepth)) return d;
  auto counter = [&](const json& v) -> std::int64_t {
    return v.is_number_integer() && v.get<std::int64_t>() > 0 ? v.get<std::int64_t>() : 0;
  };
  for (auto it = dropped->begin(); it != dropped->end(); ++it) {
    const std::int64_t n = counter(it.value());
    if (it.key() == "queue_full") d.queue_full = n;
    else if (it.key() == "rejected") d.rejected = n;
    else if (it.key() == "too_large") d.too_large = n;
    d.total += n;
  }
  d.json = dropped->dump(-1, ' ', false, json::error_handler_t::replace);
  return d;
}

EventRecord to_record(const json& event, const std::optional<std::string>& batch_sent_at) {
  EventRecord r;
  r.message_id = string_field(event, "messageId").value_or("");
  r.type = string_field(event, "type").value_or("");
  // page/screen events carry their name in "name"; track events in "event".
  r.event = string_field(event, "event");
  if (!r.event && (r.type == "page" || r.type == "screen")) r.event = string_field(event, "name");
  r.anonymous_id = string_field(event, "anonymousId");
  r.user_id = string_field(event, "userId");
  if (r.type == "identify") r.user_hash = string_field(event, "userHash");
  if (r.anonymous_id && r.anonymous_id->empty()) r.anonymous_id.reset();
  if (r.user_id && r.user_id->empty()) r.user_id.reset();
  r.session_id = session_id_of(event);
  r.timestamp = string_field(event, "timestamp");
  if (r.timestamp) {
    if (auto ms = touchpoint::parse_iso8601_ms(*r.timestamp)) r.timestamp_ms = *ms;
  }
  r.sent_at = string_field(event, "sentAt");
  if (!r.sent_at) r.sent_at = batch_sent_at;
  r.body = event.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

}  // namespace

std::optional<BatchParseError> parse_batch(std::string json_text, const BatchLimits& limits, ParsedBatch* out) {
  touchpoint::repair_utf8(json_text);
  const std::string_view text(json_text);
  const BatchParseError invalid{"invalid_json", "body is not valid JSON"};

  // Split the body into the spans of its members and of the batch's events: no DOM of the whole.
  std::size_t pos = 0;
  skip_json_whitespace(text, &pos);
  if (pos >= text.size()) return invalid;
  if (text[pos] != '{') {
    ScannedValue whole;
    if (!scan_json_value(text, &pos, &whole)) return invalid;
    skip_json_whitespace(text, &pos);
    if (pos != text.size()) return invalid;
    return BatchParseError{"batch_missing", std::string("body must be a JSON object with a \"batch\" array, got ") +
                                                json_kind_name(whole.kind)};
  }
  ++pos;
  std::vector<ScannedValue> events;
  std::optional<ScannedValue> batch_value, sent_at, write_key, dropped;
  bool too_many = false;
  skip_json_whitespace(text, &pos);
  if (pos < text.size() && text[pos] == '}') {
    ++pos;
  } else {
    for (;;) {
      ScannedValue key_span;
      skip_json_whitespace(text, &pos);
      if (pos >= text.size() || text[pos] != '"' || !scan_json_value(text, &pos, &key_span)) return invalid;
      const json key = json::parse(text.substr(key_span.begin, key_span.end - key_span.begin), nullptr, false);
      skip_json_whitespace(text, &pos);
      if (pos >= text.size() || text[pos] != ':') return invalid;
      ++pos;
      skip_json_whitespace(text, &pos);
      const std::string name = key.is_string() ? key.get<std::string>() : std::string();
      if (name == "batch" && pos < text.size() && text[pos] == '[') {
        // Duplicate keys: the last one wins, as in nlohmann.
        events.clear();
        too_many = false;
        ScannedValue array;
        array.begin = pos;
        array.kind = '[';
        ++pos;
        skip_json_whitespace(text, &pos);
        if (pos < text.size() && text[pos] == ']') {
          ++pos;
        } else {
          for (;;) {
            ScannedValue element;
            if (!scan_json_value(text, &pos, &element)) return invalid;
            if (events.size() < limits.max_events) events.push_back(element);
            else too_many = true;  // keep scanning: the body must still be valid JSON
            skip_json_whitespace(text, &pos);
            if (pos >= text.size()) return invalid;
            if (text[pos] == ',') { ++pos; continue; }
            if (text[pos] == ']') { ++pos; break; }
            return invalid;
          }
        }
        array.end = pos;
        batch_value = array;
      } else {
        ScannedValue value;
        if (!scan_json_value(text, &pos, &value)) return invalid;
        if (name == "batch") batch_value = value;
        else if (name == "sentAt") sent_at = value;
        else if (name == "writeKey") write_key = value;
        else if (name == "dropped") dropped = value;
      }
      skip_json_whitespace(text, &pos);
      if (pos >= text.size()) return invalid;
      if (text[pos] == ',') { ++pos; continue; }
      if (text[pos] == '}') { ++pos; break; }
      return invalid;
    }
  }
  skip_json_whitespace(text, &pos);
  if (pos != text.size()) return invalid;

  if (!batch_value) return BatchParseError{"batch_missing", "body has no \"batch\" array"};
  if (batch_value->kind != '[')
    return BatchParseError{"batch_not_array",
                           std::string("\"batch\" must be an array, got ") + json_kind_name(batch_value->kind)};
  if (too_many)
    return BatchParseError{"too_many_events", "a batch may hold at most " + std::to_string(limits.max_events) +
                                                  " events; split it"};

  auto member = [&](const std::optional<ScannedValue>& span) -> json {
    if (!span) return json();
    return json::parse(text.substr(span->begin, span->end - span->begin), nullptr, false);
  };
  auto member_string = [&](const std::optional<ScannedValue>& span) -> std::optional<std::string> {
    if (!span || span->kind != '"') return std::nullopt;
    const json v = member(span);
    if (v.is_string()) return v.get<std::string>();
    return std::nullopt;
  };
  out->sent_at = member_string(sent_at);
  out->write_key = member_string(write_key);
  if (dropped && dropped->kind == '{' && dropped->depth <= kMaxDroppedDepth) {
    const json report = member(dropped);
    if (report.is_object()) out->dropped = read_dropped(json{{"dropped", report}});
  }
  out->event_count = events.size();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const ScannedValue& span = events[i];
    if (span.depth > kMaxEventDepth) {
      out->rejected.push_back({i, "too_deep", "",
                               "event nests deeper than " + std::to_string(kMaxEventDepth) + " levels"});
      continue;
    }
    // One event at a time: at most one event's DOM is alive, bounded by the body limit.
    const json event = json::parse(text.substr(span.begin, span.end - span.begin), nullptr, false);
    if (event.is_discarded()) return invalid;
    if (auto error = touchpoint::validate_event(event)) {
      out->rejected.push_back({i, error->code, error->field, error->message});
      continue;
    }
    out->events.push_back(to_record(event, out->sent_at));
  }
  return std::nullopt;
}

}  // namespace touchpoint::collector
