// Sparse transformations yhat(theta) = argmax_{p in simplex} <theta,p> - Omega(p) (SPEC section 2),
// row by row over a row-major batch. Storage is float or double; every row is computed in double
// and rounded once on output, exactly as the TypeScript twin (src/js/transforms.ts) does.
#pragma once
#include <cstdint>

namespace sshn::transforms {

enum class Kind : int { Softmax = 0, Sparsemax = 1, Entmax = 2, Normmax = 3, KSubsets = 4 };

struct Params {
  Kind kind;
  double param;  // alpha (Entmax, > 1), gamma (Normmax, > 1), k (KSubsets); unused otherwise
  int64_t rows;
  int64_t cols;
  unsigned threads;  // rows are spread over this many threads (results do not depend on it)
};

// out = yhat(x) per row. support (rows entries, may be null) = count of nonzero outputs;
// conjugate (rows entries, may be null) = Omega*(x_row) = <x,p> - Omega(p) (conventions in
// src/transforms/index.ts). -Infinity entries are masked; NaN, +Infinity or an all -Infinity row
// throw sshn::RangeError.
template <typename T>
void forward(const Params& params, const T* x, T* out, int32_t* support, double* conjugate);

// out = J(x) v per row (J is symmetric, so this is also v^T J).
template <typename T>
void jvp(const Params& params, const T* x, const T* v, T* out);

// out = d yhat / d alpha per row, for Entmax with alpha > 1.
template <typename T>
void alphaGradient(const Params& params, const T* x, T* out);

}  // namespace sshn::transforms
