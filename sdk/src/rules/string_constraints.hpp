// Which strings a predicate needs in which slots to be true. A predicate that can only hold when
// event.event is "purchase" (or event.properties.path starts with "/blog/") is filed under those
// strings, so an event only pays for the rules that can match it. Recognised, over a slot with no
// further path and no default: {"===": [var, "x"]} (either order), {"in": [var, ["x", "y"]]},
// {"starts_with": [var, "/blog/"]}; `and` (per slot, the tightest of its parts), `or` (union, for
// slots every part constrains). Anything else constrains nothing. `==` is not used: loose equality
// lets non-strings match ("5" == 5); non-string literals constrain nothing for the same reason.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "logic_program.hpp"

namespace touchpoint::rules {

struct StringConstraint {
  std::vector<std::string> strings;  // sorted, unique; empty = never holds
  bool prefix = false;               // the slot starts with one of them (else: equals one)
};

using StringConstraints = std::map<std::uint32_t, StringConstraint>;

StringConstraints required_strings(const Program& program, std::uint32_t node);

// The event names a predicate can hold for (an exact constraint on `name_slot`); nullopt = any.
std::optional<std::vector<std::string>> required_event_names(const Program& program, std::uint32_t node,
                                                             std::uint32_t name_slot);

}  // namespace touchpoint::rules
