// alpha-entmax with alpha > 2, where p = [y - tau]_+^q, y = (alpha - 1)(x - max), q = 1/(alpha - 1) < 1,
// and its Jacobian's weights p^(2 - alpha) leave the double range (used by transforms.cpp; twin of
// src/js/entmaxLargeAlpha.ts).
//
// Derivatives: g = p^(2 - alpha) grows without bound as p -> 0 (p^-998 overflows for p < 0.49 at
// alpha = 1000) where J v and d p / d alpha stay finite, so they work with base-2 logarithms of g.
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

}  // namespace sshn::transforms::detail
