// Multi-threaded products over fixed-size blocks, each block run by the GEMM kernel of the selected
// instruction set (isa.hpp). The blocks do not depend on the thread count, so neither do the results;
// they do depend on the kernel (FMA rounds differently), within the tolerances the tests state.
#include "gemm.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "aligned.hpp"
#include "errors.hpp"
#include "isa.hpp"
#include "parallel.hpp"

#define SSHN_ISA baseline
#include "gemm_kernels.hpp"
#undef SSHN_ISA

#ifdef SSHN_X86_VARIANTS
#define SSHN_DECLARE_GEMM_BLOCKS(isa)                                                                                     \
  namespace sshn::gemm::isa {                                                                                            \
  template <typename T>                                                                                                  \
  void scoresBlock(const T* a, int64_t rows, const T* x, int64_t cols, int64_t d, double scale, T* c, int64_t ldc);      \
  template <typename T>                                                                                                  \
  void productBlock(const T* p, int64_t rows, int64_t n, int64_t ldp, const T* x, int64_t cols, int64_t ldx, T* c,       \
                    int64_t ldc);                                                                                        \
  template <typename T>                                                                                                  \
  void scoresTiles(const T* packed, int64_t rows, const T* x, int64_t cols, int64_t d, double scale, T* c, int64_t ldc); \
  template <typename T>                                                                                                  \
  int64_t panelWidth();                                                                                                  \
  }
SSHN_DECLARE_GEMM_BLOCKS(avx2)
SSHN_DECLARE_GEMM_BLOCKS(avx512)
#endif

namespace sshn::gemm {
namespace {

template <typename T>
void scoresBlock(const T* a, int64_t rows, const T* x, int64_t cols, int64_t d, double scale, T* c, int64_t ldc) {
  switch (selectedIsa()) {
#ifdef SSHN_X86_VARIANTS
    case Isa::Avx512: return avx512::scoresBlock(a, rows, x, cols, d, scale, c, ldc);
    case Isa::Avx2: return avx2::scoresBlock(a, rows, x, cols, d, scale, c, ldc);
#endif
    default: return baseline::scoresBlock(a, rows, x, cols, d, scale, c, ldc);
  }
}

template <typename T>
void productBlock(const T* p, int64_t rows, int64_t n, int64_t ldp, const T* x, int64_t cols, int64_t ldx, T* c, int64_t ldc) {
  switch (selectedIsa()) {
#ifdef SSHN_X86_VARIANTS
    case Isa::Avx512: return avx512::productBlock(p, rows, n, ldp, x, cols, ldx, c, ldc);
    case Isa::Avx2: return avx2::productBlock(p, rows, n, ldp, x, cols, ldx, c, ldc);
#endif
    default: return baseline::productBlock(p, rows, n, ldp, x, cols, ldx, c, ldc);
  }
}

// Queries per packed panel of the tiled scores kernel, 0 when the kernel in use has none (baseline).
template <typename T>
int64_t panelWidth() {
  switch (selectedIsa()) {
#ifdef SSHN_X86_VARIANTS
    case Isa::Avx512: return avx512::panelWidth<T>();
    case Isa::Avx2: return avx2::panelWidth<T>();
#endif
    default: return 0;
  }
}

template <typename T>
void scoresTiles(const T* packed, int64_t rows, const T* x, int64_t cols, int64_t d, double scale, T* c, int64_t ldc) {
  switch (selectedIsa()) {
#ifdef SSHN_X86_VARIANTS
    case Isa::Avx512: return avx512::scoresTiles(packed, rows, x, cols, d, scale, c, ldc);
    case Isa::Avx2: return avx2::scoresTiles(packed, rows, x, cols, d, scale, c, ldc);
#endif
    default: throw std::logic_error("no tiled scores kernel");
  }
}

// Panel p holds queries p*width..p*width+width-1 interleaved by k (entry k of each, then k+1, ...),
// the rows past the last query zero.
template <typename T>
void packQueries(const T* a, int64_t rows, int64_t d, int64_t width, T* packed) {
  const int64_t panels = (rows + width - 1) / width;
  for (int64_t p = 0; p < panels; ++p) {
    T* panel = packed + p * width * d;
    for (int64_t r = 0; r < width; ++r) {
      const int64_t row = p * width + r;
      for (int64_t k = 0; k < d; ++k) panel[k * width + r] = row < rows ? a[row * d + k] : T(0);
    }
  }
}

// Threads only pay off above a few million multiply-adds.
unsigned threadsFor(int64_t work, unsigned threads) { return work < (int64_t{1} << 22) ? 1u : std::max(1u, threads); }

// Runs body(begin, end) on consecutive blocks of `block` items of [0, total), spread over threads.
template <typename Body>
void forBlocks(int64_t total, int64_t block, unsigned threads, Body body) {
  const int64_t blocks = (total + block - 1) / block;
  parallelFor(blocks, threads, [&](unsigned, int64_t b) { body(b * block, std::min(total, (b + 1) * block)); });
}

constexpr int64_t kPatternBlock = 2048;  // scores: patterns per block
// Below this many queries the tiled kernel's padded panels waste most of its lanes; Eigen's
// matrix-vector products do better there.
constexpr int64_t kTiledMinRows = 4;
// Read-out C = P X: a row block packs all of X (n x d) again, a column block all of its P rows, so
// row blocks pay only when there are many rows (measured at 256 x 60 000 x 784: column blocks of
// 128 were 15-20% faster per softmax update than row blocks of 32).
constexpr int64_t kRowBlock = 512;        // read-out of many rows: rows per block
constexpr int64_t kColumnBlock = 128;    // read-out of few rows: state entries per block

}  // namespace

const char* kernelName() { return isaName(selectedIsa()); }

template <typename T>
void scores(const T* a, int64_t rows, const T* x, int64_t n, int64_t d, double scale, T* c, unsigned threads) {
  if (rows <= 0 || n <= 0) return;
  const unsigned parts = threadsFor(rows * n * d, threads);
  const int64_t width = panelWidth<T>();
  // Each block of patterns writes its own columns of C.
  if (width > 0 && rows >= kTiledMinRows) {
    AlignedVector<T> packed(static_cast<size_t>((rows + width - 1) / width * width * d));
    packQueries(a, rows, d, width, packed.data());
    forBlocks(n, kPatternBlock, parts, [&](int64_t begin, int64_t end) {
      scoresTiles(packed.data(), rows, x + begin * d, end - begin, d, scale, c + begin, n);
    });
    return;
  }
  forBlocks(n, kPatternBlock, parts, [&](int64_t begin, int64_t end) {
    scoresBlock(a, rows, x + begin * d, end - begin, d, scale, c + begin, n);
  });
}

template <typename T>
void gram(const T* x, int64_t n, int64_t d, T* g, unsigned threads) {
  if (n <= 0) return;
  const int64_t width = panelWidth<T>();
  const int64_t blocks = (n + kPatternBlock - 1) / kPatternBlock;
  // The blocks on and above the diagonal, row block by row block.
  std::vector<std::pair<int64_t, int64_t>> tasks;
  for (int64_t bi = 0; bi < blocks; ++bi)
    for (int64_t bj = bi; bj < blocks; ++bj) tasks.emplace_back(bi, bj);
  parallelFor(static_cast<int64_t>(tasks.size()), threadsFor(n * n * d / 2, threads), [&](unsigned, int64_t task) {
    const auto [bi, bj] = tasks[static_cast<size_t>(task)];
    const int64_t r0 = bi * kPatternBlock, rows = std::min(n, r0 + kPatternBlock) - r0;
    const int64_t c0 = bj * kPatternBlock, cols = std::min(n, c0 + kPatternBlock) - c0;
    T* out = g + r0 * n + c0;
    // The same kernel as scores() of a batch, so that a row of G is bitwise the scores of its
    // pattern taken as a query.
    if (width > 0 && rows >= kTiledMinRows) {
      AlignedVector<T> packed(static_cast<size_t>((rows + width - 1) / width * width * d));
      packQueries(x + r0 * d, rows, d, width, packed.data());
      scoresTiles(packed.data(), rows, x + c0 * d, cols, d, 1.0, out, n);
    } else {
      scoresBlock(x + r0 * d, rows, x + c0 * d, cols, d, 1.0, out, n);
    }
    if (bi == bj) return;
    // The mirror block below the diagonal, while this one is still in cache, by tiles. A score's
    // FMA chain multiplies the same pairs in the same order whichever operand is the query, so G is
    // symmetric exactly and the mirrored entries are those the kernel would have computed.
    constexpr int64_t kTile = 64;
    for (int64_t i0 = 0; i0 < rows; i0 += kTile) {
      for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
        for (int64_t j = j0; j < std::min(cols, j0 + kTile); ++j) {
          T* mirror = g + (c0 + j) * n + r0;
          for (int64_t i = i0; i < std::min(rows, i0 + kTile); ++i) mirror[i] = out[i * n + j];
        }
      }
    }
  });
}

template <typename T>
void readout(const T* p, int64_t rows, const T* x, int64_t n, int64_t d, T* c, unsigned threads) {
  if (rows <= 0 || d <= 0) return;
  const unsigned parts = threadsFor(rows * n * d, threads);
  if (rows > kRowBlock) {
    forBlocks(rows, kRowBlock, parts, [&](int64_t begin, int64_t end) {
      productBlock(p + begin * n, end - begin, n, n, x, d, d, c + begin * d, d);
    });
  } else {
    forBlocks(d, kColumnBlock, parts, [&](int64_t begin, int64_t end) {
      productBlock(p, rows, n, n, x + begin, end - begin, d, c + begin, d);
    });
  }
}

template void scores<float>(const float*, int64_t, const float*, int64_t, int64_t, double, float*, unsigned);
template void scores<double>(const double*, int64_t, const double*, int64_t, int64_t, double, double*, unsigned);
template void gram<float>(const float*, int64_t, int64_t, float*, unsigned);
template void gram<double>(const double*, int64_t, int64_t, double*, unsigned);
template void readout<float>(const float*, int64_t, const float*, int64_t, int64_t, float*, unsigned);
template void readout<double>(const double*, int64_t, const double*, int64_t, int64_t, double*, unsigned);

}  // namespace sshn::gemm
