#include "memory.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <type_traits>
#include <vector>

#include "aligned.hpp"
#include "errors.hpp"
#include "gemm.hpp"
#include "parallel.hpp"
#include "sparsemap.hpp"
#include "transforms.hpp"

namespace sshn::memory {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void checkParams(int64_t n, int64_t d, int64_t count, const Params& params) {
  if (n < 1 || d < 1) throw RangeError("the memory must hold at least one pattern of dimension >= 1");
  if (count < 0) throw RangeError("count must be >= 0");
  if (!(params.beta > 0) || !std::isfinite(params.beta)) throw RangeError("beta must be a finite number > 0");
  if (params.maxIter < 0) throw RangeError("maxIter must be >= 0");
  if (!(params.tol >= 0)) throw RangeError("tol must be >= 0");
  if (!(params.supportThreshold >= 0)) throw RangeError("supportThreshold must be >= 0");
  if (params.kind == Kind::SequentialKSubsets) {
    if (!(params.param >= 1 && params.param <= static_cast<double>(n)) || params.param != std::floor(params.param)) {
      throw RangeError("k must be an integer in [1, number of patterns]");
    }
    if (!std::isfinite(params.bonus)) throw RangeError("bonus must be finite");
    if (params.maxActiveSetIter < 1) throw RangeError("maxActiveSetIter must be >= 1");
  }
}

// p = yhat(s) for `rows` score rows, with Omega*(s) per row in conjugate (may be null).
// activeSetFailed[i] is set when a sequential k-subsets QP stopped at its iteration cap.
template <typename T>
void transformRows(const Params& params, const T* s, int64_t rows, int64_t n, T* p, double* conjugate,
                   std::vector<uint8_t>& activeSetFailed) {
  if (params.kind != Kind::SequentialKSubsets) {
    const transforms::Params tp{static_cast<transforms::Kind>(params.kind), params.param, rows, n, params.threads};
    transforms::forward(tp, s, p, nullptr, conjugate);
    return;
  }
  const size_t cells = static_cast<size_t>(rows * n);
  std::vector<double> sd(s, s + cells), pd(cells);
  std::vector<uint8_t> status(static_cast<size_t>(rows));
  sparsemap::sequentialKSubsetsBatch(sd.data(), rows, n, static_cast<int64_t>(params.param), params.bonus, params.maxActiveSetIter,
                                     pd.data(), status.data(), params.threads, conjugate);
  std::copy(pd.begin(), pd.end(), p);
  for (int64_t i = 0; i < rows; ++i) activeSetFailed[i] = status[i] != 0;
}

// Nonzero columns of one row of p, ascending, listed when there are at most kListed (the read-out
// then visits them instead of scanning the row again).
struct RowNonzeros {
  static constexpr int64_t kListed = 256;
  std::vector<int32_t> columns;
  bool many = false;
};

// The largest T at or below v: for x of type T, x > v exactly when x > belowOrAt<T>(v).
template <typename T>
T belowOrAt(double v) {
  T t = static_cast<T>(v);
  if (static_cast<double>(t) > v) t = std::nextafter(t, -std::numeric_limits<T>::infinity());
  return t;
}

// Appends the columns of p's nonzeros, skipping blocks of zeros at once: after the sweep every zero
// is +0, whose bits are all 0, so a block is zero when the OR of its bits is.
template <typename T>
void listNonzeros(const T* p, int64_t n, std::vector<int32_t>& columns) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr int64_t kBlock = 16;
  int64_t j = 0;
  for (; j + kBlock <= n; j += kBlock) {
    Bits any = 0;
    for (int64_t k = 0; k < kBlock; ++k) {
      Bits bits;
      std::memcpy(&bits, p + j + k, sizeof bits);
      any |= bits;
    }
    if (any == 0) continue;
    for (int64_t k = 0; k < kBlock; ++k) {
      if (p[j + k] != 0) columns.push_back(static_cast<int32_t>(j + k));
    }
  }
  for (; j < n; ++j) {
    if (p[j] != 0) columns.push_back(static_cast<int32_t>(j));
  }
}

// One pass over the block's weights, rows in parallel, branch-free so that it vectorises: entries
// below the smallest normal number become 0 (they cannot move a state entry of ordinary size, and
// subnormal arithmetic in the read-out would run a hundred times slower); per row, the entries
// above the support threshold and the nonzero columns (when few); the nonzeros in all.
template <typename T>
int64_t sweepWeights(T* p, int64_t rows, int64_t n, double supportThreshold, int32_t* support, std::vector<RowNonzeros>& nonzeros,
                     unsigned threads) {
  const T smallest = std::numeric_limits<T>::min();
  const T threshold = belowOrAt<T>(supportThreshold);
  std::vector<int64_t> rowNonzero(static_cast<size_t>(rows));
  nonzeros.resize(static_cast<size_t>(rows));
  parallelFor(rows, rows * n < (int64_t{1} << 20) ? 1u : threads, [&](unsigned, int64_t i) {
    T* pi = p + i * n;
    // Local copies and counters as wide as T, so that the loop vectorises.
    const T low = smallest, cut = threshold;
    using Count = std::conditional_t<sizeof(T) == 4, int32_t, int64_t>;
    Count nonzero = 0, above = 0;
    for (int64_t j = 0; j < n; ++j) {
      const T v = pi[j] < low ? T(0) : pi[j];
      pi[j] = v;
      nonzero += v != 0;
      above += v > cut;
    }
    support[i] = static_cast<int32_t>(above);
    rowNonzero[i] = nonzero;
    RowNonzeros& listed = nonzeros[i];
    listed.columns.clear();
    listed.many = nonzero > RowNonzeros::kListed;
    if (!listed.many && nonzero > 0) listNonzeros(pi, n, listed.columns);
  });
  int64_t nonzero = 0;
  for (int64_t v : rowNonzero) nonzero += v;
  return nonzero;
}

// qn_i = sum_j p_ij x_j for the rows of the block: by their nonzeros when p is sparse, else one product.
template <typename T>
void readoutRows(const T* p, int64_t rows, int64_t nonzero, const std::vector<RowNonzeros>& nonzeros, const T* x, int64_t n,
                 int64_t d, T* qn, unsigned threads) {
  if (nonzero * 16 > rows * n) {
    gemm::readout(p, rows, x, n, d, qn, threads);
    return;
  }
  parallelFor(rows, nonzero * d < (int64_t{1} << 20) ? 1u : threads, [&](unsigned, int64_t i) {
    T* out = qn + i * d;
    std::fill(out, out + d, T(0));
    const T* pi = p + i * n;
    const auto add = [&](int64_t j) {
      const T w = pi[j];
      const T* xj = x + j * d;
      for (int64_t c = 0; c < d; ++c) out[c] += w * xj[c];
    };
    if (!nonzeros[i].many) {
      for (int32_t j : nonzeros[i].columns) add(j);
      return;
    }
    for (int64_t j = 0; j < n; ++j) {
      if (pi[j] != 0) add(j);
    }
  });
}

// A state's weights from the pass that produced it, kept when they are few enough for its scores
// to come from the Gram matrix: nnz rows of G cost less than the product by X when nnz * kGramCost
// <= d (the rows are read, not multiplied).
template <typename T>
struct StateWeights {
  static constexpr int64_t kGramCost = 32;
  std::vector<int32_t> columns;
  std::vector<T> values;
  bool few = false;
};

template <typename T>
void keepWeights(const T* p, const RowNonzeros& nonzeros, int64_t d, StateWeights<T>& kept) {
  const int64_t count = static_cast<int64_t>(nonzeros.columns.size());
  kept.few = !nonzeros.many && count * StateWeights<T>::kGramCost <= d;
  if (!kept.few) return;
  kept.columns = nonzeros.columns;
  kept.values.resize(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) kept.values[k] = p[nonzeros.columns[k]];
}

// The rows of an on-demand Gram matrix that the states with few weights need and that are missing,
// computed as the scores of their patterns in batches of at least four (the tiled kernel's
// threshold, so that on AVX2 and AVX-512 they are bitwise gemm::gram's rows) and then flagged.
// One lock for all Gram matrices: concurrent retrievals may share one, and a flag is only read or
// written under it (a flagged row is never written again, so readers need no lock after this).
template <typename T>
void fillGramRows(const std::vector<StateWeights<T>>& weights, const T* x, int64_t n, int64_t d, T* gram, uint8_t* ready,
                  unsigned threads) {
  static std::mutex fillLock;
  const std::lock_guard<std::mutex> hold(fillLock);
  std::vector<int32_t> missing;
  for (const StateWeights<T>& w : weights) {
    if (!w.few) continue;
    for (int32_t j : w.columns) {
      if (!ready[j]) missing.push_back(j);
    }
  }
  if (missing.empty()) return;
  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  constexpr int64_t kMinBatch = 4, kMaxBatch = 64;
  const int64_t total = static_cast<int64_t>(missing.size());
  AlignedVector<T> packed(static_cast<size_t>(std::max(kMinBatch, std::min(kMaxBatch, total)) * d));
  AlignedVector<T> rows(static_cast<size_t>(packed.size() / d * n));
  for (int64_t begin = 0; begin < total; begin += kMaxBatch) {
    const int64_t count = std::min(kMaxBatch, total - begin);
    const int64_t batch = std::max(kMinBatch, count);  // padded with the last pattern again
    for (int64_t k = 0; k < batch; ++k) {
      const T* pattern = x + static_cast<int64_t>(missing[begin + std::min(k, count - 1)]) * d;
      std::copy(pattern, pattern + d, packed.begin() + k * d);
    }
    gemm::scores(packed.data(), batch, x, n, d, 1.0, rows.data(), threads);
    for (int64_t k = 0; k < count; ++k) {
      const int32_t j = missing[begin + k];
      std::copy(rows.begin() + k * n, rows.begin() + (k + 1) * n, gram + static_cast<int64_t>(j) * n);
      ready[j] = 1;
    }
  }
}

// Scores of the pass's states: rows whose weights are few from the Gram matrix, s_i = beta sum_j
// p_ij G_j (a one-hot p gives beta G_j, bitwise the product's scores of x_j with the tiled kernel),
// the others by the product, computed into `spare` (a x n, free until the transform) and moved.
template <typename T>
void scoresOfStates(const T* q, int64_t a, const std::vector<StateWeights<T>>& weights, const T* gram, const T* x, int64_t n,
                    int64_t d, double beta, T* s, T* spare, unsigned threads) {
  std::vector<int64_t> byProduct, byGram;
  for (int64_t i = 0; i < a; ++i) (weights[i].few ? byGram : byProduct).push_back(i);
  const T factor = static_cast<T>(beta);
  parallelFor(static_cast<int64_t>(byGram.size()), byGram.size() * n < (size_t{1} << 18) ? 1u : threads, [&](unsigned, int64_t g) {
    const int64_t i = byGram[g];
    T* si = s + i * n;
    const StateWeights<T>& w = weights[i];
    const size_t count = w.columns.size();
    const auto row = [&](size_t k) { return gram + static_cast<int64_t>(w.columns[k]) * n; };
    if (count == 0) {
      std::fill(si, si + n, T(0));
      return;
    }
    // The first term initialises the sum and the last one scales it, so that a row of s is
    // written in count passes (a one-hot p: factor * (1 * G_j), the product's factor * G_j).
    const T* first = row(0);
    const T w0 = w.values[0];
    if (count == 1) {
      for (int64_t c = 0; c < n; ++c) si[c] = factor * (w0 * first[c]);
      return;
    }
    for (int64_t c = 0; c < n; ++c) si[c] = w0 * first[c];
    for (size_t k = 1; k + 1 < count; ++k) {
      const T wk = w.values[k];
      const T* rk = row(k);
      for (int64_t c = 0; c < n; ++c) si[c] += wk * rk[c];
    }
    const T wl = w.values[count - 1];
    const T* last = row(count - 1);
    for (int64_t c = 0; c < n; ++c) si[c] = factor * (si[c] + wl * last[c]);
  });
  const int64_t m = static_cast<int64_t>(byProduct.size());
  if (m == 0) return;
  if (m == a) return gemm::scores(q, a, x, n, d, beta, s, threads);
  AlignedVector<T> packed(static_cast<size_t>(m * d));
  for (int64_t k = 0; k < m; ++k) std::copy(q + byProduct[k] * d, q + (byProduct[k] + 1) * d, packed.begin() + k * d);
  gemm::scores(packed.data(), m, x, n, d, beta, spare, threads);
  for (int64_t k = 0; k < m; ++k) std::copy(spare + k * n, spare + (k + 1) * n, s + byProduct[k] * n);
}

}  // namespace

template <typename T>
void retrieve(const T* patterns, int64_t n, int64_t d, int64_t count, const Params& params, const Outputs<T>& out) {
  checkParams(n, d, count, params);
  const int64_t stride = params.maxIter + 1;
  if (out.energies) std::fill(out.energies, out.energies + count * stride, kNaN);
  // Rows still running; `final` rows only need the energy (or, with maxIter 0, the weights) of their state.
  std::vector<int64_t> active(static_cast<size_t>(count));
  std::vector<uint8_t> final(static_cast<size_t>(count), params.maxIter == 0), failed(static_cast<size_t>(count), 0);
  for (int64_t r = 0; r < count; ++r) {
    active[r] = r;
    out.iterations[r] = 0;
    out.status[r] = MaxIterations;
  }
  AlignedVector<T> q, qn, ownScratch;
  if (!out.scratch) ownScratch.resize(static_cast<size_t>(scratchLength(count, n)));
  // Scores and weights of a pass, its active rows compacted to the front, each region 64-byte aligned.
  T* const base = out.scratch ? out.scratch : ownScratch.data();
  const auto misaligned = reinterpret_cast<std::uintptr_t>(base) % 64;
  T* const s = misaligned == 0 ? base : reinterpret_cast<T*>(reinterpret_cast<std::uintptr_t>(base) + 64 - misaligned);
  T* const p = s + (scratchLength(count, n) - kScratchAlign) / 2;
  std::vector<double> conjugate;
  std::vector<uint8_t> passFailed;
  std::vector<int32_t> rowSupport;
  std::vector<RowNonzeros> rowNonzeros;
  // With a Gram matrix: the weights behind each active row's state, in the order of `active`.
  std::vector<StateWeights<T>> stateWeights, nextWeights;
  const bool needConjugate = out.energies != nullptr;
  for (int64_t t = 0; !active.empty(); ++t) {
    const int64_t a = static_cast<int64_t>(active.size());
    q.resize(static_cast<size_t>(a * d));
    for (int64_t i = 0; i < a; ++i) std::copy(out.states + active[i] * d, out.states + (active[i] + 1) * d, q.begin() + i * d);
    // Every row is active in the first pass (t == 0), in order: the scores given are read in place.
    const bool given = t == 0 && out.firstScores;
    if (out.gramReady && t > 0) fillGramRows(stateWeights, patterns, n, d, out.gram, out.gramReady, params.threads);
    if (out.gram && t > 0) scoresOfStates(q.data(), a, stateWeights, out.gram, patterns, n, d, params.beta, s, p, params.threads);
    else if (!given) gemm::scores(q.data(), a, patterns, n, d, params.beta, s, params.threads);
    conjugate.assign(static_cast<size_t>(a), 0);
    passFailed.assign(static_cast<size_t>(a), 0);
    transformRows(params, given ? out.firstScores : s, a, n, p, needConjugate ? conjugate.data() : nullptr, passFailed);
    rowSupport.resize(static_cast<size_t>(a));
    const int64_t nonzero = sweepWeights(p, a, n, params.supportThreshold, rowSupport.data(), rowNonzeros, params.threads);
    qn.resize(static_cast<size_t>(a * d));
    readoutRows(p, a, nonzero, rowNonzeros, patterns, n, d, qn.data(), params.threads);

    std::vector<int64_t> next;
    for (int64_t i = 0; i < a; ++i) {
      const int64_t r = active[i];
      const T* qi = q.data() + i * d;
      const T* pi = p + i * n;
      if (out.energies) {
        double norm2 = 0;
        for (int64_t c = 0; c < d; ++c) norm2 += static_cast<double>(qi[c]) * static_cast<double>(qi[c]);
        out.energies[r * stride + t] = -conjugate[i] / params.beta + 0.5 * norm2;
      }
      const bool update = !final[r];
      if (update || out.iterations[r] == 0) {
        // The p that produced the state (maxIter 0: the p of the query itself).
        if (out.weights) std::copy(pi, pi + n, out.weights + r * n);
        out.support[r] = rowSupport[i];
      }
      if (!update) continue;
      failed[r] |= passFailed[i];
      const T* qni = qn.data() + i * d;
      double change = 0, scale = 1;
      for (int64_t c = 0; c < d; ++c) {
        change = std::max(change, std::abs(static_cast<double>(qni[c]) - static_cast<double>(qi[c])));
        scale = std::max(scale, std::abs(static_cast<double>(qi[c])));
      }
      std::copy(qni, qni + d, out.states + r * d);
      out.iterations[r] = static_cast<int32_t>(t + 1);
      const bool converged = change <= params.tol * scale;
      if (converged) out.status[r] = failed[r] ? ActiveSetMaxIterations : Converged;
      else if (failed[r]) out.status[r] = ActiveSetMaxIterations;
      if (!converged && t + 1 < params.maxIter) {
        next.push_back(r);
      } else if (out.energies) {
        final[r] = 1;
        next.push_back(r);
      } else {
        continue;
      }
      if (out.gram) keepWeights(pi, rowNonzeros[i], d, nextWeights.emplace_back());
    }
    active.swap(next);
    stateWeights.swap(nextWeights);
    nextWeights.clear();
  }
}

template <typename T>
int64_t firstNonFinite(const T* data, int64_t length, unsigned threads) {
  // Exponent bits all set: NaN or infinite. An integer test, so that the scan vectorises (a float
  // test would not without reassociation).
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr Bits exponent = static_cast<Bits>(sizeof(T) == 4 ? 0x7f800000ull : 0x7ff0000000000000ull);
  constexpr int64_t kBlock = int64_t{1} << 16;
  const int64_t blocks = (length + kBlock - 1) / kBlock;
  std::vector<uint8_t> blockBad(static_cast<size_t>(blocks));
  parallelFor(blocks, blocks < 16 ? 1u : threads, [&](unsigned, int64_t b) {
    const int64_t end = std::min(length, (b + 1) * kBlock);
    Bits bad = 0;
    for (int64_t i = b * kBlock; i < end; ++i) {
      Bits bits;
      std::memcpy(&bits, data + i, sizeof bits);
      bad |= (bits & exponent) == exponent;
    }
    blockBad[b] = bad != 0;
  });
  for (int64_t b = 0; b < blocks; ++b) {
    if (!blockBad[b]) continue;
    for (int64_t i = b * kBlock;; ++i) {
      if (!std::isfinite(data[i])) return i;
    }
  }
  return -1;
}

template void retrieve<float>(const float*, int64_t, int64_t, int64_t, const Params&, const Outputs<float>&);
template void retrieve<double>(const double*, int64_t, int64_t, int64_t, const Params&, const Outputs<double>&);
template int64_t firstNonFinite<float>(const float*, int64_t, unsigned);
template int64_t firstNonFinite<double>(const double*, int64_t, unsigned);

}  // namespace sshn::memory
