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

// Splits [0, total) into `parts` near-equal ranges and runs body(begin, end) on each, in parallel.
template <typename Body>
void splitRange(int64_t total, unsigned parts, Body body) {
  parts = static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(parts, total)));
  const int64_t step = (total + parts - 1) / parts;
  parallelFor(parts, parts, [&](unsigned, int64_t part) {
    const int64_t begin = part * step, end = std::min(total, begin + step);
    if (begin < end) body(begin, end);
  });
}

}  // namespace

template <typename T>
void scores(const T* a, int64_t rows, const T* x, int64_t n, int64_t d, double scale, T* c, unsigned threads) {
  if (rows <= 0 || n <= 0) return;
  const ConstBlock<T> queries(a, rows, d, Eigen::OuterStride<>(d));
  // Each thread takes a block of patterns: the columns of C it writes are its own.
  splitRange(n, threadsFor(rows * n * d, threads), [&](int64_t begin, int64_t end) {
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
  if (rows >= 4 * static_cast<int64_t>(parts)) {
    const ConstBlock<T> patterns(x, n, d, Eigen::OuterStride<>(d));
    splitRange(rows, parts, [&](int64_t begin, int64_t end) {
      const ConstBlock<T> weights(p + begin * n, end - begin, n, Eigen::OuterStride<>(n));
      Block<T> out(c + begin * d, end - begin, d, Eigen::OuterStride<>(d));
      out.noalias() = weights * patterns;
    });
  } else {
    const ConstBlock<T> weights(p, rows, n, Eigen::OuterStride<>(n));
    splitRange(d, parts, [&](int64_t begin, int64_t end) {
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
