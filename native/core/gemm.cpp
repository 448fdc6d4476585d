#include "gemm.hpp"

#include <Eigen/Core>
#include <algorithm>

#include "parallel.hpp"

namespace sshn::gemm {
namespace {

template <typename T>
using RowMatrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using Block = Eigen::Map<RowMatrix<T>, 0, Eigen::OuterStride<>>;
template <typename T>
using ConstBlock = Eigen::Map<const RowMatrix<T>, 0, Eigen::OuterStride<>>;

// Threads only pay off above a few million multiply-adds.
unsigned threadsFor(int64_t work, unsigned threads) { return work < (int64_t{1} << 22) ? 1u : std::max(1u, threads); }

// Runs body(begin, end) on consecutive blocks of `block` items of [0, total), spread over threads.
// The blocks do not depend on the thread count, so neither do the results.
template <typename Body>
void forBlocks(int64_t total, int64_t block, unsigned threads, Body body) {
  const int64_t blocks = (total + block - 1) / block;
  parallelFor(blocks, threads, [&](unsigned, int64_t b) { body(b * block, std::min(total, (b + 1) * block)); });
}

constexpr int64_t kPatternBlock = 2048;  // scores: patterns per block
constexpr int64_t kRowBlock = 32;        // read-out of many rows: rows per block
constexpr int64_t kColumnBlock = 128;    // read-out of few rows: state entries per block

}  // namespace

template <typename T>
void scores(const T* a, int64_t rows, const T* x, int64_t n, int64_t d, double scale, T* c, unsigned threads) {
  if (rows <= 0 || n <= 0) return;
  const ConstBlock<T> queries(a, rows, d, Eigen::OuterStride<>(d));
  // Each block of patterns writes its own columns of C.
  forBlocks(n, kPatternBlock, threadsFor(rows * n * d, threads), [&](int64_t begin, int64_t end) {
    const ConstBlock<T> patterns(x + begin * d, end - begin, d, Eigen::OuterStride<>(d));
    Block<T> out(c + begin, rows, end - begin, Eigen::OuterStride<>(n));
    out.noalias() = queries * patterns.transpose();
    if (scale != 1) out *= static_cast<T>(scale);
  });
}

template <typename T>
void readout(const T* p, int64_t rows, const T* x, int64_t n, int64_t d, T* c, unsigned threads) {
  if (rows <= 0 || d <= 0) return;
  const unsigned parts = threadsFor(rows * n * d, threads);
  if (rows > kRowBlock) {
    const ConstBlock<T> patterns(x, n, d, Eigen::OuterStride<>(d));
    forBlocks(rows, kRowBlock, parts, [&](int64_t begin, int64_t end) {
      const ConstBlock<T> weights(p + begin * n, end - begin, n, Eigen::OuterStride<>(n));
      Block<T> out(c + begin * d, end - begin, d, Eigen::OuterStride<>(d));
      out.noalias() = weights * patterns;
    });
  } else {
    const ConstBlock<T> weights(p, rows, n, Eigen::OuterStride<>(n));
    forBlocks(d, kColumnBlock, parts, [&](int64_t begin, int64_t end) {
      const ConstBlock<T> patterns(x + begin, n, end - begin, Eigen::OuterStride<>(d));
      Block<T> out(c + begin, rows, end - begin, Eigen::OuterStride<>(d));
      out.noalias() = weights * patterns;
    });
  }
}

template void scores<float>(const float*, int64_t, const float*, int64_t, int64_t, double, float*, unsigned);
template void scores<double>(const double*, int64_t, const double*, int64_t, int64_t, double, double*, unsigned);
template void readout<float>(const float*, int64_t, const float*, int64_t, int64_t, float*, unsigned);
template void readout<double>(const double*, int64_t, const double*, int64_t, int64_t, double*, unsigned);

}  // namespace sshn::gemm
