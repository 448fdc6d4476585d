// N-API bindings for native/core/transforms. The element type (Float32Array or Float64Array) of x
// selects the template; outputs and v must match it. Callers (src/transforms) own every array.
#include <memory>

#include "../core/parallel.hpp"
#include "../core/transforms.hpp"
#include "async.hpp"
#include "common.hpp"

namespace sshn::addon {
namespace {

using namespace sshn::transforms;

Params paramsArg(const Napi::Value& value) {
  if (!value.IsObject()) throw sshn::TypeError("params must be an object");
  auto object = value.As<Napi::Object>();
  Params params{};
  params.kind = static_cast<Kind>(integerArg(object.Get("kind"), "params.kind", 0, 4));
  params.param = numberArg(object.Get("param"), "params.param");
  params.rows = integerArg(object.Get("rows"), "params.rows", 1, int64_t{1} << 40);
  params.cols = integerArg(object.Get("cols"), "params.cols", 1, int64_t{1} << 40);
  const int64_t threads = integerArg(object.Get("threads"), "params.threads", 0, 1024);
  params.threads = usableThreads(threads);
  return params;
}

// Everything one call needs, unpacked on the main thread.
struct Job {
  Params params;
  bool single;  // Float32Array storage
  const void* x;
  const void* v;
  void* out;
  int32_t* support;
  double* conjugate;

  template <typename T>
  const T* in(const void* p) const { return static_cast<const T*>(p); }

  void forwardRun() const {
    if (single) forward(params, in<float>(x), static_cast<float*>(out), support, conjugate);
    else forward(params, in<double>(x), static_cast<double*>(out), support, conjugate);
  }
  void jvpRun() const {
    if (single) jvp(params, in<float>(x), in<float>(v), static_cast<float*>(out));
    else jvp(params, in<double>(x), in<double>(v), static_cast<double*>(out));
  }
  void alphaRun() const {
    if (single) alphaGradient(params, in<float>(x), static_cast<float*>(out));
    else alphaGradient(params, in<double>(x), static_cast<double*>(out));
  }
};

template <typename T>
void* realData(const Napi::Value& value, const char* name, size_t length) {
  return typedArrayArg<T>(value, name, length).Data();
}

void* matching(const Job& job, const Napi::Value& value, const char* name, size_t length) {
  return job.single ? realData<float>(value, name, length) : realData<double>(value, name, length);
}

// Arguments: params, x, then (by entry point) v, out, support, conjugate.
Job jobArgs(const Napi::CallbackInfo& info, bool withV, bool withExtras, Pins* pins) {
  Job job{};
  job.params = paramsArg(info[0]);
  const size_t cells = checkedProduct(static_cast<size_t>(job.params.rows), static_cast<size_t>(job.params.cols), "x");
  if (!info[1].IsTypedArray()) throw sshn::TypeError("x must be a Float32Array or Float64Array");
  const auto type = info[1].As<Napi::TypedArray>().TypedArrayType();
  if (type != napi_float32_array && type != napi_float64_array) throw sshn::TypeError("x must be a Float32Array or Float64Array");
  job.single = type == napi_float32_array;
  job.x = matching(job, info[1], "x", cells);
  size_t next = 2;
  if (withV) job.v = matching(job, info[next++], "v", cells);
  const size_t outIndex = next++;
  job.out = matching(job, info[outIndex], "out", cells);
  const size_t rows = static_cast<size_t>(job.params.rows);
  if (withExtras) {
    const Napi::Value support = info[next], conjugate = info[next + 1];
    if (!support.IsNull() && !support.IsUndefined()) job.support = typedArrayArg<int32_t>(support, "support", rows).Data();
    if (!conjugate.IsNull() && !conjugate.IsUndefined()) job.conjugate = typedArrayArg<double>(conjugate, "conjugate", rows).Data();
  }
  if (pins) {
    for (size_t i = 1; i < info.Length(); ++i) pins->add(info[i]);
  }
  return job;
}

Napi::Value Forward(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    jobArgs(info, false, true, nullptr).forwardRun();
    return env.Undefined();
  });
}

Napi::Value ForwardAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    auto pins = std::make_unique<Pins>();
    Job job = jobArgs(info, false, true, pins.get());
    return queuePromise(env, std::move(pins), [job] {
      job.forwardRun();
      return 0.0;
    });
  });
}

Napi::Value Jvp(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    jobArgs(info, true, false, nullptr).jvpRun();
    return env.Undefined();
  });
}

Napi::Value AlphaGradient(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    jobArgs(info, false, false, nullptr).alphaRun();
    return env.Undefined();
  });
}

}  // namespace

void registerTransforms(Napi::Env env, Napi::Object exports) {
  exports.Set("transformForward", Napi::Function::New(env, Forward));
  exports.Set("transformForwardAsync", Napi::Function::New(env, ForwardAsync));
  exports.Set("transformJvp", Napi::Function::New(env, Jvp));
  exports.Set("transformAlphaGradient", Napi::Function::New(env, AlphaGradient));
}

}  // namespace sshn::addon
