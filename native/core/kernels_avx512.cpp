// The vector kernels compiled for AVX-512: the GEMM blocks (gemm_kernels.hpp, called by gemm.cpp) and
// the exponentials (exp_kernels.hpp, called by vexp.cpp), used when the CPU has it (isa.hpp).
#define SSHN_ISA avx512
#define SSHN_ISA_EIGEN sshn_eigen_avx512
#include "gemm_kernels.hpp"
#include "exp_kernels.hpp"
