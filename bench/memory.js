// Hopfield-Fenchel-Young memories: one update of a batch of 256 queries against N = 60 000 patterns
// of D = 784 (MNIST-sized), float32 and float64, as a fraction of this machine's matrix-multiply peak
// (the best of the library's own GEMM on 2048^3 and on the update's shape, all cores). An update
// costs one GEMM for the scores (2 B N D flops) plus the read-out: a second GEMM when p is dense
// (softmax), a sparse sum of the support's patterns otherwise. Pure TS is timed on N = 6 000 and
// scaled by 10 (its cost is linear in N).
// Usage: npx tsc -p . && node bench/memory.js [--quick]
'use strict';
const sshn = require('../lib');
const { medianMs, printTable } = require('./harness');

const quick = process.argv.includes('--quick');
const B = 256;
const N = quick ? 6000 : 60000;
const D = 784;
const rng = new sshn.Rng(1);
const info = sshn.backendInfo();
console.log(`## Hopfield memories: one update, ${B} queries x ${N} patterns x ${D} (GEMM kernel: ${info.gemmKernel ?? 'none'})\n`);

function random(Real, length) {
  const a = new Real(length);
  for (let i = 0; i < length; i++) a[i] = rng.nextDouble() * 2 - 1;
  return a;
}

// The peak: GEMM through the memory scores kernel (scores of m queries against n patterns is an m x n x k product).
function gemmGflops(Real, m, n, k, runs) {
  const a = random(Real, m * k);
  const x = random(Real, n * k);
  const memory = new sshn.HopfieldMemory({ data: x, rows: n, cols: k }, { backend: 'native' });
  const ms = medianMs(() => memory.scores({ data: a, rows: m, cols: k }), runs);
  return (2 * m * n * k) / ms / 1e6;
}

const rows = [];
for (const [dtype, Real] of [['float32', Float32Array], ['float64', Float64Array]]) {
  const peak = Math.max(gemmGflops(Real, 2048, 2048, 2048, 5), gemmGflops(Real, B, N, D, 5));
  const patterns = random(Real, N * D);
  const queries = random(Real, B * D);
  const small = { data: patterns.subarray(0, (N / 10) * D), rows: N / 10, cols: D };
  for (const [transform, gemms] of [['softmax', 2], ['sparsemax', 1], ['entmax15', 1], [{ name: 'kSubsets', k: 4 }, 1]]) {
    // beta scaled so that p is sparse but not one-hot for the sparse transforms.
    const options = { transform, beta: transform === 'softmax' ? 0.01 : 0.05, maxIter: 1, dtype };
    const native = new sshn.HopfieldMemory({ data: patterns, rows: N, cols: D }, { ...options, backend: 'native' });
    const q = { data: queries, rows: B, cols: D };
    let support = 0;
    const ms = medianMs(() => {
      support = native.retrieveBatch(q, { weights: 'none' }).support.reduce((a, b) => a + b, 0) / B;
    }, 5);
    const js = new sshn.HopfieldMemory(small, { ...options, backend: 'js' });
    const jsMs = quick ? NaN : 10 * medianMs(() => js.retrieveBatch(q, { weights: 'none' }), 1);
    const gflops = (gemms * 2 * B * N * D) / ms / 1e6;
    const name = typeof transform === 'string' ? transform : `kSubsets k=${transform.k}`;
    rows.push({
      dtype, transform: name, 'mean support': support.toFixed(1), 'native ms': ms.toFixed(0), 'GFLOP/s': gflops.toFixed(1),
      'peak GFLOP/s': peak.toFixed(1), 'of peak': `${((100 * gflops) / peak).toFixed(0)}%`, 'js ms (N/10 x 10)': jsMs.toFixed(0), 'js / native': (jsMs / ms).toFixed(1),
    });
  }
}
printTable(rows);
