// Type-checked reads from untrusted JSON. nlohmann's value()/get() throw on a type mismatch, and in
// the wasm build (-fno-exceptions) a throw aborts the module, so the core reads through these.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>

namespace touchpoint::json_access {

inline const nlohmann::json* find(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

// The member `key` of an object, or a null (never a throw, never undefined behaviour): what
// operator[] on a const json would be if it were safe. Read it with the is_*() checks.
inline const nlohmann::json& member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  const auto* v = find(j, key);
  return v ? *v : kNull;
}

// Serialises without throwing: strict dump() throws type_error 316 on invalid UTF-8, which a
// caller-built string can hold; replace it with U+FFFD as TextDecoder would.
inline std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

inline std::int64_t get_int(const nlohmann::json& j, const char* key, std::int64_t fallback) {
  const auto* v = find(j, key);
  if (!v) return fallback;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (d == d && d > -9.2e18 && d < 9.2e18) return static_cast<std::int64_t>(d);
  }
  return fallback;
}

inline std::uint64_t get_uint(const nlohmann::json& j, const char* key, std::uint64_t fallback) {
  const auto* v = find(j, key);
  return v && v->is_number_unsigned() ? v->get<std::uint64_t>() : fallback;
}

inline bool get_bool(const nlohmann::json& j, const char* key, bool fallback) {
  const auto* v = find(j, key);
  return v && v->is_boolean() ? v->get<bool>() : fallback;
}

inline std::string get_string(const nlohmann::json& j, const char* key, const std::string& fallback = {}) {
  const auto* v = find(j, key);
  return v && v->is_string() ? v->get<std::string>() : fallback;
}

// The envelope every persisted state shares: an object with "v": version. Explains a mismatch in *why.
inline bool check_state_version(const nlohmann::json& state, std::int64_t version, std::string* why) {
  if (!state.is_object()) {
    if (why) *why = std::string("expected an object, got ") + state.type_name();
    return false;
  }
  auto v = state.find("v");
  if (v == state.end() || !v->is_number_integer() || v->get<std::int64_t>() != version) {
    if (why) *why = "unsupported version (expected \"v\": " + std::to_string(version) + ")";
    return false;
  }
  return true;
}

}  // namespace touchpoint::json_access
