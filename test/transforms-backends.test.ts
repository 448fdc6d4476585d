// Native and pure TypeScript transforms agree to 1e-12 (float64) and 1e-5 (float32) on random
// batches, with masks and ties, for outputs, supports, conjugates, JVPs and the alpha derivative;
// native results do not depend on the thread count.
import t from 'tap';
import { entmax, entmax15, kSubsets, normmax, Rng, softmax, sparsemax } from '../src/index';
import type { Transform, TransformOptions } from '../src/index';
import { backendsUnderTest, maxAbsDiff } from './helpers';

type AnyTransform = Transform<TransformOptions & Record<string, unknown>>;
const cases: Array<[string, AnyTransform, Record<string, unknown>]> = [
  ['softmax', softmax as AnyTransform, {}],
  ['sparsemax', sparsemax as AnyTransform, {}],
  ['entmax15', entmax15 as AnyTransform, {}],
  ['entmax 1.2', entmax as AnyTransform, { alpha: 1.2 }],
  ['entmax 1.01', entmax as AnyTransform, { alpha: 1.01 }],
  ['entmax 2.5', entmax as AnyTransform, { alpha: 2.5 }],
  ['normmax 2', normmax as AnyTransform, { gamma: 2 }],
  ['normmax 1.3', normmax as AnyTransform, { gamma: 1.3 }],
  ['normmax 4', normmax as AnyTransform, { gamma: 4 }],
  ['kSubsets 1', kSubsets as unknown as AnyTransform, { k: 1 }],
  ['kSubsets 3', kSubsets as unknown as AnyTransform, { k: 3 }],
  ['kSubsets 40 (no small-k prefilter)', kSubsets as unknown as AnyTransform, { k: 40 }],
];

const backends = backendsUnderTest();
if (backends.length < 2) {
  t.pass('only the js backend is under test');
} else {
  const rng = new Rng(41);
  for (const [name, f, opts] of cases) {
    t.test(name, async (t) => {
      const worst = { f64: 0, f32: 0, jvp: 0, conj: 0, support: 0, threads: 0 };
      for (const d of [3, 10, 57, 1000, 20000]) {
        if (typeof opts.k === 'number' && d < opts.k) continue;
        const rows = d > 1000 ? 2 : 5;
        const data = new Float64Array(rows * d);
        const scale = [0.3, 3, 30][d % 3];
        for (let i = 0; i < data.length; i++) {
          const u = rng.nextDouble();
          data[i] = u < 0.05 ? -Infinity : u < 0.1 ? 1.25 : rng.normal() * scale; // masks and ties
        }
        for (let r = 0; r < rows; r++) data[r * d] = 2; // at least one finite entry per row
        const v = Float64Array.from(data, () => rng.normal());
        const m = { data, rows, cols: d };
        const [a, b] = backends.map((backend) => f.solve(m, { ...opts, backend } as never));
        worst.f64 = Math.max(worst.f64, maxAbsDiff(a.p.data, b.p.data));
        worst.conj = Math.max(worst.conj, maxAbsDiff(a.conjugate, b.conjugate) / Math.max(1, ...Array.from(a.conjugate, Math.abs)));
        worst.support = Math.max(worst.support, maxAbsDiff(a.support, b.support));
        const [ja, jb] = backends.map((backend) => (f.jvp(m, { data: v, rows, cols: d }, { ...opts, backend } as never) as unknown as { data: Float64Array }).data);
        const jscale = Math.max(1, ...Array.from(ja, Math.abs));
        worst.jvp = Math.max(worst.jvp, maxAbsDiff(ja, jb) / jscale);
        const m32 = { data: Float32Array.from(data), rows, cols: d };
        const [a32, b32] = backends.map((backend) => f.solve(m32, { ...opts, backend } as never));
        worst.f32 = Math.max(worst.f32, maxAbsDiff(a32.p.data, b32.p.data));
        const single = f.solve(m, { ...opts, backend: 'native', threads: 1 } as never);
        worst.threads = Math.max(worst.threads, maxAbsDiff(single.p.data, a.p.data));
      }
      t.ok(worst.f64 <= 1e-12, `float64 outputs agree (${worst.f64})`);
      t.ok(worst.f32 <= 1e-5, `float32 outputs agree (${worst.f32})`);
      t.ok(worst.conj <= 1e-12, `conjugates agree (relative ${worst.conj})`);
      t.ok(worst.jvp <= 1e-10, `JVPs agree (relative to max |Jv|: ${worst.jvp})`);
      t.equal(worst.support, 0, 'supports agree');
      t.equal(worst.threads, 0, 'thread count does not change native results');
    });
  }
  t.test('entmax alpha derivative', async (t) => {
    let worst = 0;
    for (const alpha of [1.05, 1.5, 2, 2.7]) {
      const data = Float64Array.from({ length: 4 * 300 }, () => rng.normal());
      const [a, b] = backends.map((backend) => entmax.alphaGradient({ data, rows: 4, cols: 300 }, { alpha, backend }).data);
      worst = Math.max(worst, maxAbsDiff(a, b) / Math.max(1, ...Array.from(a, Math.abs)));
    }
    t.ok(worst <= 1e-10, `agree (${worst})`);
  });
}
