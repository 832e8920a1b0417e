#include "touchpoint/random.hpp"

namespace touchpoint {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

Random::Random(std::uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

void Random::reseed(std::string_view material) {
  std::uint64_t acc = 0x6A09E667F3BCC908ULL;
  for (auto& s : s_) s = splitmix64(acc);
  for (std::size_t i = 0; i < material.size(); ++i) {
    acc ^= static_cast<unsigned char>(material[i]) * 0x100000001B3ULL + i;
    s_[i % 4] ^= splitmix64(acc);
  }
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // all-zero state is a fixed point
}

std::uint64_t Random::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::int64_t Random::uniform(std::int64_t bound) {
  if (bound <= 0) return 0;
  const std::uint64_t range = static_cast<std::uint64_t>(bound) + 1;
  return static_cast<std::int64_t>(next() % range);  // modulo bias < 2^-40 for our ranges
}

std::string Random::uuid_v4() {
  std::uint64_t hi = next(), lo = next();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  std::string out(36, '-');
  int pos = 0;
  auto put = [&](std::uint64_t v, int nibbles) {
    for (int k = nibbles - 1; k >= 0; --k) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = kHex[(v >> (k * 4)) & 0xF];
    }
  };
  put(hi, 16);
  put(lo, 16);
  return out;
}

std::string Random::state_hex() const {
  std::string out;
  out.reserve(64);
  for (auto s : s_)
    for (int k = 15; k >= 0; --k) out.push_back(kHex[(s >> (k * 4)) & 0xF]);
  return out;
}

bool Random::restore_hex(std::string_view hex) {
  if (hex.size() != 64) return false;
  std::uint64_t st[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < 64; ++i) {
    const char c = hex[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return false;
    st[i / 16] = (st[i / 16] << 4) | static_cast<std::uint64_t>(v);
  }
  if ((st[0] | st[1] | st[2] | st[3]) == 0) return false;
  for (int i = 0; i < 4; ++i) s_[i] = st[i];
  return true;
}

}  // namespace touchpoint
