// The two matrix products of Hopfield memories, multi-threaded: the scores by register tiles
// (gemm_kernels.hpp) where the CPU has AVX2 or AVX-512, else, and the read-out always, by Eigen's
// blocked kernels.
// X is the memory (n x d, row-major); every matrix is row-major and dense.
#pragma once
#include <cstdint>

namespace sshn::gemm {

// C (rows x n) = scale * (A X^T), A rows x d: the scores of `rows` queries against every pattern.
template <typename T>
void scores(const T* a, int64_t rows, const T* x, int64_t n, int64_t d, double scale, T* c, unsigned threads);

// G (n x n) = X X^T. With the tiled kernel (AVX2, AVX-512), row i is bitwise the scores of x_i
// (scale 1) in a batch of 4 or more queries.
template <typename T>
void gram(const T* x, int64_t n, int64_t d, T* g, unsigned threads);

// C (rows x d) = P X, P rows x n: the states read out from the weights over the patterns.
template <typename T>
void readout(const T* p, int64_t rows, const T* x, int64_t n, int64_t d, T* c, unsigned threads);

// The instruction set of the kernels in use: "baseline", "avx2" or "avx512".
const char* kernelName();

}  // namespace sshn::gemm
