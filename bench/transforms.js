// Sparse transformations: native vs pure TS, float64, d = 100 / 10 000 / 1 000 000, batches of 1 and
// 256 rows (1e6 x 256 would need 2 GiB per array; 1e6 x 16 instead). "pass" is one plain max-scan
// over the same data in a JS loop (the fastest of 21), the unit for the speed targets (sparsemax /
// k-subsets within 4 passes at d = 1e6, entmax / normmax within 10). Timings reuse one
// output array (options.out); "new output" allocates it per call as the default call does (page
// faults of a fresh array).
// Usage: npx tsc -p . && node bench/transforms.js [--quick] [--only=<text>]
// --only keeps the rows whose name contains the text (e.g. --only=uniform, --only=kSubsets); every
// input is still drawn, so the rows measure the same data as in a full run.
'use strict';
const sshn = require('../lib');
const { medianMs, printTable } = require('./harness');

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? onlyArg.slice('--only='.length) : null;
const selected = (name) => only === null || name.includes(only);
const rng = new sshn.Rng(1);
const transforms = [
  ['softmax', (x, o) => sshn.softmax(x, o)],
  ['sparsemax', (x, o) => sshn.sparsemax(x, o)],
  ['entmax15', (x, o) => sshn.entmax15(x, o)],
  ['entmax a=1.3', (x, o) => sshn.entmax(x, { ...o, alpha: 1.3 })],
  ['normmax g=2', (x, o) => sshn.normmax(x, { ...o, gamma: 2 })],
  ['normmax g=3', (x, o) => sshn.normmax(x, { ...o, gamma: 3 })],
  ['kSubsets k=10', (x, o) => sshn.kSubsets(x, { ...o, k: 10 })],
];

function maxPass(data) {
  let m = -Infinity;
  for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
  return m;
}

// The unit is the fastest of 21 warmed-up passes: the JS loop's median swings up to 2x with the JIT's
// state, and a slow unit would flatter every ratio stated in passes.
function passMs(data) {
  for (let i = 0; i < 3; i++) maxPass(data);
  let fastest = Infinity;
  for (let i = 0; i < 21; i++) fastest = Math.min(fastest, medianMs(() => maxPass(data), 1));
  return fastest;
}

const shapes = quick ? [[1e4, 1]] : [[100, 1], [100, 256], [1e4, 1], [1e4, 256], [1e6, 1], [1e6, 16]];
const rows = [];
for (const [d, batch] of shapes) {
  const data = new Float64Array(d * batch);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  if (!transforms.some(([name]) => selected(name))) continue; // the data is still drawn: later inputs stay the same
  const x = batch === 1 ? data : { data, rows: batch, cols: d };
  const out = new Float64Array(d * batch);
  const runs = d * batch >= 1e6 ? 5 : 11;
  const pass = passMs(data);
  for (const [name, f] of transforms) {
    if (!selected(name)) continue;
    const native = medianMs(() => f(x, { backend: 'native', out }), runs);
    const native1 = batch > 1 ? medianMs(() => f(x, { backend: 'native', out, threads: 1 }), runs) : native;
    const nativeAlloc = medianMs(() => f(x, { backend: 'native' }), runs);
    const js = medianMs(() => f(x, { backend: 'js', out }), runs);
    rows.push({
      transform: name,
      d,
      rows: batch,
      'pass ms': pass,
      'native ms': native,
      'native 1 thread ms': native1,
      'native, new output ms': nativeAlloc,
      'js ms': js,
      'js / native': js / native,
      'native 1 thread / pass': native1 / pass,
    });
  }
}
// Harder inputs at d = 1e6: every score within 1 of the max (uniform in [0, 1): no entry can be
// filtered before the pivot search, the support is large), and k-subsets with a large k (no
// small-k prefilter).
{
  const d = 1e6;
  const uniform = Float64Array.from({ length: d }, () => rng.nextDouble());
  const normal = Float64Array.from({ length: d }, () => rng.normal());
  const out = new Float64Array(d);
  const pass = passMs(uniform);
  const hard = [
    ['sparsemax, uniform [0,1)', uniform, (x, o) => sshn.sparsemax(x, o)],
    ['entmax15, uniform [0,1)', uniform, (x, o) => sshn.entmax15(x, o)],
    ['entmax a=1.3, uniform [0,1)', uniform, (x, o) => sshn.entmax(x, { ...o, alpha: 1.3 })],
    ['normmax g=3, uniform [0,1)', uniform, (x, o) => sshn.normmax(x, { ...o, gamma: 3 })],
    ['kSubsets k=1000, normal', normal, (x, o) => sshn.kSubsets(x, { ...o, k: 1000 })],
    ['kSubsets k=500000, uniform [0,1)', uniform, (x, o) => sshn.kSubsets(x, { ...o, k: 500000 })],
  ];
  for (const [name, x, f] of hard) {
    if (!selected(name)) continue;
    const native = medianMs(() => f(x, { backend: 'native', out }), 5);
    const js = medianMs(() => f(x, { backend: 'js', out }), 5);
    rows.push({
      transform: name,
      d,
      rows: 1,
      'pass ms': pass,
      'native ms': native,
      'native 1 thread ms': native,
      'native, new output ms': NaN,
      'js ms': js,
      'js / native': js / native,
      'native 1 thread / pass': native / pass,
    });
  }
}
printTable(rows);
