// gzip_encoder: every output is inflated by zlib (the reference decoder) and compared byte for byte.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "touchpoint/gzip_encoder.hpp"

namespace {

struct Rng {  // splitmix64: deterministic across platforms
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }
};

std::string random_bytes(Rng& rng, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng.next());
  return s;
}

// Inflates one gzip member with zlib; false on any error or trailing bytes.
bool gunzip(const std::string& gz, std::string& out) {
  z_stream s{};
  if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) return false;
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  s.avail_in = static_cast<uInt>(gz.size());
  out.clear();
  char buf[65536];
  int rc;
  do {
    s.next_out = reinterpret_cast<Bytef*>(buf);
    s.avail_out = sizeof buf;
    rc = inflate(&s, Z_NO_FLUSH);
    out.append(buf, sizeof buf - s.avail_out);
  } while (rc == Z_OK);
  bool ok = rc == Z_STREAM_END && s.avail_in == 0;
  inflateEnd(&s);
  return ok;
}

std::string zlib_gzip(const std::string& in, int level) {
  z_stream s{};
  deflateInit2(&s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&s, in.size()), '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(&out[0]);
  s.avail_out = static_cast<uInt>(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

std::uint32_t le32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = v << 8 | static_cast<unsigned char>(s[at + i]);
  return v;
}

// Compresses, checks header and trailer, inflates with zlib; returns the compressed size.
std::size_t round_trip(const std::string& in, int level = touchpoint::kDefaultGzipLevel) {
  std::string gz = touchpoint::gzip_compress(in, level);
  REQUIRE(gz.size() >= 18);
  CHECK(gz.compare(0, 4, std::string("\x1f\x8b\x08\x00", 4)) == 0);
  CHECK(le32(gz, 4) == 0);  // mtime
  CHECK(static_cast<unsigned char>(gz[9]) == 0xFF);
  CHECK(le32(gz, gz.size() - 8) == ::crc32(0L, reinterpret_cast<const Bytef*>(in.data()), static_cast<uInt>(in.size())));
  CHECK(le32(gz, gz.size() - 4) == static_cast<std::uint32_t>(in.size()));
  std::string back;
  bool ok = gunzip(gz, back);
  CHECK(ok);
  CHECK(back.size() == in.size());
  CHECK((back == in));
  return gz.size();
}

std::string uuid(Rng& rng) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; i++) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    unsigned v = rng.below(16);
    if (i == 12) v = 4;
    if (i == 16) v = 8 + (v & 3);
    s += hex[v];
  }
  return s;
}

// A batch of Segment-shaped track/page events as the SDK sends them: same user, page and context,
// distinct messageIds and timestamps.
std::string json_batch(std::uint64_t seed, int events) {
  Rng rng{seed};
  static const char* names[] = {"Product Viewed", "Product Added", "Checkout Started", "Page Viewed", "Button Clicked"};
  static const char* paths[] = {"/", "/products/sneaker-42", "/cart", "/checkout", "/search"};
  std::string anon = uuid(rng);
  std::string session = uuid(rng);
  std::uint64_t ms = 1714566896000ull;
  std::string out = "{\"batch\":[";
  for (int i = 0; i < events; i++) {
    ms += 200 + rng.below(5000);
    char ts[40];
    std::snprintf(ts, sizeof ts, "2024-05-01T12:%02u:%02u.%03uZ", unsigned(ms / 60000 % 60), unsigned(ms / 1000 % 60), unsigned(ms % 1000));
    // One draw per statement: the order of calls inside one expression differs between compilers.
    const char* path = paths[rng.below(5)];
    std::string name = names[rng.below(5)], id = uuid(rng), sku = std::to_string(rng.below(100000));
    std::string price = std::to_string(rng.below(20000) / 100.0), qty = std::to_string(1 + rng.below(3));
    std::string position = std::to_string(rng.below(40));
    if (i) out += ',';
    out += "{\"type\":\"track\",\"event\":\"" + name + "\",\"messageId\":\"" + id +
           "\",\"anonymousId\":\"" + anon + "\",\"userId\":\"user_8412\",\"timestamp\":\"" + ts +
           "\",\"properties\":{\"product_id\":\"sku-" + sku + "\",\"price\":" + price +
           ",\"currency\":\"USD\",\"quantity\":" + qty + ",\"position\":" + position +
           "},\"context\":{\"library\":{\"name\":\"touchpoint-web\",\"version\":\"0.1.0\"},\"page\":{\"path\":\"" + path +
           "\",\"url\":\"https://shop.example.com" + path + "\",\"title\":\"Example Shop\",\"referrer\":\"https://www.google.com/\"}," +
           "\"userAgent\":\"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\"," +
           "\"locale\":\"en-US\",\"timezone\":\"Europe/Berlin\",\"screen\":{\"width\":1512,\"height\":982,\"density\":2}," +
           "\"sessionId\":\"" + session + "\",\"campaign\":{\"source\":\"newsletter\",\"medium\":\"email\",\"name\":\"spring_sale\"}}," +
           "\"sentAt\":\"" + ts + "\"}";
  }
  return out + "]}";
}

// Data with back-references of every length and distance, over text-like and random literals.
std::string lz_friendly(Rng& rng, std::size_t n) {
  std::string s;
  s.reserve(n);
  while (s.size() < n) {
    unsigned kind = rng.below(4);
    if (kind == 0 || s.size() < 4) {
      for (unsigned k = 1 + rng.below(20); k; k--) s += static_cast<char>(rng.below(4) ? 'a' + rng.below(6) : rng.next());
    } else {
      std::size_t back = 1 + (kind == 1 ? rng.below(8) : rng.below(static_cast<std::uint32_t>(s.size() < 40000 ? s.size() : 40000)));
      if (back > s.size()) back = s.size();
      std::size_t len = 3 + (rng.below(4) ? rng.below(20) : rng.below(400));
      for (std::size_t start = s.size() - back; len--;) s += s[start++];  // may overlap, like deflate
    }
  }
  s.resize(n);
  return s;
}

}  // namespace

TEST_CASE("crc32: known vectors, chaining, agreement with zlib") {
  CHECK(touchpoint::crc32("") == 0u);
  CHECK(touchpoint::crc32("123456789") == 0xCBF43926u);
  CHECK(touchpoint::crc32("The quick brown fox jumps over the lazy dog") == 0x414FA339u);
  CHECK(touchpoint::crc32("56789", touchpoint::crc32("1234")) == 0xCBF43926u);
  Rng rng{7};
  std::string data = random_bytes(rng, 100000);
  CHECK(touchpoint::crc32(data) == ::crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

TEST_CASE("gzip: header is fixed and output deterministic") {
  std::string gz = touchpoint::gzip_compress("hello hello hello");
  CHECK(gz.compare(0, 10, std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10)) == 0);
  CHECK(gz == touchpoint::gzip_compress("hello hello hello"));
  round_trip("hello hello hello");
}

TEST_CASE("gzip: empty, one byte, all byte values, at every level") {
  std::string all;
  for (int i = 0; i < 256; i++) all += static_cast<char>(i);
  std::string all_repeated;
  for (int i = 0; i < 100; i++) all_repeated += all;
  for (int level = 0; level <= 9; level++) {
    CAPTURE(level);
    std::size_t empty = round_trip("", level);
    if (level > 0) CHECK(empty == 20);  // header, a 2-byte fixed block holding only end-of-block, trailer
    round_trip("x", level);
    round_trip(std::string(1, '\0'), level);
    round_trip("ab", level);
    round_trip("abc", level);
    round_trip("aaaa", level);
    round_trip(all, level);
    std::size_t rep = round_trip(all_repeated, level);
    if (level > 0) CHECK(rep < 600);
  }
  for (int b = 0; b < 256; b++) {  // each alone: a fixed-Huffman block, 8- and 9-bit literal codes
    CAPTURE(b);
    round_trip(std::string(1, static_cast<char>(b)));
    round_trip(std::string(3, static_cast<char>(b)) + "xyz" + std::string(3, static_cast<char>(b)));
  }
  CHECK(touchpoint::gzip_compress("abc", -3) == touchpoint::gzip_compress("abc", 0));
  CHECK(touchpoint::gzip_compress("abc", 42) == touchpoint::gzip_compress("abc", 9));
}

TEST_CASE("gzip: highly repetitive data") {
  std::string a(1 << 20, 'a');
  std::size_t size = round_trip(a);
  std::printf("gzip 1 MiB of 'a': %zu bytes (zlib -6: %zu)\n", size, zlib_gzip(a, 6).size());
  CHECK(size < 2000);
  std::string abc;
  while (abc.size() < 300000) abc += "abcabcabd";
  CHECK(round_trip(abc) < 2000);
  for (int level : {1, 2, 3, 4, 9}) {  // greedy levels skip indexing inside long matches, as zlib's do
    CAPTURE(level);
    CHECK(round_trip(a, level) <= zlib_gzip(a, level).size() + 64);
  }
}

TEST_CASE("gzip: 1 MiB of random bytes is stored with little overhead") {
  Rng rng{42};
  std::string data = random_bytes(rng, 1 << 20);
  for (int level : {0, 1, 6, 9}) {
    CAPTURE(level);
    std::size_t size = round_trip(data, level);
    CHECK(size <= data.size() + data.size() / 1000 + 64);
  }
}

TEST_CASE("gzip: matches across the 32 KB window") {
  Rng rng{3};
  std::string block = random_bytes(rng, 30000);
  std::string near = block + block + block;  // distance 30000: inside the window
  std::size_t size = round_trip(near);
  CHECK(size < 30000 + 1000);
  std::string far_block = random_bytes(rng, 40000);
  std::string far = far_block + far_block;  // distance 40000: outside, must not be referenced
  CHECK(round_trip(far) > 80000);
  // Distances right at the edge of the window, and a long input that slides through it many times.
  std::string edge = random_bytes(rng, 32768);
  edge += edge.substr(0, 5000) + random_bytes(rng, 1) + edge.substr(2, 7000);
  round_trip(edge);
  round_trip(lz_friendly(rng, 3 << 20));
}

TEST_CASE("gzip: a batch of 20 JSON events compresses to < 25%, near zlib -6") {
  std::string batch = json_batch(2024, 20);
  std::size_t ours = round_trip(batch);
  std::size_t zlib6 = zlib_gzip(batch, 6).size(), zlib9 = zlib_gzip(batch, 9).size();
  std::printf("20-event JSON batch: %zu bytes -> touchpoint %zu (%.1f%%), zlib -6 %zu (%.1f%%), zlib -9 %zu\n",
              batch.size(), ours, 100.0 * ours / batch.size(), zlib6, 100.0 * zlib6 / batch.size(), zlib9);
  CHECK(batch.size() > 12000);
  CHECK(ours * 4 < batch.size());
  CHECK(ours <= zlib6 + zlib6 * 15 / 100);
  for (int level = 0; level <= 9; level++) {
    CAPTURE(level);
    std::size_t size = round_trip(batch, level);
    if (level > 0) CHECK(size * 3 < batch.size());
  }
  // A single event, as the synchronous unload flush may send it.
  std::string one = json_batch(5, 1);
  CHECK(round_trip(one) < one.size());
}

TEST_CASE("gzip: blocks switch between stored, fixed and dynamic mid-stream") {
  Rng rng{77};
  std::string mixed;
  for (int i = 0; i < 6; i++) {
    mixed += json_batch(rng.next(), 30);                     // dynamic blocks
    mixed += random_bytes(rng, 20000 + rng.below(50000));   // stored blocks, not byte-aligned before
    mixed += std::string(70000 + rng.below(1000), 'z');      // few symbols: tiny blocks
  }
  for (int level : {1, 6, 9}) {
    CAPTURE(level);
    round_trip(mixed, level);
  }
}

TEST_CASE("gzip: seeded fuzz over sizes, shapes and levels") {
  Rng rng{12345};
  for (int i = 0; i < 300; i++) {
    std::uint32_t magnitude = rng.below(18);
    std::size_t n = rng.below((1u << magnitude) + 1);
    std::string data;
    switch (rng.below(5)) {
      case 0: data = random_bytes(rng, n); break;
      case 1: for (std::size_t k = 0; k < n; k++) data += static_cast<char>('a' + rng.below(1 + magnitude % 4)); break;
      case 2: data = lz_friendly(rng, n); break;
      case 3: data = json_batch(rng.next(), 1 + static_cast<int>(n % 40)).substr(0, n); break;
      default:  // runs of random length: long matches at distance 1
        while (data.size() < n) data.append(1 + rng.below(600), static_cast<char>(rng.below(3)));
        data.resize(n);
    }
    int level = static_cast<int>(rng.below(10));
    CAPTURE(i);
    CAPTURE(n);
    CAPTURE(level);
    round_trip(data, level);
  }
}

TEST_CASE("huffman_code_lengths: limited, complete, optimal when unconstrained") {
  auto check = [](const std::vector<std::uint32_t>& freq, unsigned max_bits) {
    std::vector<std::uint8_t> len(freq.size());
    touchpoint::detail::huffman_code_lengths(freq.data(), static_cast<unsigned>(freq.size()), max_bits, len.data());
    std::uint64_t kraft = 0;
    unsigned coded = 0;
    for (std::size_t i = 0; i < freq.size(); i++) {
      CHECK(len[i] <= max_bits);
      if (freq[i]) CHECK(len[i] > 0);
      if (len[i]) kraft += std::uint64_t(1) << (max_bits - len[i]), coded++;
    }
    CHECK(kraft == (std::uint64_t(1) << max_bits));  // complete: zlib rejects anything else
    CHECK(coded >= 2);
    return len;
  };
  // Fibonacci weights give the deepest possible tree: 29 levels for 30 symbols, 18 for 19.
  std::vector<std::uint32_t> fib(30);
  fib[0] = fib[1] = 1;
  for (int i = 2; i < 30; i++) fib[i] = fib[i - 1] + fib[i - 2];
  check(fib, 15);
  check(std::vector<std::uint32_t>(fib.begin(), fib.begin() + 19), 7);
  std::vector<std::uint32_t> big(286, 0);
  for (int i = 0; i < 30; i++) big[i * 9] = fib[i];
  check(big, 15);
  check(std::vector<std::uint32_t>(286, 0), 15);
  check(std::vector<std::uint32_t>(19, 0), 7);
  std::vector<std::uint32_t> one(30, 0);
  one[17] = 5;
  CHECK(check(one, 15)[17] == 1);
  // Unconstrained, lengths match a textbook Huffman cost: {1,1,2,3,5} costs 1*4+1*4+2*3+3*2+5*1 = 25.
  std::vector<std::uint32_t> small = {1, 1, 2, 3, 5};
  auto len = check(small, 15);
  std::uint64_t cost = 0;
  for (int i = 0; i < 5; i++) cost += small[i] * len[i];
  CHECK(cost == 25);
  Rng rng{99};
  for (int t = 0; t < 200; t++) {
    unsigned n = 2 + rng.below(285);
    std::vector<std::uint32_t> f(n);
    for (auto& x : f) x = rng.below(3) ? 0 : 1 + static_cast<std::uint32_t>(rng.next() % (1u << rng.below(16)));
    check(f, 15);
    if (n <= 19) check(f, 7);
  }
}
