// Closed-form factors: capped-simplex / knapsack projections and the Pair factor.
// Mirrors src/js/sparsemap/closedForm.ts line for line (see there for the reasoning).
#include "sparsemap_closed_form.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sshn::sparsemap {
namespace {

inline double clip01(double v) { return v <= 0 ? 0 : v >= 1 ? 1 : v; }
inline bool isFree(double v) { return v > kFaceTol && v < 1 - kFaceTol; }

}  // namespace

// Weighted = false: unit costs, without the per-entry divisions (the same arithmetic: v / 1 = v).
template <bool Weighted>
double cappedProjectionImpl(const double* a, int64_t n, const double* costs, double k, SumMode mode, double* x) {
  const auto cost = [&](int64_t i) { return Weighted ? costs[i] : 1.0; };
  double clippedSum = 0;
  for (int64_t i = 0; i < n; ++i) clippedSum += cost(i) * clip01(a[i]);
  if ((mode == SumMode::AtMost && clippedSum <= k) || (mode == SumMode::AtLeast && clippedSum >= k)) {
    for (int64_t i = 0; i < n; ++i) x[i] = clip01(a[i]);
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double inf = std::numeric_limits<double>::infinity();
  double lo = inf, hi = -inf, total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double c = cost(i);
    lo = std::min(lo, Weighted ? (a[i] - 1) / c : a[i] - 1);
    hi = std::max(hi, Weighted ? a[i] / c : a[i]);
    total += c;
  }
  // The polytope is a single vertex: bisection would only approach it.
  if (mode != SumMode::AtLeast && k <= 0) {
    std::fill(x, x + n, 0.0);
    return hi;
  }
  if (mode != SumMode::AtMost && k >= total) {
    std::fill(x, x + n, 1.0);
    return lo;
  }
  double tau = 0;
  if (!(tau > lo && tau < hi)) tau = 0.5 * lo + 0.5 * hi;
  // Enough bisections to cross the whole double range; the root step ends ordinary cases in a few.
  for (int iter = 0; iter < 2200; ++iter) {
    double sumUpper = 0, sumFreeCA = 0, sumFreeCC = 0;
    double pieceLo = -inf, pieceHi = inf;
    for (int64_t i = 0; i < n; ++i) {
      const double c = cost(i);
      const double v = a[i];
      const double toZero = Weighted ? v / c : v;
      const double toOne = Weighted ? (v - 1) / c : v - 1;
      if (tau >= toZero) {
        if (toZero > pieceLo) pieceLo = toZero;
      } else if (tau <= toOne) {
        sumUpper += c;
        if (toOne < pieceHi) pieceHi = toOne;
      } else {
        sumFreeCA += c * v;
        sumFreeCC += c * c;
        if (toOne > pieceLo) pieceLo = toOne;
        if (toZero < pieceHi) pieceHi = toZero;
      }
    }
    const double g = sumUpper + sumFreeCA - tau * sumFreeCC;
    if (g == k) break;
    if (g > k) lo = tau;
    else hi = tau;
    if (sumFreeCC > 0) {
      const double root = (sumUpper + sumFreeCA - k) / sumFreeCC;
      if (root >= pieceLo && root <= pieceHi) {
        tau = root;
        break;
      }
      tau = root > lo && root < hi ? root : 0.5 * lo + 0.5 * hi;
    } else {
      tau = 0.5 * lo + 0.5 * hi;
    }
    if (!(hi - lo > 0)) break;
  }
  for (int64_t i = 0; i < n; ++i) x[i] = clip01(a[i] - tau * cost(i));
  return tau;
}

double cappedProjection(const double* a, int64_t n, const double* costs, double k, SumMode mode, double* x) {
  return costs == nullptr ? cappedProjectionImpl<false>(a, n, costs, k, mode, x) : cappedProjectionImpl<true>(a, n, costs, k, mode, x);
}

void cappedProjectionJvp(const double* x, int64_t n, const double* costs, bool active, const double* da, double* dx) {
  const auto cost = [&](int64_t i) { return costs == nullptr ? 1.0 : costs[i]; };
  double cc = 0, cda = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (isFree(x[i])) {
      cc += cost(i) * cost(i);
      cda += cost(i) * da[i];
    }
  }
  const double shift = active && cc > 0 ? cda / cc : 0;
  for (int64_t i = 0; i < n; ++i) dx[i] = isFree(x[i]) ? da[i] - shift * cost(i) : 0;
}

int pairSolve(double a1, double a2, double s, double* out) {
  if (s >= 0) {
    double x1 = clip01(a1 + s), x2 = clip01(a2);
    if (x1 <= x2) {
      out[0] = x1; out[1] = x2; out[2] = x1;
      return 0;
    }
    x1 = clip01(a1);
    x2 = clip01(a2 + s);
    if (x2 <= x1) {
      out[0] = x1; out[1] = x2; out[2] = x2;
      return 1;
    }
    const double t = clip01(0.5 * (a1 + a2 + s));
    out[0] = t; out[1] = t; out[2] = t;
    return 2;
  }
  double x1 = clip01(a1), x2 = clip01(a2);
  if (x1 + x2 <= 1) {
    out[0] = x1; out[1] = x2; out[2] = 0;
    return 3;
  }
  x1 = clip01(a1 + s);
  x2 = clip01(a2 + s);
  if (x1 + x2 >= 1) {
    out[0] = x1; out[1] = x2; out[2] = x1 + x2 - 1;
    return 4;
  }
  x1 = clip01(0.5 * (a1 - a2 + 1));
  out[0] = x1; out[1] = 1 - x1; out[2] = 0;
  return 5;
}

void pairJvp(int pairCase, const double* x, double da1, double da2, double ds, double* out) {
  const double f1 = isFree(x[0]) ? 1 : 0;
  const double f2 = isFree(x[1]) ? 1 : 0;
  switch (pairCase) {
    case 0: {
      const double d1 = f1 * (da1 + ds);
      out[0] = d1; out[1] = f2 * da2; out[2] = d1;
      return;
    }
    case 1: {
      const double d2 = f2 * (da2 + ds);
      out[0] = f1 * da1; out[1] = d2; out[2] = d2;
      return;
    }
    case 2: {
      const double d = f1 * 0.5 * (da1 + da2 + ds);
      out[0] = d; out[1] = d; out[2] = d;
      return;
    }
    case 3:
      out[0] = f1 * da1; out[1] = f2 * da2; out[2] = 0;
      return;
    case 4: {
      const double d1 = f1 * (da1 + ds);
      const double d2 = f2 * (da2 + ds);
      out[0] = d1; out[1] = d2; out[2] = d1 + d2;
      return;
    }
    default: {
      const double d = f1 * 0.5 * (da1 - da2);
      out[0] = d; out[1] = -d; out[2] = 0;
    }
  }
}

}  // namespace sshn::sparsemap
