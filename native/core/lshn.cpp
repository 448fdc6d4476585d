#include "lshn.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "errors.hpp"
#include "parallel.hpp"

namespace sshn::lshn {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;

// Fixed block size: the rows of one GEMM do not depend on how many images the caller passes
// beyond the block, and memory stays bounded for large batches.
constexpr int64_t kRowBlock = 256;

RowMatrix widen(const float* data, int64_t rows, int64_t cols) {
  return Eigen::Map<const RowMatrixF>(data, rows, cols).cast<double>();
}

Vector widenVector(const float* data, int64_t n) {
  return Eigen::Map<const Eigen::VectorXf>(data, n).cast<double>();
}

double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

double clip(double x) { return x < -1.0 ? -1.0 : (x > 1.0 ? 1.0 : x); }

void checkSizes(int64_t a, int64_t b, const char* what) {
  if (a < 0 || b < 0) throw RangeError(std::string(what) + " must not be negative");
  checkedProduct(static_cast<size_t>(a), static_cast<size_t>(b), what);
}

}  // namespace

void mlpForward(const Mlp& mlp, const double* input, int64_t count, double* out) {
  if (mlp.inDim < 1 || mlp.hidDim < 1 || mlp.outDim < 1) throw RangeError("mlp dimensions must be positive");
  checkSizes(count, mlp.inDim, "input");
  checkSizes(count, mlp.outDim, "output");
  const RowMatrix w1 = widen(mlp.w1, mlp.hidDim, mlp.inDim);
  const RowMatrix w2 = widen(mlp.w2, mlp.outDim, mlp.hidDim);
  const Eigen::RowVectorXd b1 = widenVector(mlp.b1, mlp.hidDim).transpose();
  const Eigen::RowVectorXd b2 = widenVector(mlp.b2, mlp.outDim).transpose();
  for (int64_t start = 0; start < count; start += kRowBlock) {
    const int64_t rows = std::min(kRowBlock, count - start);
    Eigen::Map<const RowMatrix> x(input + start * mlp.inDim, rows, mlp.inDim);
    RowMatrix hidden = x * w1.transpose();
    hidden.rowwise() += b1;
    hidden = hidden.unaryExpr([](double v) { return gelu(v); });
    Eigen::Map<RowMatrix> y(out + start * mlp.outDim, rows, mlp.outDim);
    y.noalias() = hidden * w2.transpose();
    y.rowwise() += b2;
    y = y.array().tanh().matrix();
  }
}

void dynamics(const float* wih, const float* whh, int64_t n, const double* inputs, int64_t count,
              const DynamicsParams& params, double* states, double* energies, int32_t* steps,
              uint8_t* converged) {
  if (n < 1) throw RangeError("n must be positive");
  if (!(params.dt > 0) || !std::isfinite(params.dt)) throw RangeError("dt must be finite and > 0");
  if (params.steps < 0 || params.steps > std::numeric_limits<int32_t>::max()) throw RangeError("steps out of range");
  if (!(params.tol >= 0)) throw RangeError("tol must be >= 0");
  checkSizes(count, n, "inputs");
  if (params.trackEnergy) checkSizes(count, params.steps + 1, "energies");
  const RowMatrix wIn = widen(wih, n, n);
  const RowMatrix wRec = widen(whh, n, n);
  const int64_t trace = params.steps + 1;
  const unsigned threads = usableThreads(params.threads);
  parallelFor(count, threads, [&](unsigned, int64_t r) {
    Eigen::Map<const Vector> input(inputs + r * n, n);
    Eigen::Map<Vector> v(states + r * n, n);
    const Vector drive = wIn * input;
    Vector field(n);
    v = input;
    int64_t done = 0;
    bool stopped = false;
    for (int64_t t = 0;; ++t) {
      field.noalias() = wRec * v;
      if (params.trackEnergy) energies[r * trace + t] = -0.5 * v.dot(field) - v.dot(drive);
      if (t == params.steps || stopped) break;
      double change = 0;
      for (int64_t i = 0; i < n; ++i) {
        const double next = clip(v[i] + params.dt * (drive[i] + field[i]));
        change = std::max(change, std::abs(next - v[i]));
        v[i] = next;
      }
      done = t + 1;
      stopped = change <= params.tol;
    }
    if (params.trackEnergy) {
      std::fill(energies + r * trace + done + 1, energies + (r + 1) * trace, std::numeric_limits<double>::quiet_NaN());
    }
    steps[r] = static_cast<int32_t>(done);
    converged[r] = stopped ? 1 : 0;
  });
}

double oneStepGrad(const double* wih, const double* whh, int64_t n, const double* starts, const double* inputs,
                   const double* targets, int64_t count, double dt, double* gradWih, double* gradWhh) {
  if (n < 1 || count < 1) throw RangeError("n and count must be positive");
  checkSizes(count, n, "starts");
  Eigen::Map<const RowMatrix> wIn(wih, n, n), wRec(whh, n, n);
  Eigen::Map<const RowMatrix> v(starts, count, n), input(inputs, count, n), target(targets, count, n);
  const RowMatrix pre = v + dt * (input * wIn.transpose() + v * wRec.transpose());
  RowMatrix g(count, n);
  double loss = 0;
  for (int64_t r = 0; r < count; ++r) {
    for (int64_t i = 0; i < n; ++i) {
      const double p = pre(r, i);
      const double diff = clip(p) - target(r, i);
      loss += diff * diff;
      g(r, i) = (p > -1.0 && p < 1.0) ? dt * diff / static_cast<double>(count) : 0.0;
    }
  }
  Eigen::Map<RowMatrix>(gradWih, n, n).noalias() = g.transpose() * input;
  Eigen::Map<RowMatrix>(gradWhh, n, n).noalias() = g.transpose() * v;
  return loss / (2.0 * static_cast<double>(count));
}

}  // namespace sshn::lshn
