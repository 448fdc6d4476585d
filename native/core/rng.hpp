// Seeded random numbers, bit-for-bit identical to src/rng.ts so that both backends
// make the same random choices from the same seed.
#pragma once
#include <cstdint>

namespace sshn {

inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// One step of a 32-bit SplitMix-style mixer; used only to expand a seed into state.
inline uint32_t splitmix32(uint32_t& state) {
  state += 0x9e3779b9u;
  uint32_t z = state;
  z = (z ^ (z >> 16)) * 0x85ebca6bu;
  z = (z ^ (z >> 13)) * 0xc2b2ae35u;
  return z ^ (z >> 16);
}

// xoshiro128**: 32-bit arithmetic only, so the TypeScript twin needs no BigInt.
class Rng {
 public:
  // seed: an integer in [0, 2^53); stream: an index giving independent sequences per item.
  Rng(double seed, uint32_t stream = 0) {
    const uint64_t s = static_cast<uint64_t>(seed);
    uint32_t a = static_cast<uint32_t>(s & 0xffffffffu);
    uint32_t b = static_cast<uint32_t>(s >> 32) ^ 0x5851f42du;
    uint32_t c = stream * 0x9e3779b1u + 0x632be5abu;
    for (auto& word : state_) word = splitmix32(a) ^ splitmix32(b) ^ splitmix32(c);
    if ((state_[0] | state_[1] | state_[2] | state_[3]) == 0) state_[0] = 1;
  }

  uint32_t nextU32() {
    const uint32_t result = rotl32(state_[1] * 5u, 7) * 9u;
    const uint32_t t = state_[1] << 9;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl32(state_[3], 11);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double nextDouble() {
    const double hi = static_cast<double>(nextU32() >> 5);
    const double lo = static_cast<double>(nextU32() >> 6);
    return (hi * 67108864.0 + lo) / 9007199254740992.0;
  }

  // Uniform integer in [0, bound).
  uint32_t below(uint32_t bound) { return static_cast<uint32_t>(nextDouble() * bound); }

 private:
  uint32_t state_[4];
};

}  // namespace sshn
