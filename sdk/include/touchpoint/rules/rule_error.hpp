// A problem found in a rule set or a JsonLogic expression, located by JSON pointer.
#pragma once
#include <string>

namespace touchpoint::rules {

// A rejected rule set is described by JSON pointer + message, e.g. {"/tags/3/when", "unknown operator \"foo\""}.
struct RuleError {
  std::string path;
  std::string message;
};

}  // namespace touchpoint::rules
