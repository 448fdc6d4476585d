// The arithmetic ceiling of this machine for the products of bench/memory.js and bench/metastable.js:
// fused multiply-adds on registers only (12 independent chains, no memory traffic), float32, the
// widest vectors the compiler is given, on 1 and then 2 threads, best of 3. Not part of the build or
// of CI; run by hand:
//   g++ -O2 -march=native -pthread bench/fma-peak.cpp -o /tmp/fma-peak && /tmp/fma-peak
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
static Vec splat(float v) { return _mm512_set1_ps(v); }
static Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
static float total(Vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
static Vec splat(float v) { return _mm256_set1_ps(v); }
static Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
static float total(Vec v) {
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  float sum = 0;
  for (float x : lanes) sum += x;
  return sum;
}
#else
#error "needs AVX2 with FMA or AVX-512 (compile with -march=native on such a machine)"
#endif

constexpr long kIterations = 200000000;

// 12 chains: more than the FMA latency times the units, so that throughput, not latency, bounds it.
// Written out so that every accumulator stays in a register.
static double chains(float seed) {
  const Vec b = splat(0.9999999f), c = splat(1e-7f * seed);
  Vec a0 = splat(0), a1 = splat(1), a2 = splat(2), a3 = splat(3), a4 = splat(4), a5 = splat(5);
  Vec a6 = splat(6), a7 = splat(7), a8 = splat(8), a9 = splat(9), a10 = splat(10), a11 = splat(11);
  for (long i = 0; i < kIterations; ++i) {
    a0 = fma(a0, b, c), a1 = fma(a1, b, c), a2 = fma(a2, b, c), a3 = fma(a3, b, c);
    a4 = fma(a4, b, c), a5 = fma(a5, b, c), a6 = fma(a6, b, c), a7 = fma(a7, b, c);
    a8 = fma(a8, b, c), a9 = fma(a9, b, c), a10 = fma(a10, b, c), a11 = fma(a11, b, c);
  }
  return total(a0) + total(a1) + total(a2) + total(a3) + total(a4) + total(a5) + total(a6) + total(a7) + total(a8) +
         total(a9) + total(a10) + total(a11);
}

int main() {
  const double flopsPerThread = 2.0 * kLanes * 12 * static_cast<double>(kIterations);
  for (unsigned threads : {1u, 2u}) {
    double best = 0, sink = 0;
    for (int run = 0; run < 3; ++run) {
      std::vector<double> results(threads);
      const auto start = std::chrono::steady_clock::now();
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t) pool.emplace_back([&results, t] { results[t] = chains(1.0f + t); });
      for (std::thread& th : pool) th.join();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      best = std::max(best, flopsPerThread * threads / s / 1e9);
      for (double r : results) sink += r;
    }
    std::printf("%u thread%s: %.1f GFLOP/s float32 (%d-lane FMA; checksum %g)\n", threads, threads > 1 ? "s" : "", best, kLanes, sink);
  }
}
