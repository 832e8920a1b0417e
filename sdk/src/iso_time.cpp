#include "touchpoint/iso_time.hpp"


namespace touchpoint {
namespace {

// Howard Hinnant's civil-from-days / days-from-civil (public domain), exact for the proleptic calendar.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool read_digits(std::string_view s, std::size_t& i, int n, int& out) {
  out = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::string format_iso8601_ms(std::int64_t unix_ms) {
  std::int64_t days = unix_ms / 86400000;
  std::int64_t rem = unix_ms % 86400000;
  if (rem < 0) { rem += 86400000; --days; }
  std::int64_t y; unsigned m, d;
  civil_from_days(days, y, m, d);
  const int ms = static_cast<int>(rem % 1000);
  const int sec = static_cast<int>((rem / 1000) % 60);
  const int min = static_cast<int>((rem / 60000) % 60);
  const int hour = static_cast<int>(rem / 3600000);
  // Hand-formatted: snprintf would pull printf and its float formatting into the wasm (~6 KB).
  std::string out = "0000-00-00T00:00:00.000Z";
  auto put = [&](std::size_t at, int value, int width) {
    for (int k = width - 1; k >= 0; --k, value /= 10) out[at + static_cast<std::size_t>(k)] = static_cast<char>('0' + value % 10);
  };
  put(0, static_cast<int>(y < 0 ? 0 : y > 9999 ? 9999 : y), 4);
  put(5, static_cast<int>(m), 2);
  put(8, static_cast<int>(d), 2);
  put(11, hour, 2);
  put(14, min, 2);
  put(17, sec, 2);
  put(20, ms, 3);
  return out;
}

std::optional<std::int64_t> parse_iso8601_ms(std::string_view s) {
  std::size_t i = 0;
  int y, mo, d, h, mi, se;
  if (!read_digits(s, i, 4, y) || i >= s.size() || s[i++] != '-') return std::nullopt;
  if (!read_digits(s, i, 2, mo) || i >= s.size() || s[i++] != '-') return std::nullopt;
  if (!read_digits(s, i, 2, d) || i >= s.size() || (s[i] != 'T' && s[i] != 't' && s[i] != ' ')) return std::nullopt;
  ++i;
  if (!read_digits(s, i, 2, h) || i >= s.size() || s[i++] != ':') return std::nullopt;
  if (!read_digits(s, i, 2, mi) || i >= s.size() || s[i++] != ':') return std::nullopt;
  if (!read_digits(s, i, 2, se)) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  int ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[i] - '0');
      ++digits; ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) ms *= 10;
  }
  std::int64_t offset_ms = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    const int sign = s[i++] == '-' ? -1 : 1;
    int oh, om;
    if (!read_digits(s, i, 2, oh)) return std::nullopt;
    if (i < s.size() && s[i] == ':') ++i;
    if (!read_digits(s, i, 2, om)) return std::nullopt;
    offset_ms = sign * (oh * 3600000LL + om * 60000LL);
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return days * 86400000LL + h * 3600000LL + mi * 60000LL + se * 1000LL + ms - offset_ms;
}

}  // namespace touchpoint
