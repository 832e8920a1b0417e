// Deterministic randomness for the core: the shell seeds it from crypto.getRandomValues, tests
// seed it with constants, so messageIds are unique in production and reproducible in tests.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace touchpoint {

// xoshiro256** (Blackman & Vigna): fast, 256-bit state, good enough for ids and jitter (not crypto:
// the seed is, and ids only need to be unique).
class Random {
 public:
  explicit Random(std::uint64_t seed = 0x9E3779B97F4A7C15ULL);
  // Seeds from arbitrary bytes (e.g. 32 bytes of crypto.getRandomValues as hex); mixes them all in.
  void reseed(std::string_view seed_material);
  std::uint64_t next();
  // Uniform in [0, bound] inclusive; bound >= 0.
  std::int64_t uniform(std::int64_t bound);
  // RFC 4122 version 4 UUID, lowercase: "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
  std::string uuid_v4();
  std::string state_hex() const;
  bool restore_hex(std::string_view hex);

 private:
  std::uint64_t s_[4];
};

}  // namespace touchpoint
