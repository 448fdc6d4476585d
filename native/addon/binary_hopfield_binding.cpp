// N-API bindings for native/core/binary_hopfield. Callers (src/native.ts) own every array;
// async calls keep references to them so the garbage collector cannot free them mid-run.
#include <memory>

#include "../core/binary_hopfield.hpp"
#include "../core/parallel.hpp"
#include "async.hpp"
#include "common.hpp"

namespace sshn::addon {
namespace {

using namespace sshn::binary;

// A network view whose weight element type is only known at run time.
struct AnyNetwork {
  napi_typedarray_type type;
  const void* weights;
  const void* weightsT;
  double scale;
  const double* thresholds;
  int64_t n;
  const int8_t* patternsT;
  int64_t patternCount;
  int64_t diagonalOffset;

  template <typename W>
  NetworkView<W> as() const {
    return NetworkView<W>{static_cast<const W*>(weights), static_cast<const W*>(weightsT), scale, thresholds, n,
                          patternsT, patternCount, diagonalOffset};
  }

  template <typename F>
  auto visit(F&& f) const {
    switch (type) {
      case napi_int8_array: return f(as<int8_t>());
      case napi_int16_array: return f(as<int16_t>());
      case napi_int32_array: return f(as<int32_t>());
      case napi_float64_array: return f(as<double>());
      default: throw sshn::TypeError("weights must be an Int8Array, Int16Array, Int32Array or Float64Array");
    }
  }
};

template <typename T>
const void* weightData(const Napi::Value& value, const char* name, size_t length) {
  return typedArrayArg<T>(value, name, length).Data();
}

AnyNetwork networkArg(const Napi::Value& value, Pins* pins) {
  if (!value.IsObject()) throw sshn::TypeError("network must be an object");
  auto object = value.As<Napi::Object>();
  AnyNetwork net{};
  net.patternsT = nullptr;
  net.patternCount = 0;
  net.diagonalOffset = 0;
  net.n = integerArg(object.Get("n"), "network.n", 1, int64_t{1} << 31);
  net.scale = numberArg(object.Get("scale"), "network.scale");
  const size_t length = checkedProduct(static_cast<size_t>(net.n), static_cast<size_t>(net.n), "weights");
  Napi::Value weights = object.Get("weights");
  Napi::Value weightsT = object.Get("weightsT");
  if (!weights.IsTypedArray()) throw sshn::TypeError("network.weights must be a typed array");
  net.type = weights.As<Napi::TypedArray>().TypedArrayType();
  const auto fetch = [&](const Napi::Value& v, const char* name) -> const void* {
    switch (net.type) {
      case napi_int8_array: return weightData<int8_t>(v, name, length);
      case napi_int16_array: return weightData<int16_t>(v, name, length);
      case napi_int32_array: return weightData<int32_t>(v, name, length);
      case napi_float64_array: return weightData<double>(v, name, length);
      default: throw sshn::TypeError("network.weights must be an Int8Array, Int16Array, Int32Array or Float64Array");
    }
  };
  net.weights = fetch(weights, "network.weights");
  net.weightsT = fetch(weightsT, "network.weightsT");
  Napi::Value patternsT = object.Get("patternsT");
  if (!patternsT.IsNull() && !patternsT.IsUndefined()) {
    net.patternCount = integerArg(object.Get("patternCount"), "network.patternCount", 1, int64_t{1} << 31);
    net.patternsT = typedArrayArg<int8_t>(patternsT, "network.patternsT",
                                          checkedProduct(static_cast<size_t>(net.n), static_cast<size_t>(net.patternCount), "patternsT"))
                        .Data();
    net.diagonalOffset = integerArg(object.Get("diagonalOffset"), "network.diagonalOffset", 0, net.patternCount);
  }
  Napi::Value thresholds = object.Get("thresholds");
  net.thresholds = nullptr;
  if (!thresholds.IsNull() && !thresholds.IsUndefined()) {
    net.thresholds = typedArrayArg<double>(thresholds, "network.thresholds", static_cast<size_t>(net.n)).Data();
  }
  if (pins) {
    pins->add(weights);
    pins->add(weightsT);
    pins->add(thresholds);
    pins->add(patternsT);
  }
  return net;
}

RecallParams paramsArg(const Napi::Value& value) {
  if (!value.IsObject()) throw sshn::TypeError("params must be an object");
  auto object = value.As<Napi::Object>();
  RecallParams params;
  params.mode = static_cast<Mode>(integerArg(object.Get("mode"), "params.mode", 0, 2));
  params.maxSweeps = static_cast<int32_t>(integerArg(object.Get("maxSweeps"), "params.maxSweeps", 1, INT32_MAX - 1));
  params.seed = static_cast<double>(integerArg(object.Get("seed"), "params.seed", 0, (int64_t{1} << 53) - 1));
  params.temperature = numberArg(object.Get("temperature"), "params.temperature");
  params.trackEnergy = object.Get("trackEnergy").ToBoolean();
  const int64_t threads = integerArg(object.Get("threads"), "params.threads", 0, 1024);
  params.threads = usableThreads(threads);
  params.patternFields = object.Get("patternFields").ToBoolean();
  params.matrixWhenSettled = object.Get("matrixWhenSettled").ToBoolean();
  return params;
}

// Everything one batch recall needs, unpacked on the main thread.
struct RecallJob {
  AnyNetwork net;
  const int8_t* cues;
  int64_t count;
  RecallParams params;
  RecallOutputs out;

  void run() const {
    net.visit([&](const auto& view) { recallBatch(view, cues, count, params, out); });
  }
};

RecallJob recallJobArgs(const Napi::CallbackInfo& info, Pins* pins) {
  RecallJob job{};
  job.net = networkArg(info[0], pins);
  const int64_t n = job.net.n;
  job.count = integerArg(info[2], "count", 0, int64_t{1} << 40);
  const size_t cells = checkedProduct(static_cast<size_t>(job.count), static_cast<size_t>(n), "cues");
  job.cues = typedArrayArg<int8_t>(info[1], "cues", cells).Data();
  job.params = paramsArg(info[3]);
  if (!info[4].IsObject()) throw sshn::TypeError("outputs must be an object");
  auto out = info[4].As<Napi::Object>();
  const size_t count = static_cast<size_t>(job.count);
  job.out.states = typedArrayArg<int8_t>(out.Get("states"), "outputs.states", cells).Data();
  job.out.sweeps = typedArrayArg<int32_t>(out.Get("sweeps"), "outputs.sweeps", count).Data();
  job.out.status = typedArrayArg<uint8_t>(out.Get("status"), "outputs.status", count).Data();
  job.out.cycleLength = typedArrayArg<int32_t>(out.Get("cycleLength"), "outputs.cycleLength", count).Data();
  job.out.energies = nullptr;
  if (job.params.trackEnergy) {
    const size_t stride = static_cast<size_t>(job.params.maxSweeps) + 1;
    job.out.energies =
        typedArrayArg<double>(out.Get("energies"), "outputs.energies", checkedProduct(count, stride, "energies")).Data();
  }
  if (pins) {
    pins->add(info[1]);
    for (const char* key : {"states", "sweeps", "status", "cycleLength", "energies"}) pins->add(out.Get(key));
  }
  return job;
}

Napi::Value Recall(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    recallJobArgs(info, nullptr).run();
    return env.Undefined();
  });
}

Napi::Value RecallAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    auto pins = std::make_unique<Pins>();
    RecallJob job = recallJobArgs(info, pins.get());
    return queuePromise(env, std::move(pins), [job] {
      job.run();
      return 0.0;
    });
  });
}

Napi::Value Energy(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    AnyNetwork net = networkArg(info[0], nullptr);
    const int8_t* state = typedArrayArg<int8_t>(info[1], "state", static_cast<size_t>(net.n)).Data();
    const double e = net.visit([&](const auto& view) { return energy(view, state); });
    return Napi::Number::New(env, e);
  });
}

// Storage: rule, patterns, p, n, weights (output, pre-filled for incremental rules), zeroDiagonal.
struct StoreJob {
  int rule;  // 0 Hebbian, 1 Storkey, 2 pseudo-inverse
  const int8_t* patterns;
  int64_t p, n;
  napi_typedarray_type type;
  void* weights;
  bool zeroDiagonal;

  double run() const {
    switch (rule) {
      case 0:
        switch (type) {
          case napi_int8_array: hebbianAccumulate(patterns, p, n, static_cast<int8_t*>(weights), zeroDiagonal); break;
          case napi_int16_array: hebbianAccumulate(patterns, p, n, static_cast<int16_t*>(weights), zeroDiagonal); break;
          case napi_int32_array: hebbianAccumulate(patterns, p, n, static_cast<int32_t*>(weights), zeroDiagonal); break;
          default: throw sshn::TypeError("Hebbian counts must be an Int8Array, Int16Array or Int32Array");
        }
        return static_cast<double>(p);
      case 1:
        storkeyAccumulate(patterns, p, n, static_cast<double*>(weights));
        return static_cast<double>(p);
      default:
        return static_cast<double>(pseudoinverseWeights(patterns, p, n, static_cast<double*>(weights), zeroDiagonal));
    }
  }
};

StoreJob storeJobArgs(const Napi::CallbackInfo& info, Pins* pins) {
  StoreJob job{};
  job.rule = static_cast<int>(integerArg(info[0], "rule", 0, 2));
  job.p = integerArg(info[2], "p", 1, int64_t{1} << 31);
  job.n = integerArg(info[3], "n", 1, int64_t{1} << 31);
  const size_t cells = checkedProduct(static_cast<size_t>(job.p), static_cast<size_t>(job.n), "patterns");
  const size_t weightCells = checkedProduct(static_cast<size_t>(job.n), static_cast<size_t>(job.n), "weights");
  job.patterns = typedArrayArg<int8_t>(info[1], "patterns", cells).Data();
  if (!info[4].IsTypedArray()) throw sshn::TypeError("weights must be a typed array");
  job.type = info[4].As<Napi::TypedArray>().TypedArrayType();
  switch (job.type) {
    case napi_int8_array: job.weights = typedArrayArg<int8_t>(info[4], "weights", weightCells).Data(); break;
    case napi_int16_array: job.weights = typedArrayArg<int16_t>(info[4], "weights", weightCells).Data(); break;
    case napi_int32_array: job.weights = typedArrayArg<int32_t>(info[4], "weights", weightCells).Data(); break;
    case napi_float64_array: job.weights = typedArrayArg<double>(info[4], "weights", weightCells).Data(); break;
    default: throw sshn::TypeError("weights has an unsupported element type");
  }
  if (job.rule != 0 && job.type != napi_float64_array) throw sshn::TypeError("real weights must be a Float64Array");
  job.zeroDiagonal = info[5].ToBoolean();
  if (pins) {
    pins->add(info[1]);
    pins->add(info[4]);
  }
  return job;
}

Napi::Value Store(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    return Napi::Number::New(env, storeJobArgs(info, nullptr).run());
  });
}

Napi::Value StoreAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    auto pins = std::make_unique<Pins>();
    StoreJob job = storeJobArgs(info, pins.get());
    return queuePromise(env, std::move(pins), [job] { return job.run(); });
  });
}

}  // namespace

void registerBinaryHopfield(Napi::Env env, Napi::Object exports) {
  exports.Set("binaryRecall", Napi::Function::New(env, Recall));
  exports.Set("binaryRecallAsync", Napi::Function::New(env, RecallAsync));
  exports.Set("binaryEnergy", Napi::Function::New(env, Energy));
  exports.Set("binaryStore", Napi::Function::New(env, Store));
  exports.Set("binaryStoreAsync", Napi::Function::New(env, StoreAsync));
}

}  // namespace sshn::addon
