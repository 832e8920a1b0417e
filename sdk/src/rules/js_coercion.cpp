#include "js_coercion.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

namespace touchpoint::rules {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Byte length of the JavaScript WhiteSpace/LineTerminator code point starting at s[i], else 0.
std::size_t js_space_at(std::string_view s, std::size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= 0x09 && c <= 0x0D)) return 1;
  auto at = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (c == 0xC2 && at(1) == 0xA0) return 2;                      // U+00A0
  if (c == 0xEF && at(1) == 0xBB && at(2) == 0xBF) return 3;     // U+FEFF
  if (c == 0xE1 && at(1) == 0x9A && at(2) == 0x80) return 3;     // U+1680
  if (c == 0xE2 && at(1) == 0x80 && (at(2) <= 0x8A || at(2) == 0xA8 || at(2) == 0xA9 || at(2) == 0xAF))
    return at(2) >= 0x80 ? 3 : 0;                                // U+2000..200A, 2028, 2029, 202F
  if (c == 0xE2 && at(1) == 0x81 && at(2) == 0x9F) return 3;     // U+205F
  if (c == 0xE3 && at(1) == 0x80 && at(2) == 0x80) return 3;     // U+3000
  return 0;
}

std::string_view trim_js_space(std::string_view s, bool trailing) {
  std::size_t b = 0;
  while (b < s.size()) {
    std::size_t n = js_space_at(s, b);
    if (n == 0) break;
    b += n;
  }
  s.remove_prefix(b);
  if (!trailing) return s;
  // Trailing: scan forward remembering where the last non-space ended.
  std::size_t end = 0, i = 0;
  while (i < s.size()) {
    std::size_t n = js_space_at(s, i);
    if (n == 0) {
      ++i;
      end = i;
    } else {
      i += n;
    }
  }
  return s.substr(0, end);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the longest StrUnsignedDecimalLiteral prefix (digits, fraction, exponent), 0 if none.
std::size_t decimal_prefix(std::string_view s) {
  std::size_t i = 0, digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    std::size_t j = i + 1;
    std::size_t frac = 0;
    while (j < s.size() && is_digit(s[j])) ++j, ++frac;
    if (digits + frac == 0) return 0;
    i = j;
    digits += frac;
  }
  if (digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    std::size_t exp_digits = 0;
    while (j < s.size() && is_digit(s[j])) ++j, ++exp_digits;
    if (exp_digits > 0) i = j;
  }
  return i;
}

double strtod_exact(std::string_view s) {
  std::string buf(s);
  return std::strtod(buf.c_str(), nullptr);
}

double radix_value(std::string_view digits, int radix) {
  if (digits.empty()) return kNaN;
  double v = 0;
  for (char c : digits) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    else return kNaN;
    if (d >= radix) return kNaN;
    v = v * radix + d;
  }
  return v;
}

// Decodes one UTF-8 code point at s[*i] (invalid bytes decode as U+FFFD) and advances *i.
std::uint32_t decode_utf8(std::string_view s, std::size_t* i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(*i);
  std::size_t need = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) {
    ++*i;
    return c;
  } else if ((c & 0xE0) == 0xC0) {
    need = 1;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    need = 2;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    need = 3;
    cp = c & 0x07;
  } else {
    ++*i;
    return 0xFFFD;
  }
  if (*i + need >= s.size()) {
    ++*i;
    return 0xFFFD;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if ((byte(*i + k) & 0xC0) != 0x80) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(*i + k) & 0x3F);
  }
  *i += need + 1;
  return cp;
}

void append_utf8(std::uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The UTF-16 code unit sequence of a code point, packed for ordering: lead unit first.
std::uint32_t utf16_order_key(std::uint32_t cp) {
  if (cp < 0x10000) return cp << 16;
  std::uint32_t v = cp - 0x10000;
  return ((0xD800 + (v >> 10)) << 16) | (0xDC00 + (v & 0x3FF));
}

// JavaScript string comparison (UTF-16 code unit order) on UTF-8 strings.
int compare_js_strings(std::string_view a, std::string_view b) {
  std::size_t n = a.size() < b.size() ? a.size() : b.size();
  std::size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
  // Back up to the first byte of the code point in which the strings differ.
  while (i > 0 && (static_cast<unsigned char>(a[i]) & 0xC0) == 0x80) --i;
  std::size_t ia = i, ib = i;
  std::uint32_t ka = utf16_order_key(decode_utf8(a, &ia));
  std::uint32_t kb = utf16_order_key(decode_utf8(b, &ib));
  if (ka == kb) return a.compare(b) < 0 ? -1 : 1;  // same units, different encodings of invalid bytes
  return ka < kb ? -1 : 1;
}

// ToPrimitive for arrays and objects (their ToString); other values stay as they are.
Value to_primitive(const Value& v, std::string* storage) {
  if (v.kind != ValueKind::kArray && v.kind != ValueKind::kObject) return v;
  storage->clear();
  append_js_string(v, storage);
  return Value::of_string(*storage);
}

std::vector<std::uint16_t> to_utf16(std::string_view s) {
  std::vector<std::uint16_t> units;
  units.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    std::uint32_t cp = decode_utf8(s, &i);
    if (cp < 0x10000) {
      units.push_back(static_cast<std::uint16_t>(cp));
    } else {
      std::uint32_t v = cp - 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xD800 + (v >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xDC00 + (v & 0x3FF)));
    }
  }
  return units;
}

double to_integer_or_infinity(double d) {
  if (std::isnan(d)) return 0;
  if (std::isinf(d)) return d;
  return std::trunc(d);
}

}  // namespace

bool truthy(const Value& v) {
  switch (v.kind) {
    case ValueKind::kUndefined:
    case ValueKind::kNull:
      return false;
    case ValueKind::kBool:
      return v.boolean;
    case ValueKind::kNumber:
      return !(v.number == 0 || std::isnan(v.number));
    case ValueKind::kString:
      return v.str.size != 0;
    case ValueKind::kArray:
      return array_length(v) != 0;
    case ValueKind::kObject:
      return true;
  }
  return false;
}

double string_to_number(std::string_view s) {
  s = trim_js_space(s, true);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    char p = s[1];
    if (p == 'x' || p == 'X') return radix_value(s.substr(2), 16);
    if (p == 'o' || p == 'O') return radix_value(s.substr(2), 8);
    if (p == 'b' || p == 'B') return radix_value(s.substr(2), 2);
  }
  std::string_view body = s;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "Infinity") return negative ? -kInf : kInf;
  std::size_t n = decimal_prefix(body);
  if (n == 0 || n != body.size()) return kNaN;
  return strtod_exact(s);
}

double to_number(const Value& v) {
  switch (v.kind) {
    case ValueKind::kUndefined:
      return kNaN;
    case ValueKind::kNull:
      return 0;
    case ValueKind::kBool:
      return v.boolean ? 1 : 0;
    case ValueKind::kNumber:
      return v.number;
    case ValueKind::kString:
      return string_to_number(v.string_view());
    case ValueKind::kArray: {
      std::string s;
      append_js_string(v, &s);
      return string_to_number(s);
    }
    case ValueKind::kObject:
      return kNaN;
  }
  return kNaN;
}

double parse_float(const Value& v) {
  if (v.kind == ValueKind::kNumber) return v.number;  // parseFloat(String(n)) == n
  std::string storage;
  std::string_view s;
  if (v.kind == ValueKind::kString) {
    s = v.string_view();
  } else {
    append_js_string(v, &storage);
    s = storage;
  }
  s = trim_js_space(s, false);
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.substr(0, 8) == "Infinity") return negative ? -kInf : kInf;
  std::size_t n = decimal_prefix(body);
  if (n == 0) return kNaN;
  return strtod_exact(s.substr(0, (body.data() - s.data()) + n));
}

void append_js_number(double n, std::string* out) {
  if (std::isnan(n)) {
    out->append("NaN");
    return;
  }
  if (n == 0) {
    out->push_back('0');  // also -0
    return;
  }
  if (std::isinf(n)) {
    out->append(n < 0 ? "-Infinity" : "Infinity");
    return;
  }
  if (n < 0) {
    out->push_back('-');
    n = -n;
  }
  // Shortest digit string that reads back as n.
  char buf[40];
  int precision = 1;
  for (; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision - 1, n);
    if (std::strtod(buf, nullptr) == n) break;
  }
  // buf is "d.ddde[+-]XX": split into digits and decimal exponent.
  std::string digits;
  const char* p = buf;
  for (; *p && *p != 'e'; ++p)
    if (*p != '.') digits.push_back(*p);
  int exponent = std::atoi(p + 1);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int k = static_cast<int>(digits.size());
  int point = exponent + 1;  // ECMA-262's n: the decimal point sits after `point` digits
  if (k <= point && point <= 21) {
    out->append(digits);
    out->append(static_cast<std::size_t>(point - k), '0');
  } else if (0 < point && point <= 21) {
    out->append(digits, 0, static_cast<std::size_t>(point));
    out->push_back('.');
    out->append(digits, static_cast<std::size_t>(point), std::string::npos);
  } else if (-6 < point && point <= 0) {
    out->append("0.");
    out->append(static_cast<std::size_t>(-point), '0');
    out->append(digits);
  } else {
    out->push_back(digits[0]);
    if (k > 1) {
      out->push_back('.');
      out->append(digits, 1, std::string::npos);
    }
    out->push_back('e');
    int e = point - 1;
    out->push_back(e < 0 ? '-' : '+');
    out->append(std::to_string(e < 0 ? -e : e));
  }
}

void append_js_string(const Value& v, std::string* out) {
  switch (v.kind) {
    case ValueKind::kUndefined:
      out->append("undefined");
      return;
    case ValueKind::kNull:
      out->append("null");
      return;
    case ValueKind::kBool:
      out->append(v.boolean ? "true" : "false");
      return;
    case ValueKind::kNumber:
      append_js_number(v.number, out);
      return;
    case ValueKind::kString:
      out->append(v.str.data, v.str.size);
      return;
    case ValueKind::kArray: {
      std::size_t n = array_length(v);
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out->push_back(',');
        Value e = array_element(v, i);
        if (!e.is_nullish()) append_js_string(e, out);
      }
      return;
    }
    case ValueKind::kObject:
      out->append("[object Object]");
      return;
  }
}

std::string to_js_string(const Value& v) {
  std::string s;
  append_js_string(v, &s);
  return s;
}

bool strict_equal(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValueKind::kUndefined:
    case ValueKind::kNull:
      return true;
    case ValueKind::kBool:
      return a.boolean == b.boolean;
    case ValueKind::kNumber:
      return a.number == b.number;
    case ValueKind::kString:
      return a.string_view() == b.string_view();
    case ValueKind::kArray:
    case ValueKind::kObject:
      return same_reference(a, b);
  }
  return false;
}

bool loose_equal(const Value& a, const Value& b) {
  if (a.kind == b.kind) return strict_equal(a, b);
  if (a.is_nullish() || b.is_nullish()) return a.is_nullish() && b.is_nullish();
  if (a.kind == ValueKind::kNumber && b.kind == ValueKind::kString)
    return a.number == string_to_number(b.string_view());
  if (a.kind == ValueKind::kString && b.kind == ValueKind::kNumber)
    return string_to_number(a.string_view()) == b.number;
  if (a.kind == ValueKind::kBool) return loose_equal(Value::of_number(a.boolean ? 1 : 0), b);
  if (b.kind == ValueKind::kBool) return loose_equal(a, Value::of_number(b.boolean ? 1 : 0));
  bool a_object = a.kind == ValueKind::kArray || a.kind == ValueKind::kObject;
  bool b_object = b.kind == ValueKind::kArray || b.kind == ValueKind::kObject;
  if (a_object && !b_object) {
    std::string storage;
    return loose_equal(to_primitive(a, &storage), b);
  }
  if (b_object && !a_object) {
    std::string storage;
    return loose_equal(a, to_primitive(b, &storage));
  }
  return false;
}

std::optional<bool> less_than(const Value& a, const Value& b) {
  if (a.kind == ValueKind::kNumber && b.kind == ValueKind::kNumber) {
    if (std::isnan(a.number) || std::isnan(b.number)) return std::nullopt;
    return a.number < b.number;
  }
  std::string sa, sb;
  Value pa = to_primitive(a, &sa);
  Value pb = to_primitive(b, &sb);
  if (pa.kind == ValueKind::kString && pb.kind == ValueKind::kString)
    return compare_js_strings(pa.string_view(), pb.string_view()) < 0;
  double na = to_number(pa), nb = to_number(pb);
  if (std::isnan(na) || std::isnan(nb)) return std::nullopt;
  return na < nb;
}

bool js_lt(const Value& a, const Value& b) {
  auto r = less_than(a, b);
  return r.has_value() && *r;
}

bool js_le(const Value& a, const Value& b) {
  auto r = less_than(b, a);
  return r.has_value() && !*r;
}

std::size_t utf16_length(std::string_view s) {
  std::size_t n = 0, i = 0;
  while (i < s.size()) n += decode_utf8(s, &i) >= 0x10000 ? 2 : 1;
  return n;
}

std::string js_substr(std::string_view s, double start, std::optional<double> length) {
  std::vector<std::uint16_t> units = to_utf16(s);
  double size = static_cast<double>(units.size());
  double from = to_integer_or_infinity(start);
  if (from == -kInf) from = 0;
  else if (from < 0) from = std::max(size + from, 0.0);
  else from = std::min(from, size);
  double len = length ? to_integer_or_infinity(*length) : kInf;
  double to = std::min(from + std::max(len, 0.0), size);
  std::string out;
  if (from >= to) return out;
  std::size_t b = static_cast<std::size_t>(from), e = static_cast<std::size_t>(to);
  for (std::size_t i = b; i < e; ++i) {
    std::uint16_t u = units[i];
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < e && units[i + 1] >= 0xDC00 && units[i + 1] <= 0xDFFF) {
      append_utf8(0x10000 + ((static_cast<std::uint32_t>(u) - 0xD800) << 10) + (units[i + 1] - 0xDC00), &out);
      ++i;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      append_utf8(0xFFFD, &out);  // half of a pair cut by the slice: UTF-8 cannot hold it
    } else {
      append_utf8(u, &out);
    }
  }
  return out;
}

}  // namespace touchpoint::rules
