// Portable bit helpers for compilers without GCC builtins (MSVC).
#pragma once
#include <cstdint>

#if defined(_MSC_VER) && !defined(__clang__)
#define SSHN_ALWAYS_INLINE __forceinline
#else
#define SSHN_ALWAYS_INLINE inline __attribute__((always_inline))
#endif

namespace sshn {

SSHN_ALWAYS_INLINE int popcount64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_popcountll(x);
#else
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<int>((x * 0x0101010101010101ull) >> 56);
#endif
}

}  // namespace sshn
