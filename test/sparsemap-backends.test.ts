// Native and pure TypeScript LP-SparseMAP agree to 1e-9 on random graphs larger than brute force
// can check (same algorithm, same iteration logic), and native batches do not depend on threads.
import t from 'tap';
import { FactorGraph, kSubsetsExactBatch, kSubsetsExactBatchAsync, Rng, sequentialKSubsetsBatch, sequentialKSubsetsBatchAsync } from '../src/index';
import { backendsUnderTest, maxAbsDiff } from './helpers';
import { OR_OUT_PATTERNS, orOutScores, randomScores, sequenceScoreLength, unaryForLiterals } from './sparsemap-reference';

const backends = backendsUnderTest();

function randomBigGraph(rng: Rng): { graph: FactorGraph; n: number } {
  const L = 8 + rng.below(6);
  const S = 2 + rng.below(3);
  const n = L * S + 8;
  const graph = new FactorGraph(n);
  graph.addSequence(Array.from({ length: L * S }, (_, i) => i), { states: S, transitions: randomScores(rng, sequenceScoreLength(L, S)) });
  const state0 = Array.from({ length: L }, (_, t) => t * S);
  graph.addBudget(state0, 1 + rng.below(L - 1), { exact: rng.nextDouble() < 0.3 });
  graph.addSequenceBudget(Array.from({ length: L * S }, (_, i) => i), { states: S, transitions: randomScores(rng, S * S), k: L - 2 });
  const extra = Array.from({ length: 8 }, (_, i) => L * S + i);
  graph.addXor([extra[0], extra[1], 1]);
  graph.addPair(extra[2], 3, 2 * rng.nextDouble() - 1);
  graph.addOrOut([extra[3], extra[4], 2]);
  graph.addKnapsack([extra[5], extra[2], 5], [0.5, 1.2, 0.8], 1.1);
  graph.addImply([extra[1], extra[3], extra[5]]);
  graph.addTree([extra[0], extra[1], extra[2], 4], { length: 2 });
  graph.addDense([[extra[0], extra[4]], [extra[1], extra[2], 0]], randomScores(rng, 6));
  graph.addAtMostOne([extra[6], extra[5], 7], [false, rng.nextDouble() < 0.5, false]);
  graph.addOr([extra[7], extra[3], 8], [rng.nextDouble() < 0.5, false, false]);
  graph.addXorOut([extra[6], extra[7], extra[4]]);
  graph.addAndOut([extra[7], extra[1], 9], [false, rng.nextDouble() < 0.5, false]);
  return { graph, n };
}

if (backends.length < 2) {
  t.pass('only the js backend is under test');
} else {
  t.test('solve, mapSolve and backward (with and without gradAdditionals) agree to 1e-9 on random graphs with every factor kind', async (t) => {
    const rng = new Rng(2024);
    let worst = 0;
    let statusMismatch = 0;
    let converged = 0;
    for (let trial = 0; trial < 8; trial++) {
      const { graph, n } = randomBigGraph(rng);
      const eta = randomScores(rng, n, 2);
      const [a, b] = backends.map((backend) => graph.solve(eta, { backend, tol: 1e-8, maxIter: 5000 }));
      if (a.status !== b.status || a.iterations !== b.iterations) statusMismatch++;
      if (a.converged) converged++;
      worst = Math.max(worst, maxAbsDiff(a.u, b.u), Math.abs(a.value - b.value));
      a.additionals.forEach((v, f) => (worst = Math.max(worst, maxAbsDiff(v, b.additionals[f]))));
      const [ma, mb] = backends.map((backend) => graph.mapSolve(eta, { backend, tol: 1e-8, maxIter: 5000 }));
      if (ma.status !== mb.status || ma.iterations !== mb.iterations) statusMismatch++;
      worst = Math.max(worst, maxAbsDiff(ma.u, mb.u), Math.abs(ma.value - mb.value));
      const gu = randomScores(rng, n);
      const gv = randomScores(rng, graph.additionalScores().length);
      // dL/du alone, and with dL/dv on the additional marginals too.
      for (const [ga, gb] of [[a.backward(gu), b.backward(gu)], [a.backward(gu, gv), b.backward(gu, gv)]]) {
        if (ga.status !== gb.status || ga.iterations !== gb.iterations) statusMismatch++;
        worst = Math.max(worst, maxAbsDiff(ga.unary, gb.unary));
        ga.additionals.forEach((v, f) => (worst = Math.max(worst, maxAbsDiff(v, gb.additionals[f]))));
      }
    }
    t.equal(statusMismatch, 0, 'same status and iteration counts');
    t.ok(converged >= 6, `${converged} of 8 solves converged (the comparison is of solutions, not of stalled runs)`);
    t.ok(worst <= 1e-9, `largest difference ${worst}`);
  });

  t.test('OROUT / ANDOUT: the two backends agree to 1e-12 (u, distribution, backward) at every size and face', async (t) => {
    const rng = new Rng(700);
    let worst = 0;
    let labelMismatch = 0;
    let compared = 0;
    for (const n of [2, 3, 50, 700, 10000]) {
      for (const pattern of OR_OUT_PATTERNS) {
        const vars = Array.from({ length: n }, (_, i) => i);
        const negated = vars.map(() => rng.nextDouble() < 0.2);
        const andOut = rng.nextDouble() < 0.3;
        const graph = new FactorGraph(n);
        if (andOut) graph.addAndOut(vars, negated);
        else graph.addOrOut(vars, negated);
        const eta = unaryForLiterals(orOutScores(rng, n, pattern), negated.map((x) => x !== andOut));
        const gu = randomScores(rng, n);
        const [a, b] = backends.map((backend) => graph.solve(eta, { backend }));
        worst = Math.max(worst, maxAbsDiff(a.u, b.u), maxAbsDiff(a.backward(gu).unary, b.backward(gu).unary));
        const [da, db] = [a.distributions[0]!, b.distributions[0]!];
        if (da.supportSize !== db.supportSize || da.length !== db.length) labelMismatch++;
        da.forEach((d, s) => {
          worst = Math.max(worst, Math.abs(d.weight - db[s].weight));
          if (maxAbsDiff(d.label, db[s].label) !== 0) labelMismatch++;
        });
        compared++;
      }
    }
    t.equal(compared, 5 * OR_OUT_PATTERNS.length);
    t.equal(labelMismatch, 0, 'same structures in the same order');
    t.ok(worst <= 1e-12, `largest difference ${worst}`);
  });

  t.test('a 701-variable OROUT sharing variables with a Budget: ADMM converges and the backends agree to 1e-9', async (t) => {
    const rng = new Rng(701);
    const n = 701;
    const graph = new FactorGraph(n);
    graph.addOrOut(Array.from({ length: n }, (_, i) => i));
    graph.addBudget(Array.from({ length: 300 }, (_, i) => 2 * i), 20);
    const eta = orOutScores(rng, n, 'y tied to top inputs');
    const [a, b] = backends.map((backend) => graph.solve(eta, { backend, tol: 1e-8, maxIter: 20000 }));
    t.ok(a.converged && b.converged, `converged in ${a.iterations} and ${b.iterations} iterations`);
    t.equal(a.iterations, b.iterations);
    const gu = randomScores(rng, n);
    t.ok(maxAbsDiff(a.u, b.u) <= 1e-9, `u: ${maxAbsDiff(a.u, b.u)}`);
    t.ok(maxAbsDiff(a.backward(gu).unary, b.backward(gu).unary) <= 1e-9, 'backward');
  });

  t.test('batch wrappers agree, and native results do not depend on the thread count', async (t) => {
    const rng = new Rng(8);
    const rows = 13;
    const cols = 40;
    const scores = { data: Float64Array.from(randomScores(rng, rows * cols, 3)), rows, cols };
    const k1 = kSubsetsExactBatch(scores, 7, { backend: 'native', threads: 1 });
    const k2 = kSubsetsExactBatch(scores, 7, { backend: 'native', threads: 2 });
    const kj = kSubsetsExactBatch(scores, 7, { backend: 'js' });
    t.same(k2.data, k1.data, 'threads');
    t.ok(maxAbsDiff(k1.data, kj.data) <= 1e-12, 'kSubsets js vs native');
    const s1 = sequentialKSubsetsBatch(scores, { k: 6, bonus: 0.7, backend: 'native', threads: 1 });
    const s2 = sequentialKSubsetsBatch(scores, { k: 6, bonus: 0.7, backend: 'native', threads: 2 });
    const sj = sequentialKSubsetsBatch(scores, { k: 6, bonus: 0.7, backend: 'js' });
    t.same(s2.data, s1.data, 'threads');
    t.ok(s1.converged && sj.converged);
    t.ok(maxAbsDiff(s1.data, sj.data) <= 1e-9, `sequential js vs native ${maxAbsDiff(s1.data, sj.data)}`);
    for (const backend of backends) {
      t.same((await kSubsetsExactBatchAsync(scores, 7, { backend })).data, backend === 'js' ? kj.data : k1.data, `${backend} kSubsets async`);
      const sa = await sequentialKSubsetsBatchAsync(scores, { k: 6, bonus: 0.7, backend });
      t.same(sa.data, backend === 'js' ? sj.data : s1.data, `${backend} sequential async`);
    }
  });

  t.test('solveAsync gives the same answer as solve', async (t) => {
    const rng = new Rng(4);
    const { graph, n } = randomBigGraph(rng);
    const eta = randomScores(rng, n, 2);
    for (const backend of backends) {
      const sync = graph.solve(eta, { backend });
      const async = await graph.solveAsync(eta, { backend });
      t.same(async.u, sync.u, backend);
      t.equal(async.status, sync.status);
    }
  });
}

t.test('sequentialKSubsets equals the 2-state SequenceBudget it stands for', async (t) => {
  const rng = new Rng(21);
  let worst = 0;
  let checked = 0;
  for (let trial = 0; trial < 12; trial++) {
    const L = 3 + rng.below(30);
    const k = rng.below(L + 1);
    const bonus = 2 * rng.nextDouble() - 0.5;
    const scores = randomScores(rng, L, 2);
    const g = new FactorGraph(2 * L);
    const transitions = [bonus, 0, 0, 0];
    g.addSequenceBudget(Array.from({ length: 2 * L }, (_, i) => i), { states: 2, transitions, k, exact: true });
    const unary = new Float64Array(2 * L);
    scores.forEach((s, i) => (unary[2 * i] = s));
    for (const backend of backends) {
      const general = g.solve(unary, { backend });
      const fast = sequentialKSubsetsBatch({ data: Float64Array.from(scores), rows: 1, cols: L }, { k, bonus, backend });
      for (let i = 0; i < L; i++) worst = Math.max(worst, Math.abs(fast.data[i] - general.u[2 * i]));
      checked++;
    }
  }
  t.ok(checked > 0);
  t.ok(worst <= 1e-9, `max difference ${worst}`);
});

t.test('solveBatch equals row-by-row solve, on every backend and thread count', async (t) => {
  const rng = new Rng(33);
  const { graph, n } = randomBigGraph(rng);
  const rows = 5;
  const unary = { data: Float64Array.from(randomScores(rng, rows * n, 2)), rows, cols: n };
  for (const backend of backends) {
    const single = Array.from({ length: rows }, (_, r) => graph.solve(unary.data.subarray(r * n, (r + 1) * n), { backend }));
    for (const threads of [1, 2]) {
      const batch = graph.solveBatch(unary, { backend, threads });
      let worst = 0;
      single.forEach((s, r) => {
        worst = Math.max(worst, maxAbsDiff(s.u, batch.u.data.subarray(r * n, (r + 1) * n)));
        let off = 0;
        for (const v of s.additionals) {
          worst = Math.max(worst, maxAbsDiff(v, batch.additionals.data.subarray(r * batch.additionals.cols + off, r * batch.additionals.cols + off + v.length)));
          off += v.length;
        }
        if (s.status !== batch.status[r] || s.iterations !== batch.iterations[r]) worst = Infinity;
      });
      t.equal(worst, 0, `${backend}, ${threads} thread(s): identical to solve`);
    }
    const asyncBatch = await graph.solveBatchAsync(unary, { backend });
    t.same(asyncBatch.u.data, graph.solveBatch(unary, { backend }).u.data, `${backend} async`);
  }
  t.throws(() => graph.solveBatch({ data: new Float64Array(2 * (n + 1)), rows: 2, cols: n + 1 }), { name: 'RangeError', message: /columns/ });
});
