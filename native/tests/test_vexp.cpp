// C++ unit tests of the vectorised exponentials: within 2 ulp of the C library's exp (itself within
// 1 ulp) across the whole range softmax uses, subnormal results to within one subnormal step, the
// exact cases (exp(0) = 1, -Infinity and far tails to 0), the returned sum, and every instruction-set
// copy this CPU runs bitwise equal to the baseline's.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../core/vexp.hpp"
#include "check.hpp"

#define SSHN_DECLARE_EXP_KERNELS(isa)                                     \
  namespace sshn::vexp::isa {                                             \
  template <typename T>                                                   \
  double expShiftedSum(const T* x, int64_t d, double shift, double* out); \
  }
SSHN_DECLARE_EXP_KERNELS(baseline)
#ifdef SSHN_X86_VARIANTS
SSHN_DECLARE_EXP_KERNELS(avx2)
SSHN_DECLARE_EXP_KERNELS(avx512)
#endif

using namespace sshn;

static std::vector<double> uniform(size_t count, double lo, double hi, uint64_t seed) {
  std::vector<double> out(count);
  uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (auto& v : out) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    v = lo + (hi - lo) * (static_cast<double>(state >> 11) / 9007199254740992.0);
  }
  return out;
}

static double ulpsApart(double a, double b) {
  if (a == b) return 0;
  const double ulp = std::nextafter(b, std::numeric_limits<double>::infinity()) - b;
  return std::abs(a - b) / ulp;
}

static bool sameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

static sshn::test::Register accuracy("within 2 ulp of exp over [-760, 0], subnormals within one step", [] {
  // Half over the whole range (subnormal results below -708.4, zero below -745.2), half near 0.
  std::vector<double> y = uniform(400000, -760, 0, 1);
  const std::vector<double> nearZero = uniform(400000, -2, 0, 2);
  y.insert(y.end(), nearZero.begin(), nearZero.end());
  std::vector<double> out(y.size());
  vexp::expShiftedSum(y.data(), static_cast<int64_t>(y.size()), 0.0, out.data());
  double worstNormal = 0;
  double worstSubnormal = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double ref = std::exp(y[i]);
    if (ref < std::numeric_limits<double>::min()) {
      worstSubnormal = std::max(worstSubnormal, std::abs(out[i] - ref) / std::numeric_limits<double>::denorm_min());
    } else {
      worstNormal = std::max(worstNormal, ulpsApart(out[i], ref));
    }
  }
  std::printf("  worst %.2f ulp (normal), %.2f steps (subnormal)\n", worstNormal, worstSubnormal);
  CHECK(worstNormal <= 2);
  CHECK(worstSubnormal <= 1);
});

static sshn::test::Register exactCases("exp(0) = 1, -Infinity and far tails give 0, the shift is applied", [] {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> y{0.0, -inf, -746.0, -1e300, 3.5};
  std::vector<double> out(y.size());
  const double sum = vexp::expShiftedSum(y.data(), static_cast<int64_t>(y.size()), 3.5, out.data());
  CHECK(out[4] == 1.0);
  CHECK(out[1] == 0.0);
  CHECK(out[2] == 0.0);
  CHECK(out[3] == 0.0);
  CHECK(ulpsApart(out[0], std::exp(-3.5)) <= 2);
  CHECK(sum == out[0] + out[4]);
  const std::vector<float> single{2.0f, -1.0f};
  std::vector<double> fromFloat(2);
  vexp::expShiftedSum(single.data(), 2, 2.0, fromFloat.data());
  CHECK(fromFloat[0] == 1.0);
  CHECK(ulpsApart(fromFloat[1], std::exp(-3.0)) <= 2);
});

static sshn::test::Register sums("the sum of every length (the eight partial sums and their tail)", [] {
  for (int64_t d : {1, 7, 8, 9, 16, 23, 1000}) {
    const std::vector<double> y = uniform(static_cast<size_t>(d), -30, 0, static_cast<uint64_t>(d));
    std::vector<double> out(y.size());
    const double sum = vexp::expShiftedSum(y.data(), d, 0.0, out.data());
    double reference = 0;
    for (double v : out) reference += v;
    CHECK(std::abs(sum - reference) <= 1e-15 * reference * static_cast<double>(d));
  }
});

static sshn::test::Register copies("every instruction-set copy the CPU runs is bitwise the baseline's", [] {
  const std::vector<double> y = uniform(100003, -760, 0, 3);
  std::vector<float> yf(y.begin(), y.end());
  std::vector<double> base(y.size()), baseF(y.size());
  const double baseSum = vexp::baseline::expShiftedSum(y.data(), static_cast<int64_t>(y.size()), -0.25, base.data());
  const double baseSumF = vexp::baseline::expShiftedSum(yf.data(), static_cast<int64_t>(y.size()), -0.25, baseF.data());
  int compared = 0;
#ifdef SSHN_X86_VARIANTS
  __builtin_cpu_init();
  using Kernel = double (*)(const double*, int64_t, double, double*);
  using KernelF = double (*)(const float*, int64_t, double, double*);
  struct Copy {
    const char* name;
    bool runs;
    Kernel kernel;
    KernelF kernelF;
  };
  const Copy wide[] = {
      {"avx2", __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"), vexp::avx2::expShiftedSum<double>, vexp::avx2::expShiftedSum<float>},
      {"avx512", __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"),
       vexp::avx512::expShiftedSum<double>, vexp::avx512::expShiftedSum<float>},
  };
  for (const Copy& c : wide) {
    if (!c.runs) continue;
    std::vector<double> out(y.size()), outF(y.size());
    const double sum = c.kernel(y.data(), static_cast<int64_t>(y.size()), -0.25, out.data());
    const double sumF = c.kernelF(yf.data(), static_cast<int64_t>(y.size()), -0.25, outF.data());
    CHECK(sameBits(out, base) && sum == baseSum);
    CHECK(sameBits(outF, baseF) && sumF == baseSumF);
    ++compared;
  }
#endif
  std::printf("  %d wider copies compared\n", compared);
});

int main() { return sshn::test::runAll(); }
