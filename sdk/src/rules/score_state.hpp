// A decaying score: value * 2^(-(t - last) / half_life) between updates; grades are thresholds
// listed highest first.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace touchpoint::rules {

struct Grade {
  std::string name;
  double min = 0;
};

struct ScoreState {
  double value = 0;                  // as of `last`
  std::optional<std::int64_t> last;  // time of the last update; none = never updated (value 0)
  double max = 0;                    // highest value right after an update (starts at 0)
};

// The value decayed to time t (t >= last).
double decayed_value(const ScoreState& s, std::int64_t t, std::int64_t half_life_ms);

// Index of the first grade whose min `value` reaches, or -1.
int grade_index(double value, const std::vector<Grade>& grades);

// The first time after `now` at which the decaying value crosses one of `thresholds` (drops below
// a positive one it is at or above, or rises to a negative one it is below). Rounded up to the
// first millisecond at which decayed_value() shows the crossing; nullopt if it never crosses.
std::optional<std::int64_t> next_threshold_crossing(const ScoreState& s, std::int64_t half_life_ms,
                                                    const std::vector<double>& thresholds, std::int64_t now);

}  // namespace touchpoint::rules
