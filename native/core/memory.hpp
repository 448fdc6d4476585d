// Hopfield-Fenchel-Young memories (SPEC section 4): the update q <- X^T yhat(beta X q) over a memory
// X of n patterns (rows) of dimension d, for a batch of queries, with the energy
// E(q) = -(1/beta) Omega*(beta X q) + 1/2 ||q||^2. Mirrors src/js/memory.ts step for step.
#pragma once
#include <cstdint>

namespace sshn::memory {

// The transforms of native/core/transforms (same codes) plus sequential k-subsets (LP-SparseMAP).
enum class Kind : int { Softmax = 0, Sparsemax = 1, Entmax = 2, Normmax = 3, KSubsets = 4, SequentialKSubsets = 5 };

enum Status : uint8_t { Converged = 0, MaxIterations = 1, ActiveSetMaxIterations = 2 };

struct Params {
  Kind kind;
  double param;  // alpha (Entmax), gamma (Normmax), k (KSubsets, SequentialKSubsets)
  double bonus;  // SequentialKSubsets: score of each selected -> selected transition
  double beta;   // > 0
  int64_t maxIter;
  // A row stops once max_j |q_new_j - q_j| <= tol * max(1, max_j |q_j|); 0 = only at an exact fixed point.
  double tol;
  double supportThreshold;  // support = entries of the final p above this
  int64_t maxActiveSetIter;
  unsigned threads;
};

template <typename T>
struct Outputs {
  T* states;            // count x d, holds the queries on entry
  T* weights;           // count x n: the p that produced the final state (maxIter 0: yhat(beta X q)); may be null
  int32_t* support;     // count
  int32_t* iterations;  // count
  uint8_t* status;      // count
  double* energies;     // count x (maxIter + 1): E(q_0..q_iterations), then NaN; null = not computed
  // count x n: beta X q of the queries, taken for the first update instead of computed; may be null
  const T* firstScores = nullptr;
  // scratchLength(count, n) entries: room for the scores and weights of a pass, so that a caller
  // running many blocks of queries pays the page faults of these large buffers once; null =
  // allocated here
  T* scratch = nullptr;
  // n x n: X X^T (gemm::gram); when given, a later pass computes the scores of a state whose
  // weights have few nonzeros, q = sum_j p_j x_j, as beta sum_j p_j G_j, without the product by X;
  // null = every pass by the product
  T* gram = nullptr;
  // n flags, with gram: row j of gram holds X x_j where gramReady[j] != 0; a pass computes the
  // rows it needs that are missing (the scores of their patterns, as gemm::gram's rows) and flags
  // them, so that the rows are filled on demand and only those ever used touch memory. Null = every
  // row is filled (gram is only read).
  uint8_t* gramReady = nullptr;
};

// Entries of Outputs::scratch: two 64-byte aligned regions of count x n (Eigen's small products
// round by the destination's alignment, so the buffers' must not vary from call to call).
constexpr int64_t kScratchAlign = 16;
inline int64_t scratchLength(int64_t count, int64_t n) {
  return 2 * ((count * n + kScratchAlign - 1) / kScratchAlign * kScratchAlign) + kScratchAlign;
}

// Runs the updates for `count` queries (already in out.states) against patterns (n x d, row-major).
template <typename T>
void retrieve(const T* patterns, int64_t n, int64_t d, int64_t count, const Params& params, const Outputs<T>& out);

// The index of the first NaN or infinite entry, or -1 when all are finite.
template <typename T>
int64_t firstNonFinite(const T* data, int64_t length, unsigned threads);

}  // namespace sshn::memory
