// Exponentials of whole rows by the vector kernels of the selected instruction set (isa.hpp):
// softmax evaluates one per score, and glibc's scalar exp cost about 9 ns each here.
#pragma once
#include <cstdint>

namespace sshn::vexp {

// out[j] = exp(x[j] - shift), which must be <= 0 (or -Infinity), within 1 ulp; returns sum(out).
// Bitwise the same on every instruction set.
template <typename T>
double expShiftedSum(const T* x, int64_t d, double shift, double* out);

}  // namespace sshn::vexp
