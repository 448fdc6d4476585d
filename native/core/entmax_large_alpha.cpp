// See entmax_large_alpha.hpp. Mirrored step for step by src/js/entmaxLargeAlpha.ts.
#include "entmax_large_alpha.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sshn::transforms::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// t 2^(e + shift) for a real e and an integer shift: 2^(floor(e) + shift) applied exactly by ldexp,
// so that the product overflows or underflows only where it is out of range itself, and scaling t
// or shift by a power of two scales it exactly (exponents clamped where any nonzero t is).
double timesExp2(double t, double e, double shift = 0) {
  if (t == 0) return 0;
  const double n = std::floor(e);
  return std::ldexp(std::exp2(e - n) * t, static_cast<int>(std::clamp(n + shift, -2200.0, 2200.0)));
}

}  // namespace

void relativeWeights(const double* p, size_t n, double alpha, double* w) {
  double least = kInf;
  for (size_t i = 0; i < n; ++i) least = p[i] > 0 && p[i] < least ? p[i] : least;
  const double base = std::log2(least);
  for (size_t i = 0; i < n; ++i) w[i] = p[i] > 0 ? std::exp2((2 - alpha) * (std::log2(p[i]) - base)) : 0.0;
}

void largeAlphaJvp(const double* p, size_t n, double alpha, const double* v, double* out) {
  // lg = log2 g on the support; r has the largest.
  size_t r = 0;
  double top = -kInf;
  for (size_t i = 0; i < n; ++i) {
    const double lg = p[i] > 0 ? (2 - alpha) * std::log2(p[i]) : -kInf;
    if (lg > top) top = lg, r = i;
  }
  const double ref = v[r];
  // sum g / max g, and the largest term of the mean relative to v_r, 2^(lg - top) |v - v_r|.
  double weight = 0, largest = -kInf;
  for (size_t i = 0; i < n; ++i) {
    if (!(p[i] > 0)) continue;
    const double e = (2 - alpha) * std::log2(p[i]) - top;
    weight += std::exp2(e);
    if (v[i] != ref) largest = std::max(largest, e + std::log2(std::fabs(v[i] - ref)));
  }
  // mean - v_r = scaled 2^-k, scaled summed with its largest term near 1 (0 when v = v_r on the support).
  const double k = largest > -kInf ? -std::floor(largest) : 0;
  double scaled = 0;
  for (size_t i = 0; i < n; ++i) {
    if (p[i] > 0 && v[i] != ref) scaled += timesExp2(v[i] - ref, (2 - alpha) * std::log2(p[i]) - top, k);
  }
  scaled /= weight;
  const double mean = timesExp2(scaled, 0, -k);  // may underflow: then only v = v_r needs it, scaled
  for (size_t i = 0; i < n; ++i) {
    if (!(p[i] > 0)) {
      out[i] = 0;
      continue;
    }
    const double lg = (2 - alpha) * std::log2(p[i]);
    out[i] = v[i] == ref ? -timesExp2(scaled, lg, -k) : timesExp2((v[i] - ref) - mean, lg);
  }
}

}  // namespace sshn::transforms::detail
