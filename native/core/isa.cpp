#include "isa.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace sshn {
namespace {

Isa detectIsa() {
  const char* forced = std::getenv("SSHN_GEMM");
  Isa best = Isa::Baseline;
#ifdef SSHN_X86_VARIANTS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::Avx2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl")) {
    best = Isa::Avx512;
  }
#endif
  if (forced == nullptr || *forced == '\0') return best;
  if (std::strcmp(forced, "baseline") == 0) return Isa::Baseline;
  if (std::strcmp(forced, "avx2") == 0) return std::min(best, Isa::Avx2);
  return best;
}

}  // namespace

Isa selectedIsa() {
  static const Isa selected = detectIsa();
  return selected;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "baseline";
  }
}

}  // namespace sshn
