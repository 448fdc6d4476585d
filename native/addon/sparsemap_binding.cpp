// N-API bindings for native/core/sparsemap. The TypeScript layer (src/sparsemap) validates and
// allocates everything; here the flat graph arrays are copied, then checked against their own
// offsets before use.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../core/parallel.hpp"
#include "../core/sparsemap.hpp"
#include "async.hpp"
#include "common.hpp"

namespace sshn::addon {
namespace {

namespace sm = sshn::sparsemap;

constexpr int64_t kMaxIndex = (int64_t{1} << 31) - 1;

// The graph's arrays, copied out of JavaScript and validated as copies: the solver (on the pool
// thread for async calls) then reads memory no JavaScript can change after the checks.
struct OwnedGraph {
  std::vector<int32_t> kinds, varStart, vars, intStart, ints, realStart, addStart, supportStart, labelStart;
  std::vector<uint8_t> negated;
  std::vector<double> reals;
  sm::GraphView view;
};

template <typename T>
std::vector<T> copiedArg(const Napi::Object& graph, const char* key, const char* name, size_t length) {
  const T* data = typedArrayArg<T>(graph.Get(key), name, length).Data();
  return std::vector<T>(data, data + length);
}

std::vector<int32_t> offsetsArg(const Napi::Object& graph, const char* key, const char* name, int64_t nFactors) {
  std::vector<int32_t> offsets = copiedArg<int32_t>(graph, key, name, static_cast<size_t>(nFactors + 1));
  if (offsets[0] != 0) throw sshn::RangeError(std::string(name) + " must start at 0");
  for (int64_t f = 0; f < nFactors; ++f)
    if (offsets[f + 1] < offsets[f]) throw sshn::RangeError(std::string(name) + " must not decrease");
  return offsets;
}

std::shared_ptr<const OwnedGraph> graphArg(const Napi::Value& value) {
  if (!value.IsObject()) throw sshn::TypeError("graph must be an object");
  auto g = value.As<Napi::Object>();
  auto owned = std::make_shared<OwnedGraph>();
  sm::GraphView& view = owned->view;
  view.nVariables = integerArg(g.Get("nVariables"), "graph.nVariables", 1, kMaxIndex);
  view.nFactors = integerArg(g.Get("nFactors"), "graph.nFactors", 0, kMaxIndex - 1);
  const int64_t nF = view.nFactors;
  owned->kinds = copiedArg<int32_t>(g, "kinds", "graph.kinds", static_cast<size_t>(nF));
  owned->varStart = offsetsArg(g, "varStart", "graph.varStart", nF);
  owned->intStart = offsetsArg(g, "intStart", "graph.intStart", nF);
  owned->realStart = offsetsArg(g, "realStart", "graph.realStart", nF);
  owned->addStart = offsetsArg(g, "addStart", "graph.addStart", nF);
  owned->supportStart = offsetsArg(g, "supportStart", "graph.supportStart", nF);
  owned->labelStart = offsetsArg(g, "labelStart", "graph.labelStart", nF);
  const auto nCopies = static_cast<size_t>(owned->varStart[nF]);
  owned->vars = copiedArg<int32_t>(g, "vars", "graph.vars", nCopies);
  owned->negated = copiedArg<uint8_t>(g, "negated", "graph.negated", nCopies);
  owned->ints = copiedArg<int32_t>(g, "ints", "graph.ints", static_cast<size_t>(owned->intStart[nF]));
  owned->reals = copiedArg<double>(g, "reals", "graph.reals", static_cast<size_t>(owned->realStart[nF]));
  view.kinds = owned->kinds.data();
  view.varStart = owned->varStart.data();
  view.vars = owned->vars.data();
  view.negated = owned->negated.data();
  view.intStart = owned->intStart.data();
  view.ints = owned->ints.data();
  view.realStart = owned->realStart.data();
  view.reals = owned->reals.data();
  view.addStart = owned->addStart.data();
  view.supportStart = owned->supportStart.data();
  view.labelStart = owned->labelStart.data();
  sm::validateGraph(view);
  return owned;
}

sm::Params paramsArg(const Napi::Value& value) {
  if (!value.IsObject()) throw sshn::TypeError("params must be an object");
  auto o = value.As<Napi::Object>();
  sm::Params p;
  p.maxIter = integerArg(o.Get("maxIter"), "params.maxIter", 1, int64_t{1} << 40);
  p.tol = numberArg(o.Get("tol"), "params.tol");
  p.rhoInit = numberArg(o.Get("rhoInit"), "params.rhoInit");
  if (!(p.tol > 0) || !(p.rhoInit > 0) || !std::isfinite(p.tol) || !std::isfinite(p.rhoInit)) {
    throw sshn::RangeError("params.tol and params.rhoInit must be finite and > 0");
  }
  p.adaptRho = o.Get("adaptRho").ToBoolean();
  p.maxActiveSetIter = integerArg(o.Get("maxActiveSetIter"), "params.maxActiveSetIter", 1, int64_t{1} << 40);
  p.objective = static_cast<int32_t>(integerArg(o.Get("objective"), "params.objective", 0, 1));
  return p;
}

const double* doublesArg(const Napi::Value& value, const char* name, size_t length, Pins* pins) {
  const double* data = typedArrayArg<double>(value, name, length).Data();
  if (pins) pins->add(value);
  return data;
}

double* mutableDoublesArg(const Napi::Value& value, const char* name, size_t length, Pins* pins) {
  double* data = typedArrayArg<double>(value, name, length).Data();
  if (pins) pins->add(value);
  return data;
}

struct SolveJob {
  std::shared_ptr<const OwnedGraph> owned;
  const double* unary;
  const double* additional;
  sm::Params params;
  sm::Outputs out;
  void run() const { sm::solve(owned->view, unary, additional, params, out); }
};

SolveJob solveJobArgs(const Napi::CallbackInfo& info, Pins* pins) {
  SolveJob job{};
  job.owned = graphArg(info[0]);
  const sm::GraphView& g = job.owned->view;
  const size_t n = static_cast<size_t>(g.nVariables);
  const size_t nAdd = static_cast<size_t>(g.addStart[g.nFactors]);
  job.unary = doublesArg(info[1], "unary", n, pins);
  job.additional = doublesArg(info[2], "additional", nAdd, pins);
  job.params = paramsArg(info[3]);
  if (!info[4].IsObject()) throw sshn::TypeError("outputs must be an object");
  auto out = info[4].As<Napi::Object>();
  job.out.u = mutableDoublesArg(out.Get("u"), "outputs.u", n, pins);
  job.out.additionals = mutableDoublesArg(out.Get("additionals"), "outputs.additionals", nAdd, pins);
  job.out.info = mutableDoublesArg(out.Get("info"), "outputs.info", sm::InfoLength, pins);
  job.out.localInputs = mutableDoublesArg(out.Get("localInputs"), "outputs.localInputs", static_cast<size_t>(g.varStart[g.nFactors]), pins);
  job.out.supportCount = typedArrayArg<int32_t>(out.Get("supportCount"), "outputs.supportCount", static_cast<size_t>(g.nFactors)).Data();
  job.out.supportWeights = mutableDoublesArg(out.Get("supportWeights"), "outputs.supportWeights", static_cast<size_t>(g.supportStart[g.nFactors]), pins);
  job.out.supportLabels = typedArrayArg<int32_t>(out.Get("supportLabels"), "outputs.supportLabels", static_cast<size_t>(g.labelStart[g.nFactors])).Data();
  if (pins) {
    pins->add(out.Get("supportCount"));
    pins->add(out.Get("supportLabels"));
  }
  return job;
}

Napi::Value Solve(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    solveJobArgs(info, nullptr).run();
    return env.Undefined();
  });
}

Napi::Value SolveAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    auto pins = std::make_unique<Pins>();
    SolveJob job = solveJobArgs(info, pins.get());
    return queuePromise(env, std::move(pins), [job] {
      job.run();
      return 0.0;
    });
  });
}

unsigned threadsArg(const Napi::Value& value) {
  const int64_t threads = integerArg(value, "threads", 0, 1024);
  return usableThreads(threads);
}

struct SolveBatchJob {
  std::shared_ptr<const OwnedGraph> owned;
  const double* unary;
  int64_t rows;
  const double* additional;
  sm::Params params;
  double* u;
  double* additionals;
  double* info;
  unsigned threads;
  void run() const { sm::solveBatch(owned->view, unary, rows, additional, params, u, additionals, info, threads); }
};

SolveBatchJob solveBatchJobArgs(const Napi::CallbackInfo& info, Pins* pins) {
  SolveBatchJob job{};
  job.owned = graphArg(info[0]);
  const sm::GraphView& g = job.owned->view;
  job.rows = integerArg(info[2], "rows", 0, int64_t{1} << 40);
  const size_t rows = static_cast<size_t>(job.rows);
  const size_t nAdd = static_cast<size_t>(g.addStart[g.nFactors]);
  job.unary = doublesArg(info[1], "unary", checkedProduct(rows, static_cast<size_t>(g.nVariables), "unary"), pins);
  job.additional = doublesArg(info[3], "additional", nAdd, pins);
  job.params = paramsArg(info[4]);
  job.u = mutableDoublesArg(info[5], "u", checkedProduct(rows, static_cast<size_t>(g.nVariables), "u"), pins);
  job.additionals = mutableDoublesArg(info[6], "additionals", checkedProduct(rows, nAdd, "additionals"), pins);
  job.info = mutableDoublesArg(info[7], "info", checkedProduct(rows, sm::InfoLength, "info"), pins);
  job.threads = threadsArg(info[8]);
  return job;
}

Napi::Value SolveBatch(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    solveBatchJobArgs(info, nullptr).run();
    return env.Undefined();
  });
}

Napi::Value SolveBatchAsync(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    auto pins = std::make_unique<Pins>();
    SolveBatchJob job = solveBatchJobArgs(info, pins.get());
    return queuePromise(env, std::move(pins), [job] {
      job.run();
      return 0.0;
    });
  });
}

Napi::Value Backward(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    const std::shared_ptr<const OwnedGraph> owned = graphArg(info[0]);
    const sm::GraphView& g = owned->view;
    const size_t n = static_cast<size_t>(g.nVariables);
    const size_t nAdd = static_cast<size_t>(g.addStart[g.nFactors]);
    const size_t nCopies = static_cast<size_t>(g.varStart[g.nFactors]);
    const double* unary = doublesArg(info[1], "unary", n, nullptr);
    const double* additional = doublesArg(info[2], "additional", nAdd, nullptr);
    const double* localInputs = doublesArg(info[3], "localInputs", nCopies, nullptr);
    const double localScale = numberArg(info[4], "localScale");
    if (!info[5].IsObject()) throw sshn::TypeError("supports must be an object");
    auto supportsIn = info[5].As<Napi::Object>();
    const sm::Supports supports{
        typedArrayArg<int32_t>(supportsIn.Get("supportCount"), "supports.supportCount", static_cast<size_t>(g.nFactors)).Data(),
        doublesArg(supportsIn.Get("supportWeights"), "supports.supportWeights", static_cast<size_t>(g.supportStart[g.nFactors]), nullptr),
        typedArrayArg<int32_t>(supportsIn.Get("supportLabels"), "supports.supportLabels", static_cast<size_t>(g.labelStart[g.nFactors])).Data()};
    const double* gradU = doublesArg(info[6], "gradU", n, nullptr);
    const double* gradAdditional = doublesArg(info[7], "gradAdditional", nAdd, nullptr);
    const sm::Params params = paramsArg(info[8]);
    if (!info[9].IsObject()) throw sshn::TypeError("outputs must be an object");
    auto out = info[9].As<Napi::Object>();
    sm::GradOutputs grad{mutableDoublesArg(out.Get("gradUnary"), "outputs.gradUnary", n, nullptr),
                         mutableDoublesArg(out.Get("gradAdditional"), "outputs.gradAdditional", nAdd, nullptr),
                         mutableDoublesArg(out.Get("info"), "outputs.info", sm::InfoLength, nullptr)};
    sm::backward(g, unary, additional, localInputs, localScale, supports, gradU, gradAdditional, params, grad);
    return env.Undefined();
  });
}

struct KSubsetsJob {
  const double* scores;
  int64_t rows, cols, k;
  double* out;
  unsigned threads;
  void run() const { sm::kSubsetsBatch(scores, rows, cols, k, out, threads); }
};

KSubsetsJob kSubsetsJobArgs(const Napi::CallbackInfo& info, Pins* pins) {
  KSubsetsJob job{};
  job.rows = integerArg(info[1], "rows", 0, int64_t{1} << 40);
  job.cols = integerArg(info[2], "cols", 1, kMaxIndex);
  const size_t cells = checkedProduct(static_cast<size_t>(job.rows), static_cast<size_t>(job.cols), "scores");
  job.scores = doublesArg(info[0], "scores", cells, pins);
  job.k = integerArg(info[3], "k", 0, job.cols);
  job.out = mutableDoublesArg(info[4], "out", cells, pins);
  job.threads = threadsArg(info[5]);
  return job;
}

struct SequentialJob {
  const double* scores;
  int64_t rows, cols, k;
  double bonus;
  int64_t maxIter;
  double* out;
  uint8_t* status;
  unsigned threads;
  void run() const { sm::sequentialKSubsetsBatch(scores, rows, cols, k, bonus, maxIter, out, status, threads); }
};

SequentialJob sequentialJobArgs(const Napi::CallbackInfo& info, Pins* pins) {
  SequentialJob job{};
  job.rows = integerArg(info[1], "rows", 0, int64_t{1} << 40);
  job.cols = integerArg(info[2], "cols", 1, kMaxIndex);
  const size_t cells = checkedProduct(static_cast<size_t>(job.rows), static_cast<size_t>(job.cols), "scores");
  job.scores = doublesArg(info[0], "scores", cells, pins);
  job.k = integerArg(info[3], "k", 0, job.cols);
  job.bonus = numberArg(info[4], "bonus");
  if (!std::isfinite(job.bonus)) throw sshn::RangeError("bonus must be finite");
  job.maxIter = integerArg(info[5], "maxActiveSetIter", 1, int64_t{1} << 40);
  job.out = mutableDoublesArg(info[6], "out", cells, pins);
  job.status = typedArrayArg<uint8_t>(info[7], "status", static_cast<size_t>(job.rows)).Data();
  if (pins) pins->add(info[7]);
  job.threads = threadsArg(info[8]);
  return job;
}


Napi::Value KSubsetsBackwardBatch(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t rows = integerArg(info[1], "rows", 0, int64_t{1} << 40);
    const int64_t cols = integerArg(info[2], "cols", 1, kMaxIndex);
    const size_t cells = checkedProduct(static_cast<size_t>(rows), static_cast<size_t>(cols), "scores");
    const double* scores = doublesArg(info[0], "scores", cells, nullptr);
    const int64_t k = integerArg(info[3], "k", 0, cols);
    const double* grad = doublesArg(info[4], "grad", cells, nullptr);
    double* out = mutableDoublesArg(info[5], "out", cells, nullptr);
    sm::kSubsetsBackwardBatch(scores, rows, cols, k, grad, out, threadsArg(info[6]));
    return env.Undefined();
  });
}

Napi::Value SequentialKSubsetsBackwardBatch(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t rows = integerArg(info[1], "rows", 0, int64_t{1} << 40);
    const int64_t cols = integerArg(info[2], "cols", 1, kMaxIndex);
    const size_t cells = checkedProduct(static_cast<size_t>(rows), static_cast<size_t>(cols), "scores");
    const double* scores = doublesArg(info[0], "scores", cells, nullptr);
    const int64_t k = integerArg(info[3], "k", 0, cols);
    const double bonus = numberArg(info[4], "bonus");
    if (!std::isfinite(bonus)) throw sshn::RangeError("bonus must be finite");
    const int64_t maxIter = integerArg(info[5], "maxActiveSetIter", 1, int64_t{1} << 40);
    const double* grad = doublesArg(info[6], "grad", cells, nullptr);
    double* out = mutableDoublesArg(info[7], "out", cells, nullptr);
    uint8_t* status = typedArrayArg<uint8_t>(info[8], "status", static_cast<size_t>(rows)).Data();
    sm::sequentialKSubsetsBackwardBatch(scores, rows, cols, k, bonus, maxIter, grad, out, status, threadsArg(info[9]));
    return env.Undefined();
  });
}

}  // namespace

void registerSparseMap(Napi::Env env, Napi::Object exports) {
  exports.Set("sparsemapSolve", Napi::Function::New(env, Solve));
  exports.Set("sparsemapSolveAsync", Napi::Function::New(env, SolveAsync));
  exports.Set("sparsemapBackward", Napi::Function::New(env, Backward));
  exports.Set("sparsemapSolveBatch", Napi::Function::New(env, SolveBatch));
  exports.Set("sparsemapSolveBatchAsync", Napi::Function::New(env, SolveBatchAsync));
  exports.Set("kSubsetsBatch", Napi::Function::New(env, runJob<KSubsetsJob, kSubsetsJobArgs>));
  exports.Set("sequentialKSubsetsBatch", Napi::Function::New(env, runJob<SequentialJob, sequentialJobArgs>));
  exports.Set("kSubsetsBatchAsync", Napi::Function::New(env, queueJob<KSubsetsJob, kSubsetsJobArgs>));
  exports.Set("sequentialKSubsetsBatchAsync", Napi::Function::New(env, queueJob<SequentialJob, sequentialJobArgs>));
  exports.Set("kSubsetsBackwardBatch", Napi::Function::New(env, KSubsetsBackwardBatch));
  exports.Set("sequentialKSubsetsBackwardBatch", Napi::Function::New(env, SequentialKSubsetsBackwardBatch));
}

}  // namespace sshn::addon
