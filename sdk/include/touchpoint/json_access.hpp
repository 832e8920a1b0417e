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

}  // namespace touchpoint::json_access
