#include "batch_parser.hpp"

#include <touchpoint/event_validator.hpp>
#include <touchpoint/iso_time.hpp>
#include <touchpoint/json_access.hpp>

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

std::optional<BatchParseError> parse_batch(std::string json_text, ParsedBatch* out) {
  touchpoint::repair_utf8(json_text);
  const json body = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  json_text.clear();
  json_text.shrink_to_fit();
  if (body.is_discarded()) return BatchParseError{"invalid_json", "body is not valid JSON"};
  if (!body.is_object())
    return BatchParseError{"batch_missing", std::string("body must be a JSON object with a \"batch\" array, got ") +
                                                body.type_name()};
  auto batch = body.find("batch");
  if (batch == body.end()) return BatchParseError{"batch_missing", "body has no \"batch\" array"};
  if (!batch->is_array())
    return BatchParseError{"batch_not_array", std::string("\"batch\" must be an array, got ") + batch->type_name()};

  out->sent_at = string_field(body, "sentAt");
  out->write_key = string_field(body, "writeKey");
  out->dropped = read_dropped(body);
  out->event_count = batch->size();
  for (std::size_t i = 0; i < batch->size(); ++i) {
    const json& event = (*batch)[i];
    if (deeper_than(event, kMaxEventDepth)) {
      out->rejected.push_back({i, "too_deep", "",
                               "event nests deeper than " + std::to_string(kMaxEventDepth) + " levels"});
      continue;
    }
    if (auto error = touchpoint::validate_event(event)) {
      out->rejected.push_back({i, error->code, error->field, error->message});
      continue;
    }
    out->events.push_back(to_record(event, out->sent_at));
  }
  return std::nullopt;
}

}  // namespace touchpoint::collector
