// 2-D basins of attraction (SPEC section 4): 5 unit-norm patterns in the plane, temperature 0.1
// (beta = 10), queries on a 120 x 120 grid over [-1.5, 1.5]^2, iterated to convergence. Each query
// is coloured by the pattern its final state ends near (within 0.05; exactly for the sparse
// transforms, see the support column), grey when it ends elsewhere (a
// metastable mixture). One SVG per transform in bench/figures/, and a table of the shares.
// Usage: npx tsc -p . && node bench/basins.js [--backend native|js]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const sshn = require('../lib');

const backendArg = process.argv.indexOf('--backend');
const backend = backendArg > 0 ? process.argv[backendArg + 1] : undefined;
const SIDE = 120;
const EXTENT = 1.5;
const rng = new sshn.Rng(5);
// Five directions at random angles (seeded), kept apart by at least 30 degrees.
const angles = [];
while (angles.length < 5) {
  const a = rng.nextDouble() * 2 * Math.PI;
  if (angles.every((b) => Math.abs(((a - b + 3 * Math.PI) % (2 * Math.PI)) - Math.PI) > Math.PI / 6)) angles.push(a);
}
const patterns = angles.map((a) => [Math.cos(a), Math.sin(a)]);
const queries = new Float64Array(SIDE * SIDE * 2);
for (let r = 0; r < SIDE; r++) {
  for (let c = 0; c < SIDE; c++) {
    queries[(r * SIDE + c) * 2] = -EXTENT + ((c + 0.5) / SIDE) * 2 * EXTENT;
    queries[(r * SIDE + c) * 2 + 1] = EXTENT - ((r + 0.5) / SIDE) * 2 * EXTENT;
  }
}

const transforms = [
  ['softmax', 'softmax'],
  ['1.5-entmax', 'entmax15'],
  ['sparsemax', 'sparsemax'],
  ['2-normmax', { name: 'normmax', gamma: 2 }],
];
const figures = path.join(__dirname, 'figures');
fs.mkdirSync(figures, { recursive: true });
const rows = [];
for (const [name, transform] of transforms) {
  const memory = new sshn.HopfieldMemory(patterns, { transform, beta: 10, maxIter: 1000, tol: 1e-12, backend });
  const r = memory.retrieveBatch({ data: queries, rows: SIDE * SIDE, cols: 2 }, { weights: 'none' });
  const labels = new Int32Array(SIDE * SIDE);
  let exact = 0;
  for (let i = 0; i < labels.length; i++) {
    const x = r.states.data[2 * i];
    const y = r.states.data[2 * i + 1];
    labels[i] = patterns.findIndex((p) => Math.hypot(p[0] - x, p[1] - y) < 0.05);
    if (r.support[i] === 1) exact++;
  }
  const share = (k) => labels.filter((l) => l === k).length / labels.length;
  rows.push({
    transform: name,
    'ends on a pattern': (1 - share(-1)).toFixed(3),
    'metastable (grey)': share(-1).toFixed(3),
    'support 1 (exact)': (exact / labels.length).toFixed(3),
    'mean updates': (r.iterations.reduce((a, b) => a + b, 0) / labels.length).toFixed(1),
  });
  const svg = sshn.labelMapSvg(labels, SIDE, {
    extent: [-EXTENT, EXTENT, -EXTENT, EXTENT],
    points: patterns,
    title: `${name}, beta = 10`,
    names: patterns.map((_, k) => `pattern ${k + 1}`),
    otherName: 'elsewhere (metastable)',
  });
  fs.writeFileSync(path.join(figures, `basins-${name}.svg`), svg);
}
console.log(`## 2-D basins of attraction (5 unit patterns, beta = 10, ${SIDE} x ${SIDE} queries on [-${EXTENT}, ${EXTENT}]^2, backend ${sshn.backend})\n`);
console.log(require('../lib/bench').markdownTable(rows));
console.log('\nFigures: bench/figures/basins-*.svg');
