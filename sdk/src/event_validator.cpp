#include "touchpoint/event_validator.hpp"

#include <cmath>
#include <vector>

#include "touchpoint/iso_time.hpp"
#include "touchpoint/limits.hpp"

namespace touchpoint {
namespace {

using nlohmann::json;

ValidationError error(std::string code, std::string field, std::string message) {
  return ValidationError{std::move(code), std::move(field), std::move(message)};
}

// RFC 6901: '~' -> "~0", '/' -> "~1".
std::string pointer_token(const std::string& key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::optional<ValidationError> check_value(const json& v, const std::string& field, std::size_t depth) {
  switch (v.type()) {
    case json::value_t::object: {
      if (depth >= limits::kMaxNestingDepth)
        return error("too_deep", field, field + " nests deeper than " + std::to_string(limits::kMaxNestingDepth) + " levels");
      if (v.size() > limits::kMaxObjectKeys)
        return error("too_many_keys", field, field + " has " + std::to_string(v.size()) + " keys; the limit is " +
                                                 std::to_string(limits::kMaxObjectKeys));
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string child = field + "/" + pointer_token(it.key());
        if (it.key().size() > limits::kMaxEventNameLength)
          return error("key_too_long", child, "key at " + field + " is " + std::to_string(it.key().size()) +
                                                  " bytes; the limit is " + std::to_string(limits::kMaxEventNameLength));
        if (auto e = check_value(it.value(), child, depth + 1)) return e;
      }
      return std::nullopt;
    }
    case json::value_t::array: {
      if (depth >= limits::kMaxNestingDepth)
        return error("too_deep", field, field + " nests deeper than " + std::to_string(limits::kMaxNestingDepth) + " levels");
      std::size_t i = 0;
      for (const auto& item : v) {
        if (auto e = check_value(item, field + "/" + std::to_string(i), depth + 1)) return e;
        ++i;
      }
      return std::nullopt;
    }
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (s.size() > limits::kMaxStringBytes)
        return error("string_too_long", field, field + " is " + std::to_string(s.size()) + " bytes; the limit is " +
                                                   std::to_string(limits::kMaxStringBytes));
      return std::nullopt;
    }
    case json::value_t::number_float: {
      if (!std::isfinite(v.get<double>()))
        return error("non_finite_number", field, field + " is not a finite number (NaN and Infinity are not JSON)");
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

bool is_uuid_like(const std::string& s) {
  // messageId must be a non-empty string; we accept any id up to 100 chars (Segment accepts any string),
  // our own are UUID v4.
  return !s.empty() && s.size() <= 100;
}

// SAX handler enforcing the payload limits while nlohmann's lexer reads the text once.
class PayloadLimitsSax {
 public:
  explicit PayloadLimitsSax(const std::string& field) : root_(field) {}
  std::optional<ValidationError> error;
  bool syntax_error = false;
  bool top_is_object = false;

  bool null() { return scalar(); }
  bool boolean(bool) { return scalar(); }
  bool number_integer(json::number_integer_t) { return scalar(); }
  bool number_unsigned(json::number_unsigned_t) { return scalar(); }
  bool number_float(json::number_float_t v, const std::string&) {
    if (!std::isfinite(v)) return fail("non_finite_number", path() + " is not a finite number (NaN and Infinity are not JSON)");
    return scalar();
  }
  bool string(std::string& s) {
    if (s.size() > limits::kMaxStringBytes)
      return fail("string_too_long", path() + " is " + std::to_string(s.size()) + " bytes; the limit is " + std::to_string(limits::kMaxStringBytes));
    return scalar();
  }
  bool binary(json::binary_t&) { return scalar(); }
  bool start_object(std::size_t) { return open(true); }
  bool key(std::string& k) {
    Frame& f = stack_.back();
    if (++f.count > limits::kMaxObjectKeys)
      return fail("too_many_keys", pointer() + " has more than " + std::to_string(limits::kMaxObjectKeys) + " keys; the limit is " + std::to_string(limits::kMaxObjectKeys), pointer());
    f.key = pointer_token(k);
    if (k.size() > limits::kMaxEventNameLength)
      return fail("key_too_long", "key at " + pointer() + " is " + std::to_string(k.size()) + " bytes; the limit is " + std::to_string(limits::kMaxEventNameLength));
    return true;
  }
  bool end_object() { stack_.pop_back(); return after_value(); }
  bool start_array(std::size_t) { return open(false); }
  bool end_array() { stack_.pop_back(); return after_value(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    syntax_error = true;
    return false;
  }

 private:
  struct Frame { bool object; std::size_t count = 0; std::string key; };
  bool open(bool object) {
    if (stack_.empty()) top_is_object = object;
    if (stack_.size() >= limits::kMaxNestingDepth + 1)
      return fail("too_deep", pointer() + " nests deeper than " + std::to_string(limits::kMaxNestingDepth) + " levels", pointer());
    if (!stack_.empty() && !stack_.back().object) stack_.back().key = std::to_string(stack_.back().count++);
    stack_.push_back(Frame{object, 0, {}});
    return true;
  }
  bool scalar() {
    if (!stack_.empty() && !stack_.back().object) stack_.back().key = std::to_string(stack_.back().count++);
    return true;
  }
  bool after_value() { return true; }
  // Pointer of the container being read (errors about the container itself).
  std::string pointer() const {
    std::string p = root_;
    for (std::size_t i = 0; i + 1 < stack_.size(); ++i) p += "/" + stack_[i].key;
    return p;
  }
  // Pointer of the value just read.
  std::string path() const {
    std::string p = root_;
    for (const auto& f : stack_) p += "/" + f.key;
    return p;
  }
  bool fail(const char* code, std::string message, std::string at = {}) {
    error = ValidationError{code, at.empty() ? path() : at, std::move(message)};
    return false;
  }
  std::string root_;
  std::vector<Frame> stack_;
};

}  // namespace

std::optional<ValidationError> validate_payload_text(std::string_view text, const std::string& field, bool* well_formed) {
  PayloadLimitsSax sax(field);
  json::sax_parse(text.begin(), text.end(), &sax);
  if (sax.error) { if (well_formed) *well_formed = true; return sax.error; }
  if (sax.syntax_error) { if (well_formed) *well_formed = false; return std::nullopt; }
  if (well_formed) *well_formed = true;
  if (!sax.top_is_object) {
    json probe = json::parse(text, nullptr, false);
    if (probe.is_null()) return std::nullopt;
    return error(field.substr(1) + "_not_object", field, field + " must be a JSON object, got " + probe.type_name());
  }
  return std::nullopt;
}

std::optional<ValidationError> validate_payload(const json& value, const std::string& field) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_object())
    return error(field.substr(1) + "_not_object", field, field + " must be a JSON object, got " + value.type_name());
  return check_value(value, field, 0);
}

std::optional<ValidationError> validate_event_name(const json& name) {
  if (!name.is_string()) return error("event_name_missing", "/event", "event name must be a string");
  const auto& s = name.get_ref<const std::string&>();
  if (s.empty()) return error("event_name_empty", "/event", "event name must not be empty");
  if (s.size() > limits::kMaxEventNameLength)
    return error("event_name_too_long", "/event", "event name is " + std::to_string(s.size()) +
                                                      " bytes; the limit is " + std::to_string(limits::kMaxEventNameLength));
  return std::nullopt;
}

std::optional<ValidationError> validate_event(const json& event) {
  if (!event.is_object()) return error("event_not_object", "", std::string("event must be a JSON object, got ") + event.type_name());
  auto type_it = event.find("type");
  if (type_it == event.end() || !type_it->is_string()) return error("type_missing", "/type", "type must be a string");
  const auto& type = type_it->get_ref<const std::string&>();
  if (type != "track" && type != "page" && type != "screen" && type != "identify" && type != "alias" && type != "group")
    return error("type_unknown", "/type", "type \"" + type + "\" is not one of track, page, screen, identify, alias, group");
  if (type == "track") {
    auto ev = event.find("event");
    if (auto e = validate_event_name(ev == event.end() ? json() : *ev)) return e;
  }
  auto mid = event.find("messageId");
  if (mid == event.end() || !mid->is_string() || !is_uuid_like(mid->get_ref<const std::string&>()))
    return error("message_id_missing", "/messageId", "messageId must be a non-empty string of at most 100 chars");
  auto ts = event.find("timestamp");
  if (ts == event.end() || !ts->is_string() || !parse_iso8601_ms(ts->get_ref<const std::string&>()))
    return error("timestamp_invalid", "/timestamp", "timestamp must be an ISO-8601 date-time string");
  auto anon = event.find("anonymousId");
  auto user = event.find("userId");
  const bool has_anon = anon != event.end() && anon->is_string() && !anon->get_ref<const std::string&>().empty();
  const bool has_user = user != event.end() && user->is_string() && !user->get_ref<const std::string&>().empty();
  if (!has_anon && !has_user) return error("identity_missing", "/anonymousId", "an event needs anonymousId or userId");
  for (const char* key : {"properties", "traits", "context"}) {
    auto it = event.find(key);
    if (it != event.end())
      if (auto e = validate_payload(*it, std::string("/") + key)) return e;
  }
  // Every other member is bounded too, before anything recurses over the whole event (dump).
  for (auto it = event.begin(); it != event.end(); ++it)
    if (auto e = check_value(it.value(), "/" + pointer_token(it.key()), 1)) return e;
  const std::size_t size = event.dump(-1, ' ', false, json::error_handler_t::replace).size();
  if (size > limits::kMaxEventBytes)
    return error("event_too_large", "", "event is " + std::to_string(size) + " bytes serialised; the limit is " +
                                            std::to_string(limits::kMaxEventBytes));
  return std::nullopt;
}

bool repair_utf8(std::string& s) {
  std::string out;
  bool changed = false;
  std::size_t i = 0;
  const std::size_t n = s.size();
  auto cont = [&](std::size_t k) { return k < n && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80; };
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF && cont(i + 1)) len = 2;
    else if (c >= 0xE0 && c <= 0xEF && cont(i + 1) && cont(i + 2)) {
      const unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      // reject overlongs (E0 80..9F) and UTF-16 surrogates (ED A0..BF)
      if (!((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F))) len = 3;
    } else if (c >= 0xF0 && c <= 0xF4 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
      const unsigned char c1 = static_cast<unsigned char>(s[i + 1]);
      if (!((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))) len = 4;
    }
    if (len == 0) {
      if (!changed) { out.assign(s, 0, i); changed = true; }
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (changed) out.append(s, i, len);
    i += len;
  }
  if (changed) s.swap(out);
  return changed;
}

}  // namespace touchpoint
