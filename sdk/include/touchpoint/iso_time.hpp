// ISO-8601 UTC timestamps with milliseconds, the wire format of `timestamp` and `sentAt`.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace touchpoint {

// 1732270800123 -> "2024-11-22T10:20:00.123Z". Works for any year 0000..9999.
std::string format_iso8601_ms(std::int64_t unix_ms);

// Parses "YYYY-MM-DDTHH:MM:SS[.fff...]" followed by "Z" or "+HH:MM"/"-HH:MM"; nullopt if malformed.
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

}  // namespace touchpoint
