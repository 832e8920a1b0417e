#include "etag.hpp"

namespace touchpoint::collector {
namespace {

std::string strip_weak(std::string tag) {
  if (tag.rfind("W/", 0) == 0) tag.erase(0, 2);
  return tag;
}

}  // namespace

bool if_none_match_hits(const std::string& if_none_match, const std::string& etag) {
  const std::string wanted = strip_weak(etag);
  std::size_t start = 0;
  while (start <= if_none_match.size()) {
    std::size_t end = if_none_match.find(',', start);
    if (end == std::string::npos) end = if_none_match.size();
    std::string tag = if_none_match.substr(start, end - start);
    const auto first = tag.find_first_not_of(" \t");
    const auto last = tag.find_last_not_of(" \t");
    tag = first == std::string::npos ? "" : tag.substr(first, last - first + 1);
    if (tag == "*" || (!tag.empty() && strip_weak(tag) == wanted)) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace touchpoint::collector
