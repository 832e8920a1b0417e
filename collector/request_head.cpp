#include "request_head.hpp"

#include <cctype>

namespace touchpoint::collector {
namespace {

bool name_is(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(name[i])))
      return false;
  return true;
}

std::string_view value_of(std::string_view line, std::size_t name_length) {
  std::string_view v = line.substr(name_length + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
  return v;
}

bool contains_token(std::string_view value, std::string_view token) {
  std::string lower(value);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find(token) != std::string::npos;
}

}  // namespace

HeadScan scan_request_head(std::string_view received, const HeadLimits& limits) {
  HeadScan scan;
  std::size_t line_start = 0;
  bool request_line = true;
  while (true) {
    const std::size_t nl = received.find('\n', line_start);
    if (nl == std::string_view::npos) {
      if (received.size() > limits.max_head_bytes) scan.state = HeadState::too_large;
      return scan;
    }
    if (nl + 1 > limits.max_head_bytes) {
      scan.state = HeadState::too_large;
      return scan;
    }
    std::string_view line = received.substr(line_start, nl - line_start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line_start = nl + 1;
    if (request_line) {
      request_line = false;
      // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
      if (line.empty()) request_line = true;
      continue;
    }
    if (line.empty()) {
      scan.state = HeadState::complete;
      scan.head_bytes = line_start;
      return scan;
    }
    if (++scan.header_count > limits.max_header_count) {
      scan.state = HeadState::too_large;
      return scan;
    }
    if (name_is(line, "Content-Length")) {
      const std::string_view v = value_of(line, 14);
      if (v.empty() || v.size() > 15 || v.find_first_not_of("0123456789") != std::string_view::npos) {
        scan.bad_content_length = true;
      } else {
        scan.content_length = std::stoull(std::string(v));
      }
    } else if (name_is(line, "Transfer-Encoding")) {
      scan.chunked = contains_token(value_of(line, 17), "chunked");
    } else if (name_is(line, "Expect")) {
      scan.expect_continue = contains_token(value_of(line, 6), "100-continue");
    }
  }
}

std::size_t hide_content_encoding(std::string* buffer, std::size_t head_bytes) {
  constexpr std::string_view kName = "Content-Encoding";
  std::size_t line_start = buffer->find('\n');
  if (line_start == std::string::npos) return head_bytes;
  ++line_start;
  while (line_start < head_bytes) {
    const std::size_t nl = buffer->find('\n', line_start);
    if (nl == std::string::npos || nl >= head_bytes) break;
    const std::string_view line(buffer->data() + line_start, nl - line_start);
    if (name_is(line, kName)) {
      const std::string replacement = kSentEncodingHeader;
      buffer->replace(line_start, kName.size(), replacement);
      head_bytes += replacement.size() - kName.size();
      line_start = nl + (replacement.size() - kName.size()) + 1;
      continue;
    }
    line_start = nl + 1;
  }
  return head_bytes;
}

}  // namespace touchpoint::collector
