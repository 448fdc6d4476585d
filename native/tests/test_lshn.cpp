// C++ unit tests of the LSHN core against hand computations and finite differences, independent of Node.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../core/errors.hpp"
#include "../core/lshn.hpp"
#include "../core/rng.hpp"
#include "check.hpp"

using namespace sshn::lshn;

TEST_CASE("MLP forward pass equals tanh(W2 gelu(W1 x + b1) + b2) worked by hand") {
  // Hidden pre-activations (0.3, 0.3); GELU(0.3) = 0.3 Phi(0.3), Phi(0.3) = 0.6179114221889527.
  const float w1[] = {1, 0, 0, -1}, b1[] = {0, 0.5f}, w2[] = {2, 1}, b2[] = {0.25f};
  const Mlp mlp{w1, b1, w2, b2, 2, 2, 1};
  const double x[] = {0.3, 0.2, 0.3, 0.2};
  double out[2];
  mlpForward(mlp, x, 2, out);
  const double expected = std::tanh(3 * 0.3 * 0.6179114221889527 + 0.25);
  CHECK_NEAR(out[0], expected, 1e-15);
  CHECK_NEAR(out[1], expected, 1e-15);
}

TEST_CASE("dynamics: two steps by hand, energies, saturation and early stop") {
  const float eye[] = {1, 0, 0, 1}, whh[] = {0, 0.5f, 0.5f, 0};
  const double input[] = {0.2, -0.1};
  double states[2], energies[3];
  int32_t steps[1];
  uint8_t converged[1];
  dynamics(eye, whh, 2, input, 1, DynamicsParams{0.1, 2, 0.0, true, 1}, states, energies, steps, converged);
  CHECK_NEAR(states[0], 0.23, 1e-15);
  CHECK_NEAR(states[1], -0.09925, 1e-15);
  CHECK_NEAR(energies[0], -0.04, 1e-15);
  CHECK_NEAR(energies[1], -0.04225, 1e-15);
  CHECK_NEAR(energies[2], -0.04451125, 1e-15);
  CHECK(steps[0] == 2 && converged[0] == 0);

  const float strong[] = {0, 2, 2, 0};
  const double cue[] = {0.5, 0.4};
  std::vector<double> trace(11);
  dynamics(eye, strong, 2, cue, 1, DynamicsParams{0.5, 10, 0.0, true, 1}, states, trace.data(), steps, converged);
  CHECK(states[0] == 1 && states[1] == 1);
  CHECK(steps[0] == 2 && converged[0] == 1);
  CHECK_NEAR(trace[0], -0.81, 1e-14);
  CHECK_NEAR(trace[2], -2.9, 1e-14);
  for (int t = 3; t < 11; ++t) CHECK(std::isnan(trace[t]));
}

TEST_CASE("one-step gradient matches central finite differences") {
  const int64_t n = 4, count = 3;
  sshn::Rng rng(5);
  auto fill = [&](std::vector<double>& v, double lo, double hi) {
    for (auto& x : v) x = lo + (hi - lo) * rng.nextDouble();
  };
  std::vector<double> wih(n * n), whh(n * n), starts(count * n), inputs(count * n), targets(count * n);
  fill(wih, -1, 1);
  fill(whh, -1, 1);
  fill(starts, -0.8, 0.8);
  fill(inputs, -0.8, 0.8);
  for (auto& t : targets) t = rng.nextDouble() < 0.5 ? -1 : 1;
  std::vector<double> gi(n * n), gh(n * n), scratch1(n * n), scratch2(n * n);
  const double dt = 0.8;
  oneStepGrad(wih.data(), whh.data(), n, starts.data(), inputs.data(), targets.data(), count, dt, gi.data(), gh.data());
  auto loss = [&] {
    return oneStepGrad(wih.data(), whh.data(), n, starts.data(), inputs.data(), targets.data(), count, dt, scratch1.data(), scratch2.data());
  };
  double worst = 0;
  for (auto* pair : {&wih, &whh}) {
    auto& g = pair == &wih ? gi : gh;
    for (int64_t k = 0; k < n * n; ++k) {
      const double keep = (*pair)[k];
      (*pair)[k] = keep + 1e-6;
      const double up = loss();
      (*pair)[k] = keep - 1e-6;
      const double down = loss();
      (*pair)[k] = keep;
      worst = std::max(worst, std::abs((up - down) / 2e-6 - g[k]));
    }
  }
  CHECK(worst < 1e-7);
}

TEST_CASE("bad arguments throw RangeError") {
  const float w[] = {0};
  const double x[] = {0};
  double s[1], e[2];
  int32_t st[1];
  uint8_t c[1];
  bool threw = false;
  try {
    dynamics(w, w, 1, x, 1, DynamicsParams{0.0, 1, 0.0, true, 1}, s, e, st, c);
  } catch (const sshn::RangeError&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  try {
    dynamics(w, w, 0, x, 1, DynamicsParams{0.1, 1, 0.0, true, 1}, s, e, st, c);
  } catch (const sshn::RangeError&) {
    threw = true;
  }
  CHECK(threw);
}

TEST_MAIN()
