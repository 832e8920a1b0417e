// The collector's request body path: gzip detection and bounded gunzip (collector/gzip_body.*),
// then the batch parser and event validation (collector/batch_parser.*). Compiled in, not edited.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "batch_parser.hpp"
#include "gzip_body.hpp"
#include "touchpoint/gzip_encoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace touchpoint::collector;
  if (size == 0) return 0;
  // First byte: how the body arrives. Raw bytes rarely form gzip, so also gzip the rest with the
  // SDK's encoder, whole, truncated, or with one byte flipped (CRC, length and deflate errors).
  const std::uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string wire(rest);
  if (mode % 4 != 0) {
    wire = touchpoint::gzip_compress(rest);
    const std::size_t at = (static_cast<std::size_t>(mode) * 7919u) % (wire.size() + 1);
    if (mode % 4 == 2) wire.resize(at);
    if (mode % 4 == 3 && at < wire.size()) wire[at] = static_cast<char>(wire[at] ^ (mode | 1));
  }
  std::string_view body(wire);
  std::string text(body);
  if (looks_gzipped(body)) {
    std::string out;
    GunzipStatus st = gunzip_bounded(body, 1 << 20, &out);
    (void)to_string(st);
    if (st != GunzipStatus::ok) return 0;
    text = std::move(out);
  }
  ParsedBatch parsed;
  (void)parse_batch(std::move(text), BatchLimits{}, &parsed);
  return 0;
}
