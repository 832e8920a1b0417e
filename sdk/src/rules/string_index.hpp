// A small immutable map from strings to ids, looked up by string_view without allocating.
// Sorted vector + binary search: event-name sets are small (tens of names), so this beats hashing
// a std::string key on every event.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "value.hpp"

namespace touchpoint::rules {

class StringIndex {
 public:
  // Up to this many keys a length check + inline compare per key beats binary search.
  static constexpr std::size_t kLinearScanMax = 8;

  // Returns the id of `key`, adding it with `next_id` if new.
  std::uint32_t insert(std::string_view key, std::uint32_t next_id) {
    auto it = lower(key);
    if (it != entries_.end() && it->first == key) return it->second;
    entries_.insert(it, {std::string(key), next_id});
    return next_id;
  }
  // The id of `key`, or -1.
  std::int64_t find(std::string_view key) const {
    if (entries_.size() <= kLinearScanMax) {
      for (const auto& e : entries_)
        if (e.first.size() == key.size() && bytes_equal(e.first.data(), key.data(), key.size())) return e.second;
      return -1;
    }
    auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                               [](const Entry& e, std::string_view k) { return std::string_view(e.first) < k; });
    if (it != entries_.end() && it->first == key) return it->second;
    return -1;
  }
  std::size_t size() const { return entries_.size(); }
  const std::vector<std::pair<std::string, std::uint32_t>>& entries() const { return entries_; }

 private:
  using Entry = std::pair<std::string, std::uint32_t>;
  std::vector<Entry>::iterator lower(std::string_view key) {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const Entry& e, std::string_view k) { return std::string_view(e.first) < k; });
  }
  std::vector<Entry> entries_;
};

}  // namespace touchpoint::rules
