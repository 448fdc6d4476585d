// C++ unit tests of the memory core: the GEMM blocks against naive loops on sizes that cross the
// block edges, the update loop against a hand-written modern Hopfield step, exact retrieval, and errors.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <cstdint>
#include <limits>
#include <vector>

#include "../core/errors.hpp"
#include "../core/gemm.hpp"
#include "../core/memory.hpp"
#include "check.hpp"

using namespace sshn;

static std::vector<double> pseudoRandom(size_t count, uint64_t seed) {
  std::vector<double> out(count);
  uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (auto& v : out) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    v = static_cast<double>(state >> 11) / 9007199254740992.0 * 2 - 1;
  }
  return out;
}

// Shapes across the edges of the pattern blocks (2048), of the tiles (12 or 6 patterns, one or two
// vectors of queries) and of the tiled kernel's smallest batch (4 queries).
static const std::vector<std::array<int64_t, 3>> kShapes{{1, 5, 3}, {3, 2049, 7}, {4, 13, 1}, {17, 301, 9}, {40, 4100, 130}, {33, 300, 257}, {70, 2059, 33}};

TEST_CASE("scores and read-out equal naive loops, across block edges and thread counts") {
  for (const auto& [rows, n, d] : kShapes) {
    const auto a = pseudoRandom(static_cast<size_t>(rows * d), 1), x = pseudoRandom(static_cast<size_t>(n * d), 2);
    std::vector<double> c(static_cast<size_t>(rows * n)), c1(c.size());
    gemm::scores(a.data(), rows, x.data(), n, d, 0.5, c.data(), 2);
    gemm::scores(a.data(), rows, x.data(), n, d, 0.5, c1.data(), 1);
    double worst = 0;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < n; ++i) {
        double s = 0;
        for (int64_t k = 0; k < d; ++k) s += a[r * d + k] * x[i * d + k];
        worst = std::max(worst, std::fabs(0.5 * s - c[r * n + i]));
      }
    }
    CHECK(worst < 1e-12);
    CHECK(c == c1);
    const auto p = pseudoRandom(static_cast<size_t>(rows * n), 3);
    std::vector<double> q(static_cast<size_t>(rows * d)), q1(q.size());
    gemm::readout(p.data(), rows, x.data(), n, d, q.data(), 2);
    gemm::readout(p.data(), rows, x.data(), n, d, q1.data(), 1);
    worst = 0;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t k = 0; k < d; ++k) {
        double s = 0;
        for (int64_t i = 0; i < n; ++i) s += p[r * n + i] * x[i * d + k];
        worst = std::max(worst, std::fabs(s - q[r * d + k]));
      }
    }
    CHECK(worst < 1e-10);
    CHECK(q == q1);
  }
  const std::string kernel = gemm::kernelName();
  CHECK(kernel == "baseline" || kernel == "avx2" || kernel == "avx512");
}

TEST_CASE("float32 scores are within rounding of the exact sums") {
  for (const auto& [rows, n, d] : kShapes) {
    const auto a = pseudoRandom(static_cast<size_t>(rows * d), 4), x = pseudoRandom(static_cast<size_t>(n * d), 5);
    const std::vector<float> af(a.begin(), a.end()), xf(x.begin(), x.end());
    std::vector<float> c(static_cast<size_t>(rows * n));
    gemm::scores(af.data(), rows, xf.data(), n, d, 2.0, c.data(), 2);
    bool within = true;
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < n; ++i) {
        double s = 0, magnitude = 0;
        for (int64_t k = 0; k < d; ++k) {
          s += static_cast<double>(af[r * d + k]) * xf[i * d + k];
          magnitude += std::fabs(static_cast<double>(af[r * d + k]) * xf[i * d + k]);
        }
        // Each of the d additions rounds by at most half an ulp of the partial sum (<= magnitude).
        within &= std::fabs(2 * s - c[r * n + i]) <= 2 * (static_cast<double>(d) + 2) * 0x1p-24 * magnitude + 1e-30;
      }
    }
    CHECK(within);
  }
}

TEST_CASE("with the tiled kernel a query's scores do not depend on the other queries of the batch") {
  if (std::string(gemm::kernelName()) == "baseline") return;  // Eigen's blocking may round by position
  const int64_t rows = 45, n = 1000, d = 77;
  const auto a = pseudoRandom(static_cast<size_t>(rows * d), 6), x = pseudoRandom(static_cast<size_t>(n * d), 7);
  std::vector<double> all(static_cast<size_t>(rows * n)), tail(static_cast<size_t>((rows - 9) * n));
  gemm::scores(a.data(), rows, x.data(), n, d, 1.0, all.data(), 2);
  gemm::scores(a.data() + 9 * d, rows - 9, x.data(), n, d, 1.0, tail.data(), 1);
  CHECK(std::equal(tail.begin(), tail.end(), all.begin() + 9 * n));
}

TEST_CASE("the Gram matrix is X X^T, symmetric exactly, its rows the tiled kernel's scores") {
  // n crosses the pattern blocks (mirrored below the diagonal blocks) and the 64-entry mirror tiles.
  for (const int64_t n : {1, 5, 2049, 4100}) {
    const int64_t d = 9;
    const auto x = pseudoRandom(static_cast<size_t>(n * d), 8);
    std::vector<double> g(static_cast<size_t>(n * n)), g1(g.size());
    gemm::gram(x.data(), n, d, g.data(), 2);
    gemm::gram(x.data(), n, d, g1.data(), 1);
    CHECK(g == g1);
    double worst = 0;
    bool symmetric = true;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t k = 0; k < d; ++k) s += x[i * d + k] * x[j * d + k];
        worst = std::max(worst, std::fabs(s - g[i * n + j]));
        symmetric &= g[i * n + j] == g[j * n + i];
      }
    }
    CHECK(worst < 1e-12);
    CHECK(symmetric);
    if (std::string(gemm::kernelName()) != "baseline" && n >= 4) {
      std::vector<double> s(static_cast<size_t>(4 * n));
      gemm::scores(x.data() + (n - 4) * d, 4, x.data(), n, d, 1.0, s.data(), 2);
      CHECK(std::equal(s.begin(), s.end(), g.begin() + (n - 4) * n));
    }
  }
}

static memory::Params params(memory::Kind kind, double param, double beta, int64_t maxIter) {
  return memory::Params{kind, param, 0, beta, maxIter, 0, 0, 100, 1};
}

TEST_CASE("one softmax update is X^T softmax(beta X q), with the energy -logsumexp/beta + |q|^2/2") {
  const int64_t n = 4, d = 3;
  const std::vector<double> x = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5, 0.5, 0};
  std::vector<double> state = {0.3, -0.2, 0.9}, weights(n), energies(2);
  const std::vector<double> q0 = state;
  int32_t support = 0, iterations = 0;
  uint8_t status = 0;
  memory::retrieve(x.data(), n, d, 1, params(memory::Kind::Softmax, 0, 2, 1), {state.data(), weights.data(), &support, &iterations, &status, energies.data()});
  double s[n], z = 0, lse = 0;
  for (int64_t i = 0; i < n; ++i) s[i] = 2 * (x[i * d] * q0[0] + x[i * d + 1] * q0[1] + x[i * d + 2] * q0[2]);
  for (double v : s) z += std::exp(v);
  lse = std::log(z);
  for (int64_t k = 0; k < d; ++k) {
    double expected = 0;
    for (int64_t i = 0; i < n; ++i) expected += std::exp(s[i]) / z * x[i * d + k];
    CHECK_NEAR(state[k], expected, 1e-15);
  }
  CHECK(iterations == 1 && support == 4 && status == memory::MaxIterations);
  CHECK_NEAR(energies[0], -lse / 2 + 0.5 * (0.09 + 0.04 + 0.81), 1e-14);
  CHECK(std::isfinite(energies[1]) && energies[1] <= energies[0]);
}

TEST_CASE("sparsemax retrieves a well separated pattern exactly and stops at the fixed point") {
  const std::vector<double> x = {1, 0, 0, 1};
  std::vector<double> state = {0.8, 0.1};
  int32_t support = 0, iterations = 0;
  uint8_t status = 9;
  memory::retrieve(x.data(), 2, 2, 1, params(memory::Kind::Sparsemax, 0, 4, 10), {state.data(), nullptr, &support, &iterations, &status, nullptr});
  CHECK(state[0] == 1 && state[1] == 0);
  CHECK(support == 1 && iterations == 2 && status == memory::Converged);
}

TEST_CASE("the sparse read-out sums each row's nonzeros, whether it lists them (few) or scans the row (many)") {
  // Row 0 (q = 0, all scores equal) has all 10 007 weights nonzero, rows 1..19 one pattern or a
  // few (listed): the batch as a whole is sparse, so the read-out is the sparse one, not the product.
  const int64_t n = 10007, d = 5, rows = 20;
  const auto x = pseudoRandom(static_cast<size_t>(n * d), 8);
  std::vector<double> state(static_cast<size_t>(rows * d), 0.0), weights(static_cast<size_t>(rows * n));
  for (int64_t r = 1; r < rows; ++r) {
    for (int64_t k = 0; k < d; ++k) state[r * d + k] = x[(r * 37) * d + k] * (r % 2 == 0 ? 40.0 : 1.5);
  }
  std::vector<int32_t> support(rows), iterations(rows);
  std::vector<uint8_t> status(rows);
  memory::retrieve(x.data(), n, d, rows, params(memory::Kind::Sparsemax, 0, 1, 1), {state.data(), weights.data(), support.data(), iterations.data(), status.data(), nullptr});
  bool sums = true;
  int64_t oneNonzero = 0, fewNonzeros = 0, total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t nonzero = 0;
    for (int64_t j = 0; j < n; ++j) nonzero += weights[r * n + j] != 0;
    total += nonzero;
    oneNonzero += nonzero == 1;
    fewNonzeros += nonzero >= 2 && nonzero <= 256;
    for (int64_t k = 0; k < d; ++k) {
      double expected = 0;
      for (int64_t j = 0; j < n; ++j) expected += weights[r * n + j] * x[j * d + k];
      sums &= std::fabs(expected - state[r * d + k]) <= 1e-12;
    }
  }
  CHECK(sums);
  CHECK(support[0] == n);
  CHECK(oneNonzero > 0 && fewNonzeros > 0);
  CHECK(total * 16 <= rows * n);
}

TEST_CASE("bad parameters are RangeErrors") {
  const std::vector<double> x = {1, 0};
  std::vector<double> state = {1, 0};
  int32_t support, iterations;
  uint8_t status;
  const memory::Outputs<double> out{state.data(), nullptr, &support, &iterations, &status, nullptr};
  auto throwsRange = [&](memory::Params p, int64_t n) {
    try {
      memory::retrieve(x.data(), n, 2, 1, p, out);
    } catch (const RangeError&) {
      return true;
    }
    return false;
  };
  CHECK(throwsRange(params(memory::Kind::Softmax, 0, 0, 1), 1));
  CHECK(throwsRange(params(memory::Kind::Softmax, 0, std::numeric_limits<double>::infinity(), 1), 1));
  CHECK(throwsRange(params(memory::Kind::Softmax, 0, 1, -1), 1));
  CHECK(throwsRange(params(memory::Kind::SequentialKSubsets, 2, 1, 1), 1));
  CHECK(throwsRange(params(memory::Kind::Softmax, 0, 1, 1), 0));
}

TEST_MAIN()
