// JavaScript's implicit conversions and comparisons (ECMA-262 §7.1, §7.2), which JsonLogic
// inherits from its reference implementation json-logic-js. Strings are UTF-8 here; lengths and
// offsets that JavaScript counts in UTF-16 code units are converted where it matters (substr).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "value.hpp"

namespace touchpoint::rules {

// JsonLogic truthiness: JavaScript's, except that an empty array is false.
bool truthy(const Value& v);

// ToNumber: "" -> 0, " 12 " -> 12, "0x1A" -> 26, "abc" -> NaN, null -> 0, undefined -> NaN,
// [] -> 0, [5] -> 5, objects -> NaN.
double to_number(const Value& v);
double string_to_number(std::string_view s);
// parseFloat(String(v)): the longest decimal prefix after leading white space, else NaN.
double parse_float(const Value& v);

// ToString, appended to `out`. Arrays join their elements with "," (null/undefined as "").
void append_js_string(const Value& v, std::string* out);
std::string to_js_string(const Value& v);
// Number::toString: shortest round-trip digits, exponent form outside [1e-7, 1e21).
void append_js_number(double n, std::string* out);

bool strict_equal(const Value& a, const Value& b);
bool loose_equal(const Value& a, const Value& b);
// IsLessThan(a, b): nullopt when the comparison is undefined (a NaN operand).
std::optional<bool> less_than(const Value& a, const Value& b);
// a < b, a <= b, a > b, a >= b with JavaScript results (false when undefined).
bool js_lt(const Value& a, const Value& b);
bool js_le(const Value& a, const Value& b);
inline bool js_gt(const Value& a, const Value& b) { return js_lt(b, a); }
inline bool js_ge(const Value& a, const Value& b) { return js_le(b, a); }

// String.prototype.substr(start, length) on UTF-16 code units; `length` may be undefined.
std::string js_substr(std::string_view s, double start, std::optional<double> length);
// Length in UTF-16 code units.
std::size_t utf16_length(std::string_view s);

}  // namespace touchpoint::rules
