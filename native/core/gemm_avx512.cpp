// The GEMM blocks compiled for AVX512 (see gemm_kernels.hpp); gemm.cpp calls them when the CPU has it.
#define SSHN_GEMM_ISA avx512
#define SSHN_GEMM_EIGEN sshn_eigen_avx512
#include "gemm_kernels.hpp"
