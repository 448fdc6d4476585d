// N-API bindings for native/core/memory and gemm (src/kernels.ts signatures). The patterns' element
// type (Float32Array or Float64Array) selects the template; every real array must match it.

#include "../core/gemm.hpp"
#include "../core/memory.hpp"
#include "../core/pages.hpp"
#include "../core/parallel.hpp"
#include "async.hpp"
#include "common.hpp"

namespace sshn::addon {
namespace {

using namespace sshn::memory;

constexpr int64_t kMaxSize = int64_t{1} << 40;

size_t cells(int64_t a, int64_t b, const char* what) { return checkedProduct(static_cast<size_t>(a), static_cast<size_t>(b), what); }


bool isSingle(const Napi::Value& value, const char* name) {
  if (value.IsTypedArray()) {
    const auto type = value.As<Napi::TypedArray>().TypedArrayType();
    if (type == napi_float32_array) return true;
    if (type == napi_float64_array) return false;
  }
  throw sshn::TypeError(std::string(name) + " must be a Float32Array or Float64Array");
}

Params paramsArg(const Napi::Value& value) {
  if (!value.IsObject()) throw sshn::TypeError("params must be an object");
  auto object = value.As<Napi::Object>();
  Params params{};
  params.kind = static_cast<Kind>(integerArg(object.Get("kind"), "params.kind", 0, 5));
  params.param = numberArg(object.Get("param"), "params.param");
  params.bonus = numberArg(object.Get("bonus"), "params.bonus");
  params.beta = numberArg(object.Get("beta"), "params.beta");
  params.maxIter = integerArg(object.Get("maxIter"), "params.maxIter", 0, int64_t{1} << 30);
  params.tol = numberArg(object.Get("tol"), "params.tol");
  params.supportThreshold = numberArg(object.Get("supportThreshold"), "params.supportThreshold");
  params.maxActiveSetIter = integerArg(object.Get("maxActiveSetIter"), "params.maxActiveSetIter", 1, kMaxSize);
  params.threads = usableThreads(integerArg(object.Get("threads"), "params.threads", 0, 1024));
  return params;
}

// memoryRetrieve(patterns, n, d, count, params, out)
struct RetrieveJob {
  bool single;
  const void* patterns;
  int64_t n, d, count;
  Params params;
  void* states;  // element type as the patterns'
  void* weights;
  int32_t* support;
  int32_t* iterations;
  uint8_t* status;
  double* energies;
  const void* firstScores;
  void* scratch;
  void* gram;
  uint8_t* gramReady;

  template <typename T>
  void runAs() const {
    const Outputs<T> out{static_cast<T*>(states), static_cast<T*>(weights), support, iterations, status, energies, static_cast<const T*>(firstScores),
                        static_cast<T*>(scratch), static_cast<T*>(gram), gramReady};
    retrieve(static_cast<const T*>(patterns), n, d, count, params, out);
  }
  void run() const { single ? runAs<float>() : runAs<double>(); }
};

void* realArg(bool single, const Napi::Value& value, const char* name, size_t length) {
  if (single) return typedArrayArg<float>(value, name, length).Data();
  return typedArrayArg<double>(value, name, length).Data();
}

// A large output the kernels are about to write, advised huge pages first (core/pages.hpp).
void* realOutputArg(bool single, const Napi::Value& value, const char* name, size_t length) {
  void* data = realArg(single, value, name, length);
  adviseHugePages(data, length * (single ? sizeof(float) : sizeof(double)));
  return data;
}

RetrieveJob retrieveArgs(const Napi::CallbackInfo& info, Pins* pins) {
  RetrieveJob job{};
  job.single = isSingle(info[0], "patterns");
  job.n = integerArg(info[1], "n", 1, kMaxSize);
  job.d = integerArg(info[2], "d", 1, kMaxSize);
  job.count = integerArg(info[3], "count", 0, kMaxSize);
  job.patterns = realArg(job.single, info[0], "patterns", cells(job.n, job.d, "patterns"));
  job.params = paramsArg(info[4]);
  if (!info[5].IsObject()) throw sshn::TypeError("out must be an object");
  auto out = info[5].As<Napi::Object>();
  const size_t count = static_cast<size_t>(job.count);
  job.states = realArg(job.single, out.Get("states"), "out.states", cells(job.count, job.d, "out.states"));
  const Napi::Value weights = out.Get("weights"), energies = out.Get("energies"), firstScores = out.Get("firstScores");
  if (!firstScores.IsNull() && !firstScores.IsUndefined()) {
    job.firstScores = realArg(job.single, firstScores, "out.firstScores", cells(job.count, job.n, "out.firstScores"));
  }
  const Napi::Value scratch = out.Get("scratch");
  if (!scratch.IsNull() && !scratch.IsUndefined()) {
    cells(job.count, job.n, "out.scratch");  // refuses sizes whose product overflows
    job.scratch = realOutputArg(job.single, scratch, "out.scratch", static_cast<size_t>(scratchLength(job.count, job.n)));
  }
  const Napi::Value gram = out.Get("gram");
  if (!gram.IsNull() && !gram.IsUndefined()) {
    // Written only when its rows are filled on demand (gramReady).
    const Napi::Value ready = out.Get("gramReady");
    const bool onDemand = !ready.IsNull() && !ready.IsUndefined();
    job.gram = (onDemand ? realOutputArg : realArg)(job.single, gram, "out.gram", cells(job.n, job.n, "out.gram"));
    if (onDemand) job.gramReady = typedArrayArg<uint8_t>(ready, "out.gramReady", static_cast<size_t>(job.n)).Data();
  }
  if (!weights.IsNull()) job.weights = realOutputArg(job.single, weights, "out.weights", cells(job.count, job.n, "out.weights"));
  job.support = typedArrayArg<int32_t>(out.Get("support"), "out.support", count).Data();
  job.iterations = typedArrayArg<int32_t>(out.Get("iterations"), "out.iterations", count).Data();
  job.status = typedArrayArg<uint8_t>(out.Get("status"), "out.status", count).Data();
  if (!energies.IsNull()) {
    job.energies = typedArrayArg<double>(energies, "out.energies", cells(job.count, job.params.maxIter + 1, "out.energies")).Data();
  }
  if (pins) {
    pins->add(info[0]);
    for (const char* key : {"states", "weights", "support", "iterations", "status", "energies", "firstScores", "scratch", "gram", "gramReady"}) pins->add(out.Get(key));
  }
  return job;
}

// memoryScores(queries, rows, patterns, n, d, scale, out, threads)
Napi::Value Scores(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    const bool single = isSingle(info[2], "patterns");
    const int64_t rows = integerArg(info[1], "rows", 0, kMaxSize);
    const int64_t n = integerArg(info[3], "n", 1, kMaxSize);
    const int64_t d = integerArg(info[4], "d", 1, kMaxSize);
    const double scale = numberArg(info[5], "scale");
    const unsigned threads = usableThreads(integerArg(info[7], "threads", 0, 1024));
    const void* queries = realArg(single, info[0], "queries", cells(rows, d, "queries"));
    const void* patterns = realArg(single, info[2], "patterns", cells(n, d, "patterns"));
    void* out = realOutputArg(single, info[6], "out", cells(rows, n, "out"));
    if (single) {
      gemm::scores(static_cast<const float*>(queries), rows, static_cast<const float*>(patterns), n, d, scale, static_cast<float*>(out), threads);
    } else {
      gemm::scores(static_cast<const double*>(queries), rows, static_cast<const double*>(patterns), n, d, scale, static_cast<double*>(out), threads);
    }
    return env.Undefined();
  });
}

// memoryGram(patterns, n, d, out, threads)
Napi::Value Gram(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    const bool single = isSingle(info[0], "patterns");
    const int64_t n = integerArg(info[1], "n", 1, kMaxSize);
    const int64_t d = integerArg(info[2], "d", 1, kMaxSize);
    const unsigned threads = usableThreads(integerArg(info[4], "threads", 0, 1024));
    const void* patterns = realArg(single, info[0], "patterns", cells(n, d, "patterns"));
    void* out = realOutputArg(single, info[3], "out", cells(n, n, "out"));
    if (single) gemm::gram(static_cast<const float*>(patterns), n, d, static_cast<float*>(out), threads);
    else gemm::gram(static_cast<const double*>(patterns), n, d, static_cast<double*>(out), threads);
    return env.Undefined();
  });
}

// memoryFirstNonFinite(data, threads)
Napi::Value FirstNonFinite(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    const bool single = isSingle(info[0], "data");
    const unsigned threads = usableThreads(integerArg(info[1], "threads", 0, 1024));
    int64_t at;
    if (single) {
      const auto data = typedArrayArg<float>(info[0], "data");
      at = firstNonFinite(data.Data(), static_cast<int64_t>(data.ElementLength()), threads);
    } else {
      const auto data = typedArrayArg<double>(info[0], "data");
      at = firstNonFinite(data.Data(), static_cast<int64_t>(data.ElementLength()), threads);
    }
    return Napi::Number::New(env, static_cast<double>(at));
  });
}

}  // namespace

void registerMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("memoryRetrieve", Napi::Function::New(env, runJob<RetrieveJob, retrieveArgs>));
  exports.Set("memoryRetrieveAsync", Napi::Function::New(env, queueJob<RetrieveJob, retrieveArgs>));
  exports.Set("memoryScores", Napi::Function::New(env, Scores));
  exports.Set("memoryGram", Napi::Function::New(env, Gram));
  exports.Set("memoryFirstNonFinite", Napi::Function::New(env, FirstNonFinite));
  exports.Set("gemmKernel", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return Napi::String::New(info.Env(), gemm::kernelName());
  }));
}

}  // namespace sshn::addon
