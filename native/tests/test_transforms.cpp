// C++ unit tests of the transforms core, independent of Node: closed forms, sort-based
// references written here independently, float32 storage, masks and errors.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "../core/errors.hpp"
#include "../core/rng.hpp"
#include "../core/transforms.hpp"
#include "check.hpp"

using namespace sshn::transforms;

static Params params(Kind kind, double param, int64_t rows, int64_t cols, unsigned threads = 1) {
  return Params{kind, param, rows, cols, threads};
}

// Sort-based simplex projection (Held et al.): the textbook O(d log d) algorithm.
static std::vector<double> sortedSparsemax(const std::vector<double>& x) {
  std::vector<double> s = x;
  std::sort(s.begin(), s.end(), std::greater<double>());
  double cumulative = 0, tau = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    cumulative += s[k];
    const double candidate = (cumulative - 1) / static_cast<double>(k + 1);
    if (s[k] > candidate) tau = candidate;
  }
  std::vector<double> p(x.size());
  for (size_t i = 0; i < x.size(); ++i) p[i] = std::max(x[i] - tau, 0.0);
  return p;
}

TEST_CASE("sparsemax matches the sort-based projection on random batches, in parallel too") {
  sshn::Rng rng(7);
  const int64_t rows = 9, cols = 4000;  // >= 32768 entries, so the batch really runs on threads
  std::vector<double> x(rows * cols), out(rows * cols), out1(rows * cols);
  for (auto& v : x) v = (rng.nextDouble() - 0.5) * 6;
  forward(params(Kind::Sparsemax, 0, rows, cols, 2), x.data(), out.data(), nullptr, nullptr);
  forward(params(Kind::Sparsemax, 0, rows, cols, 1), x.data(), out1.data(), nullptr, nullptr);
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> row(x.begin() + r * cols, x.begin() + (r + 1) * cols);
    const auto expected = sortedSparsemax(row);
    for (int64_t j = 0; j < cols; ++j) {
      CHECK_NEAR(out[r * cols + j], expected[j], 1e-13);
      CHECK(out[r * cols + j] == out1[r * cols + j]);
    }
  }
}

TEST_CASE("1.5-entmax closed form on two entries") {
  // Both entries in the support: p_i = (x_i / 2 - tau)^2 with one tau, and they sum to 1.
  const double x[2] = {0.8, 0.0};
  double p[2];
  forward(params(Kind::Entmax, 1.5, 1, 2), x, p, nullptr, nullptr);
  const double tau = x[0] / 2 - std::sqrt(p[0]);
  CHECK_NEAR(std::sqrt(p[1]), x[1] / 2 - tau, 1e-14);
  CHECK_NEAR(p[0] + p[1], 1.0, 1e-15);
}

TEST_CASE("float32 storage, masks and support counts") {
  const float inf = std::numeric_limits<float>::infinity();
  const float x[6] = {1.0f, 0.5f, -inf, -1.0f, 3.0f, 2.5f};
  float p[6];
  int32_t support[2];
  double conjugate[2];
  forward(params(Kind::Sparsemax, 0, 2, 3), x, p, support, conjugate);
  CHECK(p[0] == 0.75f && p[1] == 0.25f && p[2] == 0.0f);
  CHECK(p[3] == 0.0f && p[4] == 0.75f && p[5] == 0.25f);
  CHECK(support[0] == 2 && support[1] == 2);
  // <x,p> - (||p||^2 - 1)/2 = 0.875 - 0.3125 + 0.5
  CHECK_NEAR(conjugate[0], 1.0625, 1e-15);
}

TEST_CASE("k-subsets: exact top-k beyond a gap of 1, and the sum constraint") {
  const double x[5] = {3, 0.2, 5, 2, -1};
  double p[5];
  forward(params(Kind::KSubsets, 2, 1, 5), x, p, nullptr, nullptr);
  CHECK(p[0] == 1 && p[1] == 0 && p[2] == 1 && p[3] == 0 && p[4] == 0);
  const double y[4] = {0.1, 0.3, 0.2, 0.25};
  forward(params(Kind::KSubsets, 3, 1, 4), y, p, nullptr, nullptr);
  CHECK_NEAR(p[0] + p[1] + p[2] + p[3], 3.0, 1e-15);
}

TEST_CASE("errors are RangeErrors, never aborts") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  double out[2];
  const double a[2] = {1, nan};
  const double b[2] = {-inf, -inf};
  bool threw = false;
  try { forward(params(Kind::Softmax, 0, 1, 2), a, out, nullptr, nullptr); } catch (const sshn::RangeError&) { threw = true; }
  CHECK(threw);
  threw = false;
  try { forward(params(Kind::Sparsemax, 0, 1, 2), b, out, nullptr, nullptr); } catch (const sshn::RangeError&) { threw = true; }
  CHECK(threw);
  threw = false;
  const double c[2] = {1, 2};
  try { forward(params(Kind::Normmax, 1, 1, 2), c, out, nullptr, nullptr); } catch (const sshn::RangeError&) { threw = true; }
  CHECK(threw);
}

TEST_MAIN()
