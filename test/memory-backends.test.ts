// Native and pure TypeScript memories agree on random memories for every transform: states and
// weights to 1e-9 (float64; relative to the pattern scale) and 1e-4 (float32), iteration counts and
// supports exactly, energies to 1e-9; native results do not depend on the thread count.
import t from 'tap';
import { HopfieldMemory, Rng } from '../src/index';
import type { MemoryTransform } from '../src/index';
import { backendsUnderTest, maxAbsDiff } from './helpers';

const transforms: Array<[string, MemoryTransform]> = [
  ['softmax', 'softmax'],
  ['sparsemax', 'sparsemax'],
  ['entmax15', 'entmax15'],
  ['entmax 1.7', { name: 'entmax', alpha: 1.7 }],
  ['normmax 3', { name: 'normmax', gamma: 3 }],
  ['kSubsets 4', { name: 'kSubsets', k: 4 }],
  ['sequentialKSubsets 2', { name: 'sequentialKSubsets', k: 2, bonus: 0.4 }],
];

if (backendsUnderTest().length < 2) {
  t.pass('only the js backend is under test');
} else {
  const rng = new Rng(11);
  for (const [name, transform] of transforms) {
    t.test(name, async (t) => {
      for (const [n, d, beta] of [[5, 3, 0.5], [60, 20, 2], [300, 64, 0.05], [2000, 16, 4]] as const) {
        const data = Float64Array.from({ length: n * d }, () => rng.normal());
        const queries = Float64Array.from({ length: 7 * d }, () => 2 * rng.normal());
        for (const dtype of ['float64', 'float32'] as const) {
          const options = { transform, beta, maxIter: 6, tol: 1e-12, dtype };
          const native = new HopfieldMemory({ data, rows: n, cols: d }, { ...options, backend: 'native' });
          const js = new HopfieldMemory({ data, rows: n, cols: d }, { ...options, backend: 'js' });
          const a = native.retrieveBatch({ data: queries, rows: 7, cols: d }, { energies: true, weights: 'dense' });
          const b = js.retrieveBatch({ data: queries, rows: 7, cols: d }, { energies: true, weights: 'dense' });
          const tol = dtype === 'float64' ? 1e-9 : 1e-4;
          t.ok(maxAbsDiff(a.states.data, b.states.data) < tol, `${dtype} ${n}x${d}: states ${maxAbsDiff(a.states.data, b.states.data)}`);
          t.ok(maxAbsDiff((a.weights as { data: Float64Array }).data, (b.weights as { data: Float64Array }).data) < tol, `${dtype} ${n}x${d}: weights`);
          if (dtype === 'float64') {
            t.same(a.iterations, b.iterations, 'iterations');
            t.same(a.support, b.support, 'support');
            t.same(a.status, b.status, 'status');
            const scale = Math.max(1, ...Array.from(a.energies!.data).filter(Number.isFinite).map(Math.abs));
            t.ok(maxAbsDiff(a.energies!.data, b.energies!.data) <= 1e-9 * scale, `energies ${maxAbsDiff(a.energies!.data, b.energies!.data)}`);
          }
          // Same call but one thread (the blocks of a call, and so its rounding, do not depend on it).
          const oneThread = native.retrieveBatch({ data: queries, rows: 7, cols: d }, { energies: true, weights: 'dense', threads: 1 });
          t.same(oneThread.states.data, a.states.data, 'native: the thread count does not change the result');
          t.same(native.scores(queries.subarray(0, d)).length, n);
          t.ok(maxAbsDiff(native.scores(queries.subarray(0, d)), js.scores(queries.subarray(0, d))) < tol * 100, 'scores');
        }
      }
    });
  }
}
