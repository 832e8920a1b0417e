#include "duration.hpp"

#include <algorithm>
#include <cmath>

namespace touchpoint::rules {

std::optional<std::int64_t> parse_duration(const nlohmann::json& value, std::string* error) {
  std::int64_t ms = 0;
  if (value.is_number_integer()) {
    ms = value.is_number_unsigned() ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                          *value.get_ptr<const std::uint64_t*>(), kMaxDurationMs + 1))
                                    : *value.get_ptr<const std::int64_t*>();
  } else if (value.is_number_float()) {
    double d = *value.get_ptr<const double*>();
    if (!(d == std::floor(d)) || std::fabs(d) > 1e15) {
      *error = "duration in ms must be a whole number";
      return std::nullopt;
    }
    ms = static_cast<std::int64_t>(d);
  } else if (value.is_string()) {
    const std::string& s = *value.get_ptr<const std::string*>();
    std::size_t i = 0;
    std::int64_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && n <= kMaxDurationMs) n = n * 10 + (s[i++] - '0');
    std::string unit = s.substr(i);
    std::int64_t scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60 * 1000;
    else if (unit == "h") scale = 60 * 60 * 1000;
    else if (unit == "d") scale = 24 * 60 * 60 * 1000;
    else if (unit == "w") scale = 7 * 24 * 60 * 60 * 1000;
    if (i == 0 || scale == 0) {
      *error = "duration must look like \"90s\", \"30m\", \"12h\", \"7d\", \"2w\" or be integer milliseconds, got \"" + s + "\"";
      return std::nullopt;
    }
    ms = n > kMaxDurationMs ? kMaxDurationMs + 1 : n * scale;
  } else {
    *error = "duration must be a string like \"7d\" or integer milliseconds";
    return std::nullopt;
  }
  if (ms <= 0) {
    *error = "duration must be positive";
    return std::nullopt;
  }
  if (ms > kMaxDurationMs) {
    *error = "duration longer than 3650 days";
    return std::nullopt;
  }
  return ms;
}

}  // namespace touchpoint::rules
