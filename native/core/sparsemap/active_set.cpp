// Active-set SparseMAP. Mirrors src/js/sparsemap/activeSet.ts line for line.
#include "active_set.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "../errors.hpp"

namespace sshn::sparsemap {
namespace {

constexpr double kGapTol = 1e-12;
constexpr double kRankTol = 1e-10;
constexpr double kNullTol = 1e-11;
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

// Pivoted Cholesky of the m x m PSD matrix h (overwritten); returns the rank.
int64_t pivotedCholesky(Eigen::MatrixXd& h, int64_t m, std::vector<int64_t>& perm, Eigen::MatrixXd& l) {
  double maxDiag = 0;
  for (int64_t i = 0; i < m; ++i) {
    perm[i] = i;
    maxDiag = std::max(maxDiag, h(i, i));
  }
  l.setZero();
  const double tol = kRankTol * std::max(1.0, maxDiag);
  for (int64_t j = 0; j < m; ++j) {
    int64_t p = j;
    for (int64_t i = j + 1; i < m; ++i)
      if (h(i, i) > h(p, p)) p = i;
    if (!(h(p, p) > tol)) return j;
    if (p != j) {
      h.row(j).swap(h.row(p));
      h.col(j).swap(h.col(p));
      for (int64_t c = 0; c < j; ++c) std::swap(l(j, c), l(p, c));
      std::swap(perm[j], perm[p]);
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
  return m;
}

Structure sequenceStructure(std::vector<int32_t> path, int64_t states) {
  const int64_t length = static_cast<int64_t>(path.size());
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

void ReducedSystem::factor(const std::vector<std::vector<double>>& gram, int64_t k) {
  const int64_t m = k - 1;
  m_ = m;
  h_.resize(m, m);
  l_.resize(m, m);
  perm_.resize(m);
  z_.resize(m);
  y_.resize(m);
  const double g00 = gram[0][0];
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < m; ++j) h_(i, j) = gram[i + 1][j + 1] - gram[i + 1][0] - gram[0][j + 1] + g00;
  rank_ = pivotedCholesky(h_, m, perm_, l_);
}

int64_t ReducedSystem::solve(const double* r, double nullTol) {
  const int64_t m = m_, rank = rank_;
  for (int64_t i = 0; i < rank; ++i) {
    double s = r[perm_[i]];
    for (int64_t c = 0; c < i; ++c) s -= l_(i, c) * z_[c];
    z_[i] = s / l_(i, i);
  }
  int64_t worst = -1;
  double worstAbs = nullTol;
  for (int64_t i = rank; i < m; ++i) {
    double s = r[perm_[i]];
    for (int64_t c = 0; c < rank; ++c) s -= l_(i, c) * z_[c];
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
    for (int64_t c = i + 1; c < rank; ++c) s -= l_(c, i) * y_[perm_[c]];
    y_[perm_[i]] = s / l_(i, i);
  }
  return worst;
}

void ReducedSystem::nullDirection(int64_t j) {
  const int64_t m = m_, rank = rank_;
  std::fill(y_.begin(), y_.begin() + m, 0.0);
  const double sign = z_[j] > 0 ? 1 : -1;
  y_[perm_[j]] = sign;
  for (int64_t i = rank - 1; i >= 0; --i) {
    double s = -sign * l_(j, i);
    for (int64_t c = i + 1; c < rank; ++c) s -= l_(c, i) * y_[perm_[c]];
    y_[perm_[i]] = s / l_(i, i);
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
}

void ActiveSetQP::removeStructure(size_t index) {
  structures_.erase(structures_.begin() + static_cast<std::ptrdiff_t>(index));
  weights_.erase(weights_.begin() + static_cast<std::ptrdiff_t>(index));
  gram_.erase(gram_.begin() + static_cast<std::ptrdiff_t>(index));
  for (auto& row : gram_) row.erase(row.begin() + static_cast<std::ptrdiff_t>(index));
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
  for (size_t s = 0; s < structures_.size(); ++s) scores_[s] = structureScore(structures_[s], a, b);
}

bool ActiveSetQP::solve(const double* a, const double* b, int64_t maxIter, double* x, double* v) {
  if (structures_.empty()) addStructure(oracle_->argmax(a, b), 1);
  recomputeScores(a, b);
  converged_ = false;
  int64_t iter = 0;
  while (iter < maxIter) {
    ++iter;
    const size_t k = structures_.size();
    if (k > 1) {
      const size_t m = k - 1;
      r_.resize(m);
      p_.resize(k);
      double h0 = scores_[0];
      for (size_t j = 0; j < k; ++j) h0 -= gram_[0][j] * weights_[j];
      double rScale = 1;
      for (size_t i = 0; i < m; ++i) {
        double hi = scores_[i + 1];
        for (size_t j = 0; j < k; ++j) hi -= gram_[i + 1][j] * weights_[j];
        r_[i] = hi - h0;
        rScale = std::max(rScale, std::fabs(r_[i]));
      }
      reduced_.factor(gram_, static_cast<int64_t>(k));
      const int64_t nullIndex = reduced_.solve(r_.data(), kNullTol * rScale);
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
    bool duplicate = false;
    for (const auto& s : structures_)
      if (s.label == best.label) duplicate = true;
    if (gain <= kGapTol * std::max(1.0, std::fabs(tau)) || duplicate) {
      converged_ = true;
      break;
    }
    const double score = structureScore(best, a, b);
    addStructure(std::move(best), 0);
    scores_.push_back(score);
  }
  iterations_ = iter;
  unaryMarginals(x);
  std::fill(v, v + oracle_->nAdd(), 0.0);
  for (size_t s = 0; s < structures_.size(); ++s)
    for (int32_t j : structures_[s].add) v[j] += weights_[s];
  return converged_;
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
    reduced_.factor(sub, static_cast<int64_t>(k));
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
  reduced_.solve(r_.data(), kInf);
  const double* y = reduced_.y();
  double sum = 0;
  for (size_t s = 1; s < k; ++s) {
    sum += y[s - 1];
    scatter(jvpSupport_[s], y[s - 1], dx, dv);
  }
  scatter(jvpSupport_[0], -sum, dx, dv);
}

Structure OrOutOracle::argmax(const double* u, const double*) {
  const int64_t n = n_;
  Structure s;
  s.label.assign(static_cast<size_t>(n), 0);
  double onValue = u[n - 1];
  bool anyPositive = false;
  int64_t bestInput = 0;
  for (int64_t i = 0; i < n - 1; ++i) {
    if (u[i] > 0) {
      onValue += u[i];
      anyPositive = true;
    }
    if (u[i] > u[bestInput]) bestInput = i;
  }
  if (!anyPositive) onValue += u[bestInput];
  if (onValue > 0) {
    for (int64_t i = 0; i < n - 1; ++i)
      if (u[i] > 0) s.label[i] = 1;
    if (!anyPositive) s.label[bestInput] = 1;
    s.label[n - 1] = 1;
  }
  for (int64_t i = 0; i < n; ++i)
    if (s.label[i] == 1) s.on.push_back(static_cast<int32_t>(i));
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
  return sequenceStructure(std::move(path), S);
}

}  // namespace sshn::sparsemap
