// retrieveBatch with options.scores: the first update takes the scores given (memory.scores of the
// queries, computed once for several transforms) instead of computing them, with the same results.
import t from 'tap';
import { HopfieldMemory, Rng } from '../src/index';
import { backendsUnderTest, maxAbsDiff } from './helpers';

const rng = new Rng(21);
const n = 300, d = 24, rows = 37;
const patterns = Float64Array.from({ length: n * d }, () => rng.normal());
const queries = Float64Array.from({ length: rows * d }, () => rng.normal());
const others = Float64Array.from({ length: rows * d }, () => rng.normal());

for (const backend of backendsUnderTest()) {
  for (const dtype of ['float64', 'float32'] as const) {
    t.test(`[${backend}] ${dtype}: the given scores stand for the first product`, async (t) => {
      const q = { data: dtype === 'float32' ? Float32Array.from(queries) : queries, rows, cols: d };
      const q2 = { data: dtype === 'float32' ? Float32Array.from(others) : others, rows, cols: d };
      for (const transform of ['softmax', 'sparsemax', { name: 'kSubsets', k: 3 }] as const) {
        const memory = new HopfieldMemory({ data: patterns, rows: n, cols: d }, { transform, beta: 0.3, maxIter: 4, tol: 0, dtype, backend });
        const plain = memory.retrieveBatch(q, { energies: true, weights: 'dense' });
        const given = memory.retrieveBatch(q, { energies: true, weights: 'dense', scores: memory.scores(q) });
        const tol = dtype === 'float64' ? 1e-12 : 1e-5;
        const name = JSON.stringify(transform);
        t.ok(maxAbsDiff(given.states.data, plain.states.data) <= tol, `${name}: states`);
        t.ok(maxAbsDiff((given.weights as { data: Float64Array }).data, (plain.weights as { data: Float64Array }).data) <= tol, `${name}: weights`);
        t.ok(maxAbsDiff(given.energies!.data.filter(Number.isFinite), plain.energies!.data.filter(Number.isFinite)) <= 1e-9, `${name}: energies`);
        if (backend === 'js') t.same(given.states.data, plain.states.data, `${name}: pure TS computes the scores by the same loop, so exactly`);
        // Scores of other queries make the first update that of the other queries: they are used.
        const swapped = memory.retrieveBatch(q, { maxIter: 1, weights: 'none', scores: memory.scores(q2) });
        const direct = memory.retrieveBatch(q2, { maxIter: 1, weights: 'none' });
        t.ok(maxAbsDiff(swapped.states.data, direct.states.data) <= tol, `${name}: the first update follows the scores given`);
        const async = await memory.retrieveBatchAsync(q, { scores: memory.scores(q), weights: 'none' });
        t.ok(maxAbsDiff(async.states.data, plain.states.data) <= tol, `${name}: async`);
      }
    });
  }

  t.test(`[${backend}] bad scores are refused`, async (t) => {
    const memory = new HopfieldMemory({ data: patterns, rows: n, cols: d }, { backend });
    const q = { data: queries, rows, cols: d };
    const good = memory.scores(q);
    t.throws(() => memory.retrieveBatch(q, { scores: { data: good.data, rows: rows - 1, cols: n } }), { name: 'RangeError', message: /options.scores must be 37 x 300/ });
    t.throws(() => memory.retrieveBatch(q, { scores: { data: Float32Array.from(good.data), rows, cols: n } }), { name: 'TypeError', message: /Float64Array/ });
    t.throws(() => memory.retrieveBatch(q, { scores: [[1, 2]] as never }), TypeError);
    const bad = good.data.slice();
    bad[5] = NaN;
    t.throws(() => memory.retrieveBatch(q, { scores: { data: bad, rows, cols: n } }), { name: 'RangeError', message: /options.scores.data\[5\] must be finite/ });
    t.throws(() => memory.retrieve(queries.subarray(0, d), { scores: good } as never), { name: 'TypeError', message: /no option 'scores'/ });
  });

  t.test(`[${backend}] scores over several blocks of queries: used block by block, checked to the last entry`, async (t) => {
    // n = 50 000 patterns of dimension 2: a block holds 223 float64 (446 float32) queries.
    const big = 50000, count = 500;
    const local = new Rng(22);
    const x = Float64Array.from({ length: big * 2 }, () => local.normal());
    for (const dtype of ['float64', 'float32'] as const) {
      const Real = dtype === 'float32' ? Float32Array : Float64Array;
      const memory = new HopfieldMemory({ data: Real.from(x), rows: big, cols: 2 }, { transform: 'sparsemax', beta: 30, maxIter: 3, tol: 0, dtype, backend });
      const q = { data: Real.from({ length: count * 2 }, () => local.normal()), rows: count, cols: 2 };
      const scores = memory.scores(q);
      const plain = memory.retrieveBatch(q, { energies: true });
      const given = memory.retrieveBatch(q, { energies: true, scores });
      const tol = dtype === 'float64' ? 1e-12 : 1e-5;
      t.ok(maxAbsDiff(given.states.data, plain.states.data) <= tol, `${dtype}: states`);
      t.ok(maxAbsDiff(given.energies!.data.filter(Number.isFinite), plain.energies!.data.filter(Number.isFinite)) <= 1e-6, `${dtype}: energies`);
      t.same(given.support, plain.support, `${dtype}: supports`);
      // A bad entry anywhere, the last block's last row included, is found and named by its index.
      for (const [at, value, shown] of [[scores.data.length - 7, -Infinity, '-Infinity'], [big * 300 + 11, Infinity, 'Infinity'], [70000, NaN, 'NaN']] as const) {
        const bad = scores.data.slice();
        bad[at] = value;
        t.throws(() => memory.retrieveBatch(q, { scores: { data: bad, rows: count, cols: big } }), { name: 'RangeError', message: `options.scores.data[${at}] must be finite, got ${shown}` }, `${dtype}: ${shown} at ${at}`);
      }
    }
  });
}
