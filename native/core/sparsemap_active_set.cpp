// Active-set SparseMAP. Mirrors src/js/sparsemap/activeSet.ts line for line.
#include "sparsemap_active_set.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "errors.hpp"

namespace sshn::sparsemap {
namespace {

// An ascent (a structure's gain over the support, or the slope along a null direction) is real when
// above this times the largest structureMagnitude involved (see activeSet.ts on cycling).
constexpr double kGainTol = 1e-12;
constexpr double kRankTol = 1e-10;
constexpr double kInf = std::numeric_limits<double>::infinity();

double overlap(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t i = 0, j = 0;
  int64_t count = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) {
      ++count;
      ++i;
      ++j;
    } else if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return static_cast<double>(count);
}

inline double reducedEntry(const std::vector<std::vector<double>>& gram, int64_t i, int64_t j) {
  return gram[i + 1][j + 1] - gram[i + 1][0] - gram[0][j + 1] + gram[0][0];
}

// sum |a_on| + sum |b_add| + |on|: the size of the terms in the structure's score at a - x and in
// its reduced gradient, hence the scale of their rounding errors.
double structureMagnitude(const Structure& s, const double* a, const double* b) {
  double total = static_cast<double>(s.on.size());
  for (int32_t i : s.on) total += std::fabs(a[i]);
  for (int32_t j : s.add) total += std::fabs(b[j]);
  return total;
}

void checkLabel(bool ok, const std::string& what) {
  if (!ok) throw RangeError("not a label of this factor: " + what);
}

Structure sequenceStructure(std::vector<int32_t> path, int64_t states) {
  const int64_t length = static_cast<int64_t>(path.size());
  for (int64_t t = 0; t < length; ++t)
    checkLabel(path[t] >= 0 && path[t] < states, "state " + std::to_string(path[t]) + " at position " + std::to_string(t));
  Structure s;
  s.on.resize(length);
  s.add.resize(length + 1);
  for (int64_t t = 0; t < length; ++t) s.on[t] = static_cast<int32_t>(t * states + path[t]);
  s.add[0] = path[0];
  for (int64_t t = 1; t < length; ++t)
    s.add[t] = static_cast<int32_t>(states + (t - 1) * states * states + path[t - 1] * states + path[t]);
  s.add[length] = static_cast<int32_t>(states + (length - 1) * states * states + path[length - 1]);
  s.label = std::move(path);
  return s;
}

}  // namespace

double structureScore(const Structure& s, const double* u, const double* b) {
  double total = 0;
  for (int32_t i : s.on) total += u[i];
  for (int32_t j : s.add) total += b[j];
  return total;
}

void ReducedSystem::reserve(int64_t m) {
  if (m <= cap_) return;
  const int64_t cap = std::max<int64_t>({2 * cap_, m, 8});
  std::vector<double> l(static_cast<size_t>(cap * cap), 0.0);
  for (int64_t i = 0; i < m_; ++i)
    for (int64_t c = 0; c <= i && c < rank_; ++c) l[static_cast<size_t>(i * cap + c)] = l_[static_cast<size_t>(i * cap_ + c)];
  l_ = std::move(l);
  perm_.resize(static_cast<size_t>(cap));
  h_.assign(static_cast<size_t>(cap * cap), 0.0);
  z_.assign(static_cast<size_t>(cap), 0.0);
  y_.assign(static_cast<size_t>(cap), 0.0);
  cap_ = cap;
}

void ReducedSystem::factor(const std::vector<std::vector<double>>& gram, int64_t k) {
  const int64_t m = k - 1;
  reserve(m);
  m_ = m;
  double maxDiag = 0;
  for (int64_t i = 0; i < m; ++i) {
    perm_[i] = i;
    for (int64_t j = 0; j < m; ++j) h(i, j) = reducedEntry(gram, i, j);
    maxDiag = std::max(maxDiag, h(i, i));
    for (int64_t c = 0; c < m; ++c) l(i, c) = 0;
  }
  maxDiag_ = maxDiag;
  const double tol = kRankTol * std::max(1.0, maxDiag);
  rank_ = m;
  for (int64_t j = 0; j < m; ++j) {
    int64_t p = j;
    for (int64_t i = j + 1; i < m; ++i)
      if (h(i, i) > h(p, p)) p = i;
    if (!(h(p, p) > tol)) {
      rank_ = j;
      return;
    }
    if (p != j) {
      for (int64_t c = 0; c < m; ++c) std::swap(h(j, c), h(p, c));
      for (int64_t r = 0; r < m; ++r) std::swap(h(r, j), h(r, p));
      for (int64_t c = 0; c < j; ++c) std::swap(l(j, c), l(p, c));
      std::swap(perm_[j], perm_[p]);
    }
    const double d = std::sqrt(h(j, j));
    l(j, j) = d;
    for (int64_t i = j + 1; i < m; ++i) l(i, j) = h(i, j) / d;
    for (int64_t i = j + 1; i < m; ++i) {
      const double lij = l(i, j);
      for (int64_t c = j + 1; c <= i; ++c) {
        h(i, c) -= lij * l(c, j);
        h(c, i) = h(i, c);
      }
    }
  }
}

void ReducedSystem::append(const std::vector<std::vector<double>>& gram, int64_t k) {
  const int64_t m = k - 1;
  if (rank_ != m_ || m != m_ + 1 || m == 1) {
    factor(gram, k);
    return;
  }
  reserve(m);
  const int64_t row = m - 1;
  const double diag = reducedEntry(gram, row, row);
  maxDiag_ = std::max(maxDiag_, diag);
  double rest = diag;
  for (int64_t i = 0; i < row; ++i) {
    double s = reducedEntry(gram, row, perm_[i]);
    for (int64_t c = 0; c < i; ++c) s -= l(i, c) * l(row, c);
    const double v = s / l(i, i);
    l(row, i) = v;
    rest -= v * v;
  }
  if (!(rest > kRankTol * std::max(1.0, maxDiag_))) {
    factor(gram, k);
    return;
  }
  l(row, row) = std::sqrt(rest);
  perm_[row] = row;
  m_ = m;
  rank_ = m;
}

void ReducedSystem::remove(const std::vector<std::vector<double>>& gram, int64_t k, int64_t index) {
  if (index == 0 || rank_ != m_) {
    factor(gram, k);
    return;
  }
  const int64_t m = m_;
  const int64_t gone = index - 1;
  int64_t q = 0;
  while (perm_[q] != gone) ++q;
  for (int64_t i = q; i < m - 1; ++i) {
    for (int64_t c = 0; c <= i + 1; ++c) l(i, c) = l(i + 1, c);
    perm_[i] = perm_[i + 1];
  }
  for (int64_t j = q; j < m - 1; ++j) {
    const double a = l(j, j);
    const double b = l(j, j + 1);
    const double r = std::hypot(a, b);
    const double c = a / r;
    const double s = b / r;
    for (int64_t i = j; i < m - 1; ++i) {
      const double x = l(i, j);
      const double y = l(i, j + 1);
      l(i, j) = c * x + s * y;
      l(i, j + 1) = -s * x + c * y;
    }
  }
  for (int64_t i = 0; i < m - 1; ++i) {
    l(i, m - 1) = 0;
    if (perm_[i] > gone) --perm_[i];
  }
  m_ = m - 1;
  rank_ = m - 1;
}

int64_t ReducedSystem::solve(const double* r, double nullTol) {
  const int64_t m = m_, rank = rank_;
  for (int64_t i = 0; i < rank; ++i) {
    double s = r[perm_[i]];
    for (int64_t c = 0; c < i; ++c) s -= l(i, c) * z_[c];
    z_[i] = s / l(i, i);
  }
  int64_t worst = -1;
  double worstAbs = nullTol;
  for (int64_t i = rank; i < m; ++i) {
    double s = r[perm_[i]];
    for (int64_t c = 0; c < rank; ++c) s -= l(i, c) * z_[c];
    if (std::fabs(s) > worstAbs) {
      worstAbs = std::fabs(s);
      worst = i;
    }
    z_[i] = s;
  }
  for (int64_t i = m - 1; i >= 0; --i) {
    if (i >= rank) {
      y_[perm_[i]] = 0;
      continue;
    }
    double s = z_[i];
    for (int64_t c = i + 1; c < rank; ++c) s -= l(c, i) * y_[perm_[c]];
    y_[perm_[i]] = s / l(i, i);
  }
  return worst;
}

int64_t ReducedSystem::ascendingNullPivot(int64_t i) const {
  for (int64_t j = rank_; j < m_; ++j)
    if (perm_[j] == i) return z_[j] > 0 ? j : -1;
  return -1;
}

void ReducedSystem::nullDirection(int64_t j) {
  const int64_t m = m_, rank = rank_;
  std::fill(y_.begin(), y_.begin() + m, 0.0);
  const double sign = z_[j] > 0 ? 1 : -1;
  y_[perm_[j]] = sign;
  for (int64_t i = rank - 1; i >= 0; --i) {
    double s = -sign * l(j, i);
    for (int64_t c = i + 1; c < rank; ++c) s -= l(c, i) * y_[perm_[c]];
    y_[perm_[i]] = s / l(i, i);
  }
}

ActiveSetQP::ActiveSetQP(std::unique_ptr<Oracle> oracle) : oracle_(std::move(oracle)) {
  residual_.resize(static_cast<size_t>(oracle_->n()));
}

void ActiveSetQP::addStructure(Structure s, double weight) {
  std::vector<double> row;
  row.reserve(structures_.size() + 1);
  for (size_t i = 0; i < structures_.size(); ++i) {
    const double g = overlap(s.on, structures_[i].on);
    row.push_back(g);
    gram_[i].push_back(g);
  }
  row.push_back(static_cast<double>(s.on.size()));
  gram_.push_back(std::move(row));
  structures_.push_back(std::move(s));
  weights_.push_back(weight);
  if (structures_.size() > 1) reduced_.append(gram_, static_cast<int64_t>(structures_.size()));
}

void ActiveSetQP::removeStructure(size_t index) {
  structures_.erase(structures_.begin() + static_cast<std::ptrdiff_t>(index));
  weights_.erase(weights_.begin() + static_cast<std::ptrdiff_t>(index));
  gram_.erase(gram_.begin() + static_cast<std::ptrdiff_t>(index));
  for (auto& row : gram_) row.erase(row.begin() + static_cast<std::ptrdiff_t>(index));
  if (structures_.size() > 1) reduced_.remove(gram_, static_cast<int64_t>(structures_.size()), static_cast<int64_t>(index));
  else reduced_.factor(gram_, 1);
}

void ActiveSetQP::dropEmpty() {
  bool removed = false;
  for (size_t i = weights_.size(); i-- > 0;) {
    if (!(weights_[i] > 0)) {
      removeStructure(i);
      removed = true;
    }
  }
  if (removed) {
    double total = 0;
    for (double w : weights_) total += w;
    for (double& w : weights_) w /= total;
  }
}

void ActiveSetQP::unaryMarginals(double* x) const {
  std::fill(x, x + oracle_->n(), 0.0);
  for (size_t s = 0; s < structures_.size(); ++s)
    for (int32_t i : structures_[s].on) x[i] += weights_[s];
}

void ActiveSetQP::recomputeScores(const double* a, const double* b) {
  scores_.resize(structures_.size());
  magnitudes_.resize(structures_.size());
  for (size_t s = 0; s < structures_.size(); ++s) {
    scores_[s] = structureScore(structures_[s], a, b);
    magnitudes_[s] = structureMagnitude(structures_[s], a, b);
  }
}

bool ActiveSetQP::solve(const double* a, const double* b, int64_t maxIter, double* x, double* v) {
  if (structures_.empty()) addStructure(oracle_->argmax(a, b), 1);
  recomputeScores(a, b);
  converged_ = false;
  int64_t iter = 0;
  // The index of the structure the previous pass added, else -1.
  int64_t entering = -1;
  while (iter < maxIter) {
    ++iter;
    const size_t k = structures_.size();
    const int64_t entered = entering;
    entering = -1;
    if (k > 1) {
      const size_t m = k - 1;
      r_.resize(m);
      p_.resize(k);
      double h0 = scores_[0];
      for (size_t j = 0; j < k; ++j) h0 -= gram_[0][j] * weights_[j];
      double rScale = magnitudes_[0];
      for (size_t i = 0; i < m; ++i) {
        double hi = scores_[i + 1];
        for (size_t j = 0; j < k; ++j) hi -= gram_[i + 1][j] * weights_[j];
        r_[i] = hi - h0;
        rScale = std::max(rScale, magnitudes_[i + 1]);
      }
      int64_t nullIndex = reduced_.solve(r_.data(), kGainTol * rScale);
      // A structure that entered affinely dependent on the support (a null pivot) ascends along its
      // null direction at the gain that admitted it; rounding may put that slope back under the
      // tolerance the gain passed: follow any ascent there, or the structure keeps weight 0, is
      // dropped and re-added forever.
      if (nullIndex < 0 && entered > 0) nullIndex = reduced_.ascendingNullPivot(entered - 1);
      const bool bounded = nullIndex < 0;
      if (!bounded) reduced_.nullDirection(nullIndex);
      const double* y = reduced_.y();
      double sum = 0;
      for (size_t i = 0; i < m; ++i) {
        p_[i + 1] = y[i];
        sum += y[i];
      }
      p_[0] = -sum;
      double alpha = bounded ? 1 : kInf;
      int64_t blocking = -1;
      for (size_t j = 0; j < k; ++j) {
        if (p_[j] < 0) {
          const double ratio = weights_[j] / -p_[j];
          if (ratio < alpha) {
            alpha = ratio;
            blocking = static_cast<int64_t>(j);
          }
        }
      }
      if (!std::isfinite(alpha)) alpha = 0;
      for (size_t j = 0; j < k; ++j) weights_[j] += alpha * p_[j];
      if (blocking >= 0) weights_[static_cast<size_t>(blocking)] = 0;
      const size_t before = structures_.size();
      dropEmpty();
      if (blocking >= 0 || structures_.size() != before) {
        recomputeScores(a, b);
        continue;
      }
    }
    unaryMarginals(residual_.data());
    const int64_t n = oracle_->n();
    for (int64_t i = 0; i < n; ++i) residual_[i] = a[i] - residual_[i];
    double tau = 0;
    for (size_t s = 0; s < structures_.size(); ++s) tau += weights_[s] * structureScore(structures_[s], residual_.data(), b);
    Structure best = oracle_->argmax(residual_.data(), b);
    const double gain = structureScore(best, residual_.data(), b) - tau;
    const double magnitude = structureMagnitude(best, a, b);
    double scale = magnitude;
    for (double mag : magnitudes_) scale = std::max(scale, mag);
    bool duplicate = false;
    for (const auto& s : structures_)
      if (s.label == best.label) duplicate = true;
    if (gain <= kGainTol * scale || duplicate) {
      converged_ = true;
      break;
    }
    const double score = structureScore(best, a, b);
    addStructure(std::move(best), 0);
    scores_.push_back(score);
    magnitudes_.push_back(magnitude);
    entering = static_cast<int64_t>(structures_.size()) - 1;
  }
  iterations_ = iter;
  unaryMarginals(x);
  std::fill(v, v + oracle_->nAdd(), 0.0);
  for (size_t s = 0; s < structures_.size(); ++s)
    for (int32_t j : structures_[s].add) v[j] += weights_[s];
  return converged_;
}

void ActiveSetQP::restore(const double* weights, const int32_t* labels, int64_t count) {
  structures_.clear();
  weights_.clear();
  gram_.clear();
  const int64_t length = oracle_->labelLength();
  for (int64_t s = 0; s < count; ++s) {
    addStructure(oracle_->structure(std::vector<int32_t>(labels + s * length, labels + (s + 1) * length)), weights[s]);
  }
}

void ActiveSetQP::prepareJvp() {
  jvpSupport_.clear();
  for (size_t s = 0; s < weights_.size(); ++s)
    if (weights_[s] > kSupportTol) jvpSupport_.push_back(s);
  const size_t k = jvpSupport_.size();
  if (k > 1) {
    std::vector<std::vector<double>> sub(k, std::vector<double>(k));
    for (size_t i = 0; i < k; ++i)
      for (size_t j = 0; j < k; ++j) sub[i][j] = gram_[jvpSupport_[i]][jvpSupport_[j]];
    jvpSystem_.factor(sub, static_cast<int64_t>(k));
  }
}

void ActiveSetQP::scatter(size_t s, double dw, double* dx, double* dv) const {
  for (int32_t i : structures_[s].on) dx[i] += dw;
  for (int32_t j : structures_[s].add) dv[j] += dw;
}

void ActiveSetQP::jvp(const double* da, const double* db, double* dx, double* dv) {
  std::fill(dx, dx + oracle_->n(), 0.0);
  std::fill(dv, dv + oracle_->nAdd(), 0.0);
  const size_t k = jvpSupport_.size();
  if (k < 2) return;
  const size_t m = k - 1;
  r_.resize(m);
  const double dc0 = structureScore(structures_[jvpSupport_[0]], da, db);
  for (size_t i = 0; i < m; ++i) r_[i] = structureScore(structures_[jvpSupport_[i + 1]], da, db) - dc0;
  jvpSystem_.solve(r_.data(), kInf);
  const double* y = jvpSystem_.y();
  double sum = 0;
  for (size_t s = 1; s < k; ++s) {
    sum += y[s - 1];
    scatter(jvpSupport_[s], y[s - 1], dx, dv);
  }
  scatter(jvpSupport_[0], -sum, dx, dv);
}

SelectionOracle::SelectionOracle(int64_t n, int64_t k) : n_(n), k_(k) {
  const size_t cells = checkedProduct(checkedProduct(static_cast<size_t>(n), 2, "selection"), static_cast<size_t>(k + 1), "selection dynamic programme");
  delta_.resize(cells);
  back_.resize(cells);
}

Structure SelectionOracle::argmax(const double* u, const double* b) {
  const int64_t L = n_, k = k_, C = k + 1;
  std::fill(delta_.begin(), delta_.end(), -kInf);
  delta_[0] = 0;
  if (C > 1) delta_[1 * C + 1] = u[0];
  for (int64_t t = 1; t < L; ++t) {
    for (int64_t c = 0; c < C; ++c) {
      const double fromOff = delta_[((t - 1) * 2) * C + c];
      const double fromOn = delta_[((t - 1) * 2 + 1) * C + c];
      if (fromOn > fromOff) {
        delta_[(t * 2) * C + c] = fromOn;
        back_[(t * 2) * C + c] = 1;
      } else {
        delta_[(t * 2) * C + c] = fromOff;
        back_[(t * 2) * C + c] = 0;
      }
      if (c == 0) continue;
      const double offPrev = delta_[((t - 1) * 2) * C + c - 1];
      const double onPrev = delta_[((t - 1) * 2 + 1) * C + c - 1] + b[t - 1];
      if (onPrev > offPrev) {
        delta_[(t * 2 + 1) * C + c] = onPrev + u[t];
        back_[(t * 2 + 1) * C + c] = 1;
      } else {
        delta_[(t * 2 + 1) * C + c] = offPrev + u[t];
        back_[(t * 2 + 1) * C + c] = 0;
      }
    }
  }
  const double endOff = delta_[((L - 1) * 2) * C + k];
  const double endOn = delta_[((L - 1) * 2 + 1) * C + k];
  if (endOff == -kInf && endOn == -kInf) throw RangeError("selection factor has no feasible configuration");
  int64_t s = endOn > endOff ? 1 : 0, c = k;
  std::vector<int32_t> label(static_cast<size_t>(k));
  for (int64_t t = L - 1; t >= 0; --t) {
    const int64_t prev = t > 0 ? back_[(t * 2 + s) * C + c] : 0;
    if (s == 1) label[--c] = static_cast<int32_t>(t);
    s = prev;
  }
  return structure(std::move(label));
}

Structure SelectionOracle::structure(std::vector<int32_t> label) const {
  checkLabel(static_cast<int64_t>(label.size()) == k_, std::to_string(label.size()) + " positions for k = " + std::to_string(k_));
  Structure result;
  for (size_t i = 0; i < label.size(); ++i) {
    checkLabel(label[i] >= (i > 0 ? label[i - 1] + 1 : 0) && label[i] < n_, "position " + std::to_string(label[i]));
    if (i > 0 && label[i] == label[i - 1] + 1) result.add.push_back(label[i] - 1);
  }
  result.on = label;
  result.label = std::move(label);
  return result;
}

std::vector<int64_t> chuLiuEdmonds(const std::vector<double>& score, int64_t N) {
  std::vector<int64_t> head(static_cast<size_t>(N), -1);
  for (int64_t m = 1; m < N; ++m) {
    double best = -kInf;
    int64_t arg = -1;
    for (int64_t h = 0; h < N; ++h) {
      if (h != m && score[h * N + m] > best) {
        best = score[h * N + m];
        arg = h;
      }
    }
    head[m] = arg;
  }
  std::vector<int64_t> mark(static_cast<size_t>(N), -1);
  int64_t cycleNode = -1;
  for (int64_t start = 1; start < N && cycleNode < 0; ++start) {
    int64_t v = start;
    while (v != 0 && mark[v] == -1) {
      mark[v] = start;
      v = head[v];
    }
    if (v != 0 && mark[v] == start) cycleNode = v;
  }
  if (cycleNode < 0) return head;
  std::vector<uint8_t> inCycle(static_cast<size_t>(N), 0);
  for (int64_t v = cycleNode; !inCycle[v]; v = head[v]) inCycle[v] = 1;
  std::vector<int64_t> index(static_cast<size_t>(N)), original;
  for (int64_t v = 0; v < N; ++v) {
    if (!inCycle[v]) {
      index[v] = static_cast<int64_t>(original.size());
      original.push_back(v);
    }
  }
  const int64_t c = static_cast<int64_t>(original.size());
  const int64_t M = c + 1;
  for (int64_t v = 0; v < N; ++v)
    if (inCycle[v]) index[v] = c;
  std::vector<double> sub(static_cast<size_t>(M * M), -kInf);
  std::vector<int64_t> enterVia(static_cast<size_t>(M), -1), leaveFrom(static_cast<size_t>(M), -1);
  for (int64_t h = 0; h < N; ++h) {
    for (int64_t m = 0; m < N; ++m) {
      if (h == m || score[h * N + m] == -kInf) continue;
      const int64_t hi = index[h], mi = index[m];
      if (inCycle[h] && inCycle[m]) continue;
      if (inCycle[m]) {
        const double value = score[h * N + m] - score[head[m] * N + m];
        if (value > sub[hi * M + c]) {
          sub[hi * M + c] = value;
          enterVia[hi] = m;
        }
      } else if (inCycle[h]) {
        if (score[h * N + m] > sub[c * M + mi]) {
          sub[c * M + mi] = score[h * N + m];
          leaveFrom[mi] = h;
        }
      } else {
        sub[hi * M + mi] = score[h * N + m];
      }
    }
  }
  const std::vector<int64_t> subHead = chuLiuEdmonds(sub, M);
  std::vector<int64_t> result = head;
  for (int64_t m = 1; m < N; ++m) {
    if (inCycle[m]) continue;
    const int64_t h = subHead[index[m]];
    result[m] = h == c ? leaveFrom[index[m]] : original[h];
  }
  const int64_t entry = subHead[c];
  result[enterVia[entry]] = original[entry];
  return result;
}

Structure TreeOracle::argmax(const double* u, const double*) {
  const int64_t n = length_, N = n + 1;
  std::fill(score_.begin(), score_.end(), -kInf);
  for (int64_t m = 1; m <= n; ++m)
    for (int64_t h = 0; h <= n; ++h)
      if (h != m) score_[h * N + m] = u[arcIndex(n, h, m)];
  const std::vector<int64_t> head = chuLiuEdmonds(score_, N);
  return structure(std::vector<int32_t>(head.begin() + 1, head.end()));
}

Structure TreeOracle::structure(std::vector<int32_t> label) const {
  const int64_t n = length_;
  checkLabel(static_cast<int64_t>(label.size()) == n, std::to_string(label.size()) + " heads for " + std::to_string(n) + " words");
  Structure s;
  s.on.resize(static_cast<size_t>(n));
  for (int64_t m = 1; m <= n; ++m) {
    const int64_t h = label[m - 1];
    checkLabel(h >= 0 && h <= n && h != m, "head " + std::to_string(h) + " of word " + std::to_string(m));
    s.on[m - 1] = static_cast<int32_t>(arcIndex(n, h, m));
  }
  s.label = std::move(label);
  return s;
}

DenseOracle::DenseOracle(std::vector<int64_t> sizes) : sizes_(std::move(sizes)) {
  for (int64_t size : sizes_) {
    offsets_.push_back(n_);
    n_ += size;
    nAdd_ = static_cast<int64_t>(checkedProduct(static_cast<size_t>(nAdd_), static_cast<size_t>(size), "dense configurations"));
  }
}

Structure DenseOracle::argmax(const double* u, const double* b) {
  const int64_t G = static_cast<int64_t>(sizes_.size());
  std::vector<int64_t> state(static_cast<size_t>(G), 0);
  double best = -kInf;
  int64_t bestIndex = 0;
  for (int64_t index = 0; index < nAdd_; ++index) {
    double score = b[index];
    for (int64_t g = 0; g < G; ++g) score += u[offsets_[g] + state[g]];
    if (score > best) {
      best = score;
      bestIndex = index;
    }
    for (int64_t g = G - 1; g >= 0; --g) {
      if (++state[g] < sizes_[g]) break;
      state[g] = 0;
    }
  }
  std::vector<int32_t> label(static_cast<size_t>(G));
  int64_t rest = bestIndex;
  for (int64_t g = G - 1; g >= 0; --g) {
    label[g] = static_cast<int32_t>(rest % sizes_[g]);
    rest /= sizes_[g];
  }
  return structure(std::move(label));
}

Structure DenseOracle::structure(std::vector<int32_t> label) const {
  const size_t G = sizes_.size();
  checkLabel(label.size() == G, std::to_string(label.size()) + " group states for " + std::to_string(G) + " groups");
  Structure s;
  s.on.resize(G);
  int64_t index = 0;
  for (size_t g = 0; g < G; ++g) {
    checkLabel(label[g] >= 0 && label[g] < sizes_[g], "state " + std::to_string(label[g]) + " of group " + std::to_string(g));
    s.on[g] = static_cast<int32_t>(offsets_[g] + label[g]);
    index = index * sizes_[g] + label[g];
  }
  s.add.push_back(static_cast<int32_t>(index));
  s.label = std::move(label);
  return s;
}

SequenceOracle::SequenceOracle(int64_t length, int64_t states, int64_t budget, bool exact)
    : length_(length), states_(states), budget_(budget), exact_(exact), counts_(budget < 0 ? 1 : budget + 1) {
  const size_t cells = checkedProduct(checkedProduct(static_cast<size_t>(length), static_cast<size_t>(states), "sequence"),
                                      static_cast<size_t>(counts_), "sequence dynamic programme");
  delta_.resize(cells);
  back_.resize(cells);
}

Structure SequenceOracle::argmax(const double* u, const double* b) {
  const int64_t L = length_, S = states_, C = counts_;
  const bool budgeted = budget_ >= 0;
  std::fill(delta_.begin(), delta_.end(), -kInf);
  for (int64_t s = 0; s < S; ++s) {
    const int64_t c = budgeted && s == 0 ? 1 : 0;
    if (c < C) delta_[s * C + c] = u[s] + b[s];
  }
  for (int64_t t = 1; t < L; ++t) {
    const double* trans = b + S + (t - 1) * S * S;
    for (int64_t s = 0; s < S; ++s) {
      const int64_t inc = budgeted && s == 0 ? 1 : 0;
      const double unary = u[t * S + s];
      for (int64_t c = inc; c < C; ++c) {
        double best = -kInf;
        int64_t arg = -1;
        for (int64_t p = 0; p < S; ++p) {
          const double prev = delta_[((t - 1) * S + p) * C + c - inc];
          if (prev == -kInf) continue;
          const double value = prev + trans[p * S + s];
          if (value > best) {
            best = value;
            arg = p;
          }
        }
        if (arg >= 0) {
          delta_[(t * S + s) * C + c] = best + unary;
          back_[(t * S + s) * C + c] = static_cast<int32_t>(arg);
        }
      }
    }
  }
  const double* end = b + S + (L - 1) * S * S;
  double best = -kInf;
  int64_t bestState = -1, bestCount = -1;
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t c = budgeted && exact_ ? budget_ : 0; c < C; ++c) {
      const double prev = delta_[((L - 1) * S + s) * C + c];
      if (prev == -kInf) continue;
      const double value = prev + end[s];
      if (value > best) {
        best = value;
        bestState = s;
        bestCount = c;
      }
    }
  }
  if (bestState < 0) throw RangeError("sequence factor has no feasible configuration");
  std::vector<int32_t> path(static_cast<size_t>(L));
  int64_t s = bestState, c = bestCount;
  for (int64_t t = L - 1; t >= 0; --t) {
    path[t] = static_cast<int32_t>(s);
    if (t > 0) {
      const int64_t p = back_[(t * S + s) * C + c];
      if (budgeted && s == 0) --c;
      s = p;
    }
  }
  return structure(std::move(path));
}

Structure SequenceOracle::structure(std::vector<int32_t> label) const {
  checkLabel(static_cast<int64_t>(label.size()) == length_,
             std::to_string(label.size()) + " states for " + std::to_string(length_) + " positions");
  return sequenceStructure(std::move(label), states_);
}

}  // namespace sshn::sparsemap
