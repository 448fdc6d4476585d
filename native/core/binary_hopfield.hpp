// Classical binary (+-1) Hopfield networks: storage rules, recall dynamics and energy.
// Every floating-point sum runs in the same order as the TypeScript twin (src/js/binaryHopfield.ts),
// and the build disables FMA contraction, so both backends produce identical bits.
#pragma once
#include <cstdint>

namespace sshn::binary {

enum class Mode : int { Sync = 0, Async = 1, Stochastic = 2 };
enum class Status : uint8_t { Converged = 0, Cycle = 1, MaxSweeps = 2 };

// A read-only view of a network. Weights are row-major n x n, stored either as integer Hebbian
// counts (scale = 1/n) or as real values (scale = 1). weightsT is the transpose, used for the
// incremental field update; it aliases weights when the matrix is symmetric. Hebbian networks may
// also give their patterns neuron-major (n x p), with counts = X^T X - diagonalOffset I.
// Callers keep |W_ij scale| and |U_i| <= 1e150 (the API refuses more, MAX_WEIGHT in src/kernels.ts):
// then no field or energy exceeds n^2 1e150, far from overflow, so none is Infinity or NaN.
template <typename W>
struct NetworkView {
  const W* weights;
  const W* weightsT;
  double scale;
  const double* thresholds;  // nullptr means all zero
  int64_t n;
  const int8_t* patternsT = nullptr;
  int64_t patternCount = 0;
  int64_t diagonalOffset = 0;  // p when the diagonal is zeroed, else 0
};

struct RecallParams {
  Mode mode = Mode::Async;
  int32_t maxSweeps = 100;
  double seed = 0;
  double temperature = 1;
  bool trackEnergy = true;
  unsigned threads = 1;
  bool patternFields = false;  // fields from the pattern overlaps (Hebbian networks with p << n)
  bool matrixWhenSettled = false;  // with patternFields: matrix fields once a sweep flips < 2p neurons
};

// Outputs of a batch of `count` recalls; arrays are caller-owned.
struct RecallOutputs {
  int8_t* states;        // count x n
  int32_t* sweeps;       // count
  uint8_t* status;       // count, a Status
  int32_t* cycleLength;  // count, 0 unless status == Cycle
  double* energies;      // count x (maxSweeps + 1), or nullptr; NaN after the last sweep
};

template <typename W>
double energy(const NetworkView<W>& net, const int8_t* state);

template <typename W>
void recallBatch(const NetworkView<W>& net, const int8_t* cues, int64_t count, const RecallParams& params,
                 const RecallOutputs& out);

// counts += sum over patterns of x x^T (p patterns of n, row-major); the diagonal is zeroed when asked.
template <typename W>
void hebbianAccumulate(const int8_t* patterns, int64_t p, int64_t n, W* counts, bool zeroDiagonal);

// Storkey (1997) learning rule, applied pattern by pattern to real weights with zero diagonal.
void storkeyAccumulate(const int8_t* patterns, int64_t p, int64_t n, double* weights);

// Projection (pseudo-inverse) rule: weights = projection onto the span of the patterns; linearly
// dependent patterns are skipped. Returns the rank used.
int64_t pseudoinverseWeights(const int8_t* patterns, int64_t p, int64_t n, double* weights, bool zeroDiagonal);

}  // namespace sshn::binary
