// C++ unit tests of the LP-SparseMAP core against closed-form optimality conditions and brute force.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "../core/errors.hpp"
#include "../core/rng.hpp"
#include "../core/sparsemap_active_set.hpp"
#include "../core/sparsemap_closed_form.hpp"
#include "../core/sparsemap.hpp"
#include "check.hpp"

using namespace sshn::sparsemap;

static std::vector<double> randomVector(sshn::Rng& rng, size_t n, double scale) {
  std::vector<double> v(n);
  for (auto& x : v) x = scale * (2 * rng.nextDouble() - 1);
  return v;
}

TEST_CASE("capped projection satisfies its KKT conditions") {
  sshn::Rng rng(1);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t n = 1 + static_cast<int64_t>(rng.nextDouble() * 30);
    const auto a = randomVector(rng, static_cast<size_t>(n), 2);
    std::vector<double> costs = randomVector(rng, static_cast<size_t>(n), 1);
    for (auto& c : costs) c = std::fabs(c) + 0.1;
    const bool weighted = trial % 2 == 1;
    double total = 0;
    for (double c : costs) total += weighted ? c : 1;
    const double k = weighted ? rng.nextDouble() * total : std::floor(rng.nextDouble() * (n + 1));
    const SumMode mode = static_cast<SumMode>(trial % 3);
    std::vector<double> x(static_cast<size_t>(n));
    const double tau = cappedProjection(a.data(), n, weighted ? costs.data() : nullptr, k, mode, x.data());
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += (weighted ? costs[i] : 1) * x[i];
    if (std::isnan(tau)) {
      // Inactive: plain clipping, feasible.
      for (int64_t i = 0; i < n; ++i) CHECK_NEAR(x[i], std::min(1.0, std::max(0.0, a[i])), 0);
      CHECK(mode == SumMode::AtMost ? sum <= k + 1e-12 : sum >= k - 1e-12);
      CHECK(mode != SumMode::Exact);
    } else {
      CHECK_NEAR(sum, k, 1e-9 * std::max(1.0, k));
      for (int64_t i = 0; i < n; ++i) CHECK_NEAR(x[i], std::min(1.0, std::max(0.0, a[i] - tau * (weighted ? costs[i] : 1))), 1e-12);
      if (mode == SumMode::AtMost) CHECK(tau >= 0);
      if (mode == SumMode::AtLeast) CHECK(tau <= 0);
    }
  }
}

TEST_CASE("pair factor beats every point of a fine grid of its polytope") {
  sshn::Rng rng(2);
  for (int trial = 0; trial < 100; ++trial) {
    const double a1 = 3 * rng.nextDouble() - 1, a2 = 3 * rng.nextDouble() - 1, s = 4 * rng.nextDouble() - 2;
    double out[3];
    pairSolve(a1, a2, s, out);
    const auto objective = [&](double x1, double x2, double v) { return a1 * x1 + a2 * x2 + s * v - 0.5 * (x1 * x1 + x2 * x2); };
    const double best = objective(out[0], out[1], out[2]);
    CHECK(out[2] >= -1e-15 && out[2] <= std::min(out[0], out[1]) + 1e-15 && out[2] >= out[0] + out[1] - 1 - 1e-15);
    double gridBest = -std::numeric_limits<double>::infinity();
    for (int i = 0; i <= 100; ++i)
      for (int j = 0; j <= 100; ++j) {
        const double x1 = i / 100.0, x2 = j / 100.0;
        gridBest = std::max(gridBest, objective(x1, x2, s >= 0 ? std::min(x1, x2) : std::max(0.0, x1 + x2 - 1)));
      }
    CHECK(best >= gridBest - 1e-12);
  }
}

TEST_CASE("Viterbi oracles match enumeration, with and without a budget") {
  sshn::Rng rng(3);
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t L = 1 + static_cast<int64_t>(rng.nextDouble() * 5), S = 1 + static_cast<int64_t>(rng.nextDouble() * 3);
    const int64_t budget = trial % 3 == 0 ? -1 : S == 1 ? L : static_cast<int64_t>(rng.nextDouble() * (L + 1));
    const bool exact = trial % 3 == 2 && S > 1;
    const auto u = randomVector(rng, static_cast<size_t>(L * S), 1);
    const auto b = randomVector(rng, static_cast<size_t>(sequenceAdditionalLength(L, S)), 1);
    SequenceOracle oracle(L, S, budget, exact);
    const Structure s = oracle.argmax(u.data(), b.data());
    double best = -std::numeric_limits<double>::infinity();
    int64_t total = 1;
    for (int64_t t = 0; t < L; ++t) total *= S;
    for (int64_t code = 0; code < total; ++code) {
      std::vector<int64_t> path(static_cast<size_t>(L));
      int64_t c = code, zeros = 0;
      for (int64_t t = 0; t < L; ++t) {
        path[t] = c % S;
        c /= S;
        zeros += path[t] == 0;
      }
      if (budget >= 0 && (exact ? zeros != budget : zeros > budget)) continue;
      double score = u[path[0]] + b[path[0]];
      for (int64_t t = 1; t < L; ++t) score += u[t * S + path[t]] + b[S + (t - 1) * S * S + path[t - 1] * S + path[t]];
      score += b[S + (L - 1) * S * S + path[L - 1]];
      best = std::max(best, score);
    }
    CHECK_NEAR(structureScore(s, u.data(), b.data()), best, 1e-12);
  }
}

TEST_CASE("selection oracle matches enumeration of k-subsets with pair bonuses") {
  sshn::Rng rng(6);
  for (int trial = 0; trial < 100; ++trial) {
    const int64_t L = 1 + static_cast<int64_t>(rng.nextDouble() * 8);
    const int64_t k = static_cast<int64_t>(rng.nextDouble() * (L + 1));
    const auto u = randomVector(rng, static_cast<size_t>(L), 1);
    const auto b = randomVector(rng, static_cast<size_t>(L > 1 ? L - 1 : 0), 1);
    SelectionOracle oracle(L, k);
    const Structure s = oracle.argmax(u.data(), b.data());
    CHECK(static_cast<int64_t>(s.on.size()) == k);
    double best = -std::numeric_limits<double>::infinity();
    for (int64_t mask = 0; mask < (int64_t{1} << L); ++mask) {
      int64_t selected = 0;
      for (int64_t t = 0; t < L; ++t) selected += (mask >> t) & 1;
      if (selected != k) continue;
      double score = 0;
      for (int64_t t = 0; t < L; ++t) {
        if (!((mask >> t) & 1)) continue;
        score += u[t];
        if (t > 0 && ((mask >> (t - 1)) & 1)) score += b[t - 1];
      }
      best = std::max(best, score);
    }
    CHECK_NEAR(structureScore(s, u.data(), b.data()), best, 1e-12);
  }
}

TEST_CASE("Chu-Liu-Edmonds finds the best arborescence (enumeration)") {
  sshn::Rng rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t n = 1 + static_cast<int64_t>(rng.nextDouble() * 5), N = n + 1;
    std::vector<double> score(static_cast<size_t>(N * N), -std::numeric_limits<double>::infinity());
    for (int64_t h = 0; h < N; ++h)
      for (int64_t m = 1; m < N; ++m)
        if (h != m) score[h * N + m] = 2 * rng.nextDouble() - 1;
    const auto head = chuLiuEdmonds(score, N);
    double got = 0;
    for (int64_t m = 1; m < N; ++m) got += score[head[m] * N + m];
    double best = -std::numeric_limits<double>::infinity();
    int64_t total = 1;
    for (int64_t m = 0; m < n; ++m) total *= N;
    for (int64_t code = 0; code < total; ++code) {
      std::vector<int64_t> heads(static_cast<size_t>(N), -1);
      int64_t c = code;
      bool ok = true;
      for (int64_t m = 1; m < N; ++m) {
        heads[m] = c % N;
        c /= N;
        if (heads[m] == m) ok = false;
      }
      for (int64_t m = 1; m < N && ok; ++m) {
        int64_t v = m, steps = 0;
        while (v != 0 && steps++ <= n) v = heads[v];
        if (v != 0) ok = false;
      }
      if (!ok) continue;
      double s = 0;
      for (int64_t m = 1; m < N; ++m) s += score[heads[m] * N + m];
      best = std::max(best, s);
    }
    CHECK_NEAR(got, best, 1e-12);
    for (int64_t m = 1; m < N; ++m) {  // the result is a tree
      int64_t v = m, steps = 0;
      while (v != 0 && steps++ <= n) v = head[v];
      CHECK(v == 0);
    }
  }
}

TEST_CASE("active-set QP: no structure beats its support at the end") {
  sshn::Rng rng(4);
  for (int trial = 0; trial < 30; ++trial) {
    const int64_t L = 6, S = 3;
    const auto a = randomVector(rng, static_cast<size_t>(L * S), 2);
    const auto b = randomVector(rng, static_cast<size_t>(sequenceAdditionalLength(L, S)), 1);
    ActiveSetQP qp(std::make_unique<SequenceOracle>(L, S));
    std::vector<double> x(static_cast<size_t>(L * S)), v(static_cast<size_t>(sequenceAdditionalLength(L, S)));
    CHECK(qp.solve(a.data(), b.data(), 1000, x.data(), v.data()));
    std::vector<double> residual(a.size());
    for (size_t i = 0; i < a.size(); ++i) residual[i] = a[i] - x[i];
    double tau = 0, weightSum = 0;
    for (size_t s = 0; s < qp.structures().size(); ++s) {
      tau += qp.weights()[s] * structureScore(qp.structures()[s], residual.data(), b.data());
      weightSum += qp.weights()[s];
      CHECK(qp.weights()[s] > 0);
    }
    SequenceOracle check(L, S);
    CHECK(structureScore(check.argmax(residual.data(), b.data()), residual.data(), b.data()) <= tau + 1e-10);
    CHECK_NEAR(weightSum, 1, 1e-12);
  }
}

TEST_CASE("validateGraph rejects malformed graphs") {
  const int32_t kinds[] = {static_cast<int32_t>(FactorKind::Xor)};
  const int32_t varStart[] = {0, 2}, zeros[] = {0, 0};
  int32_t vars[] = {0, 1};
  const uint8_t negated[] = {0, 0};
  GraphView g;
  g.nVariables = 2;
  g.nFactors = 1;
  g.kinds = kinds;
  g.varStart = varStart;
  g.vars = vars;
  g.negated = negated;
  g.intStart = zeros;
  g.realStart = zeros;
  g.addStart = zeros;
  g.supportStart = zeros;
  g.labelStart = zeros;
  validateGraph(g);
  bool threw = false;
  vars[1] = 2;
  try {
    validateGraph(g);
  } catch (const sshn::RangeError&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  vars[1] = 0;
  try {
    validateGraph(g);
  } catch (const sshn::RangeError&) {
    threw = true;
  }
  CHECK(threw);
}

TEST_MAIN()
