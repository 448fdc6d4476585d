// One copy of the single-threaded GEMM blocks behind native/core/gemm.cpp, included by one translation
// unit per instruction set (gemm.cpp itself: the build's baseline; gemm_avx2.cpp, gemm_avx512.cpp:
// compiled with those flags). SSHN_GEMM_ISA names this copy's namespace. A wider copy also renames
// Eigen (SSHN_GEMM_EIGEN) so that none of its inline functions, compiled for instructions the CPU may
// lack, can stand in for the baseline's at link time; such units include nothing else of ours.
#pragma once
#include <cstdint>

#ifdef SSHN_GEMM_EIGEN
#define Eigen SSHN_GEMM_EIGEN
#endif
#include <Eigen/Core>

namespace sshn::gemm::SSHN_GEMM_ISA {

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using Block = Eigen::Map<RowMatrix<T>, 0, Eigen::OuterStride<>>;
template <typename T>
using ConstBlock = Eigen::Map<const RowMatrix<T>, 0, Eigen::OuterStride<>>;

// C (rows x cols, row stride ldc) = scale * A X^T; A rows x d (stride d), X cols x d (stride d).
template <typename T>
void scoresBlock(const T* a, int64_t rows, const T* x, int64_t cols, int64_t d, double scale, T* c, int64_t ldc) {
  const ConstBlock<T> queries(a, rows, d, Eigen::OuterStride<>(d));
  const ConstBlock<T> patterns(x, cols, d, Eigen::OuterStride<>(d));
  Block<T> out(c, rows, cols, Eigen::OuterStride<>(ldc));
  out.noalias() = queries * patterns.transpose();
  if (scale != 1) out *= static_cast<T>(scale);
}

// C (rows x cols, stride ldc) = P X; P rows x n (stride ldp), X n x cols (stride ldx).
template <typename T>
void productBlock(const T* p, int64_t rows, int64_t n, int64_t ldp, const T* x, int64_t cols, int64_t ldx, T* c, int64_t ldc) {
  const ConstBlock<T> weights(p, rows, n, Eigen::OuterStride<>(ldp));
  const ConstBlock<T> patterns(x, n, cols, Eigen::OuterStride<>(ldx));
  Block<T> out(c, rows, cols, Eigen::OuterStride<>(ldc));
  out.noalias() = weights * patterns;
}

template void scoresBlock<float>(const float*, int64_t, const float*, int64_t, int64_t, double, float*, int64_t);
template void scoresBlock<double>(const double*, int64_t, const double*, int64_t, int64_t, double, double*, int64_t);
template void productBlock<float>(const float*, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, float*, int64_t);
template void productBlock<double>(const double*, int64_t, int64_t, int64_t, const double*, int64_t, int64_t, double*, int64_t);

}  // namespace sshn::gemm::SSHN_GEMM_ISA

#ifdef SSHN_GEMM_EIGEN
#undef Eigen
#endif
