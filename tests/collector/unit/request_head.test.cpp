#include <doctest/doctest.h>

#include <string>

#include "request_head.hpp"

namespace tc = touchpoint::collector;

TEST_CASE("head: incomplete until the blank line, then its length and body framing") {
  tc::HeadLimits limits;
  CHECK(tc::scan_request_head("POST /v1/batch HTTP/1.1\r\nHost: x\r\n", limits).state == tc::HeadState::incomplete);
  const std::string head = "POST /v1/batch HTTP/1.1\r\nHost: x\r\ncontent-length: 12\r\nExpect: 100-continue\r\n\r\n";
  const auto scan = tc::scan_request_head(head + "{\"batch\":[]}", limits);
  CHECK(scan.state == tc::HeadState::complete);
  CHECK(scan.head_bytes == head.size());
  CHECK(scan.header_count == 3);
  CHECK(scan.content_length.value() == 12);
  CHECK(scan.expect_continue);
  CHECK_FALSE(scan.chunked);
  CHECK(tc::scan_request_head("POST / HTTP/1.1\nTransfer-Encoding: chunked\n\n", limits).chunked);
  CHECK(tc::scan_request_head("\r\nGET / HTTP/1.1\r\n\r\n", limits).state == tc::HeadState::complete);
}

TEST_CASE("head: limits on size and header count give too_large") {
  tc::HeadLimits limits;
  limits.max_head_bytes = 100;
  limits.max_header_count = 3;
  CHECK(tc::scan_request_head("GET /" + std::string(200, 'a'), limits).state == tc::HeadState::too_large);
  CHECK(tc::scan_request_head("GET / HTTP/1.1\r\nX-A: " + std::string(200, 'a') + "\r\n\r\n", limits).state ==
        tc::HeadState::too_large);
  CHECK(tc::scan_request_head("GET / HTTP/1.1\r\na: 1\r\nb: 1\r\nc: 1\r\nd: 1\r\n\r\n", limits).state ==
        tc::HeadState::too_large);
  CHECK(tc::scan_request_head("GET / HTTP/1.1\r\na: 1\r\nb: 1\r\nc: 1\r\n\r\n", limits).state ==
        tc::HeadState::complete);
}

TEST_CASE("head: a Content-Length that is not a number is flagged") {
  tc::HeadLimits limits;
  CHECK(tc::scan_request_head("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", limits).bad_content_length);
  CHECK(tc::scan_request_head("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", limits).bad_content_length);
}

TEST_CASE("head: Content-Encoding is renamed so httplib leaves the body alone") {
  std::string bytes = "POST /v1/batch HTTP/1.1\r\ncontent-encoding: gzip\r\nHost: x\r\n\r\nBODY";
  const auto scan = tc::scan_request_head(bytes, {});
  const std::size_t head = tc::hide_content_encoding(&bytes, scan.head_bytes);
  CHECK(bytes.find("content-encoding") == std::string::npos);
  CHECK(bytes.find(std::string(tc::kSentEncodingHeader) + ": gzip\r\n") != std::string::npos);
  CHECK(bytes.substr(head) == "BODY");
  // Body bytes that look like the header are not touched.
  std::string body_only = "POST / HTTP/1.1\r\nHost: x\r\n\r\nContent-Encoding: gzip\r\n";
  const auto s2 = tc::scan_request_head(body_only, {});
  CHECK(tc::hide_content_encoding(&body_only, s2.head_bytes) == s2.head_bytes);
  CHECK(body_only.find("Content-Encoding") != std::string::npos);
}
