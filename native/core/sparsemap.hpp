// LP-SparseMAP (SPEC.md section 3): the flat factor-graph form shared with the TypeScript twin
// (src/kernels.ts FactorGraphData), ADMM with adaptive rho, the degree-1 shortcut, the linearised
// backward pass, and the batch wrappers. Mirrors src/js/sparsemap/solver.ts.
#pragma once
#include <cstdint>

namespace sshn::sparsemap {

enum class FactorKind : int32_t { Xor = 0, AtMostOne = 1, Or = 2, Budget = 3, Knapsack = 4, Pair = 5, OrOut = 6, Sequence = 7, SequenceBudget = 8, Dense = 9, Tree = 10 };

enum Status : int32_t { Converged = 0, MaxIterations = 1, ActiveSetMaxIterations = 2 };

// info layout (see src/kernels.ts).
enum Info { InfoStatus = 0, InfoIterations = 1, InfoPrimal = 2, InfoDual = 3, InfoRho = 4, InfoLocalScale = 5, InfoLength = 6 };

struct GraphView {
  int64_t nVariables = 0;
  int64_t nFactors = 0;
  const int32_t* kinds = nullptr;
  const int32_t* varStart = nullptr;
  const int32_t* vars = nullptr;
  const uint8_t* negated = nullptr;
  const int32_t* intStart = nullptr;
  const int32_t* ints = nullptr;
  const int32_t* realStart = nullptr;
  const double* reals = nullptr;
  const int32_t* addStart = nullptr;
  const int32_t* supportStart = nullptr;
  const int32_t* labelStart = nullptr;
};

struct Params {
  int64_t maxIter = 1000;
  double tol = 1e-6;
  double rhoInit = 0.1;
  bool adaptRho = true;
  int64_t maxActiveSetIter = 1000;
  int32_t objective = 0;  // 0: LP-SparseMAP; 1: LP-MAP (no quadratic)
};

struct Outputs {
  double* u;
  double* additionals;
  double* info;
  double* localInputs;
  int32_t* supportCount;
  double* supportWeights;
  int32_t* supportLabels;
};

// Largest score magnitude solve accepts (MAX_SCORE in src/sparsemap/index.ts): beyond it the solver overflows.
constexpr double kMaxScore = 1e150;

// Largest ratio between two costs of a Knapsack factor (MAX_COST_RATIO in src/kernels.ts): the solver
// scales costs so that the largest is near 1, and a score over the smallest must stay finite.
constexpr double kMaxCostRatio = 1e100;

// The distributions over structures a solve reported (Outputs' support fields), for backward.
struct Supports {
  const int32_t* count;
  const double* weights;
  const int32_t* labels;
};

struct GradOutputs {
  double* gradUnary;
  double* gradAdditional;
  double* info;
};

// Checks the graph's structure (offsets, indices, parameters); throws RangeError naming the problem.
// The array lengths themselves are checked by the caller from the offsets.
void validateGraph(const GraphView& graph);

void solve(const GraphView& graph, const double* unary, const double* additional, const Params& params, const Outputs& out);

// solve for each row of unary (rows x nVariables), rows in parallel; u, additionals and info per row.
void solveBatch(const GraphView& graph, const double* unary, int64_t rows, const double* additional, const Params& params, double* u,
                double* additionals, double* info, unsigned threads);

// Active-set factors are differentiated on the distributions the solve reported (see sparsemapBackward in solver.ts).
void backward(const GraphView& graph, const double* unary, const double* additional, const double* localInputs, double localScale,
              const Supports& supports, const double* gradU, const double* gradAdditional, const Params& params, const GradOutputs& out);

void kSubsetsBatch(const double* scores, int64_t rows, int64_t cols, int64_t k, double* out, unsigned threads);

// conjugate (rows entries, may be null) = max over the marginal polytope of <s, x> + bonus sum(v) - ||x||^2,
// the convex function whose gradient in the scores s is the marginals x (used for memory energies).
void sequentialKSubsetsBatch(const double* scores, int64_t rows, int64_t cols, int64_t k, double bonus, int64_t maxActiveSetIter,
                             double* out, uint8_t* status, unsigned threads, double* conjugate = nullptr);

void kSubsetsBackwardBatch(const double* scores, int64_t rows, int64_t cols, int64_t k, const double* grad, double* out, unsigned threads);

void sequentialKSubsetsBackwardBatch(const double* scores, int64_t rows, int64_t cols, int64_t k, double bonus, int64_t maxActiveSetIter,
                                     const double* grad, double* out, uint8_t* status, unsigned threads);

}  // namespace sshn::sparsemap
