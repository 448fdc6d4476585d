// One pass of the k-subsets solver (transforms.cpp) over a row or a candidate list: every entry z is
// classified on a bracket (lo, hi) of the threshold. Two kernels with the same results bit for bit,
// portable C++ and SSE2 (two entries at a time), here so that the C++ tests can compare them;
// classify() takes SSE2 wherever the compiler targets it (every x86-64 build) unless nearly every
// entry is out.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#if defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64)
#include <emmintrin.h>
#define SSHN_CLASSIFY_SSE2 1
#endif

namespace sshn::transforms::detail {

// k-subsets: F(t) = sum clip(z - t, 0, 1) over the row, decreasing in t, and tau solves F(tau) = k.
// A bracket lo <= tau < hi with the sums over the entries already determined on it (term 1, or
// linear z - t) that have left the search.
struct Bracket {
  double lo, hi;
  double ones, midSum, midCount;
};

// A bracket (lo < hi) suggested by a sample, whether the portable kernel's branches are
// predictable on it, and whether nearly every entry is out (then its first branch beats SSE2).
struct SampledBracket {
  double lo, hi;
  bool branchy, mostlyOut;
};

// What the pass saw of the raw values: -Infinity entries (masked, out) and whether a NaN or
// +Infinity occurred (the caller throws).
struct Screened {
  int64_t masked;
  bool bad;
};

// z if keep is 1, +0 if it is 0, without a branch (a product with 0 would turn an infinite z into NaN).
inline double masked(double z, int keep) {
  uint64_t bits;
  std::memcpy(&bits, &z, sizeof bits);
  bits &= ~static_cast<uint64_t>(0) * static_cast<uint64_t>(keep);
  std::memcpy(&z, &bits, sizeof z);
  return z;
}

constexpr int64_t kClassifyBlock = 256;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Counts of one pass: term-1 and linear entries, masked ones, and whether a NaN or +Infinity came.
struct Tally {
  int64_t ones = 0, mids = 0, masked = 0;
  bool bad = false;
};

// The screening of a raw value (a masked entry is out anyway: -Infinity <= lo).
inline void screen(double v, Tally& tally) {
  if (!(std::fabs(v) < kInfinity)) {
    if (v == -kInfinity) ++tally.masked; else tally.bad = true;
  }
}

// One entry z = v - shift without a branch on its class: linear ones go into the lane sum, the
// undetermined one is staged at stage[kept] (every entry is written there, only those advance kept).
inline void classifyEntry(double v, double shift, double lo, double hi, Tally& tally, double& lane, double* stage,
                          int64_t& kept) {
  screen(v, tally);
  const double z = v - shift;
  // 0/1 integers from the comparisons: GCC turns bool logic here into branches.
  const int above = static_cast<int>(z > lo);
  const int one = above & static_cast<int>(z - 1 >= hi);
  const int inside = above & (one ^ 1);
  const int mid = inside & static_cast<int>(z - 1 <= lo) & static_cast<int>(z >= hi);
  tally.ones += one;
  tally.mids += mid;
  lane += masked(z, mid);
  stage[kept] = z;
  kept += inside & (mid ^ 1);
}

inline Screened addTally(const Tally& tally, double midSum, Bracket& b) {
  b.ones += static_cast<double>(tally.ones);
  b.midSum += midSum;
  b.midCount += static_cast<double>(tally.mids);
  return Screened{tally.masked, tally.bad};
}

// z = src[j] - shift for j < n, classified on sb: out (z <= lo, term 0), one (z - 1 >= hi) and
// linear (z - 1 <= lo, z >= hi) entries go into b's sums, the undetermined rest to sink(block,
// count) in index order. The linear entries are summed per block of kClassifyBlock in two lanes (j
// even, j odd), then lane 0 + lane 1 is added to b.midSum.
//
// Portable kernel: out and one are tested with branches when sb.branchy says they are predictable
// (linear and undetermined entries are still told apart without one: they mix at random when most
// of the row is linear); otherwise every entry takes classifyEntry. The results do not depend on
// sb.branchy.
template <typename T, typename Sink>
Screened classifyPortable(const T* src, int64_t n, double shift, const SampledBracket& sb, Bracket& b, Sink sink) {
  const double lo = sb.lo, hi = sb.hi;
  double stage[kClassifyBlock];
  Tally tally;
  double midSum = 0;
  for (int64_t j0 = 0; j0 < n; j0 += kClassifyBlock) {
    const int64_t j1 = std::min(n, j0 + kClassifyBlock);
    int64_t kept = 0;
    double lane[2] = {0, 0};
    if (sb.branchy) {
      for (int64_t j = j0; j < j1; ++j) {
        const double v = static_cast<double>(src[j]);
        screen(v, tally);
        const double z = v - shift;
        if (!(z > lo)) continue;
        if (z - 1 >= hi) {
          ++tally.ones;
          continue;
        }
        const int mid = static_cast<int>(z - 1 <= lo) & static_cast<int>(z >= hi);
        tally.mids += mid;
        lane[j & 1] += masked(z, mid);
        stage[kept] = z;
        kept += mid ^ 1;
      }
    } else {
      for (int64_t j = j0; j < j1; ++j) classifyEntry(static_cast<double>(src[j]), shift, lo, hi, tally, lane[j & 1], stage, kept);
    }
    midSum += lane[0] + lane[1];
    sink(stage, static_cast<size_t>(kept));
  }
  return addTally(tally, midSum, b);
}

#ifdef SSHN_CLASSIFY_SSE2
inline __m128d load2(const double* p) { return _mm_loadu_pd(p); }
inline __m128d load2(const float* p) {
  return _mm_cvtps_pd(_mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// SSE2 kernel: the same comparisons on two entries at a time, as masks; lanes 0 and 1 of the
// vector sum are the even and odd entries. A block's odd last entry takes classifyEntry.
template <typename T, typename Sink>
Screened classifySse2(const T* src, int64_t n, double shift, const SampledBracket& sb, Bracket& b, Sink sink) {
  const double lo = sb.lo, hi = sb.hi;
  const __m128d vlo = _mm_set1_pd(lo), vhi = _mm_set1_pd(hi), unit = _mm_set1_pd(1.0), vshift = _mm_set1_pd(shift);
  const __m128d infinity = _mm_set1_pd(kInfinity), minusInfinity = _mm_set1_pd(-kInfinity);
  const __m128d absolute = _mm_castsi128_pd(_mm_set1_epi64x(INT64_MAX)), all = _mm_castsi128_pd(_mm_set1_epi64x(-1));
  __m128i ones = _mm_setzero_si128(), mids = _mm_setzero_si128(), maskedCounts = _mm_setzero_si128();
  __m128d bad = _mm_setzero_pd();
  double stage[kClassifyBlock];
  double midSum = 0;
  Tally tally;  // the odd last entries
  for (int64_t j0 = 0; j0 < n; j0 += kClassifyBlock) {
    const int64_t j1 = std::min(n, j0 + kClassifyBlock);
    int64_t kept = 0;
    __m128d lane = _mm_setzero_pd();
    int64_t j = j0;
    for (; j + 2 <= j1; j += 2) {
      const __m128d v = load2(src + j);
      const __m128d isMasked = _mm_cmpeq_pd(v, minusInfinity);
      const __m128d finite = _mm_cmplt_pd(_mm_and_pd(v, absolute), infinity);  // false for NaN
      maskedCounts = _mm_sub_epi64(maskedCounts, _mm_castpd_si128(isMasked));
      bad = _mm_or_pd(bad, _mm_andnot_pd(_mm_or_pd(finite, isMasked), all));
      const __m128d z = _mm_sub_pd(v, vshift), zm1 = _mm_sub_pd(z, unit);
      const __m128d above = _mm_cmpgt_pd(z, vlo);
      const __m128d one = _mm_and_pd(above, _mm_cmpge_pd(zm1, vhi));
      const __m128d inside = _mm_andnot_pd(one, above);
      const __m128d mid = _mm_and_pd(inside, _mm_and_pd(_mm_cmple_pd(zm1, vlo), _mm_cmpge_pd(z, vhi)));
      ones = _mm_sub_epi64(ones, _mm_castpd_si128(one));
      mids = _mm_sub_epi64(mids, _mm_castpd_si128(mid));
      lane = _mm_add_pd(lane, _mm_and_pd(z, mid));
      const int keep = _mm_movemask_pd(_mm_andnot_pd(mid, inside));
      _mm_storel_pd(stage + kept, z);
      kept += keep & 1;
      _mm_storeh_pd(stage + kept, z);
      kept += keep >> 1;
    }
    double lanes[2];
    _mm_storeu_pd(lanes, lane);
    if (j < j1) classifyEntry(static_cast<double>(src[j]), shift, lo, hi, tally, lanes[0], stage, kept);  // j even: lane 0
    midSum += lanes[0] + lanes[1];
    sink(stage, static_cast<size_t>(kept));
  }
  int64_t counts[3][2];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(counts[0]), ones);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(counts[1]), mids);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(counts[2]), maskedCounts);
  tally.ones += counts[0][0] + counts[0][1];
  tally.mids += counts[1][0] + counts[1][1];
  tally.masked += counts[2][0] + counts[2][1];
  tally.bad = tally.bad || _mm_movemask_pd(bad) != 0;
  return addTally(tally, midSum, b);
}
#endif

template <typename T, typename Sink>
Screened classify(const T* src, int64_t n, double shift, const SampledBracket& sb, Bracket& b, Sink sink) {
#ifdef SSHN_CLASSIFY_SSE2
  if (!sb.mostlyOut) return classifySse2(src, n, shift, sb, b, sink);
  return classifyPortable(src, n, shift, sb, b, sink);
#else
  return classifyPortable(src, n, shift, sb, b, sink);
#endif
}

}  // namespace sshn::transforms::detail
