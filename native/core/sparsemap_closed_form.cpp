// Closed-form factors: capped-simplex / knapsack projections and the Pair factor.
// Mirrors src/js/sparsemap/closedForm.ts line for line (see there for the reasoning).
#include "sparsemap_closed_form.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

namespace sshn::sparsemap {
namespace {

inline double clip01(double v) { return v <= 0 ? 0 : v >= 1 ? 1 : v; }
inline bool isFree(double v) { return v > kFaceTol && v < 1 - kFaceTol; }

}  // namespace

namespace {

// Largest |b_i| + |t c_i| behind an entry's value b_i - t c_i for which one pass counts as exact.
constexpr double kSettledMagnitude = 4096;
// Passes at the most; each shrinks the magnitudes near the root by a factor of 2^20 or more.
constexpr int kMaxPivotPasses = 64;
constexpr double kSplitter = 134217729;  // 2^27 + 1

// a b - fl(a b), exactly (Dekker's product with Veltkamp's split; needs -ffp-contract=off).
double productError(double a, double b, double product) {
  const double as = kSplitter * a, ah = as - (as - a), al = a - ah;
  const double bs = kSplitter * b, bh = bs - (bs - b), bl = b - bh;
  return ah * bh - product + ah * bl + al * bh + al * bl;
}

// The root t of sum_i c_i clip(b_i - t c_i) = k in the bracket [lo, hi] (see sumRoot in
// closedForm.ts). Weighted = false: unit costs, without the per-entry divisions (v / 1 = v).
template <bool Weighted>
double sumRoot(const double* b, int64_t n, const double* costs, double k, double lo, double hi) {
  const auto cost = [&](int64_t i) { return Weighted ? costs[i] : 1.0; };
  const double inf = std::numeric_limits<double>::infinity();
  double tau = 0;
  if (!(tau > lo && tau < hi)) tau = 0.5 * lo + 0.5 * hi;
  for (int iter = 0; iter < 2200; ++iter) {
    double sumUpper = 0, sumFreeCA = 0, sumFreeCC = 0;
    double pieceLo = -inf, pieceHi = inf;
    for (int64_t i = 0; i < n; ++i) {
      const double c = cost(i);
      const double v = b[i];
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
  return tau;
}

// x = clip(b - t c) (b may be x); whether every value is exact enough (see clipSettled in closedForm.ts).
template <bool Weighted>
bool clipSettled(const double* b, int64_t n, const double* costs, double t, bool small, double* x) {
  const auto cost = [&](int64_t i) { return Weighted ? costs[i] : 1.0; };
  if (small) {
    for (int64_t i = 0; i < n; ++i) x[i] = clip01(b[i] - t * cost(i));
    return true;
  }
  bool settled = true;
  for (int64_t i = 0; i < n; ++i) {
    const double v = b[i] - t * cost(i);
    const double magnitude = std::fabs(b[i]) + std::fabs(t * cost(i));
    if (!(magnitude <= kSettledMagnitude || magnitude <= 0x1p40 * (v < 0 ? -v : v - 1))) settled = false;
    x[i] = clip01(v);
  }
  return settled;
}

// The entry whose breakpoint b_i / c_i is nearest t: the next pivot.
template <bool Weighted>
int64_t nearestBreakpoint(const double* b, int64_t n, const double* costs, double t) {
  int64_t pivot = 0;
  double nearest = std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    const double distance = Weighted ? std::fabs(b[i] - t * costs[i]) / costs[i] : std::fabs(b[i] - t);
    if (distance < nearest) {
      nearest = distance;
      pivot = i;
    }
  }
  return pivot;
}

// x_i = a_i - c_i z_p with z_p = a_p / c_p, returned; weighted shifts keep the products exactly.
template <bool Weighted>
double shiftToBreakpoint(const double* a, int64_t n, const double* costs, int64_t p, double* x) {
  const double ap = a[p];
  if (!Weighted) {
    for (int64_t i = 0; i < n; ++i) x[i] = a[i] - ap;
    return ap;
  }
  const double cp = costs[p];
  for (int64_t i = 0; i < n; ++i) x[i] = differenceOfProducts(a[i], cp, costs[i], ap) / cp;
  return ap / cp;
}

}  // namespace

template <bool Weighted>
double cappedProjectionImpl(const double* a, int64_t n, const double* costs, double k, SumMode mode, double* x) {
  const auto cost = [&](int64_t i) { return Weighted ? costs[i] : 1.0; };
  double clippedSum = 0;
  for (int64_t i = 0; i < n; ++i) clippedSum += cost(i) * clip01(a[i]);
  if ((mode == SumMode::AtMost && clippedSum <= k) || (mode == SumMode::AtLeast && clippedSum >= k)) {
    for (int64_t i = 0; i < n; ++i) x[i] = clip01(a[i]);
    return std::numeric_limits<double>::quiet_NaN();
  }
  double total = Weighted ? 0 : static_cast<double>(n), largestCost = 1;
  if (Weighted) {
    largestCost = 0;
    for (int64_t i = 0; i < n; ++i) {
      total += costs[i];
      largestCost = std::max(largestCost, costs[i]);
    }
  }
  // The polytope is a single vertex: the search would only approach it.
  const double inf = std::numeric_limits<double>::infinity();
  const int vertex = mode != SumMode::AtLeast && k <= 0 ? 0 : mode != SumMode::AtMost && k >= total ? 1 : -1;
  if (vertex >= 0) {
    double tau = vertex == 0 ? -inf : inf;
    for (int64_t i = 0; i < n; ++i) {
      x[i] = vertex;
      tau = vertex == 0 ? std::max(tau, a[i] / cost(i)) : std::min(tau, (a[i] - 1) / cost(i));
    }
    return tau;
  }
  // First in the scores' own coordinates, then shifted to the breakpoint nearest the root while an
  // entry near it rests on terms too large for its rounding to be negligible (see closedForm.ts).
  const double* b = a;
  double base = 0;
  int64_t pivot = -1;
  for (int pass = 0;; ++pass) {
    double lo = inf, hi = -inf;
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(b[i])) continue;
      lo = std::min(lo, Weighted ? (b[i] - 1) / costs[i] : b[i] - 1);
      hi = std::max(hi, Weighted ? b[i] / costs[i] : b[i]);
    }
    const double t = lo <= hi ? sumRoot<Weighted>(b, n, costs, k, lo, hi) : 0;
    const bool small = largestCost * (std::max(std::fabs(lo), std::fabs(hi)) + std::fabs(t)) <= kSettledMagnitude;
    if (clipSettled<Weighted>(b, n, costs, t, small, x) || pass == kMaxPivotPasses) return base + t;
    if (pass > 0) shiftToBreakpoint<Weighted>(a, n, costs, pivot, x);  // b again: the clip overwrote it
    pivot = nearestBreakpoint<Weighted>(b, n, costs, t);
    base = shiftToBreakpoint<Weighted>(a, n, costs, pivot, x);
    b = x;
  }
}

double differenceOfProducts(double a, double b, double c, double d) {
  const double p = a * b, q = c * d;
  return p - q + (productError(a, b, p) - productError(c, d, q));
}

double cappedProjection(const double* a, int64_t n, const double* costs, double k, SumMode mode, double* x) {
  return costs == nullptr ? cappedProjectionImpl<false>(a, n, costs, k, mode, x) : cappedProjectionImpl<true>(a, n, costs, k, mode, x);
}

NormalisedCosts normalisedCosts(const double* costs, int64_t n, double budget) {
  double largest = 0;
  for (int64_t i = 0; i < n; ++i) largest = std::max(largest, costs[i]);
  // 2^-e with 2^e <= largest < 2^(e+1), e clamped to [-1000, 1000]; the correction makes e exact
  // whatever log2's last bit, as in closedForm.ts.
  int e = std::max(-1000, std::min(1000, static_cast<int>(std::floor(std::log2(largest)))));
  if (e < 1000 && std::ldexp(largest, -e) >= 2) ++e;
  else if (e > -1000 && std::ldexp(largest, -e) < 1) --e;
  NormalisedCosts out{std::vector<double>(static_cast<size_t>(n)), std::ldexp(budget, -e)};
  for (int64_t i = 0; i < n; ++i) out.costs[i] = std::ldexp(costs[i], -e);
  return out;
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

namespace {

// Ascending with NaN last, like TypedArray sort: a strict weak order even if overflow made a NaN.
inline bool lessNanLast(double p, double q) { return p < q || (std::isnan(q) && !std::isnan(p)); }

// Root t of t = c + sum_i (s_i - t)_+ for s[0..m) sorted ascending (see pooledThreshold in closedForm.ts).
double pooledThreshold(const double* sorted, int64_t m, double c) {
  int64_t k = 0;
  double total = 0;
  double t = c;
  while (k < m && sorted[m - 1 - k] > t) {
    total += sorted[m - 1 - k];
    ++k;
    t = (c + total) / (1 + static_cast<double>(k));
  }
  return t;
}

}  // namespace

OrOutFace orOutProjection(const double* a, int64_t n, double* x, double* sorted) {
  const int64_t m = n - 1;
  const double b = a[m];
  std::copy(a, a + m, sorted);
  std::sort(sorted, sorted + m, lessNanLast);
  const double y = clip01(pooledThreshold(sorted, m, b));
  double total = 0;
  for (int64_t i = 0; i < m; ++i) {
    const double v = a[i];
    const double xi = v <= 0 ? 0 : v >= y ? y : v;
    x[i] = xi;
    total += xi;
  }
  if (y <= total) {
    x[m] = y;
    return OrOutFace::Clip;
  }
  // y = sum x is active; the face follows the sum as computed (see closedForm.ts).
  const double tau = pooledThreshold(sorted, m, -b);
  total = 0;
  for (int64_t i = 0; i < m; ++i) {
    const double v = a[i] - tau;
    const double xi = v > 0 ? v : 0;
    x[i] = xi;
    total += xi;
  }
  if (total <= 1) {
    x[m] = total;
    return OrOutFace::SumFree;
  }
  cappedProjection(a, m, nullptr, 1, SumMode::Exact, x);
  x[m] = 1;
  return OrOutFace::SumOne;
}

void orOutJvp(OrOutFace face, const double* x, int64_t n, const double* da, double* dx) {
  const int64_t m = n - 1;
  const double y = x[m];
  if (face == OrOutFace::Clip) {
    // Inputs tied to an interior y move with it; free inputs move alone.
    const bool interior = y > kFaceTol && y < 1 - kFaceTol;
    int64_t tied = 0;
    double pooled = da[m];
    for (int64_t i = 0; i < m; ++i) {
      if (interior && x[i] >= y - kFaceTol) {
        ++tied;
        pooled += da[i];
      }
    }
    const double dy = interior ? pooled / static_cast<double>(1 + tied) : 0;
    for (int64_t i = 0; i < m; ++i) {
      const double xi = x[i];
      if (interior && xi >= y - kFaceTol) dx[i] = dy;
      else dx[i] = xi > kFaceTol && xi < y - kFaceTol ? da[i] : 0;
    }
    dx[m] = dy;
    return;
  }
  // x_i = a_i - tau on the positive inputs; tau's change pools db while y = sum x is free.
  const double free = face == OrOutFace::SumFree ? 1 : 0;
  double count = free;
  double sum = -free * da[m];
  for (int64_t i = 0; i < m; ++i) {
    if (x[i] > kFaceTol) {
      ++count;
      sum += da[i];
    }
  }
  const double shift = count > 0 ? sum / count : 0;
  double dy = 0;
  for (int64_t i = 0; i < m; ++i) {
    const double d = x[i] > kFaceTol ? da[i] - shift : 0;
    dx[i] = d;
    dy += d;
  }
  dx[m] = free * dy;
}

// The comb decomposition of orOutDecompose in closedForm.ts (see there for why it is exact).
int64_t orOutDecompose(const double* x, int64_t n, const uint8_t* flip, int64_t capacity, double* weights, int32_t* labels) {
  const int64_t m = n - 1;
  const double y = x[m];
  const auto off = [&](int64_t i) { return flip[i] ? 1 : 0; };
  int64_t count = 0;
  if (1 - y > 0) {
    if (count < capacity) {
      weights[0] = 1 - y;
      for (int64_t i = 0; i < n; ++i) labels[i] = off(i);
    }
    ++count;
  }
  if (!(y > 0)) return count;
  double total = 0;
  bool anyAtY = false;
  for (int64_t i = 0; i < m; ++i) {
    if (x[i] < y) total += x[i];
    else anyAtY = true;
  }
  const double p = anyAtY ? y : std::min(y, total);
  std::vector<double> rem(static_cast<size_t>(n)), turns(static_cast<size_t>(n));
  double c = 0;
  for (int64_t i = 0; i <= m; ++i) {
    const double r = std::fmod(c, p);
    rem[i] = r;
    turns[i] = std::round((c - r) / p);
    if (i < m && x[i] < y) c += x[i];
  }
  std::vector<int32_t> teeth(static_cast<size_t>(m)), label(static_cast<size_t>(n));
  const auto setLabel = [&](int64_t i) { label[i] = teeth[i] > 0 || x[i] >= y ? 1 - off(i) : off(i); };
  for (int64_t i = 0; i < m; ++i) {
    teeth[i] = static_cast<int32_t>(turns[i + 1] - turns[i]) + (rem[i + 1] > 0 ? 1 : 0) - (rem[i] > 0 ? 1 : 0);
    setLabel(i);
  }
  label[m] = 1 - off(m);
  std::vector<int32_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t i, int32_t j) { return lessNanLast(rem[i], rem[j]); });
  for (int64_t j = 0; j < n; ++j) {
    const int32_t k = order[j];
    const double lo = rem[k];
    if (lo > 0) {
      if (k < m) {
        ++teeth[k];
        setLabel(k);
      }
      if (k > 0) {
        --teeth[k - 1];
        setLabel(k - 1);
      }
    }
    const double hi = j + 1 < n ? rem[order[j + 1]] : p;
    const double w = y * (hi - lo) / p;
    if (!(w > 0)) continue;
    if (count < capacity) {
      weights[count] = w;
      std::copy(label.begin(), label.end(), labels + count * n);
    }
    ++count;
  }
  return count;
}

}  // namespace sshn::sparsemap
