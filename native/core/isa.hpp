// The instruction set of the vector kernels (GEMM blocks, exponentials): x86-64 builds with GCC or
// Clang carry AVX2+FMA and AVX-512 copies besides the build's baseline, chosen once per process
// from the CPU; SSHN_GEMM=baseline|avx2|avx512 forces one (a copy the CPU lacks falls back to the
// widest it has).
#pragma once

namespace sshn {

enum class Isa { Baseline, Avx2, Avx512 };

Isa selectedIsa();

// "baseline", "avx2" or "avx512".
const char* isaName(Isa isa);

}  // namespace sshn
