// N-API bindings for native/core/lshn: unpack the caller-owned typed arrays (src/kernels.ts
// signatures) and run the kernels, synchronously or on the libuv pool with the arrays pinned.
#include <memory>

#include "../core/lshn.hpp"
#include "async.hpp"
#include "common.hpp"

namespace sshn::addon {
namespace {

using sshn::lshn::DynamicsParams;
using sshn::lshn::Mlp;

constexpr int64_t kMaxDim = int64_t{1} << 31;

size_t cells(int64_t a, int64_t b, const char* what) {
  return checkedProduct(static_cast<size_t>(a), static_cast<size_t>(b), what);
}

Mlp mlpArg(const Napi::Value& value, Pins* pins) {
  if (!value.IsObject()) throw sshn::TypeError("mlp must be an object");
  auto object = value.As<Napi::Object>();
  Mlp mlp{};
  mlp.inDim = integerArg(object.Get("inDim"), "mlp.inDim", 1, kMaxDim);
  mlp.hidDim = integerArg(object.Get("hidDim"), "mlp.hidDim", 1, kMaxDim);
  mlp.outDim = integerArg(object.Get("outDim"), "mlp.outDim", 1, kMaxDim);
  mlp.w1 = typedArrayArg<float>(object.Get("w1"), "mlp.w1", cells(mlp.hidDim, mlp.inDim, "mlp.w1")).Data();
  mlp.b1 = typedArrayArg<float>(object.Get("b1"), "mlp.b1", static_cast<size_t>(mlp.hidDim)).Data();
  mlp.w2 = typedArrayArg<float>(object.Get("w2"), "mlp.w2", cells(mlp.outDim, mlp.hidDim, "mlp.w2")).Data();
  mlp.b2 = typedArrayArg<float>(object.Get("b2"), "mlp.b2", static_cast<size_t>(mlp.outDim)).Data();
  if (pins) {
    for (const char* key : {"w1", "b1", "w2", "b2"}) pins->add(object.Get(key));
  }
  return mlp;
}

// lshnMlp(mlp, input, count, out)
struct MlpJob {
  Mlp mlp;
  const double* input;
  int64_t count;
  double* out;

  void run() const { sshn::lshn::mlpForward(mlp, input, count, out); }
};

MlpJob mlpJobArgs(const Napi::CallbackInfo& info, Pins* pins) {
  MlpJob job{};
  job.mlp = mlpArg(info[0], pins);
  job.count = integerArg(info[2], "count", 0, int64_t{1} << 40);
  job.input = typedArrayArg<double>(info[1], "input", cells(job.count, job.mlp.inDim, "input")).Data();
  job.out = typedArrayArg<double>(info[3], "out", cells(job.count, job.mlp.outDim, "out")).Data();
  if (pins) {
    pins->add(info[1]);
    pins->add(info[3]);
  }
  return job;
}

// lshnDynamics(wih, whh, n, inputs, count, params, out)
struct DynamicsJob {
  const float* wih;
  const float* whh;
  int64_t n;
  const double* inputs;
  int64_t count;
  DynamicsParams params;
  double* states;
  double* energies;
  int32_t* steps;
  uint8_t* converged;

  void run() const { sshn::lshn::dynamics(wih, whh, n, inputs, count, params, states, energies, steps, converged); }
};

DynamicsJob dynamicsJobArgs(const Napi::CallbackInfo& info, Pins* pins) {
  DynamicsJob job{};
  job.n = integerArg(info[2], "n", 1, kMaxDim);
  const size_t square = cells(job.n, job.n, "weights");
  job.wih = typedArrayArg<float>(info[0], "wih", square).Data();
  job.whh = typedArrayArg<float>(info[1], "whh", square).Data();
  job.count = integerArg(info[4], "count", 0, int64_t{1} << 40);
  job.inputs = typedArrayArg<double>(info[3], "inputs", cells(job.count, job.n, "inputs")).Data();
  if (!info[5].IsObject()) throw sshn::TypeError("params must be an object");
  auto p = info[5].As<Napi::Object>();
  job.params.dt = numberArg(p.Get("dt"), "params.dt");
  job.params.steps = integerArg(p.Get("steps"), "params.steps", 0, INT32_MAX - 1);
  job.params.tol = numberArg(p.Get("tol"), "params.tol");
  job.params.trackEnergy = p.Get("trackEnergy").ToBoolean();
  job.params.threads = 0;
  if (!info[6].IsObject()) throw sshn::TypeError("outputs must be an object");
  auto out = info[6].As<Napi::Object>();
  job.states = typedArrayArg<double>(out.Get("states"), "outputs.states", cells(job.count, job.n, "states")).Data();
  job.energies = nullptr;
  if (job.params.trackEnergy) {
    job.energies =
        typedArrayArg<double>(out.Get("energies"), "outputs.energies", cells(job.count, job.params.steps + 1, "energies")).Data();
  }
  job.steps = typedArrayArg<int32_t>(out.Get("steps"), "outputs.steps", static_cast<size_t>(job.count)).Data();
  job.converged = typedArrayArg<uint8_t>(out.Get("converged"), "outputs.converged", static_cast<size_t>(job.count)).Data();
  if (pins) {
    for (int k : {0, 1, 3}) pins->add(info[k]);
    for (const char* key : {"states", "energies", "steps", "converged"}) pins->add(out.Get(key));
  }
  return job;
}

// lshnOneStepGrad(wih, whh, n, starts, inputs, targets, count, dt, gradWih, gradWhh) -> loss
struct GradJob {
  const double* wih;
  const double* whh;
  int64_t n;
  const double* starts;
  const double* inputs;
  const double* targets;
  int64_t count;
  double dt;
  double* gradWih;
  double* gradWhh;

  double run() const {
    return sshn::lshn::oneStepGrad(wih, whh, n, starts, inputs, targets, count, dt, gradWih, gradWhh);
  }
};

GradJob gradJobArgs(const Napi::CallbackInfo& info, Pins* pins) {
  GradJob job{};
  job.n = integerArg(info[2], "n", 1, kMaxDim);
  const size_t square = cells(job.n, job.n, "weights");
  job.wih = typedArrayArg<double>(info[0], "wih", square).Data();
  job.whh = typedArrayArg<double>(info[1], "whh", square).Data();
  job.count = integerArg(info[6], "count", 1, int64_t{1} << 40);
  const size_t rows = cells(job.count, job.n, "starts");
  job.starts = typedArrayArg<double>(info[3], "starts", rows).Data();
  job.inputs = typedArrayArg<double>(info[4], "inputs", rows).Data();
  job.targets = typedArrayArg<double>(info[5], "targets", rows).Data();
  job.dt = numberArg(info[7], "dt");
  job.gradWih = typedArrayArg<double>(info[8], "gradWih", square).Data();
  job.gradWhh = typedArrayArg<double>(info[9], "gradWhh", square).Data();
  if (pins) {
    for (int k : {0, 1, 3, 4, 5, 8, 9}) pins->add(info[k]);
  }
  return job;
}

}  // namespace

void registerLshn(Napi::Env env, Napi::Object exports) {
  exports.Set("lshnMlp", Napi::Function::New(env, runJob<MlpJob, mlpJobArgs>));
  exports.Set("lshnMlpAsync", Napi::Function::New(env, queueJob<MlpJob, mlpJobArgs>));
  exports.Set("lshnDynamics", Napi::Function::New(env, runJob<DynamicsJob, dynamicsJobArgs>));
  exports.Set("lshnDynamicsAsync", Napi::Function::New(env, queueJob<DynamicsJob, dynamicsJobArgs>));
  exports.Set("lshnOneStepGrad", Napi::Function::New(env, runJob<GradJob, gradJobArgs>));
  exports.Set("lshnOneStepGradAsync", Napi::Function::New(env, queueJob<GradJob, gradJobArgs>));
}

}  // namespace sshn::addon
