// The GEMM blocks compiled for AVX2 (see gemm_kernels.hpp); gemm.cpp calls them when the CPU has it.
#define SSHN_GEMM_ISA avx2
#define SSHN_GEMM_EIGEN sshn_eigen_avx2
#include "gemm_kernels.hpp"
