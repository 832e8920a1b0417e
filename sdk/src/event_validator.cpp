#include "touchpoint/event_validator.hpp"

#include <cmath>
#include <cstdlib>
#include <vector>

#include "touchpoint/iso_time.hpp"
#include "touchpoint/limits.hpp"

// Rarely run code (error messages) is compiled for size inside files built for speed.
#if defined(__clang__)
#define TP_COLD __attribute__((minsize, noinline))
#else
#define TP_COLD __attribute__((noinline))
#endif

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

// One pass over a payload's JSON text that checks its syntax exactly as nlohmann's strict parser
// does (RFC 8259, a leading BOM skipped, well-formed UTF-8 per RFC 3629, paired \u surrogates,
// numbers that fit a double) and the payload limits, building no strings and no numbers: this runs
// for every track call, and nlohmann's SAX pass cost ~6 µs per event in wasm.
class PayloadScanner {
 public:
  PayloadScanner(std::string_view text, const std::string& field)
      : p_(text.data()), end_(text.data() + text.size()), root_(field) {}
  std::optional<ValidationError> error;
  bool syntax_error = false;
  bool top_is_object = false;

  void run() {
    if (end_ - p_ >= 3 && std::string_view(p_, 3) == "\xEF\xBB\xBF") p_ += 3;
    ws();
    if (!value()) return;
    ws();
    if (p_ != end_) syntax_error = true;
  }

 private:
  // count: keys read (object) or elements begun (array); the current element is count - 1.
  // key: the current key's token as written (quotes and escapes), decoded only for an error.
  struct Frame { bool object; std::size_t count; std::string_view key; };

  bool bad() { syntax_error = true; return false; }
  void ws() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool value() {
    if (p_ >= end_) return bad();
    switch (*p_) {
      case '{': return object();
      case '[': return array();
      case '"': {
        std::size_t n = 0;
        if (!string(&n)) return false;
        return n <= limits::kMaxStringBytes || string_too_long(n);
      }
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }
  bool open(bool object) {
    if (stack_.empty()) top_is_object = object;
    if (stack_.size() >= limits::kMaxNestingDepth + 1) return too_deep();
    stack_.push_back(Frame{object, 0, {}});
    ++p_;
    ws();
    return true;
  }
  bool close(char c) {
    if (p_ >= end_ || *p_ != c) return bad();
    ++p_;
    stack_.pop_back();
    return true;
  }
  bool object() {
    if (!open(true)) return false;
    if (p_ < end_ && *p_ == '}') return close('}');
    for (;;) {
      if (p_ >= end_ || *p_ != '"') return bad();
      const char* k = p_;
      std::size_t n = 0;
      if (!string(&n)) return false;
      Frame& f = stack_.back();
      f.key = std::string_view(k, static_cast<std::size_t>(p_ - k));
      if (++f.count > limits::kMaxObjectKeys) return too_many_keys();
      if (n > limits::kMaxEventNameLength) return key_too_long(n);
      ws();
      if (p_ >= end_ || *p_ != ':') return bad();
      ++p_;
      ws();
      if (!value()) return false;
      ws();
      if (p_ < end_ && *p_ == ',') { ++p_; ws(); continue; }
      return close('}');
    }
  }
  bool array() {
    if (!open(false)) return false;
    if (p_ < end_ && *p_ == ']') return close(']');
    for (;;) {
      ++stack_.back().count;
      if (!value()) return false;
      ws();
      if (p_ < end_ && *p_ == ',') { ++p_; ws(); continue; }
      return close(']');
    }
  }
  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return bad();
    p_ += word.size();
    return true;
  }
  // p_ at 'u': four hex digits follow.
  bool hex4(unsigned* v) {
    if (end_ - p_ < 5) return false;
    *v = 0;
    for (int k = 1; k <= 4; ++k) {
      const char c = p_[k];
      const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return false;
      *v = *v * 16 + static_cast<unsigned>(d);
    }
    p_ += 5;
    return true;
  }
  // p_ at the opening quote; *decoded: the string's length in UTF-8 bytes once unescaped.
  bool string(std::size_t* decoded) {
    ++p_;
    std::size_t n = 0;
    for (;;) {
      if (p_ >= end_) return bad();
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        *decoded = n;
        return true;
      }
      if (c < 0x20) return bad();
      if (c < 0x80 && c != '\\') {
        ++p_;
        ++n;
        continue;
      }
      if (c == '\\') {
        if (++p_ >= end_) return bad();
        const char e = *p_;
        if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
          ++p_;
          ++n;
          continue;
        }
        unsigned cp = 0;
        if (e != 'u' || !hex4(&cp)) return bad();
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          unsigned low = 0;
          if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') return bad();
          ++p_;
          if (!hex4(&low) || low < 0xDC00 || low > 0xDFFF) return bad();
          n += 4;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return bad();
        } else {
          n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
        }
        continue;
      }
      // A multi-byte sequence (RFC 3629 §4): no overlongs, no surrogates, nothing past U+10FFFF.
      std::size_t len = 0;
      unsigned char lo = 0x80, hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) len = 2;
      else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      else return bad();
      if (static_cast<std::size_t>(end_ - p_) < len) return bad();
      const unsigned char c1 = static_cast<unsigned char>(p_[1]);
      if (c1 < lo || c1 > hi) return bad();
      for (std::size_t k = 2; k < len; ++k)
        if ((static_cast<unsigned char>(p_[k]) & 0xC0) != 0x80) return bad();
      p_ += len;
      n += len;
    }
  }
  bool digits() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != start;
  }
  // JSON's number grammar. nlohmann refuses a number a double cannot hold (number overflow):
  // below 10^308 it always fits, so strtod only judges the rare longer ones.
  bool number() {
    const char* start = p_;
    if (*p_ == '-') ++p_;
    if (p_ >= end_) return bad();
    long magnitude = 0;  // decimal digits before the point, leading zeros excluded
    bool nonzero = false;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      const char* int_start = p_;
      digits();
      magnitude = static_cast<long>(p_ - int_start);
      nonzero = true;
    } else {
      return bad();
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      const char* frac = p_;
      if (!digits()) return bad();
      if (!nonzero)
        for (const char* q = frac; q < p_; ++q)
          if (*q != '0') { nonzero = true; break; }
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      bool negative = false;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) negative = *p_++ == '-';
      const char* exp_start = p_;
      if (!digits()) return bad();
      long e = 0;
      for (const char* q = exp_start; q < p_ && e < 100000; ++q) e = e * 10 + (*q - '0');
      magnitude += negative ? -e : e;
    }
    if (nonzero && magnitude > 308 && !std::isfinite(std::strtod(std::string(start, p_).c_str(), nullptr))) return bad();
    return true;
  }

  // The error paths, compiled for size: they run once per rejected call, the scanner per call.
  TP_COLD bool string_too_long(std::size_t n) {
    return fail("string_too_long", path() + " is " + std::to_string(n) + " bytes; the limit is " + std::to_string(limits::kMaxStringBytes));
  }
  TP_COLD bool too_deep() {
    return fail("too_deep", pointer() + " nests deeper than " + std::to_string(limits::kMaxNestingDepth) + " levels", pointer());
  }
  TP_COLD bool too_many_keys() {
    return fail("too_many_keys", pointer() + " has more than " + std::to_string(limits::kMaxObjectKeys) + " keys; the limit is " + std::to_string(limits::kMaxObjectKeys), pointer());
  }
  TP_COLD bool key_too_long(std::size_t n) {
    return fail("key_too_long", "key at " + pointer() + " is " + std::to_string(n) + " bytes; the limit is " + std::to_string(limits::kMaxEventNameLength));
  }
  TP_COLD static std::string token(const Frame& f) {
    if (!f.object) return std::to_string(f.count ? f.count - 1 : 0);
    const json key = json::parse(f.key, nullptr, false);  // only for an error message
    return pointer_token(key.is_string() ? key.get_ref<const std::string&>() : std::string());
  }
  // Pointer of the container being read (errors about the container itself).
  TP_COLD std::string pointer() const {
    std::string p = root_;
    for (std::size_t i = 0; i + 1 < stack_.size(); ++i) p += "/" + token(stack_[i]);
    return p;
  }
  // Pointer of the value just read.
  TP_COLD std::string path() const {
    std::string p = root_;
    for (const auto& f : stack_) p += "/" + token(f);
    return p;
  }
  TP_COLD bool fail(const char* code, std::string message, std::string at = {}) {
    error = ValidationError{code, at.empty() ? path() : at, std::move(message)};
    return false;
  }

  const char* p_;
  const char* end_;
  std::string root_;
  std::vector<Frame> stack_;
};

}  // namespace

std::optional<ValidationError> validate_payload_text(std::string_view text, const std::string& field, bool* well_formed) {
  PayloadScanner sax(text, field);
  sax.run();
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
