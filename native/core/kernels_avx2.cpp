// The vector kernels compiled for AVX2 and FMA: the GEMM blocks (gemm_kernels.hpp, called by gemm.cpp) and
// the exponentials (exp_kernels.hpp, called by vexp.cpp), used when the CPU has it (isa.hpp).
#define SSHN_ISA avx2
#define SSHN_ISA_EIGEN sshn_eigen_avx2
#include "gemm_kernels.hpp"
#include "exp_kernels.hpp"
