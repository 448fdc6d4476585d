// Closed-form local problems max a.x + s.v - 1/2 ||x||^2 over a factor's marginal polytope.
// Mirrors src/js/sparsemap/closedForm.ts line for line.
#pragma once
#include <cstdint>

namespace sshn::sparsemap {

enum class SumMode { AtMost = 0, Exact = 1, AtLeast = 2 };

// Entries closer than this to 0 or 1 count as on the boundary when reading off a face.
constexpr double kFaceTol = 1e-12;

// Euclidean projection of a[0..n) onto {x in [0,1]^n, c.x (<=, =, >=) k} (c = ones when costs is
// null), written to x. Returns the multiplier tau (x = clip(a - tau c, 0, 1)), or NaN when the sum
// constraint is not active.
double cappedProjection(const double* a, int64_t n, const double* costs, double k, SumMode mode, double* x);

// Jacobian-vector product of cappedProjection at the face of its solution x.
void cappedProjectionJvp(const double* x, int64_t n, const double* costs, bool active, const double* da, double* dx);

// Pair factor; writes (x1, x2, v) and returns the case for pairJvp.
int pairSolve(double a1, double a2, double s, double* out);
void pairJvp(int pairCase, const double* x, double da1, double da2, double ds, double* out);

}  // namespace sshn::sparsemap
