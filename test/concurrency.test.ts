// Hundreds of async transforms, LP-SparseMAP solves and latent Hopfield calls in flight at once,
// each input scribbled over (or its buffer detached) right after the call: every result must equal
// the synchronous result computed before the call, because async calls work on their own copies.
import t from 'tap';
import {
  entmax, entmax15, FactorGraph, kSubsets, kSubsetsExactBatch, kSubsetsExactBatchAsync, LatentHopfield, normmax, Rng,
  sequentialKSubsetsBatch, sequentialKSubsetsBatchAsync, softmax, sparsemax,
} from '../src/index';
import type { BackendName, Transform, TransformOptions } from '../src/index';
import { backendsUnderTest, randomLatentWeights } from './helpers';
import { detached, plain, scribble } from './property-helpers';

const CALLS = 200;

interface AsyncCase {
  name: string;
  /** The i-th input (fresh arrays every time). */
  make(rng: Rng, i: number): unknown;
  sync(input: unknown, i: number): unknown;
  async(input: unknown, i: number): Promise<unknown>;
}

/** Runs CALLS async calls at once, scribbling each input right after its call, against sync results. */
async function check(t: { equal(a: unknown, b: unknown, m: string): void }, c: AsyncCase, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const expected: string[] = [];
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < CALLS; i++) {
    const input = c.make(rng, i);
    expected.push(JSON.stringify(plain(c.sync(input, i))));
    inFlight.push(c.async(input, i));
    scribble(input, i % 2 === 1);
  }
  const results = (await Promise.all(inFlight)).map((r) => JSON.stringify(plain(r)));
  const wrong = results.findIndex((r, i) => r !== expected[i]);
  t.equal(wrong, -1, `${c.name}: all ${CALLS} concurrent results equal the sequential ones${wrong >= 0 ? ` (call ${wrong} differs)` : ''}`);
}

type AnyTransform = Transform<TransformOptions & Record<string, unknown>>;
const transforms: Array<[string, AnyTransform, Record<string, unknown>]> = [
  ['softmax', softmax as AnyTransform, {}],
  ['sparsemax', sparsemax as AnyTransform, {}],
  ['entmax15', entmax15 as AnyTransform, {}],
  ['entmax 1.3', entmax as AnyTransform, { alpha: 1.3 }],
  ['normmax 3', normmax as AnyTransform, { gamma: 3 }],
  ['kSubsets 3', kSubsets as unknown as AnyTransform, { k: 3 }],
];

function normals(rng: Rng, length: number, scale = 1): Float64Array {
  return Float64Array.from({ length }, () => scale * rng.normal());
}

/** A graph whose factors share variables, so solves run ADMM for several iterations. */
function sharedGraph(): FactorGraph {
  const g = new FactorGraph(8);
  g.addBudget([0, 1, 2, 3, 4, 5], 2, { exact: true });
  g.addPair(0, 6, 0.5);
  g.addSequence([4, 5, 6, 7], { states: 2, transitions: [0.2, -0.1, 0.3, 0] });
  g.addXor([1, 7]);
  return g;
}

function cases(backend: BackendName): AsyncCase[] {
  const list: AsyncCase[] = [];
  for (const [name, f, opts] of transforms) {
    const o = { ...opts, backend };
    // Forms: a Float64Array or Float32Array vector, a number[] vector, a matrix, and a matrix with options.out.
    list.push({
      name: `${name}.async`,
      make: (rng, i) => {
        const cols = 3 + (i % 7) * 23;
        const x = normals(rng, (i % 4 >= 2 ? 5 : 1) * cols, 2);
        if (i % 4 === 0) return i % 8 === 0 ? x : Float32Array.from(x);
        if (i % 4 === 1) return Array.from(x);
        return { data: x, rows: 5, cols };
      },
      sync: (x, i) => {
        if (i % 4 !== 3) return f.solve(x as Float64Array, o);
        const out = new Float64Array((x as { data: Float64Array }).data.length);
        const r = f.solve(x as Float64Array, { ...o, out });
        return { r, intoOut: r.p.data === out };
      },
      async: (x, i) => {
        if (i % 4 !== 3) return f.async(x as Float64Array, o);
        const out = new Float64Array((x as { data: Float64Array }).data.length);
        return f.async(x as Float64Array, { ...o, out }).then((r) => ({ r, intoOut: r.p.data === out }));
      },
    });
  }

  const graph = sharedGraph();
  const nAdd = graph.additionalScores().length;
  list.push({
    name: 'FactorGraph.solveAsync',
    make: (rng) => ({ unary: normals(rng, 8), additional: normals(rng, nAdd, 0.3) }),
    sync: (x) => {
      const { unary, additional } = x as { unary: Float64Array; additional: Float64Array };
      return graph.solve(unary, { backend, additionalScores: additional });
    },
    async: (x) => {
      const { unary, additional } = x as { unary: Float64Array; additional: Float64Array };
      return graph.solveAsync(unary, { backend, additionalScores: additional });
    },
  });
  list.push({
    name: 'FactorGraph.solveBatchAsync',
    make: (rng, i) => (i % 2 ? { data: normals(rng, 4 * 8), rows: 4, cols: 8 } : Array.from({ length: 3 }, () => normals(rng, 8))),
    sync: (x) => graph.solveBatch(x as Float64Array[], { backend }),
    async: (x) => graph.solveBatchAsync(x as Float64Array[], { backend }),
  });
  list.push({
    name: 'kSubsetsExactBatchAsync',
    make: (rng, i) => ({ data: normals(rng, 3 * (5 + i % 11)), rows: 3, cols: 5 + i % 11 }),
    sync: (x, i) => kSubsetsExactBatch(x as { data: Float64Array; rows: number; cols: number }, 1 + (i % 5), { backend }),
    async: (x, i) => kSubsetsExactBatchAsync(x as { data: Float64Array; rows: number; cols: number }, 1 + (i % 5), { backend }),
  });
  list.push({
    name: 'sequentialKSubsetsBatchAsync',
    make: (rng, i) => Array.from({ length: 2 }, () => Array.from(normals(rng, 6 + (i % 9)))),
    sync: (x, i) => sequentialKSubsetsBatch(x as number[][], { k: 1 + (i % 6), bonus: 0.4, backend }),
    async: (x, i) => sequentialKSubsetsBatchAsync(x as number[][], { k: 1 + (i % 6), bonus: 0.4, backend }),
  });

  const model = new LatentHopfield(randomLatentWeights(20, 8, 6, 3), { backend });
  const images = (rng: Rng, i: number) => {
    const rows = 1 + (i % 4);
    const data = Float64Array.from({ length: rows * 20 }, () => 2 * rng.nextDouble() - 1);
    return i % 2 ? { data, rows, cols: 20 } : Array.from({ length: rows }, (_, r) => data.slice(r * 20, (r + 1) * 20));
  };
  const codes = (rng: Rng, i: number) => ({ data: Float64Array.from({ length: (1 + (i % 3)) * 6 }, () => 2 * rng.nextDouble() - 1), rows: 1 + (i % 3), cols: 6 });
  type Rows = Parameters<LatentHopfield['encode']>[0];
  list.push({ name: 'LatentHopfield.encodeAsync', make: images, sync: (x) => model.encode(x as Rows), async: (x) => model.encodeAsync(x as Rows) });
  list.push({ name: 'LatentHopfield.decodeAsync', make: codes, sync: (x) => model.decode(x as Rows), async: (x) => model.decodeAsync(x as Rows) });
  const dyn = { steps: 60, dt: 0.2, tol: 1e-9 };
  list.push({ name: 'LatentHopfield.dynamicsAsync', make: codes, sync: (x) => model.dynamics(x as Rows, dyn), async: (x) => model.dynamicsAsync(x as Rows, dyn) });
  list.push({ name: 'LatentHopfield.recallAsync', make: images, sync: (x) => model.recall(x as Rows, dyn), async: (x) => model.recallAsync(x as Rows, dyn) });
  return list;
}

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] many async calls in flight, inputs scribbled after each call`, async (t) => {
    let seed = 1;
    for (const c of cases(backend)) await check(t, c, seed++);
  });

  t.test(`[${backend}] every kind of async call in flight at once`, async (t) => {
    const all = cases(backend);
    const rng = new Rng(99);
    const jobs = Array.from({ length: 300 }, (_, i) => {
      const c = all[i % all.length];
      const input = c.make(rng, i);
      const expected = JSON.stringify(plain(c.sync(input, i)));
      const promise = c.async(input, i);
      scribble(input, i % 3 === 0);
      return { expected, promise };
    });
    const results = await Promise.all(jobs.map((j) => j.promise));
    t.equal(results.filter((r, i) => JSON.stringify(plain(r)) !== jobs[i].expected).length, 0, 'mixed concurrent calls equal the sequential ones');
  });

  t.test(`[${backend}] transform.async: options.out is written when the call settles`, async (t) => {
    const x = Float64Array.of(1, 0.5, -1);
    const out = new Float64Array(3);
    const pending = sparsemax.async(x, { backend, out });
    t.same(Array.from(out), [0, 0, 0], 'not written while the call is queued');
    const r = await pending;
    t.equal(r.p.data, out, 'the result is options.out');
    t.same(Array.from(out), Array.from(sparsemax(x, { backend })));
    const gone = new Float64Array(3);
    const rejected = sparsemax.async(x, { backend, out: gone });
    detached(gone);
    await t.rejects(rejected, { name: 'TypeError', message: /options\.out was detached/ });
  });
}
