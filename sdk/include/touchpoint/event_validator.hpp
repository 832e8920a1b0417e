// Validation of what callers put into events, shared by the SDK (on the device) and the collector.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace touchpoint {

// A structured rejection: a stable machine code, the offending field as a JSON pointer, and a
// human message naming that field.
struct ValidationError {
  std::string code;     // e.g. "event_name_too_long", "properties_not_object"
  std::string field;    // e.g. "/properties/items/3/name"
  std::string message;  // e.g. "event name is 300 chars; the limit is 255"
  nlohmann::json to_json() const { return {{"code", code}, {"field", field}, {"message", message}}; }
};

// Checks a user-supplied JSON value (properties, traits) for depth, key count, string length and
// non-finite numbers. `field` is the JSON pointer of `value` used in errors.
std::optional<ValidationError> validate_payload(const nlohmann::json& value, const std::string& field);

// Same checks as validate_payload, on JSON text, without building a DOM (the hot path: the shell
// hands over properties exactly as JSON.stringify wrote them). Sets *well_formed to false (and
// returns nullopt) when `text` is not JSON at all, so the caller can repair and retry.
std::optional<ValidationError> validate_payload_text(std::string_view text, const std::string& field, bool* well_formed);

// Checks an event name: a string of 1..kMaxEventNameLength bytes.
std::optional<ValidationError> validate_event_name(const nlohmann::json& name);

// Checks a complete Segment-shaped event as a backend receives it: type, event (for track),
// messageId, timestamp, anonymousId/userId, properties/traits/context objects, and total size.
std::optional<ValidationError> validate_event(const nlohmann::json& event);

// Replaces invalid UTF-8 sequences in `s` with U+FFFD (what WHATWG's TextDecoder does).
// Returns true if anything was replaced.
bool repair_utf8(std::string& s);

}  // namespace touchpoint
