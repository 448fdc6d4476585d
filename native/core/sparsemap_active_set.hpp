// Active-set SparseMAP for factors with a MAP oracle (Sequence, SequenceBudget, Dense, Tree, selections).
// Mirrors src/js/sparsemap/activeSet.ts line for line (see there for the algorithm).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace sshn::sparsemap {

// Weights at or below this are rounding noise, not support, for the Jacobian and the reported distribution.
constexpr double kSupportTol = 1e-10;

// A vertex of the marginal polytope: sorted indices of its unary and additional ones.
struct Structure {
  std::vector<int32_t> label;  // state path (sequences), heads (Tree), group states (Dense) or selected positions
  std::vector<int32_t> on;
  std::vector<int32_t> add;
};

class Oracle {
 public:
  virtual ~Oracle() = default;
  virtual int64_t n() const = 0;
  virtual int64_t nAdd() const = 0;
  virtual int64_t labelLength() const = 0;
  // argmax over structures of u.m + b.n (ties: the first found).
  virtual Structure argmax(const double* u, const double* b) = 0;
  // The structure with this label; RangeError if no structure has it.
  virtual Structure structure(std::vector<int32_t> label) const = 0;
};

double structureScore(const Structure& s, const double* u, const double* b);

// Dense: categorical groups with a score per joint configuration. Mirrors DenseOracle in activeSet.ts.
class DenseOracle : public Oracle {
 public:
  explicit DenseOracle(std::vector<int64_t> sizes);
  int64_t n() const override { return n_; }
  int64_t nAdd() const override { return nAdd_; }
  int64_t labelLength() const override { return static_cast<int64_t>(sizes_.size()); }
  Structure argmax(const double* u, const double* b) override;
  Structure structure(std::vector<int32_t> label) const override;

 private:
  std::vector<int64_t> sizes_, offsets_;
  int64_t n_ = 0, nAdd_ = 1;
};

// Exactly k of n positions selected, with a score per consecutive selected pair: the selected-state
// form of the 2-state SequenceBudget behind sequential k-subsets. Mirrors SelectionOracle in
// activeSet.ts (see there for the reduction).
class SelectionOracle : public Oracle {
 public:
  SelectionOracle(int64_t n, int64_t k);
  int64_t n() const override { return n_; }
  int64_t nAdd() const override { return n_ > 0 ? n_ - 1 : 0; }
  int64_t labelLength() const override { return k_; }
  Structure argmax(const double* u, const double* b) override;
  Structure structure(std::vector<int32_t> label) const override;

 private:
  int64_t n_, k_;
  std::vector<double> delta_;
  std::vector<uint8_t> back_;
};

// Maximum spanning arborescence rooted at 0 (Chu-Liu-Edmonds); score is N x N row-major (h, m).
std::vector<int64_t> chuLiuEdmonds(const std::vector<double>& score, int64_t N);

// Tree: a dependency arborescence over `length` words. Mirrors TreeOracle in activeSet.ts.
class TreeOracle : public Oracle {
 public:
  explicit TreeOracle(int64_t length) : length_(length), score_(static_cast<size_t>((length + 1) * (length + 1))) {}
  int64_t n() const override { return length_ * length_; }
  int64_t nAdd() const override { return 0; }
  int64_t labelLength() const override { return length_; }
  Structure argmax(const double* u, const double* b) override;
  Structure structure(std::vector<int32_t> label) const override;
  static int64_t arcIndex(int64_t length, int64_t h, int64_t m) { return (m - 1) * length + (h < m ? h : h - 1); }

 private:
  int64_t length_;
  std::vector<double> score_;
};

inline int64_t sequenceAdditionalLength(int64_t length, int64_t states) { return 2 * states + (length - 1) * states * states; }

// Sequence (budget < 0) or SequenceBudget (state 0 used at most / exactly `budget` times).
class SequenceOracle : public Oracle {
 public:
  SequenceOracle(int64_t length, int64_t states, int64_t budget = -1, bool exact = false);
  int64_t n() const override { return length_ * states_; }
  int64_t nAdd() const override { return sequenceAdditionalLength(length_, states_); }
  int64_t labelLength() const override { return length_; }
  Structure argmax(const double* u, const double* b) override;
  Structure structure(std::vector<int32_t> label) const override;

 private:
  int64_t length_, states_, budget_;
  bool exact_;
  int64_t counts_;
  std::vector<double> delta_;
  std::vector<int32_t> back_;
};

// The reduced Hessian H = Z'GZ of a support (Z eliminates the first weight), kept factorised as
// H[perm][perm] = L L' in its first `rank` columns: full factorisations pivot on the diagonal; while
// H has full rank, appends and removals update L in O(k^2). Mirrors ReducedSystem in activeSet.ts.
class ReducedSystem {
 public:
  void factor(const std::vector<std::vector<double>>& gram, int64_t k);
  void append(const std::vector<std::vector<double>>& gram, int64_t k);
  void remove(const std::vector<std::vector<double>>& gram, int64_t k, int64_t index);
  int64_t solve(const double* r, double nullTol);
  // After solve: the pivot index of reduced index i if it lies in the null part and r ascends along its null direction, else -1.
  int64_t ascendingNullPivot(int64_t i) const;
  void nullDirection(int64_t j);
  const double* y() const { return y_.data(); }

 private:
  void reserve(int64_t m);
  double& l(int64_t i, int64_t c) { return l_[static_cast<size_t>(i * cap_ + c)]; }
  double& h(int64_t i, int64_t c) { return h_[static_cast<size_t>(i * cap_ + c)]; }

  int64_t m_ = 0, rank_ = 0, cap_ = 0;
  std::vector<double> l_, h_;  // row-major, stride cap_
  std::vector<int64_t> perm_;
  std::vector<double> z_, y_;
  double maxDiag_ = 0;
};

class ActiveSetQP {
 public:
  explicit ActiveSetQP(std::unique_ptr<Oracle> oracle);
  bool solve(const double* a, const double* b, int64_t maxIter, double* x, double* v);
  // Makes the support a reported distribution (count weights, labels one after another), as the
  // solve that reported it left it (see restore in activeSet.ts).
  void restore(const double* weights, const int32_t* labels, int64_t count);
  void prepareJvp();
  void jvp(const double* da, const double* db, double* dx, double* dv);

  const Oracle& oracle() const { return *oracle_; }
  const std::vector<Structure>& structures() const { return structures_; }
  const std::vector<double>& weights() const { return weights_; }
  int64_t iterations() const { return iterations_; }

 private:
  void addStructure(Structure s, double weight);
  void removeStructure(size_t index);
  void dropEmpty();
  void unaryMarginals(double* x) const;
  void recomputeScores(const double* a, const double* b);
  void scatter(size_t s, double dw, double* dx, double* dv) const;

  std::unique_ptr<Oracle> oracle_;
  std::vector<Structure> structures_;
  std::vector<double> weights_;
  std::vector<std::vector<double>> gram_;
  std::vector<double> scores_;
  std::vector<double> magnitudes_;  // structureMagnitude of each structure at the current scores
  std::vector<double> residual_, r_, p_;
  std::vector<size_t> jvpSupport_;
  ReducedSystem reduced_;
  ReducedSystem jvpSystem_;
  int64_t iterations_ = 0;
  bool converged_ = true;
};

}  // namespace sshn::sparsemap
