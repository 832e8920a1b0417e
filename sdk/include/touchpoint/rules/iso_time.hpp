// ISO-8601 timestamps <-> milliseconds since the Unix epoch (UTC), for event times and summaries.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace touchpoint::rules {

// Accepts "2024-01-30T23:59:59.999Z", fractions of any length (truncated to ms), "+02:00" /
// "+0200" / "Z" offsets, a space instead of "T", and a bare date ("2024-01-30" = midnight UTC).
// A date-time without an offset is read as UTC (JavaScript would use local time; the core has no
// time zone). nullopt when malformed or out of range (years 0000-9999).
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

// "2024-01-30T23:59:59.999Z" (always milliseconds, always UTC), like Date.prototype.toISOString.
std::string format_iso8601_ms(std::int64_t ms);

}  // namespace touchpoint::rules
