// Hopfield-Fenchel-Young memories against mathematics (SPEC section 4), on each backend: the softmax
// memory is the modern Hopfield update written out by hand; energies match their closed forms and
// never increase; the exact-retrieval theorem holds in both directions; k-subsets retrieve sums of
// exactly k patterns; batches, chunks, async forms, add/remove and float32 agree with single calls.
import t from 'tap';
import { HopfieldMemory, Rng, sequentialKSubsets } from '../src/index';
import type { MemoryTransform } from '../src/index';
import { backendsUnderTest, maxAbsDiff } from './helpers';

function randomRows(rng: Rng, rows: number, cols: number, scale = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal() * scale));
}

function unitRows(rng: Rng, rows: number, cols: number): number[][] {
  return randomRows(rng, rows, cols).map((r) => {
    const norm = Math.hypot(...r);
    return r.map((v) => v / norm);
  });
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** q' = X^T softmax(beta X q), written out independently of the library. */
function modernHopfieldUpdate(x: number[][], q: ArrayLike<number>, beta: number): number[] {
  const s = x.map((row) => beta * dot(row, q));
  const max = Math.max(...s);
  const e = s.map((v) => Math.exp(v - max));
  const z = e.reduce((a, b) => a + b, 0);
  const out = new Array(q.length).fill(0);
  x.forEach((row, i) => row.forEach((v, c) => (out[c] += (e[i] / z) * v)));
  return out;
}

/** Sparsemax by sorting: tau from the largest k with 1 + k z_k > sum_{j<=k} z_j. */
function sparsemaxBySorting(z: number[]): number[] {
  const sorted = [...z].sort((a, b) => b - a);
  let cum = 0;
  let tau = 0;
  for (let k = 1; k <= sorted.length; k++) {
    cum += sorted[k - 1];
    if (1 + k * sorted[k - 1] > cum) tau = (cum - 1) / k;
  }
  return z.map((v) => Math.max(0, v - tau));
}

const transforms: Array<[string, MemoryTransform]> = [
  ['softmax', 'softmax'],
  ['sparsemax', 'sparsemax'],
  ['entmax15', 'entmax15'],
  ['entmax 1.3', { name: 'entmax', alpha: 1.3 }],
  ['normmax 2', { name: 'normmax', gamma: 2 }],
  ['normmax 5', { name: 'normmax', gamma: 5 }],
  ['kSubsets 3', { name: 'kSubsets', k: 3 }],
  ['sequentialKSubsets 3', { name: 'sequentialKSubsets', k: 3, bonus: 0.5 }],
];

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] the softmax memory is the modern Hopfield update`, async (t) => {
    const rng = new Rng(1);
    const x = randomRows(rng, 40, 12);
    for (const beta of [0.1, 1, 8]) {
      const memory = new HopfieldMemory(x, { beta, backend, maxIter: 3, tol: 0 });
      const q = Float64Array.from(randomRows(rng, 1, 12)[0]);
      let expected: ArrayLike<number> = q;
      for (let step = 0; step < 3; step++) expected = modernHopfieldUpdate(x, expected, beta);
      const r = memory.retrieve(q);
      t.equal(r.iterations, 3);
      t.ok(maxAbsDiff(r.state, expected) < 1e-12, `beta ${beta}: ${maxAbsDiff(r.state, expected)}`);
      // The weights are the softmax that produced the last state.
      const s2 = x.map((row) => beta * dot(row, modernHopfieldUpdate(x, modernHopfieldUpdate(x, q, beta), beta)));
      const p = s2.map((v) => Math.exp(v - Math.max(...s2)));
      const z = p.reduce((a, b) => a + b, 0);
      t.ok(maxAbsDiff(r.weights, p.map((v) => v / z)) < 1e-12);
    }
  });

  t.test(`[${backend}] energies are -(1/beta) Omega*(beta X q) + ||q||^2/2 and never increase`, async (t) => {
    const rng = new Rng(2);
    const x = randomRows(rng, 25, 6);
    const q = randomRows(rng, 1, 6)[0];
    const beta = 0.7;
    const s = x.map((row) => beta * dot(row, q));
    const max = Math.max(...s);
    const logsumexp = max + Math.log(s.reduce((a, v) => a + Math.exp(v - max), 0));
    const half = 0.5 * dot(q, q);
    t.ok(Math.abs(new HopfieldMemory(x, { beta, backend }).energy(q) - (-logsumexp / beta + half)) < 1e-12, 'softmax: logsumexp');
    // sparsemax: Omega*(s) = <s, p> - (||p||^2 - 1) / 2.
    const p = sparsemaxBySorting(s);
    const conj = dot(s, p) - 0.5 * (dot(p, p) - 1);
    t.ok(Math.abs(new HopfieldMemory(x, { beta, backend, transform: 'sparsemax' }).energy(q) - (-conj / beta + half)) < 1e-12, 'sparsemax');

    for (const [name, transform] of transforms) {
      for (const beta of [0.3, 2, 10]) {
        const patterns = randomRows(rng, 30, 8);
        const memory = new HopfieldMemory(patterns, { transform, beta, backend, maxIter: 30 });
        for (let trial = 0; trial < 5; trial++) {
          const query = randomRows(rng, 1, 8, 2)[0];
          const r = memory.retrieve(query);
          t.equal(r.energies.length, r.iterations + 1);
          t.ok(Math.abs(r.energies[0] - memory.energy(query)) < 1e-12 * Math.max(1, Math.abs(r.energies[0])), `${name}: E(q0) = energy(q)`);
          t.ok(Math.abs(r.energies[r.iterations] - memory.energy(r.state)) < 1e-9 * Math.max(1, Math.abs(r.energies[0])), `${name}: E(qT) = energy(state)`);
          let worst = -Infinity;
          for (let i = 1; i < r.energies.length; i++) worst = Math.max(worst, r.energies[i] - r.energies[i - 1]);
          t.ok(worst <= 1e-10 * Math.max(1, Math.abs(r.energies[0])), `${name} beta ${beta}: largest increase ${worst}`);
        }
      }
    }
  });

  t.test(`[${backend}] exact retrieval: one-hot exactly when beta * Delta_i >= m, and inside the certified radius`, async (t) => {
    const rng = new Rng(3);
    const d = 16;
    const x = unitRows(rng, 24, d);
    const margined: Array<[string, MemoryTransform, number]> = [
      ['sparsemax', 'sparsemax', 1],
      ['entmax15', 'entmax15', 2],
      ['entmax 1.3', { name: 'entmax', alpha: 1.3 }, 1 / (1.3 - 1)],
      ['normmax 2', { name: 'normmax', gamma: 2 }, 1],
      ['normmax 5', { name: 'normmax', gamma: 5 }, 1],
    ];
    for (const [name, transform, m] of margined) {
      let fixed = 0;
      let notFixed = 0;
      for (const beta of [2, 6, 20, 60]) {
        const memory = new HopfieldMemory(x, { transform, beta, backend, maxIter: 1 });
        for (let i = 0; i < x.length; i++) {
          const c = memory.certify(i);
          const others = x.filter((_, j) => j !== i).map((row) => dot(row, x[i]));
          const delta = dot(x[i], x[i]) - Math.max(...others);
          t.ok(Math.abs(c.separation - delta) < 1e-12 && c.margin === m);
          const r = memory.retrieve(x[i]);
          if (c.fixedPoint) {
            fixed++;
            t.same(Array.from(r.state), x[i], `${name} beta ${beta}: x_${i} is a fixed point`);
            t.equal(r.support, 1);
            // Queries inside the radius land on x_i exactly in one update.
            for (let trial = 0; trial < 3; trial++) {
              const u = unitRows(rng, 1, d)[0];
              const q = x[i].map((v, c2) => v + 0.999 * c.radius * u[c2]);
              const one = memory.retrieve(q, { maxIter: 1 });
              t.same(Array.from(one.state), x[i], `${name} beta ${beta}: inside the radius of x_${i}`);
            }
          } else {
            notFixed++;
            t.equal(c.radius, 0);
            // A lead below the margin leaves at least two patterns in the support.
            t.ok(r.support >= 2, `${name} beta ${beta}: x_${i} (beta Delta = ${beta * delta}) is not retrieved exactly`);
          }
        }
      }
      t.ok(fixed > 0 && notFixed > 0, `${name}: both sides of the theorem exercised (${fixed} fixed, ${notFixed} not)`);
    }
    // softmax has no margin: p is never one-hot while the scores are close.
    const soft = new HopfieldMemory(x, { beta: 6, backend, maxIter: 1 });
    t.equal(soft.certify(0).fixedPoint, false);
    t.equal(soft.certify(0).margin, Infinity);
    for (let i = 0; i < x.length; i++) t.equal(soft.retrieve(x[i]).support, x.length);
  });

  t.test(`[${backend}] k-subsets retrieve sums of exactly k patterns`, async (t) => {
    const rng = new Rng(4);
    const d = 20;
    const x = unitRows(rng, 15, d);
    for (const k of [1, 2, 4]) {
      const memory = new HopfieldMemory(x, { transform: { name: 'kSubsets', k }, beta: 40, backend, maxIter: 50 });
      let binary = 0;
      for (let trial = 0; trial < 10; trial++) {
        const r = memory.retrieve(randomRows(rng, 1, d)[0]);
        const sum = Array.from(r.weights).reduce((a, b) => a + b, 0);
        t.ok(Math.abs(sum - k) < 1e-12 && Array.from(r.weights).every((p) => p >= 0 && p <= 1), 'p in the capped simplex');
        if (r.support === k && Array.from(r.weights).every((p) => p === 0 || p === 1)) {
          binary++;
          const chosen = Array.from(r.weights).flatMap((p, i) => (p === 1 ? [i] : []));
          const expected = new Array(d).fill(0);
          for (const i of chosen) x[i].forEach((v, c) => (expected[c] += v));
          t.ok(maxAbsDiff(r.state, expected) < 1e-14, 'state = sum of the k chosen patterns');
          const c = memory.certify(chosen);
          t.ok(c.fixedPoint === r.converged || !c.fixedPoint, 'a certified set is a fixed point');
        }
      }
      t.ok(binary >= 8, `k = ${k}: ${binary} of 10 retrievals ended on a sum of exactly k patterns`);
      // The certificate of a set: every query within the radius of x_S maps to x_S in one update.
      const chosen = Array.from({ length: k }, (_, i) => i);
      const c = memory.certify(chosen);
      const sumS = new Array(d).fill(0);
      for (const i of chosen) x[i].forEach((v, c2) => (sumS[c2] += v));
      const others = x.filter((_, j) => j >= k).map((row) => dot(row, sumS));
      const inside = Math.min(...chosen.map((i) => dot(x[i], sumS)));
      t.ok(Math.abs(c.separation - (inside - Math.max(...others))) < 1e-12);
      if (c.fixedPoint) {
        const u = unitRows(rng, 1, d)[0];
        const one = memory.retrieve(sumS.map((v, c2) => v + 0.999 * c.radius * u[c2]), { maxIter: 1 });
        t.ok(maxAbsDiff(one.state, sumS) < 1e-14, `k = ${k}: inside the set's radius`);
      }
    }
    // Sequential k-subsets: p is the SparseMAP marginal of the 2-state SequenceBudget at beta X q.
    const seq = new HopfieldMemory(x, { transform: { name: 'sequentialKSubsets', k: 3, bonus: 2 }, beta: 3, backend, maxIter: 1 });
    const q = randomRows(rng, 1, d)[0];
    const r = seq.retrieve(q);
    const s = x.map((row) => 3 * dot(row, q));
    t.ok(maxAbsDiff(r.weights, sequentialKSubsets(s, { k: 3, bonus: 2, backend })) < 1e-12, 'p = sequentialKSubsets(beta X q)');
    const big = new HopfieldMemory(x, { transform: { name: 'sequentialKSubsets', k: 3, bonus: 50 }, beta: 40, backend });
    const rb = big.retrieve(q);
    const chosen = Array.from(rb.weights).flatMap((p, i) => (p > 0.5 ? [i] : []));
    t.equal(chosen.length, 3);
    t.ok(chosen[2] - chosen[0] === 2, `a large bonus selects consecutive patterns: ${chosen}`);
  });

  t.test(`[${backend}] batches, chunks, async forms and weight formats agree with single retrievals`, async (t) => {
    const rng = new Rng(5);
    // n = 50 000 patterns of dimension 2: a block holds 223 float64 queries, so 300 queries take two.
    const n = 50000;
    const x = { data: Float64Array.from({ length: n * 2 }, () => rng.normal()), rows: n, cols: 2 };
    const memory = new HopfieldMemory(x, { transform: 'sparsemax', beta: 30, backend, maxIter: 5 });
    const queries = randomRows(rng, 300, 2);
    const batch = memory.retrieveBatch(queries, { energies: true });
    const dense = memory.retrieveBatch(queries.slice(0, 3), { weights: 'dense' });
    const none = memory.retrieveBatch(queries.slice(0, 3), { weights: 'none' });
    const asyncBatch = await memory.retrieveBatchAsync(queries);
    t.equal(none.weights, null);
    t.same(asyncBatch.states.data, batch.states.data);
    const sparse = batch.weights as { indptr: Int32Array; indices: Int32Array; values: Float64Array };
    for (const i of [0, 1, 2, 150, 222, 223, 224, 299]) {
      const single = memory.retrieve(queries[i]);
      // A row's thresholds may differ in the last bit between a batch and a single call (the pivot
      // order of the transform depends on the row's place in the block), hence 1e-12 and not equality.
      t.ok(maxAbsDiff(batch.states.data.subarray(i * 2, i * 2 + 2), single.state) < 1e-12, `row ${i}`);
      t.equal(batch.iterations[i], single.iterations);
      t.equal(batch.support[i], single.support);
      t.ok(maxAbsDiff(batch.energies!.data.subarray(i * 6, i * 6 + single.iterations + 1), single.energies) < 1e-12);
      const nz = Array.from(single.weights).flatMap((p, j) => (p !== 0 ? [j] : []));
      t.same(Array.from(sparse.indices.subarray(sparse.indptr[i], sparse.indptr[i + 1])), nz);
      t.ok(maxAbsDiff(sparse.values.subarray(sparse.indptr[i], sparse.indptr[i + 1]), nz.map((j) => single.weights[j])) < 1e-12);
      if (i < 3) t.ok(maxAbsDiff((dense.weights as { data: Float64Array }).data.subarray(i * n, (i + 1) * n), single.weights) < 1e-12, 'dense weights');
    }
    const one = await memory.retrieveAsync(queries[7]);
    t.same(Array.from(one.state), Array.from(memory.retrieve(queries[7]).state));
  });

  t.test(`[${backend}] the working buffer kept between synchronous calls carries nothing over`, async (t) => {
    const rng = new Rng(8);
    const x = randomRows(rng, 2000, 6);
    const extra = randomRows(rng, 700, 6);
    const settings = { transform: 'entmax15', beta: 3, maxIter: 4, tol: 0 } as const;
    const memory = new HopfieldMemory(x, { ...settings, backend });
    const big = randomRows(rng, 400, 6), small = randomRows(rng, 3, 6);
    // Each call after others of other shapes (and after add, with more patterns) gives what a new
    // memory gives, bitwise: same kernels on the same inputs, buffers aligned alike.
    const calls: [string, () => unknown, () => unknown][] = [
      ['400 queries, sparse weights', () => memory.retrieveBatch(big), () => new HopfieldMemory(x, { ...settings, backend }).retrieveBatch(big)],
      ['3 queries, dense weights', () => memory.retrieveBatch(small, { weights: 'dense' }), () => new HopfieldMemory(x, { ...settings, backend }).retrieveBatch(small, { weights: 'dense' })],
      ['energies', () => memory.energyBatch(big), () => new HopfieldMemory(x, { ...settings, backend }).energyBatch(big)],
    ];
    for (const [name, again, fresh] of calls) t.same(again(), fresh(), name);
    memory.add(extra);
    const grown = x.concat(extra);
    t.same(memory.retrieveBatch(big), new HopfieldMemory(grown, { ...settings, backend }).retrieveBatch(big), 'after add: more patterns per row');
    t.same(memory.retrieveBatch(small), new HopfieldMemory(grown, { ...settings, backend }).retrieveBatch(small), 'then a smaller call');
  });

  t.test(`[${backend}] add and remove give the memory of the remaining patterns`, async (t) => {
    const rng = new Rng(6);
    const x = randomRows(rng, 12, 5);
    const memory = new HopfieldMemory(x.slice(0, 8), { transform: 'entmax15', beta: 2, backend });
    memory.add(x.slice(8));
    memory.remove([1, 3]);
    const kept = x.filter((_, i) => i !== 1 && i !== 3);
    const fresh = new HopfieldMemory(kept, { transform: 'entmax15', beta: 2, backend });
    t.equal(memory.size, 10);
    t.same(Array.from(memory.patterns().data), kept.flat());
    const q = randomRows(rng, 1, 5)[0];
    t.same(Array.from(memory.retrieve(q).state), Array.from(fresh.retrieve(q).state));
    t.throws(() => memory.remove(Array.from({ length: 10 }, (_, i) => i)), RangeError);
  });

  t.test(`[${backend}] float32 memories compute in float32 and agree with float64`, async (t) => {
    const rng = new Rng(7);
    const x = randomRows(rng, 40, 10);
    for (const [name, transform] of transforms) {
      const m64 = new HopfieldMemory(x, { transform, beta: 1.5, backend, maxIter: 3, tol: 0 });
      const m32 = new HopfieldMemory(x, { transform, beta: 1.5, backend, maxIter: 3, tol: 0, dtype: 'float32' });
      const q = randomRows(rng, 1, 10)[0];
      const r64 = m64.retrieve(q);
      const r32 = m32.retrieve(Float32Array.from(q));
      t.ok(r32.state instanceof Float32Array && r32.weights instanceof Float32Array);
      t.ok(maxAbsDiff(r32.state, r64.state) < 1e-4, `${name}: ${maxAbsDiff(r32.state, r64.state)}`);
    }
    const fromTyped = new HopfieldMemory({ data: new Float32Array(6), rows: 2, cols: 3 });
    t.equal(fromTyped.dtype, 'float32');
  });
}

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] hundreds of async retrievals in flight, inputs mutated meanwhile, equal sequential runs`, async (t) => {
    const rng = new Rng(8);
    const x = randomRows(rng, 300, 24);
    const memory = new HopfieldMemory(x, { transform: 'entmax15', beta: 0.5, backend });
    const queries = Array.from({ length: 200 }, () => Float64Array.from(randomRows(rng, 1, 24)[0]));
    const expected = queries.map((q) => memory.retrieve(q).state);
    const pending = queries.map((q) => {
      const promise = memory.retrieveAsync(q);
      q.fill(1e3); // the call works on its own copy
      return promise;
    });
    const batchQueries = { data: Float64Array.from(queries.flatMap(() => randomRows(rng, 1, 24)[0])), rows: 200, cols: 24 };
    const batchExpected = memory.retrieveBatch(batchQueries).states.data;
    const batch = memory.retrieveBatchAsync(batchQueries);
    batchQueries.data.fill(0);
    memory.add([Array(24).fill(5)]); // patterns added while calls run do not reach them
    const results = await Promise.all(pending);
    results.forEach((r, i) => t.same(Array.from(r.state), Array.from(expected[i])));
    t.same((await batch).states.data, batchExpected);
    t.equal(memory.size, 301);
  });
}
