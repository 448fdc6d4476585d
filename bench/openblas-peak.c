// A reference for the GEMM peak of bench/memory.js: OpenBLAS's products on the same shapes (the
// large 2048 x 8192 x 2048 product and the update's scores, 256 queries x 60 000 x 784 patterns),
// float32 and float64, into a reused output, median of 5 after one warm-up. Not part of the build
// or of CI; run by hand:
//   apt-get install libopenblas-dev
//   gcc -O2 bench/openblas-peak.c -o /tmp/openblas-peak -lopenblas
//   OPENBLAS_NUM_THREADS=2 OPENBLAS_CORETYPE=SapphireRapids /tmp/openblas-peak
// (OpenBLAS 0.3.21 does not recognise every CPU under a hypervisor and then falls back to a generic
// kernel several times slower; OPENBLAS_CORETYPE names the right one.)
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int ascending(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

// C (m x n) = A (m x k) B^T, B n x k: m queries against n patterns, as the memory's scores.
static double gflops(int single, int m, int n, int k) {
  const size_t size = single ? sizeof(float) : sizeof(double);
  void* a = malloc(size * (size_t)m * k);
  void* b = malloc(size * (size_t)n * k);
  void* c = malloc(size * (size_t)m * n);
  for (size_t i = 0; i < (size_t)m * k; i++) single ? (((float*)a)[i] = (float)(i % 7) * 0.1f) : (((double*)a)[i] = (double)(i % 7) * 0.1);
  for (size_t i = 0; i < (size_t)n * k; i++) single ? (((float*)b)[i] = (float)(i % 5) * 0.1f) : (((double*)b)[i] = (double)(i % 5) * 0.1);
  double times[5];
  for (int run = -1; run < 5; run++) {
    const double start = seconds();
    if (single) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a, k, b, k, 0.0f, c, n);
    else cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0, a, k, b, k, 0.0, c, n);
    if (run >= 0) times[run] = seconds() - start;
  }
  qsort(times, 5, sizeof(double), ascending);
  free(a);
  free(b);
  free(c);
  return 2.0 * m * n * k / times[2] / 1e9;
}

int main(void) {
  for (int single = 1; single >= 0; single--) {
    const char* dtype = single ? "float32" : "float64";
    printf("%s 2048 x 8192 x 2048: %.1f GFLOP/s\n", dtype, gflops(single, 2048, 8192, 2048));
    printf("%s 256 x 60000 x 784: %.1f GFLOP/s\n", dtype, gflops(single, 256, 60000, 784));
  }
  return 0;
}
