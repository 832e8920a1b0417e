// Where an HTTP/1.1 request head ends in the bytes received so far, and whether it stays inside
// the limits. Pure: the connection reactor feeds it its buffer after every read.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace touchpoint::collector {

struct HeadLimits {
  // Node.js caps a request head at 16 KiB (--max-http-header-size) and Apache at 100 header
  // fields (LimitRequestFields); a browser's batch request carries about 15 headers in 1 KB.
  std::size_t max_head_bytes = 16 * 1024;
  std::size_t max_header_count = 100;
};

enum class HeadState {
  incomplete,  // no blank line yet, and within the limits: read more
  complete,    // the head ends at head_bytes
  too_large,   // over max_head_bytes or max_header_count: answer 431 and close
};

struct HeadScan {
  HeadState state = HeadState::incomplete;
  std::size_t head_bytes = 0;  // request line + headers + the blank line
  std::size_t header_count = 0;
  std::optional<std::size_t> content_length;  // a valid Content-Length, if any
  bool bad_content_length = false;            // present but not a plain decimal number
  bool chunked = false;                       // Transfer-Encoding: chunked
  bool expect_continue = false;               // Expect: 100-continue (the client waits for us)
};

// Scans `received` from its start (a request head is small, rescanning is cheap).
HeadScan scan_request_head(std::string_view received, const HeadLimits& limits);

// httplib inflates "Content-Encoding: gzip" bodies itself, without a bound; the collector gunzips
// batches with gunzip_bounded instead. This renames that header of the head at the start of
// *buffer (whose head is `head_bytes` long) to kSentEncodingHeader, so only our code sees the
// compressed bytes. Returns the new head length.
std::size_t hide_content_encoding(std::string* buffer, std::size_t head_bytes);
inline constexpr const char* kSentEncodingHeader = "X-Touchpoint-Content-Encoding";

}  // namespace touchpoint::collector
