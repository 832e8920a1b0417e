// Durations in rule sets: "90s", "30m", "12h", "7d", "2w", "500ms", or integer milliseconds.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace touchpoint::rules {

// Longer windows and half-lives are rejected: ten years covers any engagement rule and keeps
// every time computation far from int64 overflow.
constexpr std::int64_t kMaxDurationMs = 3650LL * 24 * 60 * 60 * 1000;

// A positive duration in ms, or nullopt with *error set.
std::optional<std::int64_t> parse_duration(const nlohmann::json& value, std::string* error);

}  // namespace touchpoint::rules
