// The Gram matrix G = X X^T and retrieval with options.gram: later updates of states whose p has
// few nonzeros take their scores from rows of G instead of the product by X, with the results of a
// call without it (up to rounding; bitwise for one-hot states on the tiled kernels).
import t from 'tap';
import { backendInfo, HopfieldMemory, Rng } from '../src/index';
import { getBackend } from '../src/backend';
import { MemoryKind } from '../src/kernels';
import { backendsUnderTest, maxAbsDiff } from './helpers';

const rng = new Rng(31);
const normals = (length: number) => Float64Array.from({ length }, () => rng.normal());

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] gram() is X X^T, symmetric exactly, across blocks of patterns`, async (t) => {
    // n above one block of 2048 patterns, so that blocks above the diagonal are mirrored below it.
    const n = 2100, d = 5;
    const x = normals(n * d);
    for (const dtype of ['float64', 'float32'] as const) {
      const memory = new HopfieldMemory({ data: x, rows: n, cols: d }, { dtype, backend });
      const g = memory.gram();
      const stored = memory.patterns().data;
      t.equal(g.rows, n);
      t.equal(g.cols, n);
      let worst = 0, asymmetric = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let c = 0; c < d; c++) dot += stored[i * d + c] * stored[j * d + c];
          worst = Math.max(worst, Math.abs(g.data[i * n + j] - dot));
          if (g.data[i * n + j] !== g.data[j * n + i]) asymmetric++;
        }
      }
      t.ok(worst <= (dtype === 'float64' ? 1e-12 : 1e-5), `${dtype}: entries are the dot products (worst ${worst})`);
      t.equal(asymmetric, 0, `${dtype}: G_ij === G_ji`);
      if (backend === 'native' && backendInfo().gemmKernel !== 'baseline') {
        // Rows of G are the scores of the patterns as a batch of queries (beta 1), bitwise.
        const picked = [0, 7, 2047, 2048, 2099];
        const queries = { data: Float64Array.from(picked.flatMap((i) => Array.from(stored.subarray(i * d, (i + 1) * d)))), rows: picked.length, cols: d };
        const s = memory.scores(queries);
        let differing = 0;
        picked.forEach((i, r) => {
          for (let j = 0; j < n; j++) if (s.data[r * n + j] !== g.data[i * n + j]) differing++;
        });
        t.equal(differing, 0, `${dtype}: rows of G are bitwise the batch scores of their patterns`);
      }
    }
  });

  t.test(`[${backend}] retrieval with the Gram matrix gives the results without it`, async (t) => {
    // d = 64: states with at most 2 nonzeros take the Gram path, the others the product, in the same passes.
    const n = 600, d = 64, rows = 120;
    const x = normals(n * d);
    const q = { data: normals(rows * d), rows, cols: d };
    for (const dtype of ['float64', 'float32'] as const) {
      const tol = dtype === 'float64' ? 1e-9 : 2e-3;
      for (const [transform, beta] of [['sparsemax', 0.05], ['sparsemax', 0.5], ['entmax15', 0.1], [{ name: 'normmax', gamma: 2 }, 0.1], [{ name: 'kSubsets', k: 2 }, 0.1], ['softmax', 0.2]] as const) {
        const memory = new HopfieldMemory({ data: x, rows: n, cols: d }, { transform, beta, maxIter: 6, tol: 0, dtype, backend });
        const gram = memory.gram();
        const plain = memory.retrieveBatch(q, { energies: true, weights: 'dense' });
        const viaGram = memory.retrieveBatch(q, { energies: true, weights: 'dense', gram });
        const name = `${dtype} ${JSON.stringify(transform)} beta ${beta}`;
        t.ok(maxAbsDiff(viaGram.states.data, plain.states.data) <= tol, `${name}: states`);
        t.ok(maxAbsDiff((viaGram.weights as { data: Float64Array }).data, (plain.weights as { data: Float64Array }).data) <= tol, `${name}: weights`);
        t.ok(maxAbsDiff(viaGram.energies!.data.filter(Number.isFinite), plain.energies!.data.filter(Number.isFinite)) <= tol * 100, `${name}: energies`);
        t.same(viaGram.support, plain.support, `${name}: supports`);
        const both = await memory.retrieveBatchAsync(q, { gram, scores: memory.scores(q), weights: 'none' });
        t.ok(maxAbsDiff(both.states.data, plain.states.data) <= tol, `${name}: async, with the first scores given too`);
      }
    }
  });

  t.test(`[${backend}] one-hot states: the Gram rows are the product's scores`, async (t) => {
    // A large beta: after the first update every state is a single pattern (p one-hot). The Gram rows
    // are bitwise the product's scores natively (the tiled kernel) and in pure TS in float64 (both
    // round the same double sum once); pure TS float32 rounds G first, then beta G.
    const n = 400, d = 32, rows = 64;
    const x = normals(n * d);
    const q = { data: normals(rows * d), rows, cols: d };
    for (const dtype of ['float64', 'float32'] as const) {
      const memory = new HopfieldMemory({ data: x, rows: n, cols: d }, { transform: 'sparsemax', beta: 1000, maxIter: 4, tol: 0, dtype, backend });
      const plain = memory.retrieveBatch(q, { maxIter: 1 });
      t.ok(Array.from(plain.support).every((s) => s === 1), `${dtype}: one-hot after one update`);
      const a = memory.retrieveBatch(q, { energies: true });
      const b = memory.retrieveBatch(q, { energies: true, gram: memory.gram() });
      t.same(b.iterations, a.iterations, `${dtype}: same iterations`);
      if (backend === 'js' ? dtype === 'float64' : backendInfo().gemmKernel !== 'baseline') {
        t.same(b.energies!.data, a.energies!.data, `${dtype}: the energies of the later passes, bitwise`);
      } else {
        t.ok(maxAbsDiff(b.energies!.data, a.energies!.data) <= 1e-2, `${dtype}: energies, up to rounding`);
      }
    }
  });

  t.test(`[${backend}] the kernel reads the Gram rows it is given`, async (t) => {
    // A zero matrix makes the later scores of the states it serves zero: p uniform, a different state.
    const n = 300, d = 64, rows = 40;
    const x = normals(n * d);
    const states = normals(rows * d);
    const kernels = getBackend(backend);
    const params = { kind: MemoryKind.Sparsemax, param: 0, bonus: 0, beta: 0.2, maxIter: 3, tol: 0, supportThreshold: 0, maxActiveSetIter: 1, threads: 0 };
    const run = (gram: Float64Array | null) => {
      const out = { states: states.slice(), weights: null, support: new Int32Array(rows), iterations: new Int32Array(rows), status: new Uint8Array(rows), energies: null, firstScores: null, scratch: null, gram };
      kernels.memoryRetrieve(x, n, d, rows, params, out);
      return out;
    };
    const g = new Float64Array(n * n);
    kernels.memoryGram(x, n, d, g, 0);
    const plain = run(null), same = run(g), zero = run(new Float64Array(n * n));
    t.ok(maxAbsDiff(same.states, plain.states) <= 1e-9, 'X X^T: the plain result');
    t.ok(maxAbsDiff(zero.states, plain.states) > 1e-2, 'a different matrix: a different result');
  });

  t.test(`[${backend}] bad Gram matrices are refused`, async (t) => {
    const n = 50, d = 6;
    const x = normals(n * d);
    const memory = new HopfieldMemory({ data: x, rows: n, cols: d }, { transform: 'sparsemax', backend });
    const q = { data: normals(3 * d), rows: 3, cols: d };
    const g = memory.gram();
    t.throws(() => memory.retrieveBatch(q, { gram: { data: g.data, rows: n - 1, cols: n } }), { name: 'RangeError', message: /options.gram must be 50 x 50/ });
    t.throws(() => memory.retrieveBatch(q, { gram: { data: Float32Array.from(g.data), rows: n, cols: n } }), { name: 'TypeError', message: /options.gram must be .* Float64Array/ });
    const other = new HopfieldMemory({ data: normals(n * d), rows: n, cols: d }, { backend }).gram();
    t.throws(() => memory.retrieveBatch(q, { gram: other }), { name: 'RangeError', message: /options.gram is not X X\^T of this memory's patterns/ });
    for (const bad of [NaN, Infinity, 1e3]) {
      const damaged = g.data.slice();
      damaged[7 * n + 7] = bad;
      t.throws(() => memory.retrieveBatch(q, { gram: { data: damaged, rows: n, cols: n } }), { name: 'RangeError', message: /entry \(7, 7\)/ }, `diagonal ${bad}`);
    }
    t.throws(() => memory.retrieve(q.data.subarray(0, d), { gram: g } as never), { name: 'TypeError', message: /no option 'gram'/ });
  });
}
