// Closed-form local problems max a.x + s.v - 1/2 ||x||^2 over a factor's marginal polytope.
// Mirrors src/js/sparsemap/closedForm.ts line for line.
#pragma once
#include <cstdint>
#include <vector>

namespace sshn::sparsemap {

enum class SumMode { AtMost = 0, Exact = 1, AtLeast = 2 };

// Entries closer than this to 0 or 1 count as on the boundary when reading off a face.
constexpr double kFaceTol = 1e-12;

// Euclidean projection of a[0..n) onto {x in [0,1]^n, c.x (<=, =, >=) k} (c = ones when costs is
// null), written to x (not overlapping a). Returns the multiplier tau (x = clip(a - tau c, 0, 1)),
// or NaN when the sum constraint is not active. Exact to about 2^-40 at any magnitude of a (the
// root is sought in coordinates shifted to a breakpoint near it); costs as normalisedCosts gives them.
double cappedProjection(const double* a, int64_t n, const double* costs, double k, SumMode mode, double* x);

// a b - c d to a few ulps of the result, however much the products cancel.
double differenceOfProducts(double a, double b, double c, double d);

// Knapsack costs and budget scaled by one power of two so that the largest cost is in [1, 2): the
// same polytope, with products of scores and costs far from overflow.
struct NormalisedCosts {
  std::vector<double> costs;
  double budget;
};
NormalisedCosts normalisedCosts(const double* costs, int64_t n, double budget);

// Jacobian-vector product of cappedProjection at the face of its solution x.
void cappedProjectionJvp(const double* x, int64_t n, const double* costs, bool active, const double* da, double* dx);

// Pair factor; writes (x1, x2, v) and returns the case for pairJvp.
int pairSolve(double a1, double a2, double s, double* out);
void pairJvp(int pairCase, const double* x, double da1, double da2, double ds, double* out);

// Which face of the OROUT polytope orOutProjection's solution lies on (for its Jacobian).
enum class OrOutFace { Clip = 0, SumFree = 1, SumOne = 2 };

// OROUT: Euclidean projection of a[0..n) (inputs, then the output) onto
// {(x, y) in [0,1]^n : x_i <= y <= sum_i x_i}, written to x with y last; `sorted` is scratch for n - 1.
OrOutFace orOutProjection(const double* a, int64_t n, double* x, double* sorted);

// Jacobian-vector product of orOutProjection at its solution x on `face`.
void orOutJvp(OrOutFace face, const double* x, int64_t n, const double* da, double* dx);

// A distribution over OROUT vertices with mean x (y last): every positive weight, at most
// `capacity` of them with their 0/1 labels (n apart, as values of u with x_i = 1 - u_i where
// flip[i]); returns how many weights are positive.
int64_t orOutDecompose(const double* x, int64_t n, const uint8_t* flip, int64_t capacity, double* weights, int32_t* labels);

}  // namespace sshn::sparsemap
