// N-API bindings for native/core/lshn: unpack the caller-owned typed arrays (src/kernels.ts
// signatures) and run the kernels synchronously.
#include "../core/lshn.hpp"
#include "common.hpp"

namespace sshn::addon {
namespace {

using sshn::lshn::DynamicsParams;
using sshn::lshn::Mlp;

constexpr int64_t kMaxDim = int64_t{1} << 31;

size_t cells(int64_t a, int64_t b, const char* what) {
  return checkedProduct(static_cast<size_t>(a), static_cast<size_t>(b), what);
}

Mlp mlpArg(const Napi::Value& value) {
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
  return mlp;
}

// lshnMlp(mlp, input, count, out)
Napi::Value MlpForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    const Mlp mlp = mlpArg(info[0]);
    const int64_t count = integerArg(info[2], "count", 0, int64_t{1} << 40);
    const double* input = typedArrayArg<double>(info[1], "input", cells(count, mlp.inDim, "input")).Data();
    double* out = typedArrayArg<double>(info[3], "out", cells(count, mlp.outDim, "out")).Data();
    sshn::lshn::mlpForward(mlp, input, count, out);
    return env.Undefined();
  });
}

// lshnDynamics(wih, whh, n, inputs, count, params, out)
Napi::Value Dynamics(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t n = integerArg(info[2], "n", 1, kMaxDim);
    const size_t square = cells(n, n, "weights");
    const float* wih = typedArrayArg<float>(info[0], "wih", square).Data();
    const float* whh = typedArrayArg<float>(info[1], "whh", square).Data();
    const int64_t count = integerArg(info[4], "count", 0, int64_t{1} << 40);
    const double* inputs = typedArrayArg<double>(info[3], "inputs", cells(count, n, "inputs")).Data();
    if (!info[5].IsObject()) throw sshn::TypeError("params must be an object");
    auto p = info[5].As<Napi::Object>();
    DynamicsParams params{};
    params.dt = numberArg(p.Get("dt"), "params.dt");
    params.steps = integerArg(p.Get("steps"), "params.steps", 0, INT32_MAX - 1);
    params.tol = numberArg(p.Get("tol"), "params.tol");
    params.trackEnergy = p.Get("trackEnergy").ToBoolean();
    params.threads = 0;
    if (!info[6].IsObject()) throw sshn::TypeError("outputs must be an object");
    auto out = info[6].As<Napi::Object>();
    double* states = typedArrayArg<double>(out.Get("states"), "outputs.states", cells(count, n, "states")).Data();
    double* energies = nullptr;
    if (params.trackEnergy) {
      energies = typedArrayArg<double>(out.Get("energies"), "outputs.energies", cells(count, params.steps + 1, "energies")).Data();
    }
    int32_t* steps = typedArrayArg<int32_t>(out.Get("steps"), "outputs.steps", static_cast<size_t>(count)).Data();
    uint8_t* converged = typedArrayArg<uint8_t>(out.Get("converged"), "outputs.converged", static_cast<size_t>(count)).Data();
    sshn::lshn::dynamics(wih, whh, n, inputs, count, params, states, energies, steps, converged);
    return env.Undefined();
  });
}

// lshnOneStepGrad(wih, whh, n, starts, inputs, targets, count, dt, gradWih, gradWhh) -> loss
Napi::Value OneStepGrad(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t n = integerArg(info[2], "n", 1, kMaxDim);
    const size_t square = cells(n, n, "weights");
    const double* wih = typedArrayArg<double>(info[0], "wih", square).Data();
    const double* whh = typedArrayArg<double>(info[1], "whh", square).Data();
    const int64_t count = integerArg(info[6], "count", 1, int64_t{1} << 40);
    const size_t rows = cells(count, n, "starts");
    const double* starts = typedArrayArg<double>(info[3], "starts", rows).Data();
    const double* inputs = typedArrayArg<double>(info[4], "inputs", rows).Data();
    const double* targets = typedArrayArg<double>(info[5], "targets", rows).Data();
    const double dt = numberArg(info[7], "dt");
    double* gradWih = typedArrayArg<double>(info[8], "gradWih", square).Data();
    double* gradWhh = typedArrayArg<double>(info[9], "gradWhh", square).Data();
    const double loss = sshn::lshn::oneStepGrad(wih, whh, n, starts, inputs, targets, count, dt, gradWih, gradWhh);
    return Napi::Number::New(env, loss);
  });
}

}  // namespace

void registerLshn(Napi::Env env, Napi::Object exports) {
  exports.Set("lshnMlp", Napi::Function::New(env, MlpForward));
  exports.Set("lshnDynamics", Napi::Function::New(env, Dynamics));
  exports.Set("lshnOneStepGrad", Napi::Function::New(env, OneStepGrad));
}

}  // namespace sshn::addon
