#include <doctest/doctest.h>
#include <zlib.h>

#include <string>

#include "gzip_body.hpp"

namespace tc = touchpoint::collector;

namespace {
std::string gzip(const std::string& text) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, text.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}
}  // namespace

TEST_CASE("gzip: magic bytes") {
  CHECK(tc::looks_gzipped(gzip("{}")));
  CHECK_FALSE(tc::looks_gzipped("{}"));
  CHECK_FALSE(tc::looks_gzipped("\x1f"));
}

TEST_CASE("gzip: round trip, concatenated members") {
  std::string out;
  CHECK(tc::gunzip_bounded(gzip("hello"), 100, &out) == tc::GunzipStatus::ok);
  CHECK(out == "hello");
  CHECK(tc::gunzip_bounded(gzip("ab") + gzip("cd"), 100, &out) == tc::GunzipStatus::ok);
  CHECK(out == "abcd");
}

TEST_CASE("gzip: a bomb stops at the limit, without inflating the rest") {
  const std::string bomb = gzip(std::string(64 * 1024 * 1024, 'a'));  // 64 MiB -> ~64 KB
  std::string out;
  CHECK(tc::gunzip_bounded(bomb, 1024 * 1024, &out) == tc::GunzipStatus::too_large);
  CHECK(out.size() <= 1024 * 1024);
}

TEST_CASE("gzip: truncated and corrupt streams") {
  const std::string z = gzip(std::string(10000, 'x') + "tail");
  std::string out;
  CHECK(tc::gunzip_bounded(z.substr(0, z.size() / 2), 1 << 20, &out) == tc::GunzipStatus::truncated);
  std::string bad = z;
  bad[bad.size() - 6] ^= 0x55;  // CRC
  CHECK(tc::gunzip_bounded(bad, 1 << 20, &out) == tc::GunzipStatus::corrupt);
  CHECK(tc::gunzip_bounded(z + "garbage", 1 << 20, &out) == tc::GunzipStatus::corrupt);
}
