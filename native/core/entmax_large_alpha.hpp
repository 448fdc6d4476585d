// alpha-entmax with alpha > 2, where p = [y - tau]_+^q, y = (alpha - 1)(x - max), q = 1/(alpha - 1) < 1,
// and its Jacobian's weights p^(2 - alpha) leave the double range (used by transforms.cpp; twin of
// src/js/entmaxLargeAlpha.ts).
//
// Derivatives: g = p^(2 - alpha) grows without bound as p -> 0 (p^-998 overflows for p < 0.49 at
// alpha = 1000) where J v and d p / d alpha stay finite, so they work with base-2 logarithms of g.
//
// Forward: an entry whose y lies just above tau has p = (y - tau)^q far above y - tau (at
// alpha = 100, p = 0.007 for y - tau = 1e-213), so the few ulps to which tau itself is known decide
// its p and, through sum p = 1, everyone's: [0, -0.5/99] gave [0.588, 0.412] at alpha = 100, not
// [0.993, 0.007]. There the threshold is written from the support's smallest score b instead,
// tau = b - eps, and solved for w = p at b = eps^q in logarithms: y - tau = (y - b) + eps with y - b
// exact or nearly and eps = w^(alpha - 1) never formed (it underflows at alpha = 1000).
#pragma once
#include <cstddef>

namespace sshn::transforms::detail {

// w = g / max g = 2^((2 - alpha)(log2 p - log2 min p)) in (0, 1] on the support, 0 off it.
void relativeWeights(const double* p, size_t n, double alpha, double* w);

// out = J v = g (v - mean), mean = <g, v> / sum g. The mean is taken relative to v at the largest g
// and summed scaled by a power of two that puts its largest term near 1 (the weights' ratios may
// span more than the double range), and each output is formed in base-2 logarithms, so that it
// overflows only where J v does.
void largeAlphaJvp(const double* p, size_t n, double alpha, const double* v, double* out);

struct Boundary {
  double b;       // the smallest support score: the support is y >= b
  double w;       // p at y = b
  double logEps;  // log(b - tau) = (alpha - 1) log w
};

// Whether tau, found for the candidates y[0, n) (every score that may be in the support), lies so
// close to one of them that its last ulps move some p by more than about 1e-13 (q t^(q-1) times 4
// ulps of tau, t the distance).
bool boundaryUnresolved(const double* y, size_t n, double tau, double q);

// The support and threshold from a tau good to a few ulps (the support may gain or lose the
// entries within them).
Boundary solveBoundary(const double* y, size_t n, double tau, double q);

// p at the score y (the candidates' units).
double boundaryProbability(double y, const Boundary& boundary, double q);

}  // namespace sshn::transforms::detail
