// Conditional GET support shared by /v1/rules and static files.
#pragma once
#include <string>

namespace touchpoint::collector {

// RFC 9110 §13.1.2: If-None-Match holds "*" or a comma-separated list of entity tags and is
// compared weakly (W/"x" matches "x").
bool if_none_match_hits(const std::string& if_none_match, const std::string& etag);

}  // namespace touchpoint::collector
