// Gzip request bodies. The SDK gzips batches itself and sends them as text/plain (a CORS "simple"
// request, so no preflight), so the collector recognises gzip by its magic bytes, not by headers.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace touchpoint::collector {

// True if `body` starts with the gzip magic bytes 0x1f 0x8b (RFC 1952 §2.3.1).
bool looks_gzipped(std::string_view body);

enum class GunzipStatus {
  ok,
  too_large,  // the output would exceed max_output_bytes (a zip bomb, or just too much)
  corrupt,    // not valid gzip (bad header, CRC, or trailing garbage)
  truncated,  // the stream ended before the gzip trailer
};

// Decompresses one or more concatenated gzip members into *out, stopping as soon as the output
// would pass max_output_bytes, so a bomb costs at most that much memory.
GunzipStatus gunzip_bounded(std::string_view compressed, std::size_t max_output_bytes, std::string* out);

const char* to_string(GunzipStatus status);

}  // namespace touchpoint::collector
