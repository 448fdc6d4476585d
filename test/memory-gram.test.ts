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

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] an on-demand Gram matrix fills the rows the states use, with the full one's results`, async (t) => {
    const n = 600, d = 64, rows = 120;
    const x = normals(n * d);
    const q = { data: normals(rows * d), rows, cols: d };
    // Rows of the full and the on-demand matrix are the same sums: bitwise in pure TS and on the tiled kernels.
    const bitwise = backend === 'js' || backendInfo().gemmKernel !== 'baseline';
    for (const dtype of ['float64', 'float32'] as const) {
      const tol = dtype === 'float64' ? 1e-9 : 2e-3;
      const memory = new HopfieldMemory({ data: x, rows: n, cols: d }, { transform: 'sparsemax', beta: 0.5, maxIter: 5, tol: 0, dtype, backend });
      const full = memory.gram();
      const lazy = memory.gram({ rows: 'onDemand' });
      t.same(lazy.ready, new Uint8Array(n), `${dtype}: no row filled at first`);
      t.ok(lazy.data.every((v) => v === 0), `${dtype}: and none computed`);
      const a = memory.retrieveBatch(q, { energies: true, weights: 'dense', gram: full });
      const b = memory.retrieveBatch(q, { energies: true, weights: 'dense', gram: lazy });
      const compare = (u: ArrayLike<number>, v: ArrayLike<number>, what: string) =>
        bitwise ? t.same(u, v, `${dtype}: ${what}, bitwise`) : t.ok(maxAbsDiff(u, v) <= tol, `${dtype}: ${what}`);
      compare(b.states.data, a.states.data, 'states');
      compare((b.weights as { data: ArrayLike<number> }).data, (a.weights as { data: ArrayLike<number> }).data, 'weights');
      t.same(b.support, a.support, `${dtype}: supports`);
      t.same(b.iterations, a.iterations, `${dtype}: iterations`);

      // The rows filled are exactly the patterns in the support of a state that took the Gram path:
      // the p of updates 1 .. maxIter - 1 with at most d / 32 = 2 nonzeros.
      const used = new Uint8Array(n);
      for (let upto = 1; upto < 5; upto++) {
        const r = memory.retrieveBatch(q, { maxIter: upto, weights: 'dense' });
        const p = (r.weights as { data: ArrayLike<number> }).data;
        for (let i = 0; i < rows; i++) {
          if (r.iterations[i] < upto) continue;  // stopped earlier: no further update
          const columns: number[] = [];
          for (let j = 0; j < n; j++) if (p[i * n + j] !== 0) columns.push(j);
          if (columns.length * 32 <= d) for (const j of columns) used[j] = 1;
        }
      }
      const filled = Array.from(lazy.ready).reduce((s, v) => s + v, 0);
      t.ok(filled > 0 && filled < n, `${dtype}: ${filled} of ${n} rows filled`);
      t.same(lazy.ready, used, `${dtype}: the filled rows are those the states used`);
      let wrong = 0, touched = 0;
      for (let j = 0; j < n; j++) {
        for (let c = 0; c < n; c++) {
          const v = lazy.data[j * n + c];
          if (lazy.ready[j]) wrong += bitwise ? Number(v !== full.data[j * n + c]) : Number(!(Math.abs(v - full.data[j * n + c]) <= tol));
          else touched += Number(v !== 0);
        }
      }
      t.equal(wrong, 0, `${dtype}: filled rows are rows of X X^T`);
      t.equal(touched, 0, `${dtype}: the other rows are untouched`);

      // Filled rows are kept: another beta of the same patterns, async, fills only what it lacks.
      const before = lazy.data.slice();
      const other = new HopfieldMemory({ data: x, rows: n, cols: d }, { transform: { name: 'kSubsets', k: 2 }, beta: 0.1, maxIter: 5, tol: 0, dtype, backend });
      const plain = other.retrieveBatch(q, { weights: 'none' });
      const shared = await other.retrieveBatchAsync(q, { weights: 'none', gram: lazy });
      t.ok(maxAbsDiff(shared.states.data, plain.states.data) <= tol, `${dtype}: k-subsets async with the shared on-demand matrix`);
      let rewritten = 0;
      for (let j = 0; j < n; j++) if (used[j]) for (let c = 0; c < n; c++) rewritten += Number(lazy.data[j * n + c] !== before[j * n + c]);
      t.equal(rewritten, 0, `${dtype}: rows filled before are not written again`);
    }
  });

  t.test(`[${backend}] bad on-demand Gram matrices and options are refused`, async (t) => {
    const n = 50, d = 6;
    const memory = new HopfieldMemory({ data: normals(n * d), rows: n, cols: d }, { transform: 'sparsemax', backend });
    const q = { data: normals(3 * d), rows: 3, cols: d };
    const lazy = memory.gram({ rows: 'onDemand' });
    t.throws(() => memory.retrieveBatch(q, { gram: { ...lazy, ready: new Uint8Array(n - 1) } }), { name: 'TypeError', message: /options.gram.ready must be a Uint8Array of 50 flags/ });
    t.throws(() => memory.retrieveBatch(q, { gram: { ...lazy, ready: new Int8Array(n) as never } }), { name: 'TypeError', message: /options.gram.ready/ });
    const flagged = { ...lazy, ready: new Uint8Array(n) };
    flagged.ready[9] = 1;  // flagged but never computed: its diagonal entry is 0, not |x_9|^2
    t.throws(() => memory.retrieveBatch(q, { gram: flagged }), { name: 'RangeError', message: /entry \(9, 9\)/ });
    t.throws(() => memory.gram({ rows: 'some' as never }), { name: 'RangeError', message: /options.rows/ });
    t.throws(() => memory.gram({ row: 'all' } as never), { name: 'TypeError', message: /no option 'row'/ });
  });
}
