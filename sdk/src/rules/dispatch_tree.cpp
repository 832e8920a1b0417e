#include "dispatch_tree.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <string>

namespace touchpoint::rules {

// How the items of a node would be divided by one slot.
struct DispatchTree::Split {
  bool prefix = false;
  std::vector<std::string> keys;                     // sorted
  std::vector<std::vector<std::uint32_t>> branches;  // per key, in item order
  std::vector<std::uint32_t> rest;                   // items that do not constrain the slot
  double cost = 0;  // expected candidates per event, every key equally likely
};

void DispatchTree::build(const std::vector<StringConstraints>& constraints) {
  constraints_ = &constraints;
  nodes_.clear();
  item_count_ = constraints.size();
  std::vector<std::uint32_t> all(constraints.size());
  for (std::uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  build_node(all, 0, {});
  constraints_ = nullptr;
}

DispatchTree::Split DispatchTree::plan_split(const std::vector<std::uint32_t>& items, std::uint32_t slot) const {
  Split split;
  std::set<std::string> keys;
  for (std::uint32_t item : items) {
    auto it = (*constraints_)[item].find(slot);
    if (it == (*constraints_)[item].end()) continue;
    split.prefix = split.prefix || it->second.prefix;
    keys.insert(it->second.strings.begin(), it->second.strings.end());
  }
  split.keys.assign(keys.begin(), keys.end());
  split.branches.resize(split.keys.size());
  std::size_t total = 0;
  for (std::uint32_t item : items) {
    auto it = (*constraints_)[item].find(slot);
    if (it == (*constraints_)[item].end()) {
      split.rest.push_back(item);
      continue;
    }
    // Exact: the branch of each required string. Prefix: every key that starts with one of them
    // (a value whose longest matching key is k starts with every key that is a prefix of k).
    for (const auto& s : it->second.strings) {
      auto k = std::lower_bound(split.keys.begin(), split.keys.end(), s);
      for (; k != split.keys.end() && k->compare(0, s.size(), s) == 0; ++k) {
        if (!split.prefix && *k != s) break;
        auto& branch = split.branches[static_cast<std::size_t>(k - split.keys.begin())];
        if (branch.empty() || branch.back() != item) {
          branch.push_back(item);
          ++total;
        }
      }
    }
  }
  split.cost = static_cast<double>(split.rest.size()) +
               (split.keys.empty() ? 0.0 : static_cast<double>(total) / static_cast<double>(split.keys.size()));
  return split;
}

std::uint32_t DispatchTree::build_node(const std::vector<std::uint32_t>& items, std::size_t depth,
                                       std::vector<std::uint32_t> used) {
  const auto id = static_cast<std::uint32_t>(nodes_.size());
  nodes_.emplace_back();
  if (items.size() <= kDispatchLeafSize || depth >= kDispatchMaxDepth) {
    nodes_[id].items = items;
    return id;
  }
  // The slot whose split leaves the fewest candidates, if that is a real improvement.
  std::set<std::uint32_t> slots;
  for (std::uint32_t item : items)
    for (const auto& entry : (*constraints_)[item])
      if (std::find(used.begin(), used.end(), entry.first) == used.end()) slots.insert(entry.first);
  std::uint32_t best_slot = kNone;
  Split best;
  best.cost = static_cast<double>(items.size()) * 0.75;
  for (std::uint32_t slot : slots) {
    Split split = plan_split(items, slot);
    if (!split.keys.empty() && split.cost < best.cost) {
      best = std::move(split);
      best_slot = slot;
    }
  }
  if (best_slot == kNone) {
    nodes_[id].items = items;
    return id;
  }
  nodes_[id].slot = best_slot;
  nodes_[id].prefix = best.prefix;
  used.push_back(best_slot);
  std::set<std::size_t, std::greater<std::size_t>> lengths;
  for (std::size_t i = 0; i < best.keys.size(); ++i) {
    std::uint32_t child = build_node(best.branches[i], depth + 1, used);
    nodes_[id].keys.insert(best.keys[i], static_cast<std::uint32_t>(nodes_[id].children.size()));
    nodes_[id].children.push_back(child);
    lengths.insert(best.keys[i].size());
  }
  nodes_[id].key_lengths.assign(lengths.begin(), lengths.end());
  if (!best.rest.empty()) {
    std::uint32_t rest = build_node(best.rest, depth + 1, used);
    nodes_[id].rest = rest;
  }
  return id;
}

std::uint32_t DispatchTree::branch_for(const Node& n, const Value& v) const {
  if (v.kind != ValueKind::kString) return kNone;
  const std::string_view s = v.string_view();
  if (!n.prefix) {
    std::int64_t i = n.keys.find(s);
    return i >= 0 ? n.children[static_cast<std::size_t>(i)] : kNone;
  }
  for (std::size_t length : n.key_lengths) {  // the longest key that starts the value
    if (length > s.size()) continue;
    std::int64_t i = n.keys.find(s.substr(0, length));
    if (i >= 0) return n.children[static_cast<std::size_t>(i)];
  }
  return kNone;
}

}  // namespace touchpoint::rules
