// Files rules by the strings their predicates require (see string_constraints.hpp) in a small
// decision tree, so an event only visits the rules that can match it. A node splits the rules
// that constrain one slot (event.event, event.properties.category, the prefixes of
// event.properties.path, ...) by the value that slot must have; the rules that do not constrain
// it go to the node's "rest" subtree, which may split them on another slot. An event follows, at
// each node, the branch its value selects and the rest subtree; the candidates are the union of
// the leaves reached, visited in rule order. No rule is copied into branches it cannot match, so
// the tree stays proportional to the rules.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "string_constraints.hpp"
#include "string_index.hpp"
#include "value.hpp"

namespace touchpoint::rules {

// Splitting stops at leaves this small (evaluating a few rules beats another lookup), at this
// depth, and when a split would not cut the expected candidates by a quarter.
constexpr std::size_t kDispatchLeafSize = 6;
constexpr std::size_t kDispatchMaxDepth = 5;

class DispatchTree {
 public:
  // constraints[i] are the constraints of item i (items are rule ids, in rule order).
  void build(const std::vector<StringConstraints>& constraints);
  std::size_t item_count() const { return item_count_; }
  std::size_t node_count() const { return nodes_.size(); }

  // Calls f(item) for every item that can hold given the slot values, in item order. `marks` is
  // scratch of item_count() bits, all clear on entry and on return.
  template <typename F>
  void for_each_candidate(const Value* slots, std::vector<std::uint64_t>* marks, F&& f) const {
    if (nodes_.empty()) return;
    std::uint64_t* bits = marks->data();
    std::size_t lo = marks->size(), hi = 0;
    mark(0, slots, bits, &lo, &hi);
    for (std::size_t w = lo; w < hi; ++w) {
      while (bits[w]) {
        const int b = __builtin_ctzll(bits[w]);
        bits[w] &= bits[w] - 1;
        f(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(b)));
      }
    }
  }

 private:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  struct Node {
    std::uint32_t slot = kNone;            // kNone: a leaf
    bool prefix = false;                   // keys are prefixes of the value (else: equal to it)
    StringIndex keys;                      // key -> index into children
    std::vector<std::size_t> key_lengths;  // prefix mode: distinct key lengths, longest first
    std::vector<std::uint32_t> children;   // node ids
    std::uint32_t rest = kNone;            // subtree of the rules that do not constrain `slot`
    std::vector<std::uint32_t> items;      // leaf only
  };
  struct Split;
  Split plan_split(const std::vector<std::uint32_t>& items, std::uint32_t slot) const;
  std::uint32_t build_node(const std::vector<std::uint32_t>& items, std::size_t depth,
                           std::vector<std::uint32_t> used);
  std::uint32_t branch_for(const Node& n, const Value& v) const;

  void mark(std::uint32_t id, const Value* slots, std::uint64_t* bits, std::size_t* lo, std::size_t* hi) const {
    for (;;) {
      const Node& n = nodes_[id];
      if (n.slot == kNone) {
        for (std::uint32_t item : n.items) {
          const std::size_t w = item / 64;
          bits[w] |= 1ULL << (item % 64);
          if (w < *lo) *lo = w;
          if (w + 1 > *hi) *hi = w + 1;
        }
        return;
      }
      std::uint32_t child = branch_for(n, slots[n.slot]);
      if (child != kNone) mark(child, slots, bits, lo, hi);
      if (n.rest == kNone) return;
      id = n.rest;
    }
  }

  const std::vector<StringConstraints>* constraints_ = nullptr;
  std::vector<Node> nodes_;
  std::size_t item_count_ = 0;
};

}  // namespace touchpoint::rules
