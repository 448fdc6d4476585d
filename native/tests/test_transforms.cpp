// C++ unit tests of the transforms core, independent of Node: closed forms, sort-based and
// bisection references written here independently, float32 storage, masks and errors, and the
// k-subsets classification kernels against each other.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "../core/errors.hpp"
#include "../core/rng.hpp"
#include "../core/transforms.hpp"
#include "../core/transforms_classify.hpp"
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

TEST_CASE("sparsemax on long rows (scan and gathering in one pass) matches the sort-based projection") {
  sshn::Rng rng(17);
  const int64_t d = 20000;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> x(d), out(d);
  for (int kind = 0; kind < 5; ++kind) {
    for (int64_t j = 0; j < d; ++j) {
      const double u = rng.nextDouble(), w = rng.nextDouble();
      const double normal = std::sqrt(-2 * std::log(1 - u)) * std::cos(6.283185307179586 * w);
      switch (kind) {
        case 0: x[j] = normal; break;                 // no sampled floor: the candidates are cut to y > -1
        case 1: x[j] = u; break;                      // a sampled floor, confirmed
        case 2: x[j] = j % 19 == 0 ? 0.9 + 0.1 * u : 0.8 * w; break;  // the sample (every 19th) sits above: refuted
        case 3: x[j] = u < 0.2 ? -inf : 0.3 * normal; break;           // masked
        default: x[j] = j == 7 ? 50 : u; break;       // the row's max far above the sample's
      }
    }
    forward(params(Kind::Sparsemax, 0, 1, d), x.data(), out.data(), nullptr, nullptr);
    std::vector<double> finite;
    for (double v : x) finite.push_back(v == -inf ? -1e300 : v);
    const auto expected = sortedSparsemax(finite);
    double worst = 0;
    for (int64_t j = 0; j < d; ++j) worst = std::max(worst, std::fabs(out[j] - expected[j]));
    CHECK_NEAR(worst, 0.0, 1e-13);
  }
  // A NaN or +Infinity the sample misses is still found, at its column, by every thresholded kind.
  for (const auto& [kind, param] : {std::pair{Kind::Sparsemax, 0.0}, std::pair{Kind::Entmax, 1.3}, std::pair{Kind::Normmax, 3.0}}) {
    for (double bad : {std::numeric_limits<double>::quiet_NaN(), inf}) {
      for (int64_t j = 0; j < d; ++j) x[j] = std::sin(0.37 * static_cast<double>(j));
      x[d - 3] = bad;
      std::string message;
      try { forward(params(kind, param, 1, d), x.data(), out.data(), nullptr, nullptr); } catch (const sshn::RangeError& e) { message = e.what(); }
      CHECK(message.find("column " + std::to_string(d - 3)) != std::string::npos);
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

// k-subsets threshold by bisection over the sorted breakpoints z_i and z_i - 1 (F(t) = sum clip(z_i -
// t, 0, 1) evaluated directly at each probe), then the linear piece between the two breakpoints that
// bracket F = k solved exactly. Masked (-Infinity) entries are skipped.
static std::vector<double> sortedKSubsets(const std::vector<double>& x, int64_t k) {
  std::vector<double> z, points;
  for (double v : x) {
    if (v == -std::numeric_limits<double>::infinity()) continue;
    z.push_back(v);
    points.push_back(v);
    points.push_back(v - 1);
  }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  const auto F = [&](double t) {
    double f = 0;
    for (double v : z) f += std::min(std::max(v - t, 0.0), 1.0);
    return f;
  };
  // F(points[lo]) >= k > F(points[hi]) (F(min - 1) = count >= k, F(max) = 0).
  size_t lo = 0, hi = points.size() - 1;
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    if (F(points[mid]) >= static_cast<double>(k)) lo = mid; else hi = mid;
  }
  const double a = points[lo], b = points[hi];
  double ones = 0, sum = 0, count = 0;
  for (double v : z) {
    if (v - 1 >= b) ones += 1;
    else if (v - 1 <= a && v >= b) sum += v, count += 1;
  }
  const double tau = count > 0 ? (ones + sum - static_cast<double>(k)) / count : b;
  std::vector<double> p(x.size());
  for (size_t i = 0; i < x.size(); ++i) p[i] = std::min(std::max(x[i] - tau, 0.0), 1.0);
  return p;
}

TEST_CASE("k-subsets on long rows (sampled bracket, one pass) match the sorted-breakpoint reference") {
  sshn::Rng rng(23);
  const double inf = std::numeric_limits<double>::infinity();
  const int64_t d = 20000;
  const auto normal = [&] {
    const double u = 1 - rng.nextDouble(), w = rng.nextDouble();
    return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * w);
  };
  std::vector<std::vector<double>> rows;
  std::vector<double> r(d);
  for (auto& v : r) v = normal();
  rows.push_back(r);  // normal
  for (auto& v : r) v = rng.nextDouble();
  rows.push_back(r);  // uniform [0, 1): most entries linear at k = d / 2
  for (auto& v : r) v = rng.nextDouble() < 0.1 ? -inf : 3 * normal();
  rows.push_back(r);  // masked
  for (int64_t j = 0; j < d; ++j) r[j] = j % 19 == 0 ? 4 + rng.nextDouble() : normal();
  rows.push_back(r);  // the strided sample (every 19th entry) is far above the rest: its bracket is refuted
  for (const auto& x : rows) {
    int64_t finite = 0;
    for (double v : x) finite += v > -inf;
    for (int64_t k : {int64_t{1}, int64_t{5}, int64_t{40}, int64_t{1000}, d / 2, finite - 3}) {
      std::vector<double> p(d);
      forward(params(Kind::KSubsets, static_cast<double>(k), 1, d), x.data(), p.data(), nullptr, nullptr);
      const auto expected = sortedKSubsets(x, k);
      double worst = 0, sum = 0;
      for (int64_t j = 0; j < d; ++j) {
        worst = std::max(worst, std::fabs(p[j] - expected[j]));
        sum += p[j];
      }
      CHECK_NEAR(worst, 0.0, 1e-12);
      CHECK_NEAR(sum, static_cast<double>(k), 1e-9);
      std::vector<float> x32(x.begin(), x.end()), p32(d);
      forward(params(Kind::KSubsets, static_cast<double>(k), 1, d), x32.data(), p32.data(), nullptr, nullptr);
      const auto expected32 = sortedKSubsets(std::vector<double>(x32.begin(), x32.end()), k);
      worst = 0;
      for (int64_t j = 0; j < d; ++j) worst = std::max(worst, std::fabs(static_cast<double>(p32[j]) - expected32[j]));
      CHECK_NEAR(worst, 0.0, 1e-6);
    }
  }
}

TEST_CASE("k-subsets on long rows with entries far above the rest (also sampled), and spans beyond the range") {
  sshn::Rng rng(29);
  const int64_t n = 20000;
  std::vector<double> rest(n);
  for (auto& v : rest) v = 4 * rng.nextDouble() - 2;
  const int64_t d = n + 3, stride = d / 1024;  // sampled columns: j % stride == 0
  const std::vector<std::pair<std::vector<double>, std::vector<int64_t>>> cases = {
      {{1e4, 1e17, 1e300}, {1, 9000, 20001}},               // none sampled
      {{1e17, 1e17, 1e300}, {0, 5 * stride, 777}},          // 1e17s sampled: the sample's max far above tau
      {{1e9, 1e300, 1e4}, {2, 3 * stride, 6001}},           // 1e300 sampled
  };
  for (const auto& [huge, at] : cases) {
    std::vector<double> x = rest;
    for (size_t i = 0; i < huge.size(); ++i) x.insert(x.begin() + at[i], huge[i]);  // positions increase
    for (int64_t kRest : {int64_t{1}, int64_t{40}, int64_t{2500}}) {
      const int64_t k = kRest + static_cast<int64_t>(huge.size());
      std::vector<double> p(d);
      forward(params(Kind::KSubsets, static_cast<double>(k), 1, d), x.data(), p.data(), nullptr, nullptr);
      const auto expected = sortedKSubsets(rest, kRest);
      double worst = 0;
      size_t next = 0, r = 0;
      for (int64_t j = 0; j < d; ++j) {
        if (next < at.size() && j == at[next]) {
          CHECK(p[j] == 1);
          ++next;
        } else {
          worst = std::max(worst, std::fabs(p[j] - expected[r++]));
        }
      }
      CHECK_NEAR(worst, 0.0, 1e-12);
    }
  }
  // Thresholds more than the floating-point range below the max: with +-1e308 in or out of the
  // sample k = n selects every entry; with the sample's max at -1.5e308 below unsampled 1e308s
  // (x - shift overflows) k = 7 selects both 1e308s and shares 5 among the tied rest.
  std::vector<std::vector<double>> spans(3, rest);
  spans[0][0] = 1e308, spans[0][7] = -1e308;
  spans[1][5] = 1e308, spans[1][0] = -1e308;
  for (auto& v : spans[2]) v = -1.5e308;
  spans[2][1] = spans[2][2] = 1e308;
  for (size_t c = 0; c < spans.size(); ++c) {
    const int64_t k = c == 2 ? 7 : n;
    std::vector<double> p(n);
    forward(params(Kind::KSubsets, static_cast<double>(k), 1, n), spans[c].data(), p.data(), nullptr, nullptr);
    for (int64_t j = 0; j < n; ++j) {
      const double expected = c < 2 || j == 1 || j == 2 ? 1.0 : 5.0 / static_cast<double>(n - 2);
      CHECK_NEAR(p[j], expected, 1e-15);
    }
  }
}

TEST_CASE("k-subsets on long rows: a NaN or +Infinity anywhere, and too few unmasked entries, are RangeErrors") {
  const double inf = std::numeric_limits<double>::infinity();
  const int64_t d = 20000;
  std::vector<double> x(d), p(d);
  for (int64_t j = 0; j < d; ++j) x[j] = std::sin(0.37 * static_cast<double>(j));
  for (double bad : {std::numeric_limits<double>::quiet_NaN(), inf}) {
    std::vector<double> y = x;
    y[d - 7] = bad;  // not a sampled position
    std::string message;
    try { forward(params(Kind::KSubsets, 100, 1, d), y.data(), p.data(), nullptr, nullptr); } catch (const sshn::RangeError& e) { message = e.what(); }
    CHECK(message.find("column " + std::to_string(d - 7)) != std::string::npos);
  }
  std::vector<double> y = x;
  for (int64_t j = 0; j < d; ++j) if (j % 3 != 0) y[j] = -inf;
  std::string message;
  try { forward(params(Kind::KSubsets, 7000, 1, d), y.data(), p.data(), nullptr, nullptr); } catch (const sshn::RangeError& e) { message = e.what(); }
  CHECK(message.find("exceeds the 6667 unmasked") != std::string::npos);
}

// Entmax / normmax by bisection on tau in double precision (64 halvings of [-1, 0] after scaling),
// written here independently: p ∝ [a (x - max) - tau]_+^r with sum [.]_+^q = 1.
static std::vector<double> bisectedPower(const std::vector<double>& x, double a, double r, double q) {
  const double max = *std::max_element(x.begin(), x.end());
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) y[i] = a * (x[i] - max);
  const auto F = [&](double tau) {
    double f = 0;
    for (double v : y) if (v > tau) f += std::pow(v - tau, q);
    return f;
  };
  double lo = -1, hi = 0;
  for (int i = 0; i < 64; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (F(mid) >= 1) lo = mid; else hi = mid;
  }
  std::vector<double> p(x.size());
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) sum += p[i] = y[i] > lo ? std::pow(y[i] - lo, r) : 0.0;
  for (double& v : p) v /= sum;
  return p;
}

TEST_CASE("entmax and normmax on long rows with large supports match bisection (estimated start, reused powers)") {
  sshn::Rng rng(29);
  const int64_t d = 60000;
  std::vector<std::vector<double>> rows;
  std::vector<double> r(d);
  for (auto& v : r) v = rng.nextDouble() / 3;
  rows.push_back(r);  // about half the row in the support at alpha = 1.3
  for (auto& v : r) v = rng.nextDouble();
  rows.push_back(r);
  for (auto& v : r) v = rng.nextDouble() < 0.1 ? -std::numeric_limits<double>::infinity() : rng.nextDouble() / 3;
  rows.push_back(r);  // masked
  for (const auto& x : rows) {
    for (const auto& [kind, param] : {std::pair{Kind::Entmax, 1.3}, std::pair{Kind::Entmax, 1.2}, std::pair{Kind::Entmax, 1.7},
                                      std::pair{Kind::Normmax, 1.3}, std::pair{Kind::Normmax, 1.8}}) {
      const double rr = 1 / (param - 1), a = kind == Kind::Entmax ? param - 1 : 1.0, q = kind == Kind::Entmax ? rr : rr + 1;
      const auto expected = bisectedPower(x, a, rr, q);
      std::vector<double> p(d), jv(d), v(d, 0.0);
      forward(params(kind, param, 1, d), x.data(), p.data(), nullptr, nullptr);
      double worst = 0, sum = 0;
      for (int64_t j = 0; j < d; ++j) {
        worst = std::max(worst, std::fabs(p[j] - expected[j]));
        sum += p[j];
      }
      CHECK_NEAR(worst, 0.0, 1e-13);
      CHECK_NEAR(sum, 1.0, 1e-12);
      // The Jacobian's probabilities come from the same stored pass: J e_0 against finite differences.
      v[0] = 1;
      jvp(params(kind, param, 1, d), x.data(), v.data(), jv.data());
      std::vector<double> xp = x, pp(d);
      const double h = 1e-6;
      xp[0] += h;
      forward(params(kind, param, 1, d), xp.data(), pp.data(), nullptr, nullptr);
      double jworst = 0;
      for (int64_t j = 0; j < d; ++j) jworst = std::max(jworst, std::fabs((pp[j] - p[j]) / h - jv[j]));
      CHECK(jworst < 1e-4);
      std::vector<float> x32(x.begin(), x.end()), p32(d);
      forward(params(kind, param, 1, d), x32.data(), p32.data(), nullptr, nullptr);
      const auto expected32 = bisectedPower(std::vector<double>(x32.begin(), x32.end()), a, rr, q);
      worst = 0;
      for (int64_t j = 0; j < d; ++j) worst = std::max(worst, std::fabs(static_cast<double>(p32[j]) - expected32[j]));
      CHECK_NEAR(worst, 0.0, 1e-6);
    }
  }
}

// The classification kernels (portable with and without its branches, SSE2 where built) agree bit
// for bit: sums, staged entries, masked counts and the NaN/+Infinity flag; float and double input.
template <typename T>
static void compareClassifyKernels(sshn::Rng& rng) {
  using namespace sshn::transforms::detail;
  const double inf = std::numeric_limits<double>::infinity();
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t n = 1 + static_cast<int64_t>(rng.nextDouble() * 3000);  // odd and even lengths, partial blocks
    std::vector<T> x(static_cast<size_t>(n));
    for (auto& v : x) {
      const double u = rng.nextDouble();
      v = static_cast<T>(u < 0.05 ? -inf : u < 0.08 ? 0.25 : (rng.nextDouble() - 0.5) * 4);  // masks and ties
    }
    if (trial % 7 == 3) x[static_cast<size_t>(rng.nextDouble() * static_cast<double>(n))] = static_cast<T>(trial % 2 ? inf : std::nan(""));
    const double shift = trial % 2 ? 0.0 : 0.5;
    double lo = (rng.nextDouble() - 0.5) * 3, hi = lo + (trial % 3 == 0 ? 0.25 : 1.5) * rng.nextDouble() + 1e-3;
    // Brackets through the tied value 0.25 (z = 0.25 - shift): z - 1 == lo, z == hi, z == lo, z - 1 == hi.
    const double tie = 0.25 - shift;
    if (trial % 5 == 1) lo = tie - 1, hi = lo + 0.5;
    if (trial % 5 == 2) hi = tie, lo = hi - 0.5;
    if (trial % 5 == 3) lo = tie, hi = lo + 0.75;
    if (trial % 5 == 4) hi = tie - 1, lo = hi - 0.25;
    const auto run = [&](int kernel) {
      SampledBracket sb{lo, hi, kernel == 0, false};
      Bracket b{lo, hi, 0.5, -1.25, 2};  // sums are added to
      std::vector<double> kept;
      const auto sink = [&](const double* block, size_t count) { kept.insert(kept.end(), block, block + count); };
      Screened seen{};
#ifdef SSHN_CLASSIFY_SSE2
      seen = kernel == 2 ? classifySse2(x.data(), n, shift, sb, b, sink) : classifyPortable(x.data(), n, shift, sb, b, sink);
#else
      seen = classifyPortable(x.data(), n, shift, sb, b, sink);
#endif
      return std::make_tuple(b.ones, b.midSum, b.midCount, kept, seen.masked, seen.bad);
    };
    const auto reference = run(0);
    for (int kernel = 1; kernel <= 2; ++kernel) {
      const auto other = run(kernel);
      CHECK(std::memcmp(&std::get<1>(reference), &std::get<1>(other), sizeof(double)) == 0);
      CHECK(std::get<0>(reference) == std::get<0>(other) && std::get<2>(reference) == std::get<2>(other));
      CHECK(std::get<3>(reference).size() == std::get<3>(other).size() &&
            std::memcmp(std::get<3>(reference).data(), std::get<3>(other).data(), std::get<3>(other).size() * sizeof(double)) == 0);
      CHECK(std::get<4>(reference) == std::get<4>(other) && std::get<5>(reference) == std::get<5>(other));
    }
    // Against the definitions, entry by entry.
    double ones = 0.5, count = 2;
    int64_t masks = 0, undetermined = 0;
    bool bad = false;
    for (T value : x) {
      const double v = static_cast<double>(value), z = v - shift;
      if (v == -inf) ++masks;
      if (std::isnan(v) || v == inf) bad = true;
      if (!(z > lo)) continue;
      if (z - 1 >= hi) ones += 1;
      else if (z - 1 <= lo && z >= hi) count += 1;
      else ++undetermined;
    }
    CHECK(std::get<0>(reference) == ones && std::get<2>(reference) == count);
    CHECK(static_cast<int64_t>(std::get<3>(reference).size()) == undetermined);
    CHECK(std::get<4>(reference) == masks && std::get<5>(reference) == bad);
  }
}

TEST_CASE("k-subsets classification kernels agree bit for bit and with the definitions") {
  sshn::Rng rng(31);
  compareClassifyKernels<double>(rng);
  compareClassifyKernels<float>(rng);
#ifndef SSHN_CLASSIFY_SSE2
  std::printf("  (no SSE2 kernel in this build)\n");
#endif
}

TEST_CASE("entmax at large alpha: J v where the weights p^(2 - alpha) are beyond the range") {
  // Three ties at alpha = 700: J v = 3^698 (v - mean v), 1e333 per unit of v: finite for v = 1e-100 e_1.
  const double x[3] = {0, 0, 0}, v[3] = {0, 1e-100, 0};
  double jv[3];
  jvp(params(Kind::Entmax, 700, 1, 3), x, v, jv);
  const double scale = std::pow(10.0, 698 * std::log10(3.0) - 100);
  CHECK_NEAR(jv[0] / scale, -1.0 / 3, 1e-11);
  CHECK_NEAR(jv[1] / scale, 2.0 / 3, 1e-11);
  CHECK_NEAR(jv[2] / scale, -1.0 / 3, 1e-11);
}

// entmax on [0, -delta (m times)]: the tied p = w solves (1 - m w)^a - w^a = a delta (a = alpha - 1),
// by bisection on w in (0, 1/(m + 1)].
static double entmaxTied(double alpha, double delta, int m) {
  const double a = alpha - 1;
  double lo = 0, hi = 1.0 / (m + 1);
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (std::exp(a * std::log1p(-m * mid)) - std::exp(a * std::log(mid)) - a * delta > 0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

TEST_CASE("entmax at large alpha: entries just inside the support get their closed-form p") {
  for (double alpha : {3.0, 100.0, 512.4, 1000.0}) {
    for (double lead : {0.5, 1e-10}) {
      for (int m : {1, 3}) {
        std::vector<double> x(static_cast<size_t>(m) + 1, -lead / (alpha - 1)), p(x.size());
        x[0] = 0;
        forward(params(Kind::Entmax, alpha, 1, m + 1), x.data(), p.data(), nullptr, nullptr);
        const double w = entmaxTied(alpha, lead / (alpha - 1), m);
        CHECK_NEAR(p[0], 1 - m * w, 1e-12);
        for (int i = 1; i <= m; ++i) CHECK_NEAR(p[i], w, 1e-12);
      }
    }
  }
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
