#include "binary_hopfield.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "bits.hpp"
#include "errors.hpp"
#include "parallel.hpp"
#include "rng.hpp"

namespace sshn::binary {
namespace {

// acc_i = sum_j W_ij s_j. Integer weights sum exactly in int64 (order-free); real weights sum in
// index order, four rows at a time to hide add latency without changing any row's order.
template <typename W>
void computeFields(const NetworkView<W>& net, const int8_t* s, double* acc) {
  const int64_t n = net.n;
  if constexpr (std::is_integral_v<W>) {
    // int8/int16 counts cannot overflow an int32 sum within the size limits (n < 2^16 for int16
    // weights under 4 GiB), and int32 sums vectorise best; int32 counts sum in int64.
    using Sum = std::conditional_t<(sizeof(W) <= 2), int32_t, int64_t>;
    for (int64_t i = 0; i < n; ++i) {
      const W* row = net.weights + i * n;
      Sum sum = 0;
      for (int64_t j = 0; j < n; ++j) sum += static_cast<Sum>(row[j]) * s[j];
      acc[i] = static_cast<double>(sum);
    }
  } else {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      const W* r0 = net.weights + i * n;
      const W* r1 = r0 + n;
      const W* r2 = r1 + n;
      const W* r3 = r2 + n;
      double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (int64_t j = 0; j < n; ++j) {
        const double sj = s[j];
        a0 += r0[j] * sj;
        a1 += r1[j] * sj;
        a2 += r2[j] * sj;
        a3 += r3[j] * sj;
      }
      acc[i] = a0;
      acc[i + 1] = a1;
      acc[i + 2] = a2;
      acc[i + 3] = a3;
    }
    for (; i < n; ++i) {
      const W* row = net.weights + i * n;
      double a = 0;
      for (int64_t j = 0; j < n; ++j) a += row[j] * static_cast<double>(s[j]);
      acc[i] = a;
    }
  }
}

template <typename W>
double energyFromFields(const NetworkView<W>& net, const int8_t* s, const double* acc) {
  double quadratic = 0;
  double linear = 0;
  for (int64_t i = 0; i < net.n; ++i) {
    quadratic += s[i] * acc[i];
    if (net.thresholds) linear += net.thresholds[i] * s[i];
  }
  return -0.5 * net.scale * quadratic + linear;
}

template <typename W>
inline double threshold(const NetworkView<W>& net, int64_t i) {
  return net.thresholds ? net.thresholds[i] : 0.0;
}

// Neuron i changed sign to newSign: every acc_k moves by W_ki * (newSign - oldSign).
template <typename W>
inline void applyFlip(const NetworkView<W>& net, double* acc, int64_t i, int8_t newSign) {
  const double delta = 2.0 * newSign;
  const W* column = net.weightsT + i * net.n;
  for (int64_t k = 0; k < net.n; ++k) acc[k] += delta * column[k];
}

// The local fields of every neuron, updated on each flip from one row of W: O(n) per flip.
template <typename W>
class MatrixFields {
 public:
  MatrixFields(const NetworkView<W>& net, double* acc) : net_(net), acc_(acc) {}
  void reset(const int8_t* s) { computeFields(net_, s, acc_); }
  double field(const int8_t*, int64_t i) const { return net_.scale * acc_[i] - threshold(net_, i); }
  void flip(int64_t i, int8_t sign) { applyFlip(net_, acc_, i, sign); }
  double energy(const int8_t* s) const { return energyFromFields(net_, s, acc_); }
  void endSweep(const int8_t*, int64_t) {}
  // Sets acc_i = sum_j W_ij s_j, computed elsewhere (from the overlaps).
  void setCountSum(int64_t i, int64_t countSum) { acc_[i] = static_cast<double>(countSum); }

 private:
  const NetworkView<W>& net_;
  double* acc_;
};

// Hebbian counts are X^T X (less p on a zeroed diagonal), so the fields follow from the p overlaps
// m = X s: O(p) per flip and per field instead of O(n). All sums are exact integers, so the results
// equal MatrixFields' bit for bit. Overlaps fit int32 (|m| <= n); a field sum fits Sum.
template <typename W, typename Sum>
class PatternFields {
 public:
  PatternFields(const NetworkView<W>& net, int32_t* overlaps) : net_(net), m_(overlaps) {}

  void reset(const int8_t* s) {
    const int64_t p = net_.patternCount;
    std::fill(m_, m_ + p, int32_t{0});
    for (int64_t i = 0; i < net_.n; ++i) {
      const int8_t* x = net_.patternsT + i * p;
      const int32_t si = s[i];
      for (int64_t mu = 0; mu < p; ++mu) m_[mu] += x[mu] * si;
    }
  }

  // sum_j W_ij s_j = x_i . m - offset s_i, exactly.
  int64_t countSum(const int8_t* s, int64_t i) const {
    const int64_t p = net_.patternCount;
    const int8_t* x = net_.patternsT + i * p;
    Sum sum = 0;
    for (int64_t mu = 0; mu < p; ++mu) sum += static_cast<Sum>(x[mu]) * m_[mu];
    return static_cast<int64_t>(sum) - net_.diagonalOffset * s[i];
  }

  double field(const int8_t* s, int64_t i) const {
    return net_.scale * static_cast<double>(countSum(s, i)) - threshold(net_, i);
  }

  void flip(int64_t i, int8_t sign) {
    const int64_t p = net_.patternCount;
    const int8_t* x = net_.patternsT + i * p;
    const int32_t delta = 2 * sign;
    for (int64_t mu = 0; mu < p; ++mu) m_[mu] += delta * x[mu];
  }

  // sum_i s_i acc_i = |m|^2 - offset * n; the linear term sums in index order as MatrixFields does.
  double energy(const int8_t* s) const {
    int64_t quadratic = -net_.diagonalOffset * net_.n;
    for (int64_t mu = 0; mu < net_.patternCount; ++mu) quadratic += static_cast<int64_t>(m_[mu]) * m_[mu];
    double linear = 0;
    for (int64_t i = 0; i < net_.n; ++i) {
      if (net_.thresholds) linear += net_.thresholds[i] * s[i];
    }
    return -0.5 * net_.scale * static_cast<double>(quadratic) + linear;
  }

  void endSweep(const int8_t*, int64_t) {}

 private:
  const NetworkView<W>& net_;
  int32_t* m_;
};

// Overlap fields, then matrix fields for the late sweeps of a recall, which flip few neurons: each
// then costs O(n) plus O(n) per flip instead of O(n p). After a sweep that flipped fewer than 2p
// neurons, the next sweep records each field it computes and applies its flips to the recorded
// fields too, so matrix fields are ready after it for O(n) per flip, not another O(n p) pass.
// Same exact integer fields throughout, so the same results.
template <typename W, typename Sum>
class OverlapsThenMatrixFields {
 public:
  OverlapsThenMatrixFields(const NetworkView<W>& net, int32_t* overlaps, double* acc)
      : net_(net), overlaps_(net, overlaps), matrix_(net, acc) {}
  void reset(const int8_t* s) {
    stage_ = Stage::Overlaps;
    overlaps_.reset(s);
  }
  double field(const int8_t* s, int64_t i) {
    if (stage_ == Stage::Overlaps) return overlaps_.field(s, i);
    if (stage_ == Stage::Recording) matrix_.setCountSum(i, overlaps_.countSum(s, i));
    return matrix_.field(s, i);
  }
  void flip(int64_t i, int8_t sign) {
    if (stage_ != Stage::Matrix) overlaps_.flip(i, sign);
    if (stage_ != Stage::Overlaps) matrix_.flip(i, sign);
  }
  double energy(const int8_t* s) const { return stage_ == Stage::Matrix ? matrix_.energy(s) : overlaps_.energy(s); }
  void endSweep(const int8_t*, int64_t flips) {
    if (stage_ == Stage::Recording) {
      stage_ = Stage::Matrix;
    } else if (stage_ == Stage::Overlaps && flips < 2 * net_.patternCount) {
      stage_ = Stage::Recording;
    }
  }

 private:
  enum class Stage { Overlaps, Recording, Matrix };
  const NetworkView<W>& net_;
  PatternFields<W, Sum> overlaps_;
  MatrixFields<W> matrix_;
  Stage stage_ = Stage::Overlaps;
};

uint64_t hashState(const int8_t* s, int64_t n) {
  uint64_t h = 1469598103934665603ull;
  for (int64_t i = 0; i < n; ++i) h = (h ^ static_cast<uint8_t>(s[i])) * 1099511628211ull;
  return h;
}

struct Scratch {
  std::vector<double> acc;
  std::vector<int32_t> overlaps;
  std::vector<uint32_t> order;
  std::vector<int8_t> next;
  std::vector<int8_t> history;
  std::vector<uint64_t> historyHash;
};

template <typename Fields>
void recallOne(Fields& fields, int64_t n, const int8_t* cue, const RecallParams& params, uint32_t stream,
               Scratch& scratch, int8_t* s, int32_t& sweepsOut, uint8_t& statusOut, int32_t& cycleOut,
               double* energies) {
  std::memcpy(s, cue, static_cast<size_t>(n));
  fields.reset(s);
  if (energies) energies[0] = fields.energy(s);

  Rng rng(params.seed, stream);
  uint32_t* order = scratch.order.data();
  for (int64_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);

  if (params.mode == Mode::Sync) {
    scratch.history.assign(s, s + n);
    scratch.historyHash.assign(1, hashState(s, n));
  }

  Status status = Status::MaxSweeps;
  int32_t cycleLength = 0;
  int32_t sweep = 0;
  while (sweep < params.maxSweeps) {
    ++sweep;
    int64_t flips = 0;
    if (params.mode == Mode::Sync) {
      int8_t* next = scratch.next.data();
      for (int64_t i = 0; i < n; ++i) next[i] = fields.field(s, i) >= 0 ? 1 : -1;
      for (int64_t i = 0; i < n; ++i) {
        if (next[i] != s[i]) {
          s[i] = next[i];
          fields.flip(i, s[i]);
          ++flips;
        }
      }
    } else {
      // Fisher-Yates reshuffle of the visiting order, one per sweep.
      for (int64_t i = n - 1; i > 0; --i) {
        const uint32_t j = rng.below(static_cast<uint32_t>(i + 1));
        std::swap(order[i], order[j]);
      }
      for (int64_t k = 0; k < n; ++k) {
        const int64_t i = order[k];
        const double h = fields.field(s, i);
        int8_t sign;
        if (params.mode == Mode::Async) {
          sign = h >= 0 ? 1 : -1;
        } else {
          const double pPlus = 1.0 / (1.0 + std::exp(-2.0 * h / params.temperature));
          sign = rng.nextDouble() < pPlus ? 1 : -1;
        }
        if (sign != s[i]) {
          s[i] = sign;
          fields.flip(i, sign);
          ++flips;
        }
      }
    }
    if (energies) energies[sweep] = fields.energy(s);
    if (flips == 0) {
      status = Status::Converged;
      break;
    }
    fields.endSweep(s, flips);
    if (params.mode == Mode::Sync) {
      const uint64_t hash = hashState(s, n);
      const int32_t previous = static_cast<int32_t>(scratch.historyHash.size());  // states 0..sweep-1
      for (int32_t t = previous - 1; t >= 0; --t) {
        if (scratch.historyHash[t] == hash && std::memcmp(scratch.history.data() + t * n, s, n) == 0) {
          cycleLength = sweep - t;
          break;
        }
      }
      if (cycleLength > 0) {
        status = Status::Cycle;
        break;
      }
      scratch.history.insert(scratch.history.end(), s, s + n);
      scratch.historyHash.push_back(hash);
    }
  }
  if (energies) {
    for (int32_t t = sweep + 1; t <= params.maxSweeps; ++t) energies[t] = std::numeric_limits<double>::quiet_NaN();
  }
  sweepsOut = sweep;
  statusOut = static_cast<uint8_t>(status);
  cycleOut = cycleLength;
}

}  // namespace

template <typename W>
double energy(const NetworkView<W>& net, const int8_t* state) {
  std::vector<double> acc(static_cast<size_t>(net.n));
  computeFields(net, state, acc.data());
  return energyFromFields(net, state, acc.data());
}

template <typename W>
void recallBatch(const NetworkView<W>& net, const int8_t* cues, int64_t count, const RecallParams& params,
                 const RecallOutputs& out) {
  const int64_t n = net.n;
  if (n <= 0) throw RangeError("n must be positive");
  if (params.maxSweeps < 1) throw RangeError("maxSweeps must be at least 1");
  if (params.mode == Mode::Stochastic && !(params.temperature > 0)) throw RangeError("temperature must be > 0");
  const unsigned threads = std::max(1u, params.threads);
  std::vector<Scratch> scratch(std::min<int64_t>(threads, std::max<int64_t>(count, 1)));
  const bool usePatterns = params.patternFields;
  // |field sum| <= p n; int32 sums vectorise best.
  const bool narrowSums = static_cast<double>(net.patternCount) * static_cast<double>(n) < 2147483647.0;
  if (usePatterns && (!net.patternsT || net.patternCount < 1)) throw TypeError("pattern fields need the stored patterns");
  for (auto& sc : scratch) {
    if (usePatterns) sc.overlaps.resize(static_cast<size_t>(net.patternCount));
    if (!usePatterns || params.matrixWhenSettled) sc.acc.resize(static_cast<size_t>(n));
    sc.order.resize(static_cast<size_t>(n));
    sc.next.resize(static_cast<size_t>(n));
  }
  const int64_t energyStride = static_cast<int64_t>(params.maxSweeps) + 1;
  parallelFor(count, static_cast<unsigned>(scratch.size()), [&](unsigned worker, int64_t item) {
    Scratch& sc = scratch[worker];
    const auto run = [&](auto& fields) {
      recallOne(fields, n, cues + item * n, params, static_cast<uint32_t>(item), sc, out.states + item * n,
                out.sweeps[item], out.status[item], out.cycleLength[item],
                out.energies ? out.energies + item * energyStride : nullptr);
    };
    if (usePatterns && params.matrixWhenSettled && narrowSums) {
      OverlapsThenMatrixFields<W, int32_t> fields(net, sc.overlaps.data(), sc.acc.data());
      run(fields);
    } else if (usePatterns && params.matrixWhenSettled) {
      OverlapsThenMatrixFields<W, int64_t> fields(net, sc.overlaps.data(), sc.acc.data());
      run(fields);
    } else if (usePatterns && narrowSums) {
      PatternFields<W, int32_t> fields(net, sc.overlaps.data());
      run(fields);
    } else if (usePatterns) {
      PatternFields<W, int64_t> fields(net, sc.overlaps.data());
      run(fields);
    } else {
      MatrixFields<W> fields(net, sc.acc.data());
      run(fields);
    }
  });
}

namespace {

// counts_ij += p - 2 popcount(bits_i xor bits_j) over whole rows (each pair counted twice) so the
// writes stay sequential, which beats mirrored column writes once the matrix outgrows the cache.
template <typename W>
SSHN_ALWAYS_INLINE void hebbianRows(const uint64_t* bits, int64_t words, int64_t p, int64_t n,
                                                       W* counts) {
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t* bi = bits + i * words;
    W* row = counts + i * n;
    for (int64_t j = 0; j < n; ++j) {
      const uint64_t* bj = bits + j * words;
      int64_t differing = 0;
      for (int64_t w = 0; w < words; ++w) differing += popcount64(bi[w] ^ bj[w]);
      row[j] = static_cast<W>(row[j] + (p - 2 * differing));
    }
  }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
// Portable x86-64 binaries lack the popcnt instruction by default; use it when the CPU has it.
template <typename W>
__attribute__((target("popcnt"))) void hebbianRowsPopcnt(const uint64_t* bits, int64_t words, int64_t p, int64_t n,
                                                          W* counts) {
  hebbianRows(bits, words, p, n, counts);
}
#endif

}  // namespace

template <typename W>
void hebbianAccumulate(const int8_t* patterns, int64_t p, int64_t n, W* counts, bool zeroDiagonal) {
  // Pack, per neuron, one bit per pattern (set where the pattern is -1): then
  // sum_mu x_i x_j = p - 2 popcount(bits_i xor bits_j), 64 patterns per instruction.
  const int64_t words = (p + 63) / 64;
  std::vector<uint64_t> bits(checkedProduct(static_cast<size_t>(n), static_cast<size_t>(words), "pattern bits"), 0);
  for (int64_t mu = 0; mu < p; ++mu) {
    const int8_t* x = patterns + mu * n;
    const uint64_t mask = uint64_t{1} << (mu % 64);
    for (int64_t i = 0; i < n; ++i) {
      if (x[i] < 0) bits[i * words + mu / 64] |= mask;
    }
  }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  if (__builtin_cpu_supports("popcnt")) {
    hebbianRowsPopcnt(bits.data(), words, p, n, counts);
  } else {
    hebbianRows(bits.data(), words, p, n, counts);
  }
#else
  hebbianRows(bits.data(), words, p, n, counts);
#endif
  if (zeroDiagonal) {
    for (int64_t i = 0; i < n; ++i) counts[i * n + i] = W{0};
  }
}

void storkeyAccumulate(const int8_t* patterns, int64_t p, int64_t n, double* weights) {
  std::vector<double> local(static_cast<size_t>(n));
  const double invN = 1.0 / static_cast<double>(n);
  for (int64_t mu = 0; mu < p; ++mu) {
    const int8_t* x = patterns + mu * n;
    // local_i = sum_j w_ij x_j with w_ii = 0, so h_ij = local_i - w_ij x_j.
    computeFields(NetworkView<double>{weights, weights, 1.0, nullptr, n}, x, local.data());
    // Row by row in place: entry (i, j) reads the old w_ij, and the old w_ji = w_ij is still in
    // row j, untouched until row j is rewritten. The update is written symmetric in (i, j) so both
    // triangles get identical bits.
    for (int64_t i = 0; i < n; ++i) {
      const double xi = x[i];
      const double localI = local[i];
      double* row = weights + i * n;
      for (int64_t j = 0; j < n; ++j) {
        if (j == i) continue;
        const double xj = x[j];
        const double w = row[j];
        const double hij = localI - w * xj;
        const double hji = local[j] - w * xi;
        row[j] = w + (xi * xj - (xi * hji + hij * xj)) * invN;
      }
    }
  }
}

int64_t pseudoinverseWeights(const int8_t* patterns, int64_t p, int64_t n, double* weights, bool zeroDiagonal) {
  // Gram matrix of the patterns (exact integers).
  std::vector<double> gram(checkedProduct(static_cast<size_t>(p), static_cast<size_t>(p), "Gram matrix"));
  for (int64_t a = 0; a < p; ++a) {
    for (int64_t b = 0; b <= a; ++b) {
      int64_t dot = 0;
      for (int64_t i = 0; i < n; ++i) dot += patterns[a * n + i] * patterns[b * n + i];
      gram[a * p + b] = gram[b * p + a] = static_cast<double>(dot);
    }
  }
  // Cholesky of the Gram matrix restricted to linearly independent patterns (in order).
  std::vector<int64_t> kept;
  std::vector<double> chol(static_cast<size_t>(p * p), 0.0);  // rows indexed by kept position
  for (int64_t k = 0; k < p; ++k) {
    const int64_t m = static_cast<int64_t>(kept.size());
    double* row = chol.data() + m * p;
    for (int64_t a = 0; a < m; ++a) {
      double v = gram[k * p + kept[a]];
      const double* rowA = chol.data() + a * p;
      for (int64_t b = 0; b < a; ++b) v -= row[b] * rowA[b];
      row[a] = v / rowA[a];
    }
    double d = gram[k * p + k];
    for (int64_t b = 0; b < m; ++b) d -= row[b] * row[b];
    if (d > 1e-9 * gram[k * p + k]) {
      row[m] = std::sqrt(d);
      kept.push_back(k);
    } else {
      std::fill(row, row + p, 0.0);
    }
  }
  const int64_t m = static_cast<int64_t>(kept.size());
  // coef = G_KK^{-1} X_K by forward then backward substitution (m x n).
  std::vector<double> coef(checkedProduct(static_cast<size_t>(m), static_cast<size_t>(n), "coefficients"));
  for (int64_t a = 0; a < m; ++a) {
    const int8_t* x = patterns + kept[a] * n;
    double* out = coef.data() + a * n;
    for (int64_t i = 0; i < n; ++i) out[i] = x[i];
    const double* row = chol.data() + a * p;
    for (int64_t b = 0; b < a; ++b) {
      const double l = row[b];
      const double* prev = coef.data() + b * n;
      for (int64_t i = 0; i < n; ++i) out[i] -= l * prev[i];
    }
    const double diag = row[a];
    for (int64_t i = 0; i < n; ++i) out[i] /= diag;
  }
  for (int64_t a = m - 1; a >= 0; --a) {
    double* out = coef.data() + a * n;
    for (int64_t b = a + 1; b < m; ++b) {
      const double l = chol[b * p + a];
      const double* later = coef.data() + b * n;
      for (int64_t i = 0; i < n; ++i) out[i] -= l * later[i];
    }
    const double diag = chol[a * p + a];
    for (int64_t i = 0; i < n; ++i) out[i] /= diag;
  }
  // weights = X_K^T coef, a block of rows at a time so coef stays in cache; each entry sums over a
  // in order. Then symmetrise exactly.
  std::fill(weights, weights + n * n, 0.0);
  const int64_t block = 16;
  for (int64_t i0 = 0; i0 < n; i0 += block) {
    const int64_t i1 = std::min(n, i0 + block);
    for (int64_t a = 0; a < m; ++a) {
      const int8_t* x = patterns + kept[a] * n;
      const double* c = coef.data() + a * n;
      for (int64_t i = i0; i < i1; ++i) {
        double* row = weights + i * n;
        if (x[i] > 0) {
          for (int64_t j = 0; j < n; ++j) row[j] += c[j];
        } else {
          for (int64_t j = 0; j < n; ++j) row[j] -= c[j];
        }
      }
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) {
      const double mean = 0.5 * (weights[i * n + j] + weights[j * n + i]);
      weights[i * n + j] = weights[j * n + i] = mean;
    }
    if (zeroDiagonal) weights[i * n + i] = 0.0;
  }
  return m;
}

#define SSHN_INSTANTIATE(W)                                                                              \
  template double energy<W>(const NetworkView<W>&, const int8_t*);                                      \
  template void recallBatch<W>(const NetworkView<W>&, const int8_t*, int64_t, const RecallParams&, \
                               const RecallOutputs&);
SSHN_INSTANTIATE(int8_t)
SSHN_INSTANTIATE(int16_t)
SSHN_INSTANTIATE(int32_t)
SSHN_INSTANTIATE(double)
#undef SSHN_INSTANTIATE

template void hebbianAccumulate<int8_t>(const int8_t*, int64_t, int64_t, int8_t*, bool);
template void hebbianAccumulate<int16_t>(const int8_t*, int64_t, int64_t, int16_t*, bool);
template void hebbianAccumulate<int32_t>(const int8_t*, int64_t, int64_t, int32_t*, bool);

}  // namespace sshn::binary
