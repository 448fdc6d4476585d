#include "vexp.hpp"

#include "isa.hpp"

#define SSHN_ISA baseline
#include "exp_kernels.hpp"
#undef SSHN_ISA

#ifdef SSHN_X86_VARIANTS
#define SSHN_DECLARE_EXP_KERNELS(isa)                                     \
  namespace sshn::vexp::isa {                                             \
  template <typename T>                                                   \
  double expShiftedSum(const T* x, int64_t d, double shift, double* out); \
  }
SSHN_DECLARE_EXP_KERNELS(avx2)
SSHN_DECLARE_EXP_KERNELS(avx512)
#endif

namespace sshn::vexp {

template <typename T>
double expShiftedSum(const T* x, int64_t d, double shift, double* out) {
  switch (selectedIsa()) {
#ifdef SSHN_X86_VARIANTS
    case Isa::Avx512: return avx512::expShiftedSum(x, d, shift, out);
    case Isa::Avx2: return avx2::expShiftedSum(x, d, shift, out);
#endif
    default: return baseline::expShiftedSum(x, d, shift, out);
  }
}

template double expShiftedSum<float>(const float*, int64_t, double, double*);
template double expShiftedSum<double>(const double*, int64_t, double, double*);

}  // namespace sshn::vexp
