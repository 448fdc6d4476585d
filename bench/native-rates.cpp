// What bench/RESULTS.md's metastable section quotes about this machine besides the FMA ceiling
// (bench/fma-peak.cpp), measured on the library's own native code: the cost of first-touch page
// faults per GB (4 GB, in 4 KiB pages and advised huge pages, 3 runs each), the float32 rates of
// gemm::scores and gemm::readout on 1 024 queries x 60 000 x 784 into warm buffers (best of 4), and
// gemm::gram of 60 000 x 784 into a fresh buffer, plain and advised. Not part of the build or of CI;
// run by hand from the repository root (x86-64, GCC; about 2 minutes, 20 GB of memory):
//   F="-O3 -ffp-contract=off -fno-math-errno -std=c++17 -DSSHN_X86_VARIANTS -Inative/core -Inative/vendor/eigen -pthread"
//   V="-mfma -fno-trapping-math"
//   g++ $F -c native/core/gemm.cpp -o /tmp/gemm.o && g++ $F -c native/core/isa.cpp -o /tmp/isa.o &&
//   g++ $F -c native/core/pages.cpp -o /tmp/pages.o &&
//   g++ $F -mavx2 $V -c native/core/kernels_avx2.cpp -o /tmp/k2.o &&
//   g++ $F -mavx512f -mavx512dq -mavx512bw -mavx512vl $V -c native/core/kernels_avx512.cpp -o /tmp/k5.o &&
//   g++ $F bench/native-rates.cpp /tmp/gemm.o /tmp/isa.o /tmp/pages.o /tmp/k2.o /tmp/k5.o -o /tmp/native-rates && /tmp/native-rates
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "gemm.hpp"
#include "pages.hpp"

namespace {

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

float* freshBuffer(size_t bytes, bool advised) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("mmap");
    std::exit(1);
  }
  if (advised) sshn::adviseHugePages(p, bytes);
  return static_cast<float*>(p);
}

}  // namespace

int main() {
  constexpr size_t kTouchBytes = size_t{4} << 30;
  for (bool advised : {false, true}) {
    for (int run = 0; run < 3; ++run) {
      char* p = reinterpret_cast<char*>(freshBuffer(kTouchBytes, advised));
      const auto start = std::chrono::steady_clock::now();
      for (size_t i = 0; i < kTouchBytes; i += 4096) p[i] = 1;
      std::printf("first touch, %s: %.2f s per GB\n", advised ? "advised huge pages" : "4 KiB pages", since(start) / 4);
      munmap(p, kTouchBytes);
    }
  }

  const int64_t n = 60000, d = 784, rows = 1024;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> x(n * d), q(rows * d), s(rows * n), states(rows * d);
  for (float& v : x) v = uniform(rng);
  for (float& v : q) v = uniform(rng);
  for (float& v : s) v = uniform(rng) * 1e-3f;
  const double flops = 2.0 * rows * n * d;
  double bestScores = 0, bestReadout = 0;
  for (int run = 0; run < 4; ++run) {
    auto start = std::chrono::steady_clock::now();
    sshn::gemm::scores(q.data(), rows, x.data(), n, d, 1.0, s.data(), 2);
    bestScores = std::max(bestScores, flops / since(start) / 1e9);
    start = std::chrono::steady_clock::now();
    sshn::gemm::readout(s.data(), rows, x.data(), n, d, states.data(), 2);
    bestReadout = std::max(bestReadout, flops / since(start) / 1e9);
  }
  std::printf("gemm::scores %.0f GFLOP/s, gemm::readout %.0f GFLOP/s (%s, %lld x %lld x %lld, float32)\n", bestScores, bestReadout,
              sshn::gemm::kernelName(), static_cast<long long>(rows), static_cast<long long>(n), static_cast<long long>(d));

  const size_t gramBytes = static_cast<size_t>(n * n) * sizeof(float);
  for (bool advised : {false, true}) {
    float* g = freshBuffer(gramBytes, advised);
    const auto start = std::chrono::steady_clock::now();
    sshn::gemm::gram(x.data(), n, d, g, 2);
    std::printf("gemm::gram of %lld patterns into a fresh buffer, %s: %.1f s\n", static_cast<long long>(n),
                advised ? "advised huge pages" : "4 KiB pages", since(start));
    munmap(g, gramBytes);
  }
}
