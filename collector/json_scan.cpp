#include "json_scan.hpp"

#include <string>

namespace touchpoint::collector {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// *pos at the opening quote; leaves it one past the closing quote.
bool scan_string(std::string_view text, std::size_t* pos) {
  std::size_t i = *pos + 1;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      *pos = i + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c == '\\') {
      if (i + 1 >= text.size()) return false;
      const char e = text[i + 1];
      if (e == 'u') {
        if (i + 5 >= text.size()) return false;
        for (std::size_t k = 2; k < 6; ++k)
          if (!is_hex(text[i + k])) return false;
        i += 6;
        continue;
      }
      if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) return false;
      i += 2;
      continue;
    }
    ++i;
  }
  return false;
}

bool scan_number(std::string_view text, std::size_t* pos) {
  std::size_t i = *pos;
  if (i < text.size() && text[i] == '-') ++i;
  if (i >= text.size()) return false;
  if (text[i] == '0') {
    ++i;
  } else if (is_digit(text[i])) {
    while (i < text.size() && is_digit(text[i])) ++i;
  } else {
    return false;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (i >= text.size() || !is_digit(text[i])) return false;
    while (i < text.size() && is_digit(text[i])) ++i;
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (i >= text.size() || !is_digit(text[i])) return false;
    while (i < text.size() && is_digit(text[i])) ++i;
  }
  *pos = i;
  return true;
}

bool scan_literal(std::string_view text, std::size_t* pos, std::string_view word) {
  if (text.substr(*pos, word.size()) != word) return false;
  *pos += word.size();
  return true;
}

bool scan_scalar(std::string_view text, std::size_t* pos) {
  if (*pos >= text.size()) return false;
  switch (text[*pos]) {
    case '"': return scan_string(text, pos);
    case 't': return scan_literal(text, pos, "true");
    case 'f': return scan_literal(text, pos, "false");
    case 'n': return scan_literal(text, pos, "null");
    default: return scan_number(text, pos);
  }
}

}  // namespace

void skip_json_whitespace(std::string_view text, std::size_t* pos) {
  while (*pos < text.size()) {
    const char c = text[*pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
    ++*pos;
  }
}

bool scan_json_value(std::string_view text, std::size_t* pos, ScannedValue* out) {
  std::size_t i = *pos;
  skip_json_whitespace(text, &i);
  if (i >= text.size()) return false;
  out->begin = i;
  out->kind = text[i];
  out->depth = 0;
  if (text[i] != '{' && text[i] != '[') {
    if (!scan_scalar(text, &i)) return false;
    out->end = *pos = i;
    return true;
  }
  // One byte per open bracket: memory proportional to the nesting, itself bounded by the body.
  std::string open;
  // After '{' or ',' inside an object a key comes next; after ':' or '[' or ',' in an array, a value.
  enum class Expect { value_or_close, value, key_or_close, key, colon, comma_or_close } expect = Expect::value;
  while (true) {
    skip_json_whitespace(text, &i);
    if (i >= text.size()) return false;
    const char c = text[i];
    switch (expect) {
      case Expect::value_or_close:
        if (c == ']') goto close;
        [[fallthrough]];
      case Expect::value:
        if (c == '{' || c == '[') {
          open.push_back(c);
          if (open.size() > out->depth) out->depth = open.size();
          ++i;
          expect = c == '{' ? Expect::key_or_close : Expect::value_or_close;
          continue;
        }
        if (!scan_scalar(text, &i)) return false;
        expect = Expect::comma_or_close;
        break;
      case Expect::key_or_close:
        if (c == '}') goto close;
        [[fallthrough]];
      case Expect::key:
        if (c != '"' || !scan_string(text, &i)) return false;
        expect = Expect::colon;
        continue;
      case Expect::colon:
        if (c != ':') return false;
        ++i;
        expect = Expect::value;
        continue;
      case Expect::comma_or_close:
        if (c == ',') {
          ++i;
          expect = open.back() == '{' ? Expect::key : Expect::value;
          continue;
        }
        if (c == '}' || c == ']') goto close;
        return false;
    }
    if (open.empty()) break;  // a scalar at the top level cannot happen here; kept for safety
    continue;
  close:
    if ((c == '}') != (open.back() == '{')) return false;
    open.pop_back();
    ++i;
    if (open.empty()) break;
    expect = Expect::comma_or_close;
  }
  out->end = *pos = i;
  return true;
}

const char* json_kind_name(char kind) {
  switch (kind) {
    case '{': return "object";
    case '[': return "array";
    case '"': return "string";
    case 't':
    case 'f': return "boolean";
    case 'n': return "null";
    default: return "number";
  }
}

}  // namespace touchpoint::collector
