#include "score_state.hpp"

#include <cmath>

namespace touchpoint::rules {

double decayed_value(const ScoreState& s, std::int64_t t, std::int64_t half_life_ms) {
  if (!s.last || t <= *s.last) return s.value;
  // Same expression as the reference: value * 2^(-dt / half_life).
  return s.value * std::pow(2.0, -static_cast<double>(t - *s.last) / static_cast<double>(half_life_ms));
}

int grade_index(double value, const std::vector<Grade>& grades) {
  for (std::size_t i = 0; i < grades.size(); ++i)
    if (value >= grades[i].min) return static_cast<int>(i);
  return -1;
}

std::optional<std::int64_t> next_threshold_crossing(const ScoreState& s, std::int64_t half_life_ms,
                                                    const std::vector<double>& thresholds, std::int64_t now) {
  if (!s.last || s.value == 0) return std::nullopt;
  const double current = decayed_value(s, now, half_life_ms);
  const bool falling = s.value > 0;
  // The threshold reached first: the largest positive one at or below a falling value, the
  // smallest negative one above a rising value.
  std::optional<double> target;
  for (double m : thresholds) {
    if (falling ? (m > 0 && m <= current) : (m < 0 && m > current)) {
      if (!target || (falling ? m > *target : m < *target)) target = m;
    }
  }
  if (!target) return std::nullopt;
  auto crossed = [&](std::int64_t t) {
    double v = decayed_value(s, t, half_life_ms);
    return falling ? v < *target : v >= *target;
  };
  double exact = static_cast<double>(*s.last) + static_cast<double>(half_life_ms) * std::log2(s.value / *target);
  if (!(exact < 9.0e15)) return std::nullopt;  // beyond any representable time
  std::int64_t t = static_cast<std::int64_t>(std::ceil(exact));
  if (t <= now) t = now + 1;
  // log2/pow rounding can leave the value a hair on the old side: step to where it shows.
  for (int i = 0; i < 64 && !crossed(t); ++i) t += 1 + i * i;
  return t;
}

}  // namespace touchpoint::rules
