// Latent Hopfield network kernels (SPEC.md section 5), N-API free. Weights arrive as float32 (the
// published precision) and are widened to double; every product and sum is accumulated in double
// and all states/outputs are double, exactly like the TypeScript twin in src/js/lshn.ts.
#pragma once
#include <cstdint>

namespace sshn::lshn {

// Linear(in, hid) -> GELU(exact) -> Linear(hid, out) -> tanh; weights row-major out x in.
struct Mlp {
  const float* w1;
  const float* b1;
  const float* w2;
  const float* b2;
  int64_t inDim;
  int64_t hidDim;
  int64_t outDim;
};

// out (count x outDim) = tanh(gelu(input W1' + b1) W2' + b2), in blocks of rows.
void mlpForward(const Mlp& mlp, const double* input, int64_t count, double* out);

struct DynamicsParams {
  double dt;
  int64_t steps;
  double tol;  // a row stops once max |v_new - v| <= tol
  bool trackEnergy;
  unsigned threads;  // 0 = all cores; results do not depend on it
};

// Per row I of inputs (count x n): v0 = I, v <- clip(v + dt (W_ih I + W_hh v), -1, 1).
// energies (count x (steps + 1), only written when tracked) holds E = -1/2 v'W_hh v - v'W_ih I
// before each step and after the last one, NaN after the row stopped.
void dynamics(const float* wih, const float* whh, int64_t n, const double* inputs, int64_t count,
              const DynamicsParams& params, double* states, double* energies, int32_t* steps,
              uint8_t* converged);

// One-step loss L = 1/(2m) sum_r ||clip(v_r + dt (W_ih I_r + W_hh v_r)) - s_r||^2 and its gradients
// (n x n, row-major) with respect to W_ih and W_hh; returns L.
double oneStepGrad(const double* wih, const double* whh, int64_t n, const double* starts, const double* inputs,
                   const double* targets, int64_t count, double dt, double* gradWih, double* gradWhh);

}  // namespace sshn::lshn
