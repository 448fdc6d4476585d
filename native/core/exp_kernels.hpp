// One copy of the vectorisable exponentials behind native/core/vexp.cpp, included by one translation
// unit per instruction set (vexp.cpp: the build's baseline; kernels_avx2.cpp, kernels_avx512.cpp).
// SSHN_ISA names the copy's namespace. Every lane runs the same IEEE operations in the same order
// (no contraction, no reassociation), so every copy gives bitwise the same results. The wider units
// are compiled with -fno-trapping-math, without which GCC will not if-convert the selects below;
// it changes no value. Nothing here may call an inline function of the standard library, whose
// wide instantiation the linker could hand to the baseline.
#pragma once
#include <cstdint>
#include <cstring>

namespace sshn::vexp::SSHN_ISA {

// out[j] = exp(x[j] - shift) for x[j] - shift <= 0 (or -Infinity), within 1 ulp of the correctly
// rounded value, subnormal results included; returns their sum (eight interleaved partial sums,
// added in a fixed order).
template <typename T>
double expShiftedSum(const T* x, int64_t d, double shift, double* out) {
  constexpr double kLog2e = 1.4426950408889634;
  // ln 2 split so that n * kLn2Hi is exact for |n| < 2^20 (kLn2Hi has 32 trailing zero bits).
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kRound = 6755399441055744.0;  // 1.5 * 2^52: adding it rounds to an integer
  uint64_t roundBits;
  std::memcpy(&roundBits, &kRound, sizeof roundBits);
  for (int64_t j = 0; j < d; ++j) {
    double y = static_cast<double>(x[j]) - shift;
    y = y > -800.0 ? y : -800.0;  // exp(-800) is 0; keeps n within the exponent range below
    const double n = (y * kLog2e + kRound) - kRound;  // y / ln 2 rounded to the nearest integer
    const double r = (y - n * kLn2Hi) - n * kLn2Lo;    // |r| <= ln(2) / 2
    // Taylor series of exp(r) to r^13 (the remainder is below 2^-58 relative), by Horner.
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^n built from its bits; below 2^-1000 as 2^(n + 500) * 2^-500, so that only the last
    // product rounds into the subnormal range.
    const bool deep = n < -1000.0;
    const double m = n + (deep ? 500.0 : 0.0);
    const double post = deep ? 0x1p-500 : 1.0;
    const double shifted = m + kRound;
    uint64_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    bits = (bits - roundBits + 1023) << 52;
    double pow2;
    std::memcpy(&pow2, &bits, sizeof pow2);
    out[j] = p * pow2 * post;
  }
  double partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= d; j += 8) {
    for (int lane = 0; lane < 8; ++lane) partial[lane] += out[j + lane];
  }
  for (int lane = 0; j < d; ++j, ++lane) partial[lane] += out[j];
  double sum = 0;
  for (double s : partial) sum += s;
  return sum;
}

template double expShiftedSum<float>(const float*, int64_t, double, double*);
template double expShiftedSum<double>(const double*, int64_t, double, double*);

}  // namespace sshn::vexp::SSHN_ISA
