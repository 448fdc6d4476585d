// LP-SparseMAP solver. Mirrors src/js/sparsemap/solver.ts line for line (see there for the maths).
#include "sparsemap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "parallel.hpp"
#include "sparsemap_active_set.hpp"
#include "sparsemap_closed_form.hpp"

namespace sshn::sparsemap {
namespace {

// A factor's local problem max a.x + b.v - 1/2 ||x||^2 in its own (negation-applied) coordinates.
class LocalFactor {
 public:
  virtual ~LocalFactor() = default;
  virtual bool solve(const double* a, const double* b, double* x, double* v, int64_t maxIter) = 0;
  virtual void prepareJvp() {}
  virtual void jvp(const double* da, const double* db, double* dx, double* dv) = 0;
  // Writes the last solution's distribution over structures (at most `capacity`, labels one after
  // another) and returns its size; 0 for factors that report none.
  virtual int64_t writeSupport(double*, int32_t*, int64_t) const { return 0; }
  // Active-set factors: makes the last solution the given distribution (as writeSupport wrote it)
  // and returns true; the others return false.
  virtual bool restoreSupport(const double*, const int32_t*, int64_t) { return false; }
};

class CappedFactor : public LocalFactor {
 public:
  // costs: empty for unit costs, else as normalisedCosts gives them.
  CappedFactor(int64_t n, double k, SumMode mode, std::vector<double> costs = {})
      : n_(n), k_(k), mode_(mode), costs_(std::move(costs)), costsOrNull_(costs_.empty() ? nullptr : costs_.data()), x_(n) {}

  bool solve(const double* a, const double*, double* x, double*, int64_t) override {
    const double tau = cappedProjection(a, n_, costsOrNull_, k_, mode_, x_.data());
    active_ = mode_ == SumMode::Exact || !std::isnan(tau);
    std::copy(x_.begin(), x_.end(), x);
    return true;
  }

  void jvp(const double* da, const double*, double* dx, double*) override {
    cappedProjectionJvp(x_.data(), n_, costsOrNull_, active_, da, dx);
  }

 private:
  int64_t n_;
  double k_;
  SumMode mode_;
  std::vector<double> costs_;
  const double* costsOrNull_;
  std::vector<double> x_;
  bool active_ = false;
};

class PairFactor : public LocalFactor {
 public:
  bool solve(const double* a, const double* b, double* x, double* v, int64_t) override {
    pairCase_ = pairSolve(a[0], a[1], b[0], x_);
    x[0] = x_[0];
    x[1] = x_[1];
    v[0] = x_[2];
    return true;
  }

  void jvp(const double* da, const double* db, double* dx, double* dv) override {
    double d[3];
    pairJvp(pairCase_, x_, da[0], da[1], db[0], d);
    dx[0] = d[0];
    dx[1] = d[1];
    dv[0] = d[2];
  }

 private:
  double x_[3] = {0, 0, 0};
  int pairCase_ = 0;
};

// OROUT, solved exactly by orOutProjection; labels give the variables' values (negations undone).
class OrOutFactor : public LocalFactor {
 public:
  OrOutFactor(int64_t n, const uint8_t* negated) : n_(n), negated_(negated), x_(n), sorted_(n) {}

  bool solve(const double* a, const double*, double* x, double*, int64_t) override {
    face_ = orOutProjection(a, n_, x_.data(), sorted_.data());
    std::copy(x_.begin(), x_.end(), x);
    return true;
  }

  void jvp(const double* da, const double*, double* dx, double*) override { orOutJvp(face_, x_.data(), n_, da, dx); }

  int64_t writeSupport(double* weights, int32_t* labels, int64_t capacity) const override {
    return orOutDecompose(x_.data(), n_, negated_, capacity, weights, labels);
  }

 private:
  int64_t n_;
  const uint8_t* negated_;
  std::vector<double> x_, sorted_;
  OrOutFace face_ = OrOutFace::Clip;
};

class ActiveFactor : public LocalFactor {
 public:
  explicit ActiveFactor(std::unique_ptr<Oracle> oracle) : qp_(std::move(oracle)) {}
  bool solve(const double* a, const double* b, double* x, double* v, int64_t maxIter) override { return qp_.solve(a, b, maxIter, x, v); }
  void prepareJvp() override { qp_.prepareJvp(); }
  void jvp(const double* da, const double* db, double* dx, double* dv) override { qp_.jvp(da, db, dx, dv); }
  bool restoreSupport(const double* weights, const int32_t* labels, int64_t count) override {
    qp_.restore(weights, labels, count);
    return true;
  }
  int64_t writeSupport(double* weights, int32_t* labels, int64_t capacity) const override {
    const int64_t labelLength = qp_.oracle().labelLength();
    int64_t count = 0;
    for (size_t s = 0; s < qp_.structures().size(); ++s) {
      if (!(qp_.weights()[s] > kSupportTol)) continue;
      if (count < capacity) {
        weights[count] = qp_.weights()[s];
        const auto& label = qp_.structures()[s].label;
        std::copy(label.begin(), label.end(), labels + count * labelLength);
      }
      ++count;
    }
    return count;
  }

 private:
  ActiveSetQP qp_;
};

std::unique_ptr<LocalFactor> makeFactor(const GraphView& graph, int64_t f) {
  const int64_t n = graph.varStart[f + 1] - graph.varStart[f];
  const int32_t* ints = graph.ints + graph.intStart[f];
  switch (static_cast<FactorKind>(graph.kinds[f])) {
    case FactorKind::Xor: return std::make_unique<CappedFactor>(n, 1, SumMode::Exact);
    case FactorKind::AtMostOne: return std::make_unique<CappedFactor>(n, 1, SumMode::AtMost);
    case FactorKind::Or: return std::make_unique<CappedFactor>(n, 1, SumMode::AtLeast);
    case FactorKind::Budget: return std::make_unique<CappedFactor>(n, ints[0], ints[1] ? SumMode::Exact : SumMode::AtMost);
    case FactorKind::Knapsack: {
      NormalisedCosts scaled = normalisedCosts(graph.reals + graph.realStart[f], n, graph.reals[graph.realStart[f] + n]);
      return std::make_unique<CappedFactor>(n, scaled.budget, SumMode::AtMost, std::move(scaled.costs));
    }
    case FactorKind::Pair: return std::make_unique<PairFactor>();
    case FactorKind::OrOut: return std::make_unique<OrOutFactor>(n, graph.negated + graph.varStart[f]);
    case FactorKind::Sequence: return std::make_unique<ActiveFactor>(std::make_unique<SequenceOracle>(ints[0], ints[1]));
    case FactorKind::SequenceBudget:
      return std::make_unique<ActiveFactor>(std::make_unique<SequenceOracle>(ints[0], ints[1], ints[2], ints[3] != 0));
    case FactorKind::Tree: return std::make_unique<ActiveFactor>(std::make_unique<TreeOracle>(ints[0]));
    case FactorKind::Dense:
      return std::make_unique<ActiveFactor>(std::make_unique<DenseOracle>(std::vector<int64_t>(ints + 1, ints + 1 + ints[0])));
  }
  throw RangeError("unknown factor kind " + std::to_string(graph.kinds[f]));
}

class Model {
 public:
  explicit Model(const GraphView& graph) : graph_(graph) {
    for (int64_t f = 0; f < graph.nFactors; ++f) factors_.push_back(makeFactor(graph, f));
    nCopies = graph.varStart[graph.nFactors];
    nAdd = graph.addStart[graph.nFactors];
    degree.assign(static_cast<size_t>(graph.nVariables), 0);
    for (int64_t j = 0; j < nCopies; ++j) ++degree[graph.vars[j]];
    for (int32_t d : degree) maxDegree = std::max<int64_t>(maxDegree, d);
    xIn_.resize(nCopies);
    xOut_.resize(nCopies);
    bIn_.resize(nAdd);
  }

  // With `supports` (the backward pass, which needs the faces only), active-set factors whose
  // reported distribution is complete take it instead of solving, and their parts of q and v are
  // not written (see solveLocal in solver.ts).
  bool solveLocal(const double* a, const double* b, double bScale, double* q, double* v, int64_t maxIter, const Supports* supports = nullptr) {
    const GraphView& g = graph_;
    for (int64_t j = 0; j < nCopies; ++j) xIn_[j] = g.negated[j] ? 1 - a[j] : a[j];
    for (int64_t j = 0; j < nAdd; ++j) bIn_[j] = bScale * b[j];
    bool converged = true;
    for (int64_t f = 0; f < g.nFactors; ++f) {
      if (supports && restoreSupport(f, *supports)) continue;
      const int64_t off = g.varStart[f];
      if (!factors_[f]->solve(xIn_.data() + off, bIn_.data() + g.addStart[f], xOut_.data() + off, v + g.addStart[f], maxIter))
        converged = false;
    }
    for (int64_t j = 0; j < nCopies; ++j) q[j] = g.negated[j] ? 1 - xOut_[j] : xOut_[j];
    return converged;
  }

  // The linearisation S J S (S = -1 on negated copies): see jvpLocal in solver.ts.
  void jvpLocal(const double* da, const double* db, double bScale, double* dq, double* dv) {
    const GraphView& g = graph_;
    for (int64_t j = 0; j < nCopies; ++j) xIn_[j] = g.negated[j] ? -da[j] : da[j];
    for (int64_t j = 0; j < nAdd; ++j) bIn_[j] = bScale * db[j];
    for (int64_t f = 0; f < g.nFactors; ++f) {
      const int64_t off = g.varStart[f];
      factors_[f]->jvp(xIn_.data() + off, bIn_.data() + g.addStart[f], xOut_.data() + off, dv + g.addStart[f]);
    }
    for (int64_t j = 0; j < nCopies; ++j) dq[j] = g.negated[j] ? -xOut_[j] : xOut_[j];
  }

  void prepareJvp() {
    for (auto& f : factors_) f->prepareJvp();
  }

  const LocalFactor& factor(int64_t f) const { return *factors_[f]; }

  int64_t nCopies = 0, nAdd = 0, maxDegree = 0;
  std::vector<int32_t> degree;

 private:
  // Gives factor f the distribution a solve reported, if f is an active-set factor and that
  // distribution is complete (not truncated).
  bool restoreSupport(int64_t f, const Supports& supports) {
    const GraphView& g = graph_;
    const int32_t count = supports.count[f];
    return count > 0 && count <= g.supportStart[f + 1] - g.supportStart[f] &&
           factors_[f]->restoreSupport(supports.weights + g.supportStart[f], supports.labels + g.labelStart[f], count);
  }

  const GraphView& graph_;
  std::vector<std::unique_ptr<LocalFactor>> factors_;
  std::vector<double> xIn_, xOut_, bIn_;
};

struct AdmmResult {
  Status status = MaxIterations;
  int64_t iterations = 0;
  double primal = std::numeric_limits<double>::infinity();
  double dual = std::numeric_limits<double>::infinity();
  double rho = 0;
  double localScale = 1;
};

// sqrt(sumSq / n), where sumSq sums term(j)^2 over j < count; recomputed with scaling when the
// squares overflowed (scores beyond 1e154), so that the reported residuals stay finite.
template <typename Term>
double rootMeanSquare(double sumSq, int64_t n, int64_t count, Term term) {
  if (sumSq < std::numeric_limits<double>::infinity()) return std::sqrt(sumSq / static_cast<double>(n));
  double scale = 0;
  for (int64_t j = 0; j < count; ++j) scale = std::max(scale, std::abs(term(j)));
  if (!(scale < std::numeric_limits<double>::infinity())) return scale;
  double sum = 0;
  for (int64_t j = 0; j < count; ++j) {
    const double t = term(j) / scale;
    sum += t * t;
  }
  return scale * std::sqrt(sum / static_cast<double>(n));
}

// ADMM with the quadratic (weight `quadratic`, 1 or 0) on the global u; see admm() in
// src/js/sparsemap/solver.ts.
// `finish` runs after the last iteration, while the local copies are still alive.
template <typename Local, typename Finish>
AdmmResult admm(const GraphView& graph, const Model& model, const double* eta, const Params& params, double* u, double* localInputs, Local local,
                double quadratic, Finish finish) {
  const int64_t nCopies = model.nCopies;
  const int32_t* vars = graph.vars;
  std::vector<double> lambda(nCopies, 0.0), q(nCopies, 0.0), numerator(graph.nVariables, 0.0);
  double rho = params.rhoInit;
  AdmmResult result;
  result.rho = rho;
  result.localScale = 1 / rho;
  for (int64_t iter = 1; iter <= params.maxIter; ++iter) {
    for (int64_t j = 0; j < nCopies; ++j) {
      const int32_t i = vars[j];
      localInputs[j] = u[i] + (quadratic == 1 ? lambda[j] : lambda[j] + eta[i] / model.degree[i]) / rho;
    }
    const bool localConverged = local(localInputs, 1 / rho, q.data());
    for (int64_t i = 0; i < graph.nVariables; ++i) numerator[i] = quadratic * eta[i];
    for (int64_t j = 0; j < nCopies; ++j) numerator[vars[j]] += rho * q[j] - lambda[j];
    double dualSq = 0;
    for (int64_t i = 0; i < graph.nVariables; ++i) {
      if (model.degree[i] == 0) continue;
      const double next = numerator[i] / (quadratic + rho * model.degree[i]);
      const double change = next - u[i];
      dualSq += model.degree[i] * change * change;
      numerator[i] = change;  // kept for rootMeanSquare
      u[i] = next;
    }
    double primalSq = 0;
    for (int64_t j = 0; j < nCopies; ++j) {
      const double r = q[j] - u[vars[j]];
      primalSq += r * r;
      lambda[j] -= rho * r;
    }
    const double primal = rootMeanSquare(primalSq, nCopies, nCopies, [&](int64_t j) { return q[j] - u[vars[j]]; });
    const double dual = rho * rootMeanSquare(dualSq, nCopies, graph.nVariables, [&](int64_t i) { return std::sqrt(model.degree[i]) * numerator[i]; });
    result = AdmmResult{MaxIterations, iter, primal, dual, rho, 1 / rho};
    if (primal < params.tol && dual < params.tol) {
      result.status = localConverged ? Converged : ActiveSetMaxIterations;
      break;
    }
    if (params.adaptRho && iter % 10 == 0) {
      if (primal > 10 * dual) rho = std::min(2 * rho, 100.0);
      else if (dual > 10 * primal) rho = std::max(rho / 2, 1e-3);
    }
  }
  finish();
  return result;
}

inline double clip01(double v) { return v <= 0 ? 0 : v >= 1 ? 1 : v; }

void writeInfo(double* info, const AdmmResult& r) {
  info[InfoStatus] = r.status;
  info[InfoIterations] = static_cast<double>(r.iterations);
  info[InfoPrimal] = r.primal;
  info[InfoDual] = r.dual;
  info[InfoRho] = r.rho;
  info[InfoLocalScale] = r.localScale;
}

// The distribution over structures of each factor that reports one (OROUT and active-set factors).
void writeSupports(const GraphView& graph, const Model& model, const Outputs& out) {
  for (int64_t f = 0; f < graph.nFactors; ++f) {
    const int64_t capacity = graph.supportStart[f + 1] - graph.supportStart[f];
    const int64_t count = model.factor(f).writeSupport(out.supportWeights + graph.supportStart[f], out.supportLabels + graph.labelStart[f], capacity);
    out.supportCount[f] = static_cast<int32_t>(count);
  }
}

// A RangeError naming the field at fault: "graph.<field>: factor f <what>".
[[noreturn]] void fail(const char* field, int64_t f, const std::string& what) {
  throw RangeError(std::string("graph.") + field + ": factor " + std::to_string(f) + " " + what);
}

}  // namespace

// Mirrored, message for message, by validateGraph in src/js/sparsemap/graph.ts.
void validateGraph(const GraphView& g) {
  if (g.nVariables < 1) throw RangeError("graph.nVariables must be >= 1");
  if (g.nFactors < 0) throw RangeError("graph.nFactors must be >= 0");
  const std::pair<const char*, const int32_t*> offsets[] = {{"varStart", g.varStart}, {"intStart", g.intStart}, {"realStart", g.realStart},
                                                             {"addStart", g.addStart}, {"supportStart", g.supportStart}, {"labelStart", g.labelStart}};
  for (const auto& [field, start] : offsets) {
    if (start[0] != 0) throw RangeError(std::string("graph.") + field + " must start at 0");
    for (int64_t f = 0; f < g.nFactors; ++f)
      if (start[f + 1] < start[f]) throw RangeError(std::string("graph.") + field + " must not decrease");
  }
  std::vector<int64_t> seen(static_cast<size_t>(g.nVariables), -1);
  for (int64_t f = 0; f < g.nFactors; ++f) {
    const int64_t n = g.varStart[f + 1] - g.varStart[f];
    const int64_t nInts = g.intStart[f + 1] - g.intStart[f];
    const int64_t nReals = g.realStart[f + 1] - g.realStart[f];
    const int64_t nAdd = g.addStart[f + 1] - g.addStart[f];
    if (n < 1) fail("varStart", f, "has no variables");
    for (int64_t j = g.varStart[f]; j < g.varStart[f + 1]; ++j) {
      const int32_t v = g.vars[j];
      if (!(v >= 0 && v < g.nVariables)) fail("vars", f, "has variable index " + std::to_string(v) + " out of range [0, " + std::to_string(g.nVariables - 1) + "]");
      if (seen[v] == f) fail("vars", f, "has variable " + std::to_string(v) + " twice");
      seen[v] = f;
    }
    const int32_t* ints = g.ints + g.intStart[f];
    const int64_t capacity = g.supportStart[f + 1] - g.supportStart[f];
    const int64_t labels = g.labelStart[f + 1] - g.labelStart[f];
    switch (static_cast<FactorKind>(g.kinds[f])) {
      case FactorKind::Xor:
      case FactorKind::AtMostOne:
      case FactorKind::Or:
        if (nAdd != 0) fail("addStart", f, "(XOR, AtMostOne, OR) takes no additional scores");
        break;
      case FactorKind::Budget:
        if (nInts != 2) fail("intStart", f, "(Budget) needs 2 integers, k and the exact flag");
        if (!(ints[0] >= 0 && ints[0] <= n)) fail("ints", f, "(Budget) needs k in [0, " + std::to_string(n) + "], got " + std::to_string(ints[0]));
        if (nAdd != 0) fail("addStart", f, "(Budget) takes no additional scores");
        break;
      case FactorKind::Knapsack: {
        if (nReals != n + 1) fail("realStart", f, "(Knapsack) needs n costs and a budget");
        const double* reals = g.reals + g.realStart[f];
        double smallest = std::numeric_limits<double>::infinity(), largest = 0;
        for (int64_t i = 0; i < n; ++i) {
          if (!(reals[i] > 0 && std::isfinite(reals[i]))) fail("reals", f, "(Knapsack) costs must be finite and > 0");
          smallest = std::min(smallest, reals[i]);
          largest = std::max(largest, reals[i]);
        }
        if (largest > kMaxCostRatio * smallest) fail("reals", f, "(Knapsack) costs must be within a factor 1e100 of each other");
        if (!(reals[n] >= 0 && std::isfinite(reals[n]))) fail("reals", f, "(Knapsack) budget must be finite and >= 0");
        if (nAdd != 0) fail("addStart", f, "(Knapsack) takes no additional scores");
        break;
      }
      case FactorKind::Pair:
        if (n != 2) fail("varStart", f, "(Pair) needs 2 variables");
        if (nAdd != 1) fail("addStart", f, "(Pair) needs 1 additional score");
        break;
      case FactorKind::OrOut:
        if (n < 2) fail("varStart", f, "(OrOut) needs >= 2 variables");
        if (nAdd != 0) fail("addStart", f, "(OrOut) takes no additional scores");
        if (labels != capacity * n) fail("labelStart", f, "(OrOut) needs n labels per structure");
        break;
      case FactorKind::Sequence:
      case FactorKind::SequenceBudget: {
        const bool budgeted = static_cast<FactorKind>(g.kinds[f]) == FactorKind::SequenceBudget;
        if (nInts != (budgeted ? 4 : 2)) fail("intStart", f, budgeted ? "(SequenceBudget) needs 4 integers, L, S, k and the exact flag" : "(Sequence) needs 2 integers, L and S");
        const int64_t L = ints[0], S = ints[1];
        if (!(L >= 1 && S >= 1 && L * S == n)) fail("ints", f, "(Sequence) needs L * S variables");
        if (nAdd != sequenceAdditionalLength(L, S)) fail("addStart", f, "(Sequence) needs 2S + (L-1)S^2 additional scores");
        if (labels != capacity * L) fail("labelStart", f, "(Sequence) needs L labels per structure");
        if (budgeted) {
          if (!(ints[2] >= 0 && ints[2] <= L)) fail("ints", f, "(SequenceBudget) needs k in [0, L]");
          if (S == 1 && ints[2] != L) fail("ints", f, "(SequenceBudget) with one state needs k = L");
        }
        break;
      }
      case FactorKind::Tree: {
        if (nInts != 1) fail("intStart", f, "(Tree) needs 1 integer, the length");
        const int64_t length = ints[0];
        if (!(length >= 1 && length * length == n)) fail("ints", f, "(Tree) needs length^2 arc variables");
        if (nAdd != 0) fail("addStart", f, "(Tree) takes no additional scores");
        if (labels != capacity * length) fail("labelStart", f, "(Tree) needs length labels per structure");
        break;
      }
      case FactorKind::Dense: {
        if (!(nInts >= 1 && ints[0] >= 1 && nInts == 1 + int64_t{ints[0]})) fail("intStart", f, "(Dense) needs the number of groups and their sizes");
        int64_t total = 0, configurations = 1;
        for (int64_t i = 1; i <= ints[0]; ++i) {
          if (ints[i] < 1) fail("ints", f, "(Dense) group sizes must be >= 1");
          total += ints[i];
          configurations *= ints[i];
          if (configurations > (int64_t{1} << 30)) fail("ints", f, "(Dense) has too many configurations");
        }
        if (total != n) fail("ints", f, "(Dense) group sizes must add up to its variables");
        if (nAdd != configurations) fail("addStart", f, "(Dense) needs one additional score per configuration");
        if (labels != capacity * ints[0]) fail("labelStart", f, "(Dense) needs one label per group and structure");
        break;
      }
      default:
        fail("kinds", f, "has unknown kind " + std::to_string(g.kinds[f]));
    }
  }
}

// The API refuses scores beyond kMaxScore and names the argument; the core checks again for
// callers of its own (the fuzz target's scores of 1e300 reached a NaN-to-int cast).
namespace {
void checkScores(const double* scores, int64_t n, const char* name) {
  for (int64_t i = 0; i < n; ++i)
    if (!(std::fabs(scores[i]) <= kMaxScore)) throw RangeError(std::string(name) + " must be at most 1e150 in magnitude");
}
}  // namespace

void solve(const GraphView& graph, const double* unary, const double* additional, const Params& params, const Outputs& out) {
  checkScores(unary, graph.nVariables, "unary scores");
  checkScores(additional, graph.addStart[graph.nFactors], "additional scores");
  Model model(graph);
  const bool lpMap = params.objective == 1;
  for (int64_t i = 0; i < graph.nVariables; ++i) out.u[i] = lpMap ? (unary[i] > 0 ? 1 : 0) : clip01(unary[i]);
  AdmmResult result;
  if (model.maxDegree <= 1 && !lpMap) {
    for (int64_t j = 0; j < model.nCopies; ++j) out.localInputs[j] = unary[graph.vars[j]];
    std::vector<double> q(model.nCopies);
    const bool converged = model.solveLocal(out.localInputs, additional, 1, q.data(), out.additionals, params.maxActiveSetIter);
    for (int64_t j = 0; j < model.nCopies; ++j) out.u[graph.vars[j]] = q[j];
    result = AdmmResult{converged ? Converged : ActiveSetMaxIterations, 1, 0, 0, params.rhoInit, 1};
  } else {
    const double* lastQ = nullptr;
    const auto local = [&](const double* a, double bScale, double* q) {
      lastQ = q;
      return model.solveLocal(a, additional, bScale, q, out.additionals, params.maxActiveSetIter);
    };
    // lastQ points into admm's buffer, so the mean of the copies is taken inside the same scope.
    result = admm(graph, model, unary, params, out.u, out.localInputs, local, lpMap ? 0 : 1, [&] {
      for (int64_t i = 0; i < graph.nVariables; ++i)
        if (model.degree[i] > 0) out.u[i] = 0;
      for (int64_t j = 0; j < model.nCopies; ++j) out.u[graph.vars[j]] += lastQ[j];
      for (int64_t i = 0; i < graph.nVariables; ++i)
        if (model.degree[i] > 0) out.u[i] /= model.degree[i];
    });
  }
  writeInfo(out.info, result);
  writeSupports(graph, model, out);
}

void solveBatch(const GraphView& graph, const double* unary, int64_t rows, const double* additional, const Params& params, double* u,
                double* additionals, double* info, unsigned threads) {
  const int64_t n = graph.nVariables, nAdd = graph.addStart[graph.nFactors];
  parallelFor(rows, threads, [&](unsigned, int64_t r) {
    std::vector<double> localInputs(static_cast<size_t>(graph.varStart[graph.nFactors]));
    std::vector<int32_t> supportCount(static_cast<size_t>(graph.nFactors)), supportLabels(static_cast<size_t>(graph.labelStart[graph.nFactors]));
    std::vector<double> supportWeights(static_cast<size_t>(graph.supportStart[graph.nFactors]));
    const Outputs out{u + r * n, additionals + r * nAdd, info + r * InfoLength, localInputs.data(), supportCount.data(), supportWeights.data(), supportLabels.data()};
    solve(graph, unary + r * n, additional, params, out);
  });
}

void backward(const GraphView& graph, const double* unary, const double* additional, const double* localInputs, double localScale,
              const Supports& supports, const double* gradU, const double* gradAdditional, const Params& params, const GradOutputs& out) {
  Model model(graph);
  std::vector<double> q(model.nCopies), v(model.nAdd);
  model.solveLocal(localInputs, additional, localScale, q.data(), v.data(), params.maxActiveSetIter, &supports);
  model.prepareJvp();
  double* du = out.gradUnary;
  for (int64_t i = 0; i < graph.nVariables; ++i) du[i] = model.degree[i] == 0 && unary[i] > 0 && unary[i] < 1 ? gradU[i] : 0;
  double* dv = out.gradAdditional;
  AdmmResult result;
  if (model.maxDegree <= 1) {
    std::vector<double> da(model.nCopies);
    for (int64_t j = 0; j < model.nCopies; ++j) da[j] = gradU[graph.vars[j]];
    model.jvpLocal(da.data(), gradAdditional, 1, q.data(), dv);
    for (int64_t j = 0; j < model.nCopies; ++j) du[graph.vars[j]] = q[j];
    result = AdmmResult{Converged, 1, 0, 0, params.rhoInit, 1};
  } else {
    std::vector<double> scratch(model.nCopies);
    result = admm(
        graph, model, gradU, params, du, scratch.data(),
        [&](const double* a, double bScale, double* dq) {
          model.jvpLocal(a, gradAdditional, bScale, dq, dv);
          return true;
        },
        1, [] {});
  }
  writeInfo(out.info, result);
}

namespace {
// The selection QP's unary scores: halved (see SelectionOracle) and shifted so that the largest is
// 0, which changes no selection of exactly k positions but makes ties at the top exact however
// large the scores (halves first: the difference of two scores may overflow).
void selectionScores(const double* scores, int64_t cols, double* a) {
  double largest = scores[0];
  for (int64_t t = 1; t < cols; ++t) largest = std::max(largest, scores[t]);
  for (int64_t t = 0; t < cols; ++t) a[t] = 0.5 * scores[t] - 0.5 * largest;
}
}  // namespace

void kSubsetsBatch(const double* scores, int64_t rows, int64_t cols, int64_t k, double* out, unsigned threads) {
  if (k < 0 || k > cols) throw RangeError("k must be in [0, cols]");
  parallelFor(rows, threads, [&](unsigned, int64_t r) {
    cappedProjection(scores + r * cols, cols, nullptr, static_cast<double>(k), SumMode::Exact, out + r * cols);
  });
}

void sequentialKSubsetsBatch(const double* scores, int64_t rows, int64_t cols, int64_t k, double bonus, int64_t maxActiveSetIter,
                             double* out, uint8_t* status, unsigned threads, double* conjugate) {
  if (cols < 1) throw RangeError("cols must be >= 1");
  if (k < 0 || k > cols) throw RangeError("k must be in [0, cols]");
  // The 2-state SequenceBudget in its selected-state form (see SelectionOracle): scores / 2 (shifted), bonus / 2.
  const int64_t nAdd = cols - 1;
  const std::vector<double> b(static_cast<size_t>(nAdd), 0.5 * bonus);
  parallelFor(rows, threads, [&](unsigned, int64_t r) {
    std::vector<double> a(static_cast<size_t>(cols)), v(static_cast<size_t>(nAdd));
    selectionScores(scores + r * cols, cols, a.data());
    ActiveSetQP qp(std::make_unique<SelectionOracle>(cols, k));
    double* x = out + r * cols;
    const bool converged = qp.solve(a.data(), b.data(), maxActiveSetIter, x, v.data());
    status[r] = converged ? Converged : ActiveSetMaxIterations;
    if (conjugate) {
      // Twice the selection QP's optimum: <s, x> + bonus sum(v) - ||x||^2 (its gradient in s is x).
      double value = 0;
      for (int64_t t = 0; t < cols; ++t) value += (scores[r * cols + t] - x[t]) * x[t];
      for (int64_t t = 0; t < nAdd; ++t) value += bonus * v[t];
      conjugate[r] = value;
    }
  });
}

void kSubsetsBackwardBatch(const double* scores, int64_t rows, int64_t cols, int64_t k, const double* grad, double* out, unsigned threads) {
  if (k < 0 || k > cols) throw RangeError("k must be in [0, cols]");
  parallelFor(rows, threads, [&](unsigned, int64_t r) {
    std::vector<double> x(static_cast<size_t>(cols));
    cappedProjection(scores + r * cols, cols, nullptr, static_cast<double>(k), SumMode::Exact, x.data());
    cappedProjectionJvp(x.data(), cols, nullptr, true, grad + r * cols, out + r * cols);
  });
}

void sequentialKSubsetsBackwardBatch(const double* scores, int64_t rows, int64_t cols, int64_t k, double bonus, int64_t maxActiveSetIter,
                                     const double* grad, double* out, uint8_t* status, unsigned threads) {
  if (cols < 1) throw RangeError("cols must be >= 1");
  if (k < 0 || k > cols) throw RangeError("k must be in [0, cols]");
  const int64_t nAdd = cols - 1;
  const std::vector<double> b(static_cast<size_t>(nAdd), 0.5 * bonus), zeros(static_cast<size_t>(nAdd), 0.0);
  parallelFor(rows, threads, [&](unsigned, int64_t r) {
    std::vector<double> a(static_cast<size_t>(cols)), x(static_cast<size_t>(cols)), v(static_cast<size_t>(nAdd));
    selectionScores(scores + r * cols, cols, a.data());
    ActiveSetQP qp(std::make_unique<SelectionOracle>(cols, k));
    const bool converged = qp.solve(a.data(), b.data(), maxActiveSetIter, x.data(), v.data());
    qp.prepareJvp();
    // The marginals are the selection QP's at scores / 2: the chain rule halves the Jacobian.
    qp.jvp(grad + r * cols, zeros.data(), out + r * cols, v.data());
    for (int64_t t = 0; t < cols; ++t) out[r * cols + t] *= 0.5;
    status[r] = converged ? Converged : ActiveSetMaxIterations;
  });
}

}  // namespace sshn::sparsemap
