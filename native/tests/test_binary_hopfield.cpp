// C++ unit tests of the binary Hopfield core, independent of Node.
#include <cmath>
#include <cstdint>
#include <vector>

#include "../core/binary_hopfield.hpp"
#include "../core/errors.hpp"
#include "../core/rng.hpp"
#include "check.hpp"

using namespace sshn::binary;

static std::vector<int8_t> randomPatterns(int64_t p, int64_t n, double seed) {
  sshn::Rng rng(seed);
  std::vector<int8_t> x(static_cast<size_t>(p * n));
  for (auto& v : x) v = rng.nextDouble() < 0.5 ? 1 : -1;
  return x;
}

TEST_CASE("Hebbian counts equal sum_mu x_i x_j, diagonal zeroed") {
  const int64_t p = 70, n = 23;  // p > 64 exercises more than one packed word
  auto x = randomPatterns(p, n, 1);
  std::vector<int16_t> counts(n * n, 0);
  hebbianAccumulate(x.data(), p, n, counts.data(), true);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int expected = 0;
      if (i != j) for (int64_t mu = 0; mu < p; ++mu) expected += x[mu * n + i] * x[mu * n + j];
      CHECK(counts[i * n + j] == expected);
    }
  }
}

TEST_CASE("async recall never raises the energy and ends at a fixed point") {
  const int64_t p = 10, n = 100;
  auto x = randomPatterns(p, n, 2);
  std::vector<int16_t> counts(n * n, 0);
  hebbianAccumulate(x.data(), p, n, counts.data(), true);
  NetworkView<int16_t> net{counts.data(), counts.data(), 1.0 / n, nullptr, n};
  const int64_t count = 8;
  auto cues = randomPatterns(count, n, 3);
  RecallParams params;
  params.maxSweeps = 50;
  params.threads = 2;
  std::vector<int8_t> states(count * n);
  std::vector<int32_t> sweeps(count), cycles(count);
  std::vector<uint8_t> status(count);
  std::vector<double> energies(count * (params.maxSweeps + 1));
  recallBatch(net, cues.data(), count, params, RecallOutputs{states.data(), sweeps.data(), status.data(), cycles.data(), energies.data()});
  for (int64_t b = 0; b < count; ++b) {
    CHECK(status[b] == static_cast<uint8_t>(Status::Converged));
    for (int32_t t = 1; t <= sweeps[b]; ++t) CHECK(energies[b * (params.maxSweeps + 1) + t] <= energies[b * (params.maxSweeps + 1) + t - 1] + 1e-12);
    CHECK_NEAR(energies[b * (params.maxSweeps + 1) + sweeps[b]], energy(net, states.data() + b * n), 1e-9);
  }
}

TEST_CASE("overlap fields, alone or handing over to matrix fields, recall exactly like matrix fields") {
  const int64_t p = 12, n = 120, count = 10;
  auto x = randomPatterns(p, n, 4);
  std::vector<int16_t> counts(n * n, 0);
  hebbianAccumulate(x.data(), p, n, counts.data(), true);
  std::vector<int8_t> xT(n * p);  // neuron-major
  for (int64_t mu = 0; mu < p; ++mu) for (int64_t i = 0; i < n; ++i) xT[i * p + mu] = x[mu * n + i];
  NetworkView<int16_t> net{counts.data(), counts.data(), 1.0 / n, nullptr, n, xT.data(), p, p};
  auto cues = randomPatterns(count, n, 5);
  for (const Mode mode : {Mode::Async, Mode::Sync, Mode::Stochastic}) {
    struct Run {
      std::vector<int8_t> states = std::vector<int8_t>(count * n);
      std::vector<int32_t> sweeps = std::vector<int32_t>(count), cycles = std::vector<int32_t>(count);
      std::vector<uint8_t> status = std::vector<uint8_t>(count);
      std::vector<double> energies = std::vector<double>(count * 51);
    } runs[3];
    for (int k = 0; k < 3; ++k) {
      RecallParams params;
      params.mode = mode;
      params.maxSweeps = 50;
      params.temperature = 0.4;
      params.seed = 6;
      params.patternFields = k > 0;
      params.matrixWhenSettled = k == 2;
      Run& r = runs[k];
      recallBatch(net, cues.data(), count, params, RecallOutputs{r.states.data(), r.sweeps.data(), r.status.data(), r.cycles.data(), r.energies.data()});
    }
    for (int k = 1; k < 3; ++k) {
      CHECK(runs[k].states == runs[0].states);
      CHECK(runs[k].sweeps == runs[0].sweeps);
      for (size_t e = 0; e < runs[0].energies.size(); ++e) {
        const double a = runs[0].energies[e], b = runs[k].energies[e];
        CHECK((a == b) || (a != a && b != b));  // equal, or both NaN past the last sweep
      }
    }
  }
}

TEST_CASE("synchronous 2-cycle is reported") {
  const double w[4] = {0, -1, -1, 0};
  NetworkView<double> net{w, w, 1.0, nullptr, 2};
  const int8_t cue[2] = {1, 1};
  RecallParams params;
  params.mode = Mode::Sync;
  int8_t state[2];
  int32_t sweeps = 0, cycle = 0;
  uint8_t status = 0;
  recallBatch(net, cue, 1, params, RecallOutputs{state, &sweeps, &status, &cycle, nullptr});
  CHECK(status == static_cast<uint8_t>(Status::Cycle));
  CHECK(cycle == 2);
}

// The API refuses |W_ij|, |U_i| above 1e150 (MAX_WEIGHT in src/kernels.ts); at the bound every sum
// stays far from overflow, so energies match a long double reference (exact here: at most 16 terms
// of +-1e150) and recall never sees Infinity or NaN.
TEST_CASE("weights and thresholds at the API's bound of 1e150 give right energies and finite recall") {
  const double bound = 1e150;
  const int64_t n = 4;
  double w[16];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) w[i * n + j] = i == j ? 0.0 : ((i + j) % 3 == 0 ? -bound : bound);
  const double u[4] = {bound, -bound, bound, 0.0};
  NetworkView<double> net{w, w, 1.0, u, n};
  const auto reference = [&](const int8_t* s) {
    long double e = 0;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < n; ++j) e -= 0.5L * w[i * n + j] * s[i] * s[j];
      e += static_cast<long double>(u[i]) * s[i];
    }
    return static_cast<double>(e);
  };
  const double tolerance = 1e-14 * bound;
  RecallParams params;
  params.maxSweeps = 10;
  for (int code = 0; code < 16; ++code) {
    int8_t cue[4];
    for (int64_t i = 0; i < n; ++i) cue[i] = (code >> i) & 1 ? 1 : -1;
    CHECK(std::fabs(energy(net, cue) - reference(cue)) <= tolerance);
    for (const Mode mode : {Mode::Async, Mode::Sync}) {
      params.mode = mode;
      int8_t state[4];
      int32_t sweeps = 0, cycle = 0;
      uint8_t status = 0;
      double energies[11];
      recallBatch(net, cue, 1, params, RecallOutputs{state, &sweeps, &status, &cycle, energies});
      for (int32_t t = 0; t <= sweeps; ++t) CHECK(std::isfinite(energies[t]));
      CHECK(std::fabs(energies[sweeps] - reference(state)) <= tolerance);
    }
  }
}

TEST_CASE("bad parameters throw instead of crashing") {
  const double w[1] = {0};
  NetworkView<double> net{w, w, 1.0, nullptr, 1};
  RecallParams params;
  params.maxSweeps = 0;
  bool threw = false;
  try {
    recallBatch(net, nullptr, 0, params, RecallOutputs{});
  } catch (const sshn::RangeError&) {
    threw = true;
  }
  CHECK(threw);
}

TEST_MAIN()
