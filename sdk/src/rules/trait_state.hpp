// The running state of one trait: an aggregate over the events that matched its `where`, over
// the visitor's lifetime or a sliding window (an event at time u counts at time t when
// t - window < u <= t).
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ring_buffer.hpp"
#include "value.hpp"

namespace touchpoint::rules {

// Per-trait bound on window entries. Past it the oldest entry is dropped early, so a windowed
// count saturates at this value (an analytics visitor at one event per 10 s for a week stays
// under it). 80 KB of timestamps per windowed count trait at most.
constexpr std::size_t kMaxWindowEntries = 10000;
// Per-trait bound on distinct values (most_frequent, unique_*, first/last in a window). An event
// bringing a value not yet held when the trait is full does not contribute.
constexpr std::size_t kMaxDistinctValues = 1000;
// Longer string values do not contribute (they are payloads, not categories).
constexpr std::size_t kMaxTraitStringBytes = 512;

enum class TraitKind : std::uint8_t {
  kCount, kSum, kAvg, kMin, kMax, kMostFrequent, kFirst, kLast, kUniqueCount, kUniqueList,
};

std::optional<TraitKind> trait_kind_from_name(const std::string& name);
const char* trait_kind_name(TraitKind kind);
bool trait_kind_is_numeric(TraitKind kind);  // sum, avg, min, max: only numbers contribute

// A value held by a trait: a boolean, number or string. Ordered booleans < numbers < strings, so
// "the smallest value" breaks most_frequent ties the same way for every value type.
struct TraitScalar {
  ValueKind kind = ValueKind::kNumber;
  bool boolean = false;
  double number = 0;
  std::string text;

  static std::optional<TraitScalar> from_value(const Value& v);
  static std::optional<TraitScalar> from_json(const nlohmann::json& j);
  Value view() const;
  nlohmann::json to_json() const;
  bool operator<(const TraitScalar& other) const;
};

class TraitState {
 public:
  TraitState(TraitKind kind, std::int64_t window_ms);  // window 0 = lifetime
  // Window entries point into the value map: moving keeps its nodes, copying would not.
  TraitState(TraitState&&) = default;
  TraitState& operator=(TraitState&&) = default;
  TraitState(const TraitState&) = delete;
  TraitState& operator=(const TraitState&) = delete;

  // Records an event at time t (non-decreasing) whose property value is `v` (count ignores it).
  // Returns whether the event contributed, i.e. whether the value may have changed.
  bool add(std::int64_t t, const Value& v);
  // Drops the entries that have left the window at time t; returns whether any did.
  bool expire(std::int64_t t) {
    if (window_ == 0 || times_.empty() || times_.front() > t - window_) return false;
    return expire_entries(t);
  }
  // When the oldest entry leaves the window; nullopt for lifetime traits and empty windows.
  std::optional<std::int64_t> next_expiry() const {
    if (window_ == 0 || times_.empty()) return std::nullopt;
    return times_.front() + window_;
  }

  // Current value: count 0 when nothing contributed, every other kind null. Points into this
  // state until the next mutation.
  Value value() const {
    if (kind_ == TraitKind::kCount)
      return Value::of_number(static_cast<double>(window_ > 0 ? times_.size() : count_));
    return aggregate_value();
  }
  nlohmann::json value_json() const;
  // The value as it will be at time t >= the last expire(), without changing the state.
  nlohmann::json value_json_at(std::int64_t t) const;

  nlohmann::json snapshot() const;
  bool restore(const nlohmann::json& state, std::string* error);
  std::size_t memory_bytes() const;

 private:
  bool windowed() const { return window_ > 0; }
  bool expire_entries(std::int64_t t);
  std::size_t window_size() const { return times_.size(); }
  void push_entry(std::int64_t t, double number, const TraitScalar* scalar);
  void drop_oldest();
  const TraitScalar* intern(const TraitScalar& s);
  void release(const TraitScalar* s);
  void sum_add(double x);
  void refresh_cache() const;
  Value aggregate_value() const;
  void invalidate_cache() {
    if (d_) d_->cache_valid_ = false;
  }

  TraitKind kind_;
  std::int64_t window_;
  // A count needs only these (kept small: a rule set has up to thousands of traits, and an event
  // touches a few of them scattered in memory).
  RingBuffer<std::int64_t> times_;  // window entry times
  std::uint64_t count_ = 0;         // lifetime count

  // What the other kinds need, allocated only for them.
  struct Details {
    // Window entries parallel to times_ (only the ones the kind needs are used).
    RingBuffer<double> numbers_;
    RingBuffer<const TraitScalar*> scalars_;
    RingBuffer<std::pair<std::uint64_t, double>> extremes_;  // monotonic queue for min/max
    std::uint64_t pushed_ = 0;                                // sequence number of the next entry
    double sum_ = 0, sum_error_ = 0;                          // Neumaier-compensated sum
    std::optional<double> extreme_;                           // lifetime min/max
    std::map<TraitScalar, std::uint32_t> counts_;
    std::optional<TraitScalar> first_, last_;                 // lifetime first/last
    // value() for most_frequent / unique_list, rebuilt after changes.
    bool cache_valid_ = false;
    const TraitScalar* most_frequent_ = nullptr;
    std::vector<Value> list_;
  };
  std::unique_ptr<Details> d_;
};

}  // namespace touchpoint::rules
