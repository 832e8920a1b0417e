// Speed and ratio of touchpoint::gzip_compress on a 20-event JSON batch and on larger inputs.
// Not wired into CMake; build it by hand, natively or for wasm:
//   g++ -std=c++17 -O2 -Isdk/include tools/gzip_bench.cpp sdk/src/gzip_encoder.cpp -o /tmp/gzip_bench
//   (add -DTP_BENCH_ZLIB ... -lz to compare with zlib)
//   em++ -std=c++17 -O2 -fno-exceptions -fno-rtti -Isdk/include tools/gzip_bench.cpp
//     sdk/src/gzip_encoder.cpp -sALLOW_MEMORY_GROWTH=1 -o /tmp/gzip_bench.js && node /tmp/gzip_bench.js
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "touchpoint/gzip_encoder.hpp"
#ifdef TP_BENCH_ZLIB
#include <zlib.h>
#endif

namespace {

std::uint64_t rng_state = 2024;
std::uint32_t rnd(std::uint32_t n) {
  std::uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<std::uint32_t>((z ^ (z >> 31)) % n);
}

std::string uuid() {
  std::string s;
  for (int i = 0; i < 32; i++) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    s += "0123456789abcdef"[i == 12 ? 4 : rnd(16)];
  }
  return s;
}

std::string json_batch(int events) {
  const char* names[] = {"Product Viewed", "Product Added", "Checkout Started", "Page Viewed", "Button Clicked"};
  const char* paths[] = {"/", "/products/sneaker-42", "/cart", "/checkout", "/search"};
  std::string anon = uuid(), out = "{\"batch\":[";
  std::uint64_t ms = 1714566896000ull;
  for (int i = 0; i < events; i++) {
    ms += 200 + rnd(5000);
    char ts[40];
    std::snprintf(ts, sizeof ts, "2024-05-01T12:%02u:%02u.%03uZ", unsigned(ms / 60000 % 60),
                  unsigned(ms / 1000 % 60), unsigned(ms % 1000));
    // One draw per statement: the order of calls inside one expression differs between compilers.
    const char* path = paths[rnd(5)];
    const char* name = names[rnd(5)];
    std::string id = uuid(), sku = std::to_string(rnd(100000)), price = std::to_string(rnd(20000) / 100.0);
    if (i) out += ',';
    out += std::string("{\"type\":\"track\",\"event\":\"") + name + "\",\"messageId\":\"" + id +
           "\",\"anonymousId\":\"" + anon + "\",\"timestamp\":\"" + ts + "\",\"properties\":{\"product_id\":\"sku-" +
           sku + "\",\"price\":" + price +
           ",\"currency\":\"USD\"},\"context\":{\"library\":{\"name\":\"touchpoint-web\",\"version\":\"0.1.0\"}," +
           "\"page\":{\"path\":\"" + path + "\",\"url\":\"https://shop.example.com" + path +
           "\",\"title\":\"Example Shop\",\"referrer\":\"https://www.google.com/\"},\"userAgent\":\"Mozilla/5.0 " +
           "(Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\"," +
           "\"locale\":\"en-US\",\"screen\":{\"width\":1512,\"height\":982,\"density\":2}},\"sentAt\":\"" + ts + "\"}";
  }
  return out + "]}";
}

template <class F>
double micros_per_call(F&& f, double min_seconds = 0.3) {
  using clock = std::chrono::steady_clock;
  for (auto warm = clock::now(); clock::now() - warm < std::chrono::milliseconds(200);) f();  // JIT tiers up
  int calls = 0;
  auto start = clock::now();
  double elapsed = 0;
  do {
    f();
    calls++;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < min_seconds);
  return elapsed * 1e6 / calls;
}

void bench(const char* name, const std::string& in, int level) {
  std::size_t size = 0;
  double us = micros_per_call([&] { size = touchpoint::gzip_compress(in, level).size(); });
  std::printf("%-22s level %d: %8zu -> %7zu bytes (%5.1f%%) %9.1f us  %6.1f MB/s\n", name, level, in.size(), size,
              100.0 * size / in.size(), us, in.size() / us);
#ifdef TP_BENCH_ZLIB
  std::string out(compressBound(in.size()) + 32, '\0');
  double zus = micros_per_call([&] {
    z_stream s{};
    deflateInit2(&s, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    s.avail_in = static_cast<uInt>(in.size());
    s.next_out = reinterpret_cast<Bytef*>(&out[0]);
    s.avail_out = static_cast<uInt>(out.size());
    deflate(&s, Z_FINISH);
    size = s.total_out;
    deflateEnd(&s);
  });
  std::printf("%-22s zlib  %d: %8zu -> %7zu bytes (%5.1f%%) %9.1f us  %6.1f MB/s\n", name, level, in.size(), size,
              100.0 * size / in.size(), zus, in.size() / zus);
#endif
}

}  // namespace

int main() {
  std::string batch = json_batch(20), big = json_batch(1000), random;
  for (int i = 0; i < (1 << 20); i++) random += static_cast<char>(rnd(256));
  for (int level : {1, 6, 9}) bench("20-event JSON batch", batch, level);
  bench("1000-event JSON", big, 6);
  bench("1 MiB random", random, 6);
  std::printf("crc32 1 MiB: %.1f us\n", micros_per_call([&] { volatile auto c = touchpoint::crc32(random); (void)c; }));
  return 0;
}
