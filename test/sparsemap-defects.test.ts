// The defects SPEC.md section 3 lists for the reference library, each a test we pass (the
// shared-variable case is in sparsemap-brute, the Pair gradient in sparsemap-grad).
import t from 'tap';
import { FactorGraph, Rng } from '../src/index';
import { backendsUnderTest } from './helpers';
import { randomScores, sequenceScoreLength } from './sparsemap-reference';

const backends = backendsUnderTest();

/** Independent Viterbi: the best path score of u.m + b.n in the full additional layout. */
function bestPathScore(u: ArrayLike<number>, b: ArrayLike<number>, L: number, S: number): number {
  let prev = Array.from({ length: S }, (_, s) => u[s] + b[s]);
  for (let t = 1; t < L; t++) {
    const cur: number[] = [];
    for (let s = 0; s < S; s++) {
      let best = -Infinity;
      for (let p = 0; p < S; p++) best = Math.max(best, prev[p] + b[S + (t - 1) * S * S + p * S + s]);
      cur.push(best + u[t * S + s]);
    }
    prev = cur;
  }
  return Math.max(...prev.map((v, s) => v + b[S + (L - 1) * S * S + s]));
}

function pathScore(path: ArrayLike<number>, u: ArrayLike<number>, b: ArrayLike<number>, S: number): number {
  const L = path.length;
  let total = u[path[0]] + b[path[0]];
  for (let t = 1; t < L; t++) total += u[t * S + path[t]] + b[S + (t - 1) * S * S + path[t - 1] * S + path[t]];
  return total + b[S + (L - 1) * S * S + path[L - 1]];
}

t.test('a long Sequence factor is solved to optimality with default settings (certificate by an independent Viterbi)', async (t) => {
  const rng = new Rng(12);
  for (let trial = 0; trial < 3; trial++) {
    const L = 30;
    const S = 5;
    const b = randomScores(rng, sequenceScoreLength(L, S));
    const eta = randomScores(rng, L * S, 2);
    for (const backend of backends) {
      const g = new FactorGraph(L * S);
      g.addSequence(Array.from({ length: L * S }, (_, i) => i), { states: S, transitions: b });
      const r = g.solve(eta, { backend });
      t.equal(r.status, 'converged', `${backend} status`);
      const dist = r.distributions[0]!;
      t.ok(dist.length > 1, `${backend}: support of ${dist.length} structures`);
      // u = sum_s w_s m_s, and no path beats the support on the residual scores (eta - u).m + b.n.
      const fromDist = new Float64Array(L * S);
      for (const d of dist) d.label.forEach((s, pos) => (fromDist[pos * S + s] += d.weight));
      let consistency = 0;
      fromDist.forEach((x, i) => (consistency = Math.max(consistency, Math.abs(x - r.u[i]))));
      const residual = eta.map((e, i) => e - r.u[i]);
      const supportScore = dist.reduce((s, d) => s + d.weight * pathScore(d.label, residual, b, S), 0);
      const gap = bestPathScore(residual, b, L, S) - supportScore;
      t.ok(consistency <= 1e-9, `${backend}: u matches the distribution (${consistency})`);
      t.ok(gap <= 1e-9, `${backend}: optimality gap ${gap}`);
    }
  }
});

t.test('a solve stopped by an iteration cap says so', async (t) => {
  const rng = new Rng(13);
  const L = 30;
  const S = 5;
  const b = randomScores(rng, sequenceScoreLength(L, S));
  const eta = randomScores(rng, L * S, 2);
  for (const backend of backends) {
    const g = new FactorGraph(L * S);
    g.addSequence(Array.from({ length: L * S }, (_, i) => i), { states: S, transitions: b });
    const capped = g.solve(eta, { backend, maxActiveSetIter: 10 });
    t.equal(capped.status, 'active-set-max-iterations', `${backend}: active-set cap reported`);
    t.notOk(capped.converged);
    const g2 = new FactorGraph(4);
    g2.addXor([0, 1, 2]);
    g2.addBudget([1, 2, 3], 2, { exact: true });
    g2.addPair(0, 3, 1.5);
    const r = g2.solve([0.5, 0.2, 0.9, -0.1], { backend, maxIter: 3 });
    t.equal(r.status, 'max-iterations', `${backend}: ADMM cap reported`);
    t.equal(r.iterations, 3);
    t.ok(r.primalResidual > 1e-6 || r.dualResidual > 1e-6, 'residuals above tol');
  }
});

t.test('SequenceBudget start and end transition marginals are accumulated', async (t) => {
  const rng = new Rng(14);
  const L = 6;
  const S = 3;
  for (const backend of backends) {
    const g = new FactorGraph(L * S);
    g.addSequenceBudget(Array.from({ length: L * S }, (_, i) => i), { states: S, transitions: randomScores(rng, S * S), k: 2, exact: true });
    const r = g.solve(randomScores(rng, L * S, 1), { backend });
    const v = r.additionals[0];
    let worst = 0;
    let mass = 0;
    for (let s = 0; s < S; s++) {
      worst = Math.max(worst, Math.abs(v[s] - r.u[s]), Math.abs(v[S + (L - 1) * S * S + s] - r.u[(L - 1) * S + s]));
      mass += v[s];
    }
    t.ok(Math.abs(mass - 1) < 1e-9, `${backend}: start marginals sum to 1`);
    t.ok(worst < 1e-9, `${backend}: start/end marginals equal the first/last position marginals`);
    // Exactly k = 2 uses of state 0.
    let zeros = 0;
    for (let pos = 0; pos < L; pos++) zeros += r.u[pos * S];
    t.ok(Math.abs(zeros - 2) < 1e-9, 'budget met');
  }
});

t.test('reported supports carry no rounding-noise weights and sum to 1', async (t) => {
  const rng = new Rng(15);
  let worst = 0;
  let smallest = Infinity;
  for (let trial = 0; trial < 20; trial++) {
    const L = 8;
    const S = 3;
    const g = new FactorGraph(L * S + 2);
    g.addSequence(Array.from({ length: L * S }, (_, i) => i), { states: S, transitions: randomScores(rng, S * S) });
    g.addXor([0, L * S, L * S + 1]);
    for (const backend of backends) {
      const r = g.solve(randomScores(rng, L * S + 2, 1.5), { backend, tol: 1e-9, maxIter: 20000 });
      const dist = r.distributions[0]!;
      worst = Math.max(worst, Math.abs(dist.reduce((s, d) => s + d.weight, 0) - 1));
      for (const d of dist) smallest = Math.min(smallest, d.weight);
    }
  }
  t.ok(smallest > 1e-10, `smallest reported weight ${smallest}`);
  t.ok(worst < 1e-8, `weights sum to 1 within ${worst}`);
});
