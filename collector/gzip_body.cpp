#include "gzip_body.hpp"

#include <zlib.h>

#include <algorithm>

namespace touchpoint::collector {

bool looks_gzipped(std::string_view body) {
  return body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
         static_cast<unsigned char>(body[1]) == 0x8b;
}

const char* to_string(GunzipStatus status) {
  switch (status) {
    case GunzipStatus::ok: return "ok";
    case GunzipStatus::too_large: return "too_large";
    case GunzipStatus::corrupt: return "corrupt";
    case GunzipStatus::truncated: return "truncated";
  }
  return "unknown";
}

GunzipStatus gunzip_bounded(std::string_view compressed, std::size_t max_output_bytes, std::string* out) {
  out->clear();
  z_stream zs{};
  // 16 + MAX_WBITS: expect a gzip wrapper (not zlib/raw deflate).
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return GunzipStatus::corrupt;
  struct Guard {
    z_stream* zs;
    ~Guard() { inflateEnd(zs); }
  } guard{&zs};

  // zlib counts in uInt; bodies are capped far below 4 GiB by the caller's limits anyway.
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(std::min<std::size_t>(compressed.size(), UINT32_MAX));

  char chunk[16384];
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk);
    zs.avail_out = sizeof chunk;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const std::size_t produced = sizeof chunk - zs.avail_out;
    if (out->size() + produced > max_output_bytes) return GunzipStatus::too_large;
    out->append(chunk, produced);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) return GunzipStatus::ok;
      // Another member may follow (gzip allows concatenation); anything else is garbage.
      const std::string_view rest(reinterpret_cast<const char*>(zs.next_in), zs.avail_in);
      if (!looks_gzipped(rest)) return GunzipStatus::corrupt;
      if (inflateReset(&zs) != Z_OK) return GunzipStatus::corrupt;
      continue;
    }
    if (rc == Z_BUF_ERROR || (rc == Z_OK && zs.avail_in == 0 && produced == 0)) {
      // No progress possible: all input consumed without reaching the end of the stream.
      return GunzipStatus::truncated;
    }
    if (rc != Z_OK) return GunzipStatus::corrupt;  // Z_DATA_ERROR, Z_MEM_ERROR, Z_NEED_DICT
  }
}

}  // namespace touchpoint::collector
