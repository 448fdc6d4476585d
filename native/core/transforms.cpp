// Row solvers for the sparse transformations. Mirrored step for step by src/js/transforms.ts so
// that both backends follow the same arithmetic (agreement to rounding of exp/pow).
#include "transforms.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "entmax_large_alpha.hpp"
#include "errors.hpp"
#include "parallel.hpp"
#include "rng.hpp"
#include "vexp.hpp"
#include "transforms_classify.hpp"

namespace sshn::transforms {
namespace {

using detail::Bracket;
using detail::masked;
using detail::SampledBracket;

constexpr double kInf = std::numeric_limits<double>::infinity();
// Seed of the pivot choices; the same for every row so rows stay independent of the batch.
constexpr double kPivotSeed = 20160401;

struct Workspace {
  std::vector<double> candidates;  // shifted scores that may be in the support, in index order
  std::vector<double> scratch;     // permuted copy for the pivot searches
  std::vector<double> p;           // the row's probabilities (derivatives only)
  std::vector<double> histogram;   // candidate counts per cell above the floor (gatherPowerCandidates)
  // (y - tau)^(q-1) of the candidates y > storedFloor at the final tau, in index order (plus a 0 at
  // the end), when the threshold search ends on a pass at tau and the output needs pow.
  std::vector<double> stored;
  double storedFloor = 0;
  double storedTotal = 0, storedSlope = 0;  // that pass's sums of t^q and t^(q-1)
  bool hasStored = false;
};

// p_i = scale * phi(z_i - max) where phi depends on the kind and the threshold tau
// (forEachProbability).
struct Solution {
  double max;  // the shift: the row max (k-subsets: x_(k) when tau lies far below the max)
  double tau;
  double scale;
  int64_t finite;
  bool refined = false;  // entmax, alpha > 2, solved from its boundary (entmax_large_alpha.hpp): p in ws.p
};

// Integer powers exactly, others with pow (the TypeScript twin uses the same split).
inline double power(double t, double r) {
  if (r == 1) return t;
  if (r == 2) return t * t;
  if (r == 3) return t * t * t;
  if (r == 0.5) return std::sqrt(t);
  if (r == 1.5) return t * std::sqrt(t);
  return std::pow(t, r);
}

// Whether power(t, r) is computed without pow.
inline bool exactPower(double r) { return r == 1 || r == 2 || r == 3 || r == 0.5 || r == 1.5; }

// Calls f(pw, exact) with pw(t) = power(t, r) chosen once for a whole loop; exact (a std::true_type
// for the exponents computed without pow) says pw(0) = 0 is cheap, so the loop may skip its test.
template <typename F>
void withPower(double r, F f) {
  if (r == 1) return f([](double t) { return t; }, std::true_type{});
  if (r == 2) return f([](double t) { return t * t; }, std::true_type{});
  if (r == 3) return f([](double t) { return t * t * t; }, std::true_type{});
  if (r == 0.5) return f([](double t) { return std::sqrt(t); }, std::true_type{});
  if (r == 1.5) return f([](double t) { return t * std::sqrt(t); }, std::true_type{});
  f([r](double t) { return std::pow(t, r); }, std::false_type{});
}

struct Shape {
  Kind kind;
  double a;  // alpha - 1 (Entmax), 1 otherwise: scores are scaled by it
  double r;  // output exponent: p ∝ [a z - tau]_+^r
  double q;  // root exponent: sum [a z - tau]_+^q = 1 (Entmax q = r, Normmax q = r + 1)
  int64_t k;
  bool log1pForm;  // Entmax with a < kLog1pBelow: p = exp(log1p(a (z - tau)) / a) (see solveRow)
};

// Below this alpha - 1, [a z - tau]^(1/a) loses eps / a to the rounding of its base near 1.
constexpr double kLog1pBelow = 1e-3;

Shape shapeOf(const Params& params) {
  Shape s{params.kind, 1, 1, 1, 0, false};
  if (params.kind == Kind::Entmax) {
    if (params.param == 2) {
      s.kind = Kind::Sparsemax;
    } else if (params.param == 1) {
      s.kind = Kind::Softmax;
    } else {
      s.a = params.param - 1;
      s.r = 1 / s.a;
      s.q = s.r;
      s.log1pForm = s.a < kLog1pBelow;
    }
  } else if (params.kind == Kind::Normmax) {
    s.r = 1 / (params.param - 1);
    s.q = s.r + 1;
  } else if (params.kind == Kind::KSubsets) {
    s.k = static_cast<int64_t>(params.param);
  }
  return s;
}

// The unnormalised alpha-entmax term near softmax (a = alpha - 1 < kLog1pBelow) at the shifted score z,
// tau = a c - 1 written through c: (1 + a (z - c))_+^(1/a) = exp(log1p(a (z - c)) / a).
inline double log1pTerm(double a, double c, double z) {
  const double t = a * (z - c);
  return t > -1 ? std::exp(std::log1p(t) / a) : 0.0;
}

// Calls body(j, p_j) for every column, with the kind's formula chosen once outside the loop so that
// each loop is short and branch-free (masked entries need no test: z = -Infinity gives p = 0).
template <typename T, typename Body>
void forEachProbability(const Shape& s, const Solution& sol, const T* x, int64_t d, const Workspace& ws, Body body) {
  const double max = sol.max, tau = sol.tau, scale = sol.scale, a = s.a, r = s.r;
  switch (s.kind) {
    case Kind::Softmax:  // ws.p holds exp(z) from the solve
      for (int64_t j = 0; j < d; ++j) body(j, ws.p[j] * scale);
      break;
    case Kind::Sparsemax:
      for (int64_t j = 0; j < d; ++j) {
        const double t = (static_cast<double>(x[j]) - max) - tau;
        body(j, t > 0 ? t : 0.0);  // z - tau > 0 exactly when z > tau
      }
      break;
    case Kind::KSubsets:
      for (int64_t j = 0; j < d; ++j) {
        const double t = (static_cast<double>(x[j]) - max) - tau;
        const double above0 = t > 0 ? t : 0.0;
        body(j, above0 < 1 ? above0 : 1.0);
      }
      break;
    default:
      if (s.log1pForm) {  // tau holds c (see log1pThreshold)
        for (int64_t j = 0; j < d; ++j) body(j, log1pTerm(a, tau, static_cast<double>(x[j]) - max) * scale);
        break;
      }
      if (sol.refined) {  // solved from its boundary: ws.p holds p
        for (int64_t j = 0; j < d; ++j) body(j, ws.p[j]);
        break;
      }
      if (ws.hasStored) {
        // The threshold search's last pass kept t^(q-1) of the entries y > storedFloor in index
        // order: walk them alongside the row, without pow (t^r = t^(q-1) t for entmax, r = q).
        const auto walk = [&](auto timesT) {
          const double* u = ws.stored.data();
          const double floor = ws.storedFloor;
          size_t next = 0;
          for (int64_t j = 0; j < d; ++j) {
            const double y = a * (static_cast<double>(x[j]) - max);
            const double t = y - tau;  // t > 0 implies y > tau >= floor
            const double term = decltype(timesT)::value ? u[next] * t : u[next];
            next += static_cast<size_t>(y > floor);
            body(j, masked(term * scale, static_cast<int>(t > 0)));
          }
        };
        if (r == s.q) walk(std::true_type{}); else walk(std::false_type{});
        break;
      }
      withPower(r, [&](auto pw, auto exact) {
        for (int64_t j = 0; j < d; ++j) {
          const double t = a * (static_cast<double>(x[j]) - max) - tau;
          if constexpr (decltype(exact)::value) {
            body(j, pw(t > 0 ? t : 0.0) * scale);  // pw(+0) * scale = +0: the same as testing first
          } else {
            body(j, t > 0 ? pw(t) * scale : 0.0);
          }
        }
      });
  }
}

// alpha-entmax near softmax (alpha - 1 = e < kLog1pBelow): the threshold written tau = e c - 1, so
// that p = (1 + e (z - c))^(1/e) = exp(log1p(e (z - c)) / e), solved for c by Newton from the
// softmax value logsumexp(z). sum p is decreasing and convex in c, so the iterates approach the
// root from below after at most one step.
double log1pThreshold(const std::vector<double>& z, double e) {
  double sum = 0;
  for (double y : z) sum += std::exp(y);
  double c = std::log(sum);
  for (int iteration = 0; iteration < 100; ++iteration) {
    double f = -1, slope = 0;
    for (double y : z) {
      const double t = e * (y - c);
      if (t > -1) {
        const double p = std::exp(std::log1p(t) / e);
        f += p;
        slope += p / (1 + t);
      }
    }
    const double step = f / slope;
    c += step;
    if (!(std::abs(step) > 1e-15 * std::max(1.0, std::abs(c)))) break;
  }
  return c;
}

std::string rowName(int64_t row) { return "x row " + std::to_string(row); }

template <typename T>
Solution scanRow(const T* x, int64_t d, int64_t row) {
  double m = -kInf;
  int64_t finite = 0;
  for (int64_t j = 0; j < d; ++j) {
    const double v = static_cast<double>(x[j]);
    if (v == -kInf) continue;
    if (!(v < kInf)) {
      throw RangeError(rowName(row) + " has " + (std::isnan(v) ? "NaN" : "+Infinity") + " at column " + std::to_string(j) +
                       " (only finite values and -Infinity masks are allowed)");
    }
    ++finite;
    if (v > m) m = v;
  }
  if (finite == 0) throw RangeError(rowName(row) + " is entirely -Infinity (masked); at least one entry must be finite");
  return Solution{m, 0, 1, finite};
}

void checkK(int64_t k, int64_t finite, int64_t row) {
  if (k > finite) {
    throw RangeError("k = " + std::to_string(k) + " exceeds the " + std::to_string(finite) + " unmasked entries of " + rowName(row));
  }
}

// Dijkstra three-way partition of w[begin, end) around pivot: > first, then ==, then <.
void partition3(std::vector<double>& w, size_t begin, size_t end, double pivot, size_t& gtEnd, size_t& eqEnd) {
  size_t lt = begin, i = begin, gt = end;
  // Invariant: [begin, lt) > pivot, [lt, i) == pivot, [gt, end) < pivot.
  while (i < gt) {
    const double v = w[i];
    if (v > pivot) {
      w[i] = w[lt];
      w[lt] = v;
      ++lt;
      ++i;
    } else if (v < pivot) {
      --gt;
      w[i] = w[gt];
      w[gt] = v;
    } else {
      ++i;
    }
  }
  gtEnd = lt;
  eqEnd = gt;
}

// Simplex projection threshold of w[0, end) (a superset of the support): randomized pivot search,
// expected linear.
double pivotThreshold(std::vector<double>& w, size_t end) {
  Rng rng(kPivotSeed);
  size_t begin = 0;
  double sumIn = 0;
  double countIn = 0;
  while (begin < end) {
    const double pivot = w[begin + rng.below(static_cast<uint32_t>(end - begin))];
    size_t gtEnd, eqEnd;
    partition3(w, begin, end, pivot, gtEnd, eqEnd);
    double sumGt = 0;
    for (size_t i = begin; i < gtEnd; ++i) sumGt += w[i];
    const double countGt = static_cast<double>(gtEnd - begin);
    const double f = (sumIn + sumGt) - (countIn + countGt) * pivot;
    if (f >= 1) {
      end = gtEnd;  // tau >= pivot: entries <= pivot are outside the support
    } else {
      sumIn += sumGt + pivot * static_cast<double>(eqEnd - gtEnd);  // tau < pivot: entries >= pivot are inside
      countIn += static_cast<double>(eqEnd - begin);
      begin = eqEnd;
    }
  }
  return (sumIn - 1) / countIn;
}

// Simplex projection threshold of the candidates (max 0). Michelot's iteration tau <- (sum of
// z > tau - 1) / count from below never drops a support entry and usually shrinks the set
// geometrically in branch-free passes; when a pass removes less than a quarter, the randomized
// pivot search finishes, so the expected time stays linear.
double sparsemaxThreshold(Workspace& ws) {
  std::vector<double>& w = ws.scratch;
  w.assign(ws.candidates.begin(), ws.candidates.end());
  size_t end = w.size();
  double sum = 0;
  for (size_t i = 0; i < end; ++i) sum += w[i];
  double tau = (sum - 1) / static_cast<double>(end);
  for (;;) {
    size_t kept = 0;
    double keptSum = 0;
    for (size_t i = 0; i < end; ++i) {
      const double z = w[i];
      const bool keep = z > tau;
      w[kept] = z;
      kept += keep;
      keptSum += z * static_cast<double>(keep);  // a multiply, not a branch
    }
    if (kept == end) break;
    if (4 * kept > 3 * end) {
      tau = pivotThreshold(w, kept);
      break;
    }
    end = kept;
    tau = (keptSum - 1) / static_cast<double>(kept);
  }
  // One pass in index order fixes the summation order (both backends agree to rounding).
  double supportSum = 0, count = 0;
  for (double z : ws.candidates) {
    if (z > tau) {
      supportSum += z;
      count += 1;
    }
  }
  return (supportSum - 1) / count;
}

// The determined entries' part of F(t), for t in the bracket (also t = -Infinity, where none is linear).
inline double determinedPart(const Bracket& b, double t) {
  return b.ones + (b.midCount > 0 ? b.midSum - b.midCount * t : 0.0);
}

// The t with S(t) - slope t = c, S(t) = sum of clip(s_i - t, 0, 1) over s sorted in decreasing order
// (slope >= 0): a sweep down the breakpoints s_i and s_i - 1, between which S is linear. +-Infinity
// when slope = 0 and c is outside S's range.
double sampleRoot(const std::vector<double>& s, double slope, double c) {
  const size_t m = s.size();
  double t = s[0], h = -slope * t, active = 0;
  if (h >= c) return slope > 0 ? -c / slope : kInf;
  size_t i = 0, j = 0;  // next entry to start rising (at s[i]) and to saturate (at s[j] - 1)
  while (j < m) {
    const double rise = i < m ? s[i] : -kInf, saturate = s[j] - 1;
    const double next = rise >= saturate ? rise : saturate;
    const double reach = h + (active + slope) * (t - next);
    if (reach >= c) return t - (c - h) / (active + slope);
    h = reach;
    t = next;
    if (rise >= saturate) {
      ++i;
      active += 1;
    } else {
      ++j;
      active -= 1;
    }
  }
  return slope > 0 ? t - (c - h) / slope : -kInf;
}

// A narrower bracket likely to hold tau, from a sample of the undetermined entries (each standing for
// `weight` of them): the sample sum S(t) estimates their part of F; the ends are where the estimate
// of F exceeds or falls short of k by 4 standard deviations of S (the spread of the sample's terms at
// the estimated tau, plus 1 so that a few sampled terms still give a wide bracket). Only a
// suggestion: the caller verifies F(lo) >= k > F(hi). False if it is no narrower than b.
bool sampleBracket(std::vector<double>& sample, double weight, double k, const Bracket& b, SampledBracket& out) {
  if (sample.empty()) return false;
  std::sort(sample.begin(), sample.end(), std::greater<double>());
  // S(t) - (midCount / weight) t = (k - ones - midSum) / weight, in sample units.
  const double slope = b.midCount / weight, c = (k - b.ones - b.midSum) / weight;
  const double estimate = sampleRoot(sample, slope, c);
  double mean = 0;
  for (double s : sample) mean += std::min(std::max(s - estimate, 0.0), 1.0);
  mean /= static_cast<double>(sample.size());
  double spread = 0;
  for (double s : sample) {
    const double u = std::min(std::max(s - estimate, 0.0), 1.0) - mean;
    spread += u * u;
  }
  const double margin = 4 * std::sqrt(spread + 1);
  const double lo = std::max(b.lo, sampleRoot(sample, slope, c + margin));
  const double hi = std::min(b.hi, sampleRoot(sample, slope, c - margin));
  if (!(lo < hi && (lo > b.lo || hi < b.hi))) return false;
  // Branches pay when one of out (s <= lo), one (s - 1 >= hi) and the rest holds 7/8 of the sample.
  double outs = 0, ones = 0;
  for (double s : sample) {
    outs += s <= lo ? 1.0 : 0.0;
    ones += s - 1 >= hi ? 1.0 : 0.0;
  }
  const double m = static_cast<double>(sample.size()), rest = m - outs - ones;
  out = SampledBracket{lo, hi, 8 * std::max(std::max(outs, ones), rest) >= 7 * m, 8 * outs >= 7 * m};
  return true;
}

// F(t) from b's sums and the undetermined entries w[0, n).
inline double kSubsetsSum(const Bracket& b, const double* w, size_t n, double t) {
  double f = 0;
  for (size_t i = 0; i < n; ++i) f += std::min(std::max(w[i] - t, 0.0), 1.0);
  return determinedPart(b, t) + f;
}

constexpr size_t kSampleSize = 1024;

// Long candidate sets: a sampled bracket (sampleBracket) and one pass that retires the entries
// determined on it, kept only if F(vlo) >= k > F(vhi) holds; otherwise w is left as it was.
void narrowFromSample(std::vector<double>& w, size_t& end, double k, Bracket& b) {
  const size_t stride = end / kSampleSize;
  std::vector<double> sample;
  for (size_t i = 0; i < end; i += stride) sample.push_back(w[i]);
  SampledBracket sb;
  if (!sampleBracket(sample, static_cast<double>(end) / static_cast<double>(sample.size()), k, b, sb)) return;
  Bracket narrowed{sb.lo, sb.hi, b.ones, b.midSum, b.midCount};
  std::vector<double>& kept = sample;  // the undetermined entries, then copied back over w
  kept.clear();
  detail::classify(w.data(), static_cast<int64_t>(end), 0.0, sb, narrowed,
                   [&](const double* block, size_t count) { kept.insert(kept.end(), block, block + count); });
  if (kSubsetsSum(narrowed, kept.data(), kept.size(), sb.lo) >= k && kSubsetsSum(narrowed, kept.data(), kept.size(), sb.hi) < k) {
    std::copy(kept.begin(), kept.end(), w.begin());
    end = kept.size();
    b = narrowed;
  }
}

// k-subsets threshold over the candidates (the entries not counted in start, in index order): random
// breakpoints narrowing the bracket lo <= tau < hi, entries whose term is fixed or linear on it
// leaving the search. Expected linear, like quickselect.
double kSubsetsThreshold(Workspace& ws, int64_t k, const Bracket& start) {
  std::vector<double>& w = ws.scratch;
  w.assign(ws.candidates.begin(), ws.candidates.end());
  const double target = static_cast<double>(k);
  Bracket b = start;
  size_t end = w.size();
  if (end >= 8 * kSampleSize) narrowFromSample(w, end, target, b);
  double lo = b.lo, hi = b.hi, ones = b.ones, midSum = b.midSum, midCount = b.midCount;
  Rng rng(kPivotSeed);
  while (end > 0) {
    // A random entry still undetermined on (lo, hi) gives a breakpoint t strictly inside.
    double t = 0;
    bool found = false;
    for (int attempt = 0; attempt < 8 && !found; ++attempt) {
      const double y = w[rng.below(static_cast<uint32_t>(end))];
      const bool upper = y > lo && y < hi, lower = y - 1 > lo && y - 1 < hi;
      // Both breakpoints inside: pick one at random, or the bracket would only shrink from above.
      if (upper && lower) {
        t = (rng.nextU32() & 1u) ? y : y - 1;
      } else if (upper || lower) {
        t = upper ? y : y - 1;
      }
      found = upper || lower;
    }
    // One branch-free pass (the tests are unpredictable on random data): retire the entries whose
    // term is 0, 1 or linear on (lo, hi), and sum the others' terms at t.
    double clipSum = 0;
    size_t kept = 0;
    for (size_t i = 0; i < end; ++i) {
      const double z = w[i];
      // 0/1 integers from the comparisons: GCC turns bool logic here into branches.
      const int above = static_cast<int>(z > lo);
      const int one = above & static_cast<int>(z - 1 >= hi);
      const int mid = above & (one ^ 1) & static_cast<int>(z - 1 <= lo) & static_cast<int>(z >= hi);
      const int keep = above & (one ^ 1) & (mid ^ 1);
      ones += static_cast<double>(one);
      midSum += z * static_cast<double>(mid);
      midCount += static_cast<double>(mid);
      clipSum += std::min(std::max(z - t, 0.0), 1.0) * static_cast<double>(keep);
      w[kept] = z;
      kept += static_cast<size_t>(keep);
    }
    end = kept;
    if (!found) continue;  // every entry left is undetermined now: the next pick succeeds
    const double f = ones + midSum - midCount * t + clipSum;
    if (f >= target) lo = t; else hi = t;
  }
  double tau = midCount > 0 ? (ones + midSum - target) / midCount : hi;
  // Recompute in index order from the classification at tau (the entries determined before the
  // search keep theirs: tau is in their bracket).
  ones = start.ones, midSum = start.midSum, midCount = start.midCount;
  for (double z : ws.candidates) {
    const double u = z - tau;
    if (u >= 1) {
      ones += 1;
    } else if (u > 0) {
      midSum += z;
      midCount += 1;
    }
  }
  if (midCount > 0) tau = (ones + midSum - target) / midCount;
  return tau;
}

// For long candidate lists whose exponent needs pow (q > 1): the candidates y in (floor, 0] counted
// in kCells equal cells, so that sums over them can be bounded and estimated per cell instead of per
// entry (an entry of cell c has floor + c width / kCells <= y, up to rounding).
constexpr int64_t kCells = 2048;
constexpr size_t kHistogramMin = 8 * kCells;  // candidates needed to use it

// Sum over the cells of count * t^(q-1), and of count * t^q: with t = floor + c cell - tau - slack
// (each cell's lowest y; the slack, 2^-47 |floor|, covers the rounding of the cell index and of t)
// a lower bound of F(tau), to be compared with 1 after a factor 1 - 1e-9 for pow and the sum's
// rounding; with the cells' midpoints, t = floor + (c + 1/2) cell - tau, an estimate.
struct CellSums {
  double total, slope;
};
CellSums cellSums(const std::vector<double>& histogram, double floor, double width, bool lowerBound, double q, double tau) {
  const double cell = width / static_cast<double>(kCells);
  const double offset = lowerBound ? 0.0 : 0.5, slack = lowerBound ? 0x1p-47 * std::fabs(floor) : 0.0;
  double total = 0, slope = 0;
  for (int64_t c = 0; c < kCells; ++c) {
    const double t = floor + (static_cast<double>(c) + offset) * cell - tau - slack;
    if (!(t > 0) || histogram[c] == 0) continue;
    const double tq1 = histogram[c] * power(t, q - 1);
    total += tq1 * t;
    slope += tq1;
  }
  return CellSums{total, slope};
}

// A start for the exact search from the histogram (cost per step: kCells terms, not one per
// candidate): Newton on the midpoint estimate of G from lo, within [lo, hi]. It decides nothing
// itself; lo moves up to a point a cell or two below the start where the lower bound confirms
// F >= 1, so that the exact passes need not visit the candidates below it.
double histogramStart(const std::vector<double>& histogram, double floor, double q, double& lo, double hi) {
  const double width = -floor, cell = width / static_cast<double>(kCells);
  double tau = lo;
  for (int iteration = 0; iteration < 50; ++iteration) {
    const CellSums m = cellSums(histogram, floor, width, false, q, tau);
    if (!(m.slope > 0)) break;
    const double root = std::pow(m.total, 1 / q);
    const double next = std::min(std::max(tau + (root - 1) * m.total / (root * m.slope), lo), hi);
    const bool done = std::fabs(next - tau) <= 1e-12 * std::fabs(tau);
    tau = next;
    if (done) break;
  }
  for (int back = 1; back <= 4; ++back) {
    const double below = tau - back * cell;
    if (!(below > lo)) break;
    if (cellSums(histogram, floor, width, true, q, below).total * (1 - 1e-9) >= 1) {
      lo = below;
      break;
    }
  }
  return tau;
}

// tau with sum [y - tau]_+^q = 1 over the candidates y (max 0, all > floor, F(floor) >= 1):
// safeguarded Newton or Halley steps in the bracket [floor, -(1/n)^(1/q)], starting on the left when
// q >= 1 (monotone there; from the table's estimate when there is one) and on the right otherwise,
// dropping candidates that fall below the bracket as it narrows. When `store` is set and the search
// ends on a pass at tau, that pass's (y - tau)^(q-1) are kept in ws.stored.
double powerThreshold(Workspace& ws, double q, int64_t n, double floor, bool counted, bool store) {
  std::vector<double>& w = ws.scratch;
  double lo = floor, hi = -std::pow(1.0 / static_cast<double>(n), 1 / q);
  double tau = q >= 1 ? lo : hi;
  if (counted && ws.candidates.size() >= kHistogramMin) tau = histogramStart(ws.histogram, floor, q, lo, hi);
  w.clear();
  for (double y : ws.candidates) {
    if (y > lo) w.push_back(y);
  }
  size_t end = w.size();
  // u: each pass's t^(q-1) per candidate. Once tau moves by little, a pass whose exponent needs pow
  // takes most of them from the previous pass's instead, (t - delta)^p = t^p (1 - delta/t)^p with the
  // binomial series to z^4, z = delta / t, where |z| max(p, 1) <= 1e-4 (the rest, z^5 C(p, 5), is
  // below 1e-20); the few entries closer to tau get pow.
  std::vector<double>& u = ws.stored;
  const bool powPasses = q > 1 && !exactPower(q - 1);
  if (store || powPasses) u.resize(end + 1);
  ws.hasStored = false;
  bool reuse = false;
  double lastTau = tau, lastStep = kInf;
  const double p = q - 1, c1 = -p, c2 = p * (p - 1) / 2, c3 = -p * (p - 1) * (p - 2) / 6, c4 = p * (p - 1) * (p - 2) * (p - 3) / 24;
  for (int iteration = 0; iteration < 200; ++iteration) {
    double total = 0, slope = 0, curve = 0;  // F = sum t^q (from 0: it is also the normaliser), t^(q-1), t^(q-2)
    const double passFloor = lo;
    size_t kept = 0;
    if (q > 1) {
      const double delta = tau - lastTau, near = reuse ? std::fabs(delta) * std::max(p, 1.0) * 1e4 : kInf;
      // Branch-free but for the rare entries near tau (the tests are unpredictable on random data);
      // entries at or below tau add 0.
      for (size_t i = 0; i < end; ++i) {
        const double y = w[i];
        w[kept] = y;
        const double t = std::max(y - tau, 0.0), before = y - lastTau;
        double tq1;
        if (before >= near) {
          const double z = delta / before;
          tq1 = u[i] * (1 + z * (c1 + z * (c2 + z * (c3 + z * c4))));
        } else {
          tq1 = power(t, p);
        }
        if (store || powPasses) u[kept] = tq1;
        kept += y > lo;
        total += tq1 * t;
        slope += tq1;
        curve += masked(tq1 / t, t > 0);
      }
      reuse = powPasses;
      lastTau = tau;
    } else {
      for (size_t i = 0; i < end; ++i) {
        const double y = w[i];
        if (y <= lo) continue;
        w[kept] = y;
        const double t = y - tau;
        double tq1 = 0;
        if (t > 0) {
          tq1 = power(t, q - 1);
          total += tq1 * t;
          slope += tq1;
        }
        if (store) u[kept] = tq1;
        ++kept;
      }
    }
    end = kept;
    if (total == 1) break;
    if (total > 1) lo = tau; else hi = tau;
    // Newton on G = F^(1/q) - 1 (F = f + 1) rather than on F: G is a q-norm of [y - tau]_+, convex
    // and nearly linear, so steps from the left do not overshoot and converge in a few passes even
    // when q is large (F itself would only shrink the error by about 1 - 1/q per step). For q >= 2
    // (t^(q-2) bounded) Halley's correction for G's curvature, G'' = (q-1) F^(1/q-2) (F curve -
    // slope^2) >= 0, while it is below a half.
    const double root = std::pow(total, 1 / q);  // G + 1
    double delta = (1 - 1 / root) * total / slope;  // not (root - 1) / root: root overflows for small q
    if (q >= 2) {
      const double c = (root - 1) * (q - 1) * (total * curve - slope * slope) / (2 * root * slope * slope);
      if (std::fabs(c) < 0.5) delta /= 1 - c;
    }
    double next = tau + delta;
    if (std::fabs(next - tau) <= 1e-15 * std::fabs(tau)) {  // converged on this pass (next may equal lo)
      if (store) {
        u.resize(end + 1);
        u[end] = 0;  // read past the last candidate by the output loop
        ws.storedFloor = passFloor;
        ws.storedTotal = total;
        ws.storedSlope = slope;
        ws.hasStored = true;
      }
      break;
    }
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const double step = std::fabs(next - tau);
    tau = next;
    // Converged, or (once tiny) no longer shrinking because rounding dominates.
    const double scale = std::fabs(tau);
    if (step <= 1e-15 * scale || hi - lo <= 1e-15 * scale) break;
    if (step <= 1e-10 * scale && step >= lastStep) break;
    lastStep = step;
  }
  if (q == 2) {
    // 1.5-entmax / 2-normmax: exact threshold of the quadratic on the support found.
    double count = 0, s1 = 0, s2 = 0;
    for (double y : ws.candidates) {
      if (y > tau) {
        count += 1;
        s1 += y;
        s2 += y * y;
      }
    }
    const double disc = s1 * s1 - count * (s2 - 1);
    if (disc >= 0) tau = (s1 - std::sqrt(disc)) / count;
  }
  return tau;
}

// Fills ws.candidates with the shifted, scaled scores y = a (x - max) above `floor`, in index order.
// Branch-free (the test is unpredictable when much of the row passes): every y is staged and only
// those above the floor advance the staging count.
template <typename T>
void gatherCandidates(const T* x, int64_t d, double max, double a, double floor, Workspace& ws) {
  constexpr int64_t kBlock = 256;
  double stage[kBlock];
  ws.candidates.clear();
  for (int64_t j0 = 0; j0 < d; j0 += kBlock) {
    const int64_t j1 = std::min(d, j0 + kBlock);
    size_t kept = 0;
    for (int64_t j = j0; j < j1; ++j) {
      const double y = a * (static_cast<double>(x[j]) - max);
      const int inside = static_cast<int>(y > floor);  // -Infinity never passes
      stage[kept] = y;
      kept += static_cast<size_t>(inside);
    }
    ws.candidates.insert(ws.candidates.end(), stage, stage + kept);
  }
}


constexpr int64_t kSmallK = 16;

// The (i+1)-th largest of w[0, end) (w is permuted): quickselect on partition3, expected linear.
double selectLargest(std::vector<double>& w, size_t end, size_t i) {
  Rng rng(kPivotSeed);
  size_t begin = 0;
  for (;;) {
    const double pivot = w[begin + rng.below(static_cast<uint32_t>(end - begin))];
    size_t gtEnd, eqEnd;
    partition3(w, begin, end, pivot, gtEnd, eqEnd);
    if (i < gtEnd) {
      end = gtEnd;
    } else if (i < eqEnd) {
      return pivot;
    } else {
      begin = eqEnd;
    }
  }
}

// The k-th largest finite score itself, not shifted (at least k finite entries): one scan keeping
// the top k for k <= kSmallK, else a selection on a copy.
template <typename T>
double kthLargest(const T* x, int64_t d, int64_t k, Workspace& ws) {
  if (k > kSmallK) {
    std::vector<double>& w = ws.scratch;
    w.clear();
    for (int64_t j = 0; j < d; ++j) {
      if (static_cast<double>(x[j]) > -kInf) w.push_back(static_cast<double>(x[j]));
    }
    return selectLargest(w, w.size(), static_cast<size_t>(k - 1));
  }
  double top[kSmallK];
  for (int64_t i = 0; i < k; ++i) top[i] = -kInf;
  for (int64_t j = 0; j < d; ++j) {
    const double z = static_cast<double>(x[j]);
    if (z <= top[k - 1]) continue;
    int64_t i = k - 1;
    while (i > 0 && top[i - 1] < z) {
      top[i] = top[i - 1];
      --i;
    }
    top[i] = z;
  }
  return top[k - 1];
}

// The bracket (lo, hi] around tau when every candidate is undetermined: F(lo) = count >= k for lo at
// or below min - 1, F(hi) = 0 < k for hi at or above every candidate.
Bracket wholeBracket(const std::vector<double>& candidates) {
  double lo = 0, hi = 0;
  for (double z : candidates) {
    lo = z < lo ? z : lo;
    hi = z > hi && z < kInf ? z : hi;
  }
  // min - 1 rounds back to min beyond 2^53.
  lo = lo - 1 < lo ? lo - 1 : lo - std::fabs(lo) * 0x1p-50;
  return Bracket{lo, hi, 0, 0, 0};
}

// A k-subsets threshold further than this from the shift is not trusted: kSubsetsRow shifts by x_(k).
constexpr double kRecentre = 8192;

// Long rows (d >= 8 * kSampleSize): a bracket from a strided sample (no randomness) and one pass over
// the row that checks it (NaN, +Infinity), counts the masked entries and keeps as candidates only
// the entries undetermined on the bracket. The row's maximum is not known before that pass, so the
// scores are shifted by the sample's maximum instead (sol.max); every formula only needs some shift.
// False, with sol untouched (kSubsetsRow then solves the row), if the sample has no finite entry or
// its max is below -2^969, if F(lo) >= k > F(hi) fails, or if tau is further than kRecentre from the
// shift.
template <typename T>
bool solveKSubsetsLongRow(const T* x, int64_t d, int64_t row, int64_t k, Workspace& ws, Solution& sol) {
  const int64_t stride = d / static_cast<int64_t>(kSampleSize);
  std::vector<double>& sample = ws.scratch;
  sample.clear();
  double positions = 0, shift = -kInf;  // masked positions count too: they add 0 to F
  for (int64_t j = 0; j < d; j += stride, positions += 1) {
    const double v = static_cast<double>(x[j]);
    if (std::fabs(v) < kInf) {
      sample.push_back(v);
      shift = v > shift ? v : shift;
    }
  }
  // Below -2^969, x - shift could overflow to +Infinity (x up to the largest double).
  if (sample.empty() || !(shift > -0x1p969)) return false;
  for (double& v : sample) v -= shift;
  const double target = static_cast<double>(k);
  Bracket b{-kInf, kInf, 0, 0, 0};
  SampledBracket sb;
  if (!sampleBracket(sample, static_cast<double>(d) / positions, target, b, sb)) return false;
  b.lo = sb.lo;
  b.hi = sb.hi;
  ws.candidates.clear();
  const detail::Screened seen = detail::classify(x, d, shift, sb, b, [&](const double* block, size_t count) {
    ws.candidates.insert(ws.candidates.end(), block, block + count);
  });
  if (seen.bad) scanRow(x, d, row);  // throws at the first NaN or +Infinity
  const int64_t unmasked = d - seen.masked;
  checkK(k, unmasked, row);
  const double* c = ws.candidates.data();
  const size_t n = ws.candidates.size();
  if (!(kSubsetsSum(b, c, n, b.lo) >= target && kSubsetsSum(b, c, n, b.hi) < target)) return false;
  const double tau = kSubsetsThreshold(ws, k, b);
  // Too far from the shift to be resolved (the sample's max far above the threshold): kSubsetsRow.
  if (!(std::fabs(tau) <= kRecentre)) return false;
  sol = Solution{shift, tau, 1, unmasked};
  return true;
}

// For long rows: a score v > -1 below which nothing can be in the support, suggested by a strided
// sample (no randomness) of shifted, scaled scores y <= 0 (each standing for `stride` entries): the
// highest sample value whose estimated sum [y - v]_+^q over the row is >= 4 with at least 16 sample
// entries above it. The caller verifies it (F(v) >= 1); -1 if none.
double sampledFloor(std::vector<double>& sample, int64_t stride, double q) {
  constexpr size_t kMinAbove = 16;
  sample.erase(std::remove_if(sample.begin(), sample.end(), [](double y) { return !(y > -1); }), sample.end());
  if (sample.size() <= kMinAbove) return -1;
  std::sort(sample.begin(), sample.end(), std::greater<double>());
  const auto enough = [&](size_t i) {
    double total = 0;
    for (size_t j = 0; j < i; ++j) total += power(sample[j] - sample[i], q);
    return total * static_cast<double>(stride) >= 4;
  };
  size_t lo = kMinAbove, hi = sample.size() - 1;
  if (!enough(hi)) return -1;
  if (enough(lo)) return sample[lo];
  while (hi - lo > 1) {  // enough(lo) is false, enough(hi) is true
    const size_t mid = lo + (hi - lo) / 2;
    if (enough(mid)) hi = mid; else lo = mid;
  }
  return sample[hi];
}

// The floor the candidates are gathered above, and whether ws.histogram counts them.
struct Floor {
  double value;
  bool counted;
};

// Whether the candidates (every y > v of the row, possibly with some y = v) confirm the floor,
// F(v) >= 1 (then `floor` is set). When q - 1 needs pow (q > 1), they are counted per cell and the
// cells' lower bounds are summed first, each term evaluated only if that does not suffice.
bool confirmFloor(double v, double q, Workspace& ws, Floor& floor) {
  if (!(v > -1 && v < 0)) return false;
  double total = 0;
  const bool counted = q > 1 && !exactPower(q - 1);
  if (counted) {
    std::vector<double>& h = ws.histogram;
    h.assign(kCells, 0.0);
    const double inverse = static_cast<double>(kCells) / -v;
    for (double y : ws.candidates) h[std::min(static_cast<int64_t>((y - v) * inverse), kCells - 1)] += 1;
    if (cellSums(h, v, -v, true, q, v).total * (1 - 1e-9) >= 1) {
      floor = Floor{v, true};
      return true;
    }
  }
  for (double y : ws.candidates) total += power(y - v, q);
  if (!(total >= 1)) return false;
  floor = Floor{v, counted};
  return true;
}

// Gathers the candidates above the sampled floor when the floor is confirmed, else above -1 (the
// row's max is known here).
template <typename T>
Floor gatherPowerCandidates(const T* x, int64_t d, double max, double a, double q, Workspace& ws) {
  if (d >= 8 * static_cast<int64_t>(kSampleSize)) {
    const int64_t stride = d / static_cast<int64_t>(kSampleSize);
    std::vector<double>& sample = ws.scratch;
    sample.clear();
    for (int64_t j = 0; j < d; j += stride) sample.push_back(a * (static_cast<double>(x[j]) - max));
    const double v = sampledFloor(sample, stride, q);
    Floor floor;
    if (v > -1) {
      gatherCandidates(x, d, max, a, v, ws);
      if (confirmFloor(v, q, ws, floor)) return floor;
    }
  }
  gatherCandidates(x, d, max, a, -1.0, ws);
  return Floor{-1, false};
}

// Long rows: the row's scan (max, masks, NaN / +Infinity) and the gathering above a sampled floor
// in one pass. The row's max is not known before it, so the floor comes from the sample's maximum
// s0 (y = a (x - s0) in the sample) as a raw score: candidates are the raw x above it, shifted and
// scaled after the pass, y = a (x - max), and the floor with them, a (raw - max) (scores at or
// below the raw floor have y at or below it). Without a sampled floor the raw bound is s0 - 1/a; when
// it lies at or below max - 1/a the candidates hold every y > -1 and are cut to those; a floor the
// row does not confirm costs a second gathering pass, above -1. False when the sample has no
// finite entry.
template <typename T>
bool scanAndGather(const T* x, int64_t d, int64_t row, double a, double q, Workspace& ws, Solution& sol, Floor& floor) {
  const int64_t stride = d / static_cast<int64_t>(kSampleSize);
  std::vector<double>& sample = ws.scratch;
  sample.clear();
  double s0 = -kInf;
  for (int64_t j = 0; j < d; j += stride) {
    const double v = static_cast<double>(x[j]);
    if (std::fabs(v) < kInf) {
      sample.push_back(v);
      s0 = v > s0 ? v : s0;
    }
  }
  if (sample.empty()) return false;
  for (double& v : sample) v = a * (v - s0);
  const double sampled = sampledFloor(sample, stride, q);
  const double raw = s0 + (sampled > -1 ? sampled : -1.0) / a;
  constexpr int64_t kBlock = 256;
  double stage[kBlock];
  ws.candidates.clear();
  double m = -kInf;
  int64_t masked = 0;
  for (int64_t j0 = 0; j0 < d; j0 += kBlock) {
    const int64_t j1 = std::min(d, j0 + kBlock);
    size_t kept = 0;
    for (int64_t j = j0; j < j1; ++j) {
      const double v = static_cast<double>(x[j]);
      if (!(v < kInf)) {
        if (v == -kInf) {
          ++masked;
          continue;
        }
        scanRow(x, d, row);  // throws at this first NaN or +Infinity
      }
      if (v > m) m = v;
      stage[kept] = v;
      kept += static_cast<size_t>(v > raw);
    }
    ws.candidates.insert(ws.candidates.end(), stage, stage + kept);
  }
  sol = Solution{m, 0, 1, d - masked};
  for (double& y : ws.candidates) y = a * (y - m);
  floor = Floor{-1, false};
  const double v = a * (raw - m);
  if (v > -1) {
    if (!confirmFloor(v, q, ws, floor)) gatherCandidates(x, d, m, a, -1.0, ws);
    return true;
  }
  // raw <= max - 1/a: the candidates hold every y > -1.
  size_t kept = 0;
  for (double y : ws.candidates) {
    ws.candidates[kept] = y;
    kept += static_cast<size_t>(y > -1);
  }
  ws.candidates.resize(kept);
  return true;
}

// The k-subsets threshold of one row. tau lies in [x_(k) - 1, x_(k)), x_(k) the k-th largest
// score (the top k terms are 1 at x_(k) - 1; fewer than k entries exceed x_(k)). With the shift on
// x_(k) itself the bracket (-1, 0) holds tau at any magnitudes: an entry that can be fractional has
// |x - shift| < 1, exact (Sterbenz) or off by 2^-53 at most, and every other one is certainly 0 or
// 1 (rounding is monotone and +-1 are doubles; an x - shift beyond the range is +-Infinity, still
// on its side). k <= kSmallK find x_(k) in one scan; larger k first try the row max as the shift
// (no selection), which resolves the row when tau lands within kRecentre of it (x - max off by
// 2^-40 at most there), and select x_(k) only when it does not.
// Out of line: inlined into solveRow (GCC 12), it cost the long-row path's loops there a register,
// about 0.4% of the instructions of a d = 1e6 k-subsets row.
#if defined(_MSC_VER)
#define SSHN_NOINLINE __declspec(noinline)
#else
#define SSHN_NOINLINE __attribute__((noinline))
#endif

template <typename T>
SSHN_NOINLINE void kSubsetsRow(int64_t k, const T* x, int64_t d, Solution& sol, Workspace& ws) {
  if (k > kSmallK) {
    gatherCandidates(x, d, sol.max, 1.0, -kInf, ws);
    // Fewer than k candidates: some x - max overflowed to -Infinity, tau is far below the max.
    if (static_cast<int64_t>(ws.candidates.size()) >= k) {
      sol.tau = kSubsetsThreshold(ws, k, wholeBracket(ws.candidates));
      if (std::fabs(sol.tau) <= kRecentre) return;
    }
  }
  const double top = sol.max;
  sol.max = kthLargest(x, d, k, ws);
  Bracket b{-1, 0, 0, 0, 0};
  if (d < 8 * static_cast<int64_t>(kSampleSize) && top - sol.max < kInf) {
    gatherCandidates(x, d, sol.max, 1.0, -1.0, ws);  // too few to be sampled: those above x_(k) + 1 too
  } else {
    // Those above x_(k) + 1 counted as ones here: none reaches kSubsetsThreshold's sample, nor its
    // sums as an x - shift of +Infinity.
    ws.candidates.clear();
    detail::classify(x, d, sol.max, SampledBracket{-1, 0, false, false}, b,
                     [&](const double* block, size_t count) { ws.candidates.insert(ws.candidates.end(), block, block + count); });
  }
  sol.tau = kSubsetsThreshold(ws, k, b);
}

// ||p||_gamma from sum p^gamma (reg), unless that underflows for large gamma ((1/7)^1001 = 0): then
// summed again as (p / top)^gamma, top = p at the max, ||p||_gamma = top (that sum)^(1/gamma). Out
// of line: inlined, its second loop cost the forward's conjugate loop about one instruction per entry.
template <typename T>
SSHN_NOINLINE double gammaNorm(const Shape& s, const Solution& sol, const T* x, int64_t d, const Workspace& ws, double reg, double gamma) {
  if (!(reg < 0x1p-960)) return std::pow(reg, 1 / gamma);
  const double top = power(-sol.tau, s.r) * sol.scale;
  double sum = 0;
  forEachProbability(s, sol, x, d, ws, [&](int64_t, double p) { sum += p > 0 ? power(p / top, gamma) : 0.0; });
  return top * std::pow(sum, 1 / gamma);
}

template <typename T>
Solution solveRow(const Shape& s, const T* x, int64_t d, int64_t row, Workspace& ws) {
  Solution sol;
  const bool longRow = d >= 8 * static_cast<int64_t>(kSampleSize);
  if (s.kind == Kind::KSubsets && longRow && solveKSubsetsLongRow(x, d, row, s.k, ws, sol)) return sol;
  Floor floor{-1, false};
  // Sparsemax, entmax and normmax, but not the log1p form (its candidates are unscaled, above -Infinity).
  const bool thresholded = s.kind != Kind::Softmax && s.kind != Kind::KSubsets && !s.log1pForm;
  const bool gathered = thresholded && longRow && scanAndGather(x, d, row, s.a, s.q, ws, sol, floor);
  if (!gathered) sol = scanRow(x, d, row);
  switch (s.kind) {
    case Kind::Softmax: {
      // Keep exp(z) so the output pass does not evaluate it again.
      ws.p.resize(static_cast<size_t>(d));
      const double sum = vexp::expShiftedSum(x, d, sol.max, ws.p.data());
      sol.scale = 1 / sum;
      sol.tau = std::log(sum);
      return sol;
    }
    case Kind::Sparsemax:
      if (!gathered) gatherPowerCandidates(x, d, sol.max, 1.0, 1.0, ws);
      sol.tau = sparsemaxThreshold(ws);
      return sol;
    case Kind::KSubsets:
      checkK(s.k, sol.finite, row);
      kSubsetsRow(s.k, x, d, sol, ws);
      return sol;
    default: {
      if (s.log1pForm) {
        // The support reaches about 1/a (> 1000) below the max: every unmasked entry is a candidate,
        // unscaled (log1pTerm scales).
        gatherCandidates(x, d, sol.max, 1.0, -kInf, ws);
        sol.tau = log1pThreshold(ws.candidates, s.a);
        double sum = 0;
        for (double z : ws.candidates) sum += log1pTerm(s.a, sol.tau, z);
        sol.scale = 1 / sum;
        return sol;
      }
      if (!gathered) floor = gatherPowerCandidates(x, d, sol.max, s.a, s.q, ws);
      const bool store = !exactPower(s.r);  // the output would need pow: reuse the last pass's
      sol.tau = powerThreshold(ws, s.q, static_cast<int64_t>(ws.candidates.size()), floor.value, floor.counted, store);
      const double* y = ws.candidates.data();
      if (s.kind == Kind::Entmax && s.q < 1 && detail::boundaryUnresolved(y, ws.candidates.size(), sol.tau, s.q)) {
        const detail::Boundary boundary = detail::solveBoundary(y, ws.candidates.size(), sol.tau, s.q);
        ws.p.resize(static_cast<size_t>(d));
        for (int64_t j = 0; j < d; ++j) ws.p[j] = detail::boundaryProbability(s.a * (static_cast<double>(x[j]) - sol.max), boundary, s.q);
        sol.refined = true;
        return sol;  // scale 1: sum p = 1 by construction
      }
      double sum = 0;
      if (ws.hasStored) {
        // p = t^r / sum: r = q (entmax) or r = q - 1 (normmax), the last pass's sums.
        sum = s.r == s.q ? ws.storedTotal : ws.storedSlope;
      } else {
        for (double y : ws.candidates) {
          if (y > sol.tau) sum += power(y - sol.tau, s.r);
        }
      }
      sol.scale = 1 / sum;
      return sol;
    }
  }
}

// The calling thread's workspace, kept between calls (every transform and element type shares it):
// fresh buffers cost a page fault per 4 KB on first use, about 2 ms per call for a 1e6-entry row
// with a large support. Every solver (re)initialises what it reads, so a row that threw leaves
// nothing behind. Kept only up to this many doubles (32 MB), released when larger.
constexpr size_t kKeptDoubles = size_t{1} << 22;

Workspace& callingThreadWorkspace() {
  thread_local Workspace kept;
  return kept;
}

void releaseIfLarge(Workspace& ws) {
  const size_t held = ws.candidates.capacity() + ws.scratch.capacity() + ws.p.capacity() + ws.stored.capacity();
  if (held > kKeptDoubles) ws = Workspace();
}

// Per-row transforms over the batch, with one workspace per worker thread.
template <typename Body>
void forRows(const Params& params, Body body) {
  // Starting threads costs tens of microseconds: small batches run on the calling thread.
  const bool large = params.rows > 1 && params.rows * params.cols >= (int64_t{1} << 15);
  const unsigned threads = large ? params.threads : 1;
  if (threads == 1) {
    Workspace& ws = callingThreadWorkspace();
    for (int64_t row = 0; row < params.rows; ++row) body(ws, row);
    releaseIfLarge(ws);
    return;
  }
  std::vector<Workspace> spaces(std::max(1u, std::min<unsigned>(threads, 1024)));
  parallelFor(params.rows, threads, [&](unsigned worker, int64_t row) { body(spaces[worker], row); });
}

void checkParams(const Params& params) {
  if (params.rows < 1 || params.cols < 1) throw RangeError("x must have at least one row and one column");
  const Shape s = shapeOf(params);
  if (params.kind == Kind::Entmax && !(params.param >= 1 && params.param < kInf)) throw RangeError("alpha must be >= 1");
  if (params.kind == Kind::Normmax && !(params.param > 1 && params.param < kInf)) throw RangeError("gamma must be > 1");
  if (params.kind == Kind::KSubsets && !(s.k >= 1 && s.k <= params.cols && static_cast<double>(s.k) == params.param)) {
    throw RangeError("k must be an integer in [1, cols]");
  }
}

// The row's probabilities in double.
template <typename T>
Solution probabilities(const Shape& s, const T* x, int64_t d, int64_t row, Workspace& ws) {
  const Solution sol = solveRow(s, x, d, row, ws);
  ws.p.resize(static_cast<size_t>(d));
  forEachProbability(s, sol, x, d, ws, [&](int64_t j, double p) { ws.p[j] = p; });
  return sol;
}

// The entmax weights g = p^(2-alpha) on the support (0 off it) into w, for alpha > 2 relative to
// the largest (they leave the double range there, see entmax_large_alpha.hpp).
void entmaxWeights(const std::vector<double>& p, double alpha, std::vector<double>& w) {
  w.resize(p.size());
  if (alpha > 2) return detail::relativeWeights(p.data(), p.size(), alpha, w.data());
  for (size_t j = 0; j < p.size(); ++j) w[j] = p[j] > 0 ? std::pow(p[j], 2 - alpha) : 0.0;
}

// The w-weighted mean of v less v_r (ref), r the largest weight: sum w (v - v_r) / sum w (0 if every
// weight is 0). J v takes v - mean as (v - v_r) - this, which does not cancel when one weight
// dominates: near one-hot, v_r - mean is O(the other weights), below the rounding of mean itself.
template <typename T>
double centredMean(const std::vector<double>& w, const T* v, double& ref) {
  size_t r = 0;
  for (size_t j = 1; j < w.size(); ++j) r = w[j] > w[r] ? j : r;
  ref = static_cast<double>(v[r]);
  double sum = 0, total = 0;
  for (size_t j = 0; j < w.size(); ++j) {
    sum += w[j] * (static_cast<double>(v[j]) - ref);
    total += w[j];
  }
  return total > 0 ? sum / total : 0.0;
}

}  // namespace

template <typename T>
void forward(const Params& params, const T* x, T* out, int32_t* support, double* conjugate) {
  checkParams(params);
  const Shape s = shapeOf(params);
  const int64_t d = params.cols;
  forRows(params, [&](Workspace& ws, int64_t row) {
    const T* xr = x + row * d;
    T* pr = out + row * d;
    const Solution sol = solveRow(s, xr, d, row, ws);
    int32_t nonzero = 0;
    double dot = 0, reg = 0;  // <x - shift, p> and the regulariser's sum term
    const double exponent = params.kind == Kind::Entmax ? params.param : params.kind == Kind::Normmax ? params.param : 2;
    // k-subsets: <x, p> itself, as its shift (x_(k)) may lie far below the max, where shift k +
    // <x - shift, p> cancels or overflows; it overflows only when the selected scores do.
    const double shift = s.kind == Kind::KSubsets ? 0.0 : sol.max;
    if (conjugate) {
      forEachProbability(s, sol, xr, d, ws, [&](int64_t j, double p) {
        pr[j] = static_cast<T>(p);
        nonzero += pr[j] != 0;
        if (p > 0) {
          dot += (static_cast<double>(xr[j]) - shift) * p;
          // Entmax keeps sum p (p^(alpha-1) - 1) = sum p^alpha - 1 without the cancellation near alpha = 1.
          reg += s.kind == Kind::Softmax ? 0.0
                 : params.kind == Kind::Entmax ? p * std::expm1((exponent - 1) * std::log(p))
                                               : power(p, exponent);
        }
      });
    } else {
      // Without the conjugate's terms the loop is short and branch-free (vectorised where the kind allows).
      forEachProbability(s, sol, xr, d, ws, [&](int64_t j, double p) { pr[j] = static_cast<T>(p); });
      if (support) {
        for (int64_t j = 0; j < d; ++j) nonzero += pr[j] != 0;
      }
    }
    if (support) support[row] = nonzero;
    if (conjugate) {
      // The max is added last: a one-hot p (dot = 0, Omega(p) = 0) gives it exactly at any magnitude.
      double value;
      switch (params.kind) {
        case Kind::Softmax: value = sol.max + sol.tau; break;
        case Kind::Sparsemax: value = sol.max + (dot - 0.5 * reg + 0.5); break;
        case Kind::Entmax: {
          const double alpha = params.param;
          value = s.kind == Kind::Softmax ? sol.max + sol.tau
                                          : sol.max + (dot - reg / (alpha * (alpha - 1)));
          break;
        }
        case Kind::Normmax: value = sol.max + (dot - gammaNorm(s, sol, xr, d, ws, reg, params.param) + 1); break;
        default:
          value = dot - 0.5 * reg;
          if (std::isfinite(value)) break;
          // A partial sum can overflow when <x, p> does not: summed again scaled by 2^-64 (fewer than
          // 2^63 terms below 2^960 each), a RangeError only if the result overflows too.
          dot = 0;
          forEachProbability(s, sol, xr, d, ws, [&](int64_t j, double p) { dot += p > 0 ? static_cast<double>(xr[j]) * 0x1p-64 * p : 0.0; });
          value = (dot - 0x1p-64 * 0.5 * reg) * 0x1p64;
          if (!std::isfinite(value)) {
            throw RangeError(rowName(row) + ": the k-subsets conjugate overflows (the selected scores sum beyond about 1.8e308)");
          }
      }
      conjugate[row] = value;
    }
  });
}

template <typename T>
void jvp(const Params& params, const T* x, const T* v, T* out) {
  checkParams(params);
  const Shape s = shapeOf(params);
  const int64_t d = params.cols;
  forRows(params, [&](Workspace& ws, int64_t row) {
    const T* xr = x + row * d;
    const T* vr = v + row * d;
    T* jr = out + row * d;
    const Solution sol = probabilities(s, xr, d, row, ws);
    const std::vector<double>& p = ws.p;
    // Every case is J v = w * v - w <w, v> / sum(w) with a kind-specific weight w >= 0
    // (w = 0 off the support), except softmax and normmax (derivation in src/transforms/index.ts).
    // v - mean is taken as (v - v_r) - centredMean, v_r at the largest weight (see centredMean).
    double ref;
    if (s.kind == Kind::Softmax) {
      const double mean = centredMean(p, vr, ref);
      for (int64_t j = 0; j < d; ++j) jr[j] = static_cast<T>(p[j] * ((static_cast<double>(vr[j]) - ref) - mean) + 0.0);
      return;
    }
    std::vector<double>& w = ws.scratch;
    if (s.kind == Kind::Normmax) {
      // u = [z - tau]_+^r, p = u / U; J v = (h (v - <p,v>) - p sum(h (v - <p,v>))) / U, h = r u^(2-gamma).
      const double mean = centredMean(p, vr, ref);
      double total = 0;
      w.resize(static_cast<size_t>(d));
      for (int64_t j = 0; j < d; ++j) {
        const double xv = static_cast<double>(xr[j]);
        const double t = xv == -kInf ? 0.0 : xv - sol.max - sol.tau;
        const double h = t > 0 ? s.r * power(t, s.r - 1) : 0.0;
        w[j] = h * ((static_cast<double>(vr[j]) - ref) - mean);
        total += w[j];
      }
      const double u = 1 / sol.scale;
      for (int64_t j = 0; j < d; ++j) jr[j] = static_cast<T>((w[j] - p[j] * total) / u + 0.0);
      return;
    }
    if (s.kind == Kind::Entmax && params.param > 2) {  // weights beyond the double range
      std::vector<double>& out = ws.candidates;  // free once p is known
      w.assign(vr, vr + d);
      out.resize(static_cast<size_t>(d));
      detail::largeAlphaJvp(p.data(), static_cast<size_t>(d), params.param, w.data(), out.data());
      for (int64_t j = 0; j < d; ++j) jr[j] = static_cast<T>(out[j] + 0.0);
      return;
    }
    if (s.kind == Kind::Entmax) {
      entmaxWeights(p, params.param, w);
    } else {
      w.resize(static_cast<size_t>(d));
      for (int64_t j = 0; j < d; ++j) w[j] = s.kind == Kind::KSubsets ? (p[j] > 0 && p[j] < 1 ? 1.0 : 0.0) : (p[j] > 0 ? 1.0 : 0.0);
    }
    const double mean = centredMean(w, vr, ref);
    // + 0.0 turns the -0 of a zero weight times a negative difference into +0.
    for (int64_t j = 0; j < d; ++j) jr[j] = static_cast<T>(w[j] * ((static_cast<double>(vr[j]) - ref) - mean) + 0.0);
  });
}

// Below this alpha - 1 the closed form of d p / d alpha cancels to O(eps / (alpha - 1)^2).
constexpr double kNearSoftmax = 0.01;

// (e^-y - 1 + y) / y^2, by its series near 0.
double secondOrder(double y) {
  if (std::abs(y) > 0.5) return (std::expm1(-y) + y) / (y * y);
  double term = 0.5, sum = 0.5;
  for (int n = 3; n < 24; ++n) {
    term *= -y / n;
    sum += term;
  }
  return sum;
}

// d p / d alpha for alpha = 1 + e near 1: the closed form rearranged so that its O(1/e) terms
// cancel analytically. With L = log p, N = (e^(-eL) - 1 + eL) / e^2 and W = sum p e^(-eL):
//   d p_i / d alpha = p_i / W ((sum pN - N_i)(1 - e sum pL) - e (L_i - sum pL) sum pN),
// which tends to p_i (sum p L^2 - L_i^2) / 2 at alpha = 1.
template <typename T>
void nearSoftmaxAlphaGradient(const std::vector<double>& p, double e, T* out) {
  double w = 0, sl = 0, sn = 0;
  for (size_t j = 0; j < p.size(); ++j) {
    if (p[j] > 0) {
      const double l = std::log(p[j]);
      w += p[j] * std::exp(-e * l);
      sl += p[j] * l;
      sn += p[j] * l * l * secondOrder(e * l);
    }
  }
  for (size_t j = 0; j < p.size(); ++j) {
    if (p[j] > 0) {
      const double l = std::log(p[j]);
      const double n = l * l * secondOrder(e * l);
      out[j] = static_cast<T>(p[j] / w * ((sn - n) * (1 - e * sl) - e * (l - sl) * sn));
    } else {
      out[j] = 0;
    }
  }
}

template <typename T>
void alphaGradient(const Params& params, const T* x, T* out) {
  checkParams(params);
  if (params.kind != Kind::Entmax || !(params.param > 1)) throw RangeError("the alpha derivative needs entmax with alpha > 1");
  Shape s = shapeOf(params);
  const int64_t d = params.cols;
  const double alpha = params.param;
  const double r = 1 / (alpha - 1);
  forRows(params, [&](Workspace& ws, int64_t row) {
    probabilities(s, x + row * d, d, row, ws);
    const std::vector<double>& p = ws.p;
    T* gr = out + row * d;
    if (alpha - 1 < kNearSoftmax) {
      nearSoftmaxAlphaGradient(p, alpha - 1, gr);
      return;
    }
    // d p / d alpha = r^2 (p - g/G) - r (p log p - (g/G) sum p log p), g = p^(2-alpha) on the support
    // (g/G needs no common factor of g).
    std::vector<double>& w = ws.scratch;
    entmaxWeights(p, alpha, w);
    double gsum = 0, plogp = 0;
    for (int64_t j = 0; j < d; ++j) {
      if (p[j] > 0) {
        gsum += w[j];
        plogp += p[j] * std::log(p[j]);
      }
    }
    for (int64_t j = 0; j < d; ++j) {
      if (p[j] > 0) {
        const double g = w[j] / gsum;
        gr[j] = static_cast<T>(r * r * (p[j] - g) - r * (p[j] * std::log(p[j]) - g * plogp));
      } else {
        gr[j] = 0;
      }
    }
  });
}

template void forward<float>(const Params&, const float*, float*, int32_t*, double*);
template void forward<double>(const Params&, const double*, double*, int32_t*, double*);
template void jvp<float>(const Params&, const float*, const float*, float*);
template void jvp<double>(const Params&, const double*, const double*, double*);
template void alphaGradient<float>(const Params&, const float*, float*);
template void alphaGradient<double>(const Params&, const double*, double*);

}  // namespace sshn::transforms
