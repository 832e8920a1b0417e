// A small gzip (RFC 1952) / deflate (RFC 1951) encoder for the pure core: event batches are
// compressed inside wasm, where zlib is not available, and on platforms without CompressionStream.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace touchpoint {

// zlib's default level: lazy matching, hash chains of 128 (see kEffort in gzip_encoder.cpp).
constexpr int kDefaultGzipLevel = 6;
// Batch bodies: events repeating their context compress within 1 % of level 6 at level 1 (greedy,
// short chains), 2.5 times faster (tools/ingest_bench.cpp, `make bench`).
constexpr int kBatchGzipLevel = 1;

// One complete gzip member: a fixed 10-byte header (no file name, mtime 0, OS 255, so equal input
// gives equal output on every platform), deflate data, then CRC-32 and ISIZE. `level` is zlib's
// scale: 0 stores, 1..3 match greedily, 4..9 lazily with longer chains; out-of-range is clamped.
std::string gzip_compress(std::string_view input, int level = kDefaultGzipLevel);

// CRC-32 as in gzip and zlib (reflected polynomial 0xEDB88320). `crc` continues a previous
// result: crc32(b, crc32(a)) == crc32(a + b), and crc32("123456789") == 0xCBF43926.
std::uint32_t crc32(std::string_view data, std::uint32_t crc = 0);

namespace detail {
// Huffman code lengths for `n` symbols, none longer than `max_bits`, with every code complete
// (Kraft sum exactly 1; at least two symbols get a code). Exposed for tests.
void huffman_code_lengths(const std::uint32_t* freq, unsigned n, unsigned max_bits,
                          std::uint8_t* lengths);
}  // namespace detail

}  // namespace touchpoint
