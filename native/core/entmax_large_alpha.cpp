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

// log(d + eps) from log d and log eps, without forming either sum term.
inline double logSum(double logD, double logEps) {
  return logD > logEps ? logD + std::log1p(std::exp(logEps - logD)) : logEps + std::log1p(std::exp(logD - logEps));
}

// w in (0, 1/m] with H(w) = m w + sum over y > b of (y - b + w^(alpha-1))^q - 1 = 0, given
// h0 = H(0) + 1 < 1. H is increasing and convex in w (its terms' second derivative is
// (alpha - 2) (y - b) times positive factors), so Newton from w0 = (1 - h0) / m, where H >= 0,
// decreases monotonically onto the root.
double solveW(const double* y, size_t n, double b, double m, double h0, double q) {
  double w = (1 - h0) / m;
  for (int iteration = 0; iteration < 100; ++iteration) {
    const double logEps = std::log(w) / q;
    double h = m * w - 1, slope = m;
    for (size_t i = 0; i < n; ++i) {
      if (!(y[i] > b)) continue;
      const double l = logSum(std::log(y[i] - b), logEps);
      const double p = std::exp(q * l);
      h += p;
      slope += p * std::exp(logEps - l) / w;  // d/dw (d + w^(1/q))^q = p eps / (w (d + eps))
    }
    const double step = h / slope;
    if (!(step > 0)) break;  // on the root to rounding
    w -= step;
    if (step <= 0x1p-52 * w) break;
  }
  return w;
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

bool boundaryUnresolved(const double* y, size_t n, double tau, double q) {
  // The score nearest tau, on either side: one just below may belong to the support too.
  double least = kInf;
  for (size_t i = 0; i < n; ++i) least = std::fmin(least, std::fabs(y[i] - tau));
  // q t^(q-1) (4 ulps of tau) > 2^-44, in logarithms (t^(q-1) overflows for tiny t; t = 0 gives +Infinity).
  const double ulps = 0x1p-50 * std::fmax(1.0, std::fabs(tau));
  return std::log(q * ulps) + (q - 1) * std::log(least) > -44 * std::log(2.0);
}

Boundary solveBoundary(const double* y, size_t n, double tau, double q) {
  double b = kInf;
  for (size_t i = 0; i < n; ++i) b = y[i] > tau && y[i] < b ? y[i] : b;
  Boundary result{b, 1, 0};
  // Each move takes in or drops the entries at one score next to b; only those within tau's
  // rounding move, so one or two passes usually settle it.
  for (int move = 0; move < 64; ++move) {
    double m = 0, h0 = 0, lower = -kInf, higher = kInf;
    for (size_t i = 0; i < n; ++i) {
      if (y[i] > b) {
        h0 += std::exp(q * std::log(y[i] - b));
        higher = y[i] < higher ? y[i] : higher;
      } else if (y[i] == b) {
        m += 1;
      } else {
        lower = y[i] > lower ? y[i] : lower;
      }
    }
    if (h0 >= 1) {  // the terms above b alone reach 1: b is out
      b = higher;
      continue;
    }
    const double w = solveW(y, n, b, m, h0, q);
    result = Boundary{b, w, std::log(w) / q};
    if (lower > -kInf && result.logEps > std::log(b - lower)) {  // tau below the next score: it is in
      b = lower;
      continue;
    }
    break;
  }
  return result;
}

double boundaryProbability(double y, const Boundary& boundary, double q) {
  const double d = y - boundary.b;
  if (!(d >= 0)) return 0;
  if (d == 0) return boundary.w;
  return std::exp(q * logSum(std::log(d), boundary.logEps));
}

}  // namespace sshn::transforms::detail
