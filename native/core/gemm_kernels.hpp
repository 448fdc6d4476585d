// One copy of the single-threaded GEMM blocks behind native/core/gemm.cpp, included by one translation
// unit per instruction set (gemm.cpp itself: the build's baseline; kernels_avx2.cpp, kernels_avx512.cpp:
// compiled with those flags). SSHN_ISA names this copy's namespace. A wider copy also renames
// Eigen (SSHN_ISA_EIGEN) so that none of its inline functions, compiled for instructions the CPU may
// lack, can stand in for the baseline's at link time; such units include nothing else of ours but
// exp_kernels.hpp (which calls no library code).
#pragma once
#include <algorithm>
#include <cstdint>

#ifdef SSHN_ISA_EIGEN
#define Eigen SSHN_ISA_EIGEN
#endif
#include <Eigen/Core>
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace sshn::gemm::SSHN_ISA {

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

// The scores without Eigen: C = A X^T by register tiles of kTilePatterns patterns x one or two
// vectors of queries. X is read as it is stored (each pattern row a sequential stream, broadcast
// entry by entry), so nothing of X, the large operand, is packed or copied; only the queries are,
// once per product, into panels of kPanelWidth (packQueries). Every entry is one fused
// multiply-add chain over k in order, so its value depends on neither its place nor the blocking.
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#define SSHN_GEMM_TILED 1

template <typename T>
struct Simd;
#if defined(__AVX512F__)
constexpr int kTilePatterns = 12;  // 24 accumulators of 32 registers
template <>
struct Simd<float> {
  using V = __m512;
  static constexpr int kLanes = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V broadcast(float v) { return _mm512_set1_ps(v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
};
template <>
struct Simd<double> {
  using V = __m512d;
  static constexpr int kLanes = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static V broadcast(double v) { return _mm512_set1_pd(v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
};
#else
constexpr int kTilePatterns = 6;  // 12 accumulators of 16 registers
template <>
struct Simd<float> {
  using V = __m256;
  static constexpr int kLanes = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V broadcast(float v) { return _mm256_set1_ps(v); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
};
template <>
struct Simd<double> {
  using V = __m256d;
  static constexpr int kLanes = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static V broadcast(double v) { return _mm256_set1_pd(v); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
};
#endif

template <typename T>
constexpr int64_t kPanelWidth = 2 * Simd<T>::kLanes;

// tile (Patterns x kPanelWidth, row-major) = scores of Patterns rows of x against the first
// Vectors * kLanes queries of a packed panel.
template <typename T, int Patterns, int Vectors>
void scoresTile(const T* x, int64_t d, const T* panel, T* tile) {
  using S = Simd<T>;
  typename S::V acc[Patterns][Vectors];
  for (int i = 0; i < Patterns; ++i)
    for (int v = 0; v < Vectors; ++v) acc[i][v] = S::zero();
  for (int64_t k = 0; k < d; ++k, panel += kPanelWidth<T>) {
    typename S::V b[Vectors];
    for (int v = 0; v < Vectors; ++v) b[v] = S::load(panel + v * S::kLanes);
    for (int i = 0; i < Patterns; ++i) {
      const typename S::V a = S::broadcast(x[i * d + k]);
      for (int v = 0; v < Vectors; ++v) acc[i][v] = S::fma(a, b[v], acc[i][v]);
    }
  }
  for (int i = 0; i < Patterns; ++i)
    for (int v = 0; v < Vectors; ++v) S::store(tile + i * kPanelWidth<T> + v * S::kLanes, acc[i][v]);
}

template <typename T, int Patterns>
void scoresTileOf(int vectors, const T* x, int64_t d, const T* panel, T* tile) {
  if (vectors == 2) scoresTile<T, Patterns, 2>(x, d, panel, tile);
  else scoresTile<T, Patterns, 1>(x, d, panel, tile);
}

// The last rows of a block, fewer than kTilePatterns, by a tile of their own height.
template <typename T, int Patterns = kTilePatterns>
void scoresTileFor(int patterns, int vectors, const T* x, int64_t d, const T* panel, T* tile) {
  if constexpr (Patterns > 1) {
    if (patterns < Patterns) return scoresTileFor<T, Patterns - 1>(patterns, vectors, x, d, panel, tile);
  }
  scoresTileOf<T, Patterns>(vectors, x, d, panel, tile);
}

// C (rows x cols, stride ldc) = scale * A X^T from the queries packed by packQueries. Panels are
// taken in groups that stay in the core's cache while the block's patterns stream past them.
template <typename T>
void scoresTiles(const T* packed, int64_t rows, const T* x, int64_t cols, int64_t d, double scale, T* c, int64_t ldc) {
  constexpr int64_t width = kPanelWidth<T>;
  constexpr int64_t kGroupBytes = 1 << 20;
  const int64_t panels = (rows + width - 1) / width;
  const int64_t group = std::max<int64_t>(1, kGroupBytes / (width * d * static_cast<int64_t>(sizeof(T))));
  alignas(64) T tile[kTilePatterns * width];
  const T factor = static_cast<T>(scale);
  for (int64_t g = 0; g < panels; g += group) {
    for (int64_t j = 0; j < cols; j += kTilePatterns) {
      const int patterns = static_cast<int>(std::min<int64_t>(kTilePatterns, cols - j));
      for (int64_t p = g; p < std::min(panels, g + group); ++p) {
        const int64_t first = p * width;
        const int64_t valid = std::min(width, rows - first);
        scoresTileFor<T>(patterns, valid > Simd<T>::kLanes ? 2 : 1, x + j * d, d, packed + p * width * d, tile);
        for (int64_t r = 0; r < valid; ++r) {
          T* out = c + (first + r) * ldc + j;
          for (int i = 0; i < patterns; ++i) out[i] = scale == 1 ? tile[i * width + r] : factor * tile[i * width + r];
        }
      }
    }
  }
}

template <typename T>
int64_t panelWidth() {
  return kPanelWidth<T>;
}
#endif

template void scoresBlock<float>(const float*, int64_t, const float*, int64_t, int64_t, double, float*, int64_t);
template void scoresBlock<double>(const double*, int64_t, const double*, int64_t, int64_t, double, double*, int64_t);
template void productBlock<float>(const float*, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, float*, int64_t);
template void productBlock<double>(const double*, int64_t, int64_t, int64_t, const double*, int64_t, int64_t, double*, int64_t);
#ifdef SSHN_GEMM_TILED
template void scoresTiles<float>(const float*, int64_t, const float*, int64_t, int64_t, double, float*, int64_t);
template void scoresTiles<double>(const double*, int64_t, const double*, int64_t, int64_t, double, double*, int64_t);
template int64_t panelWidth<float>();
template int64_t panelWidth<double>();
#undef SSHN_GEMM_TILED
#endif

}  // namespace sshn::gemm::SSHN_ISA

#ifdef SSHN_ISA_EIGEN
#undef Eigen
#endif
