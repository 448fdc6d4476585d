// LP-SparseMAP against the independent reference (enumerated vertices, interior point + polish):
// single factors to 1e-9 (solved exactly without ADMM), graphs with shared variables to 1e-6.
import t from 'tap';
import { Rng, SolveResult } from '../src/index';
import { backendsUnderTest } from './helpers';
import { bestOrOutScore, dot, residualScores } from './sparsemap-certificates';
import {
  buildGraph, exactProjection, FactorDesc, OR_OUT_PATTERNS, orOutFace, orOutScores, OrOutPattern, randomScores, referenceSolve,
  sequenceScoreLength, unaryForLiterals, vertices,
} from './sparsemap-reference';

const backends = backendsUnderTest();

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

function shuffled(rng: Rng, a: number[]): number[] {
  const out = a.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A random single factor covering variables 0..n-1 in a random order. */
function randomSingleFactor(rng: Rng, kind: string): { n: number; factor: FactorDesc } {
  const n = 2 + rng.below(4);
  const vars = shuffled(rng, range(n));
  const negated = vars.map(() => rng.nextDouble() < 0.3);
  switch (kind) {
    case 'budget': return { n, factor: { type: 'budget', vars, k: rng.below(n + 1), exact: rng.nextDouble() < 0.5, negated } };
    case 'knapsack': {
      const costs = vars.map(() => 0.2 + 1.5 * rng.nextDouble());
      return { n, factor: { type: 'knapsack', vars, costs, budget: 0.3 + 2 * rng.nextDouble(), negated } };
    }
    case 'pair': return { n: 2, factor: { type: 'pair', vars: shuffled(rng, [0, 1]) as [number, number], score: 3 * (2 * rng.nextDouble() - 1) } };
    case 'sequence': case 'sequenceBudget': {
      const S = 1 + rng.below(3);
      const L = S === 1 ? 3 : S === 2 ? 2 + rng.below(3) : 2 + rng.below(2);
      const seqVars = shuffled(rng, range(L * S));
      const scores = randomScores(rng, sequenceScoreLength(L, S));
      if (kind === 'sequence') return { n: L * S, factor: { type: 'sequence', vars: seqVars, states: S, scores } };
      const exact = S > 1 && rng.nextDouble() < 0.5;
      const k = S === 1 ? L : rng.below(L + 1);
      return { n: L * S, factor: { type: 'sequenceBudget', vars: seqVars, states: S, scores, k, exact } };
    }
    case 'tree': {
      const length = 2 + rng.below(2);
      return { n: length * length, factor: { type: 'tree', vars: shuffled(rng, range(length * length)), length } };
    }
    case 'dense': {
      const sizes = Array.from({ length: 1 + rng.below(3) }, () => 1 + rng.below(3));
      const total = sizes.reduce((a, b) => a + b, 0);
      const order = shuffled(rng, range(total));
      let at = 0;
      const groups = sizes.map((size) => order.slice(at, (at += size)));
      const scores = randomScores(rng, sizes.reduce((a, b) => a * b, 1), 1.5);
      return { n: total, factor: { type: 'dense', vars: groups.flat(), groups, scores } };
    }
    default: return { n, factor: { type: kind as 'xor', vars, negated } };
  }
}

const SINGLE_KINDS = ['xor', 'atMostOne', 'or', 'imply', 'xorOut', 'orOut', 'andOut', 'budget', 'knapsack', 'pair', 'sequence', 'sequenceBudget', 'dense', 'tree'];

for (const kind of SINGLE_KINDS) {
  t.test(`single ${kind} factor: optimum to 1e-9, on both backends`, async (t) => {
    const rng = new Rng(11 + SINGLE_KINDS.indexOf(kind));
    let worstU = 0;
    let worstValue = 0;
    let notConverged = 0;
    let withNegated = 0;
    for (let trial = 0; trial < 25; trial++) {
      const { n, factor } = randomSingleFactor(rng, kind);
      if ('negated' in factor && factor.negated?.some((x) => x)) withNegated++;
      const eta = randomScores(rng, n, 1.5);
      const ref = referenceSolve(n, [factor], eta);
      for (const backend of backends) {
        const r = buildGraph(n, [factor]).solve(eta, { backend });
        if (!r.converged) notConverged++;
        worstU = Math.max(worstU, maxDiff(r.u, ref.u));
        worstValue = Math.max(worstValue, Math.abs(r.value - ref.value));
      }
    }
    t.equal(notConverged, 0, 'every solve converged');
    t.ok(worstU <= 1e-9, `max |u - u_ref| = ${worstU}`);
    t.ok(worstValue <= 1e-9, `max |value - value_ref| = ${worstValue}`);
    if ('negated' in randomSingleFactor(new Rng(0), kind).factor) t.ok(withNegated >= 8, `${withNegated} of 25 factors have negated variables`);
  });
}

/**
 * A random OROUT or ANDOUT factor on all n variables (in a random order), what it sees (flip[i]:
 * it sees 1 - u_i), and unary scores giving it the literal scores of `pattern`.
 */
function randomOrOut(rng: Rng, n: number, kind: 'orOut' | 'andOut', pattern: OrOutPattern): { factor: FactorDesc; flip: boolean[]; eta: number[] } {
  const vars = shuffled(rng, range(n));
  const negated = vars.map(() => rng.nextDouble() < 0.3);
  const flip = new Array<boolean>(n);
  vars.forEach((v, j) => (flip[v] = negated[j] !== (kind === 'andOut')));
  const s = orOutScores(rng, n, pattern);
  const literals = new Array<number>(n);
  vars.forEach((v, j) => (literals[v] = s[j]));
  return { factor: { type: kind, vars, negated }, flip, eta: unaryForLiterals(literals, flip) };
}

/**
 * How far an OROUT / ANDOUT distribution is from a decomposition of u into vertices: the largest of
 * |sum of weights - 1| and |mean of the labels - u| (over the listed part when truncated: then the
 * listed weights must sum to at most 1 and the mean may fall short of u), and 1 for a label that is
 * not a vertex (in literals, the output is on exactly when some input is on).
 */
function distributionError(r: SolveResult, factor: FactorDesc, flip: boolean[]): number {
  const dist = r.distributions[0]!;
  const n = factor.vars.length;
  let error = 0;
  let total = 0;
  const mean = new Float64Array(n);
  for (const d of dist) {
    total += d.weight;
    const literal = (j: number) => (flip[factor.vars[j]] ? 1 - d.label[j] : d.label[j]);
    let anyInput = 0;
    for (let j = 0; j < n - 1; j++) anyInput = Math.max(anyInput, literal(j));
    if (!(d.weight > 0) || d.label.some((l) => l !== 0 && l !== 1) || literal(n - 1) !== anyInput) error = 1;
    d.label.forEach((l, j) => (mean[j] += d.weight * l));
  }
  if (dist.truncated) return Math.max(error, total > 1 + 1e-12 ? 1 : 0, factor.vars.some((v, j) => mean[j] > r.u[v] + 1e-12) ? 1 : 0);
  factor.vars.forEach((v, j) => (error = Math.max(error, Math.abs(mean[j] - r.u[v]))));
  return Math.max(error, Math.abs(total - 1));
}

t.test('OROUT and ANDOUT: exact projection against brute force with ties and scores outside [0, 1]; the distribution is a decomposition into vertices', async (t) => {
  const rng = new Rng(401);
  let worstU = 0;
  let worstDistribution = 0;
  let notConverged = 0;
  const faces = new Map<string, number>();
  const patterns = OR_OUT_PATTERNS.filter((p) => p !== 'y tied to top inputs');
  for (let trial = 0; trial < 12 * patterns.length; trial++) {
    const pattern: OrOutPattern = patterns[trial % patterns.length];
    const n = 2 + rng.below(4);
    const { factor, flip, eta } = randomOrOut(rng, n, trial % 3 === 2 ? 'andOut' : 'orOut', pattern);
    // The projection of eta onto the hull of the enumerated vertices, in the factor's variable order.
    const exact = exactProjection(factor.vars.map((v) => eta[v]), vertices(factor).map((v) => v.m));
    for (const backend of backends) {
      const r = buildGraph(n, [factor]).solve(eta, { backend });
      if (!r.converged) notConverged++;
      worstU = Math.max(worstU, maxDiff(factor.vars.map((v) => r.u[v]), exact));
      worstDistribution = Math.max(worstDistribution, distributionError(r, factor, flip));
      const face = orOutFace(factor.vars.map((v) => (flip[v] ? 1 - r.u[v] : r.u[v])), 1e-9);
      faces.set(face, (faces.get(face) ?? 0) + 1);
    }
  }
  t.equal(notConverged, 0, 'every solve converged');
  t.ok(worstU <= 1e-9, `max |u - u_exact| = ${worstU}`);
  t.ok(worstDistribution <= 1e-12, `distribution: weights sum to 1, average to u, labels are vertices (worst ${worstDistribution})`);
  for (const face of ['y < sum x', 'y = sum x < 1', 'y = sum x = 1']) t.ok((faces.get(face) ?? 0) >= 10, `${faces.get(face) ?? 0} solutions with ${face}`);
});

t.test('OROUT at n = 700 and 10 000: the Frank-Wolfe gap (KKT) vanishes on every face (solve times printed)', async (t) => {
  const rng = new Rng(402);
  for (const n of [700, 10000]) {
    for (const pattern of ['y tied to top inputs', 'y = sum x', 'y = sum x = 1'] as const) {
      const kind = pattern === 'y = sum x' ? 'andOut' : 'orOut';
      const { factor, flip, eta } = randomOrOut(rng, n, kind, pattern);
      const graph = buildGraph(n, [factor]);
      for (const backend of backends) {
        const start = process.hrtime.bigint();
        const r = graph.solve(eta, { backend });
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const literals = factor.vars.map((v) => (flip[v] ? 1 - r.u[v] : r.u[v]));
        const y = literals[n - 1];
        let sum = 0;
        let outside = 0;
        for (let j = 0; j < n - 1; j++) {
          sum += literals[j];
          // 1 - (1 - x) rounds: negated entries tied to y may exceed it by an ulp.
          if (!(literals[j] >= 0 && literals[j] <= y + 1e-15)) outside++;
        }
        if (!(y <= 1 && y <= sum + 1e-12 * n)) outside++;
        // For the concave objective, max over vertices v of <eta - u, v - u> bounds how far the
        // value is below the optimum, and it is 0 exactly at the projection (the normal-cone condition).
        const grad = residualScores(eta, r.u);
        const inFactorOrder = factor.vars.map((v) => grad[v]);
        const gap = bestOrOutScore(inFactorOrder, factor.vars.map((v) => flip[v])) - dot(grad, r.u);
        const dist = r.distributions[0]!;
        const label = `n = ${n}, ${pattern} (${kind}, ${backend})`;
        t.equal(outside, 0, `${label}: feasible`);
        t.ok(gap <= 1e-12 * n, `${label}: gap ${gap.toExponential(2)}`);
        t.equal(orOutFace(literals, 1e-9), pattern === 'y tied to top inputs' ? 'y < sum x' : pattern === 'y = sum x' ? 'y = sum x < 1' : 'y = sum x = 1', `${label}: face`);
        if (dist.truncated) t.ok(dist.length === 1024 && dist.supportSize > 1024, `${label}: ${dist.supportSize} structures, 1024 listed`);
        t.ok(dist.supportSize <= n + 1, `${label}: at most n + 1 structures`);
        t.ok(distributionError(r, factor, flip) <= 1e-12, `${label}: distribution of vertices${dist.truncated ? ' (listed part)' : ' averaging to u'}`);
        t.comment(`${label}: ${ms.toFixed(1)} ms, ${dist.supportSize} structures`);
      }
    }
  }
});

t.test('active-set factors: additionals and the distribution are consistent with u and optimal', async (t) => {
  const rng = new Rng(5);
  let worst = 0;
  for (let trial = 0; trial < 20; trial++) {
    const S = 2 + rng.below(2);
    const L = 3;
    const factor: FactorDesc = { type: 'sequence', vars: range(L * S), states: S, scores: randomScores(rng, sequenceScoreLength(L, S)) };
    const eta = randomScores(rng, L * S, 1.5);
    const ref = referenceSolve(L * S, [factor], eta);
    for (const backend of backends) {
      const r = buildGraph(L * S, [factor]).solve(eta, { backend });
      const dist = r.distributions[0]!;
      const total = dist.reduce((s, d) => s + d.weight, 0);
      const fromDist = new Array<number>(L * S).fill(0);
      for (const d of dist) d.label.forEach((s, pos) => (fromDist[pos * S + s] += d.weight));
      worst = Math.max(worst, Math.abs(total - 1), maxDiff(fromDist, r.u), Math.abs(r.value - ref.value));
      // start marginals equal the first position's marginals, end marginals the last's.
      worst = Math.max(worst, maxDiff(r.additionals[0].subarray(0, S), r.u.subarray(0, S)));
      const endOff = S + (L - 1) * S * S;
      worst = Math.max(worst, maxDiff(r.additionals[0].subarray(endOff, endOff + S), r.u.subarray((L - 1) * S, L * S)));
    }
  }
  t.ok(worst <= 1e-9, `largest inconsistency ${worst}`);
});

/** Random graphs whose factors share variables (every variable is covered). */
function randomGraph(rng: Rng): { n: number; factors: FactorDesc[] } {
  const n = 4 + rng.below(3);
  const factors: FactorDesc[] = [];
  const covered = new Set<number>();
  const count = 2 + rng.below(3);
  for (let f = 0; f < count || covered.size < n; f++) {
    const size = 2 + rng.below(Math.min(3, n - 1));
    let vars = shuffled(rng, range(n)).slice(0, size);
    const uncovered = range(n).filter((i) => !covered.has(i));
    if (f >= count && uncovered.length > 0) vars = [uncovered[0], ...vars.filter((v) => v !== uncovered[0])].slice(0, size);
    vars.forEach((v) => covered.add(v));
    const kind = ['xor', 'atMostOne', 'or', 'budget', 'pair', 'knapsack', 'imply', 'orOut', 'andOut', 'xorOut'][rng.below(10)];
    if (kind === 'pair') factors.push({ type: 'pair', vars: [vars[0], vars[1]], score: 2 * (2 * rng.nextDouble() - 1) });
    else if (kind === 'budget') factors.push({ type: 'budget', vars, k: 1 + rng.below(vars.length - 1), exact: rng.nextDouble() < 0.3, negated: vars.map(() => rng.nextDouble() < 0.25) });
    else if (kind === 'knapsack') factors.push({ type: 'knapsack', vars, costs: vars.map(() => 0.5 + rng.nextDouble()), budget: 1 + rng.nextDouble(), negated: vars.map(() => rng.nextDouble() < 0.25) });
    else factors.push({ type: kind as 'xor', vars, negated: vars.map(() => rng.nextDouble() < 0.25) });
  }
  return { n, factors };
}

t.test('graphs with shared variables: ADMM optimum to 1e-6, on both backends', async (t) => {
  const rng = new Rng(77);
  let worstU = 0;
  let worstValue = 0;
  let notConverged = 0;
  let feasible = 0;
  let infeasibleClaimedConverged = 0;
  let outOfBox = 0;
  for (let trial = 0; trial < 40; trial++) {
    const { n, factors } = randomGraph(rng);
    const eta = randomScores(rng, n, 1.5);
    const ref = referenceSolve(n, factors, eta);
    if (!ref.feasible) {
      // An empty local polytope: the solver must not claim convergence.
      for (const backend of backends) if (buildGraph(n, factors).solve(eta, { backend, maxIter: 500 }).converged) infeasibleClaimedConverged++;
      continue;
    }
    feasible++;
    for (const backend of backends) {
      const r = buildGraph(n, factors).solve(eta, { backend, tol: 1e-9, maxIter: 20000 });
      if (!r.converged) notConverged++;
      worstU = Math.max(worstU, maxDiff(r.u, ref.u));
      worstValue = Math.max(worstValue, Math.abs(r.value - ref.value));
      // Loosely solved too: the reported u stays in the box [0, 1].
      const loose = buildGraph(n, factors).solve(eta, { backend, tol: 1e-2 });
      outOfBox += Array.from(loose.u).filter((x) => !(x >= 0 && x <= 1)).length;
    }
  }
  t.ok(feasible >= 20, `${feasible} feasible graphs`);
  t.equal(outOfBox, 0, 'u in [0, 1] even when stopped early');
  t.equal(infeasibleClaimedConverged, 0, 'no convergence claimed on an empty polytope');
  t.equal(notConverged, 0, 'every solve converged');
  t.ok(worstU <= 1e-6, `max |u - u_ref| = ${worstU}`);
  t.ok(worstValue <= 1e-6, `max |value - value_ref| = ${worstValue}`);
});

t.test('active-set factors sharing variables with other factors reach the optimum (reference defect)', async (t) => {
  const rng = new Rng(91);
  let worstU = 0;
  let feasible = 0;
  let notConverged = 0;
  for (let trial = 0; trial < 12; trial++) {
    const S = 2;
    const L = 3;
    const n = L * S;
    const seq: FactorDesc = trial % 2 === 0
      ? { type: 'sequence', vars: range(n), states: S, scores: randomScores(rng, sequenceScoreLength(L, S)) }
      : { type: 'sequenceBudget', vars: range(n), states: S, scores: randomScores(rng, sequenceScoreLength(L, S)), k: 1 + rng.below(2), exact: trial % 4 === 1 };
    const factors: FactorDesc[] = [
      seq,
      { type: 'budget', vars: [0, 2, 4], k: 1, exact: false },
      { type: 'pair', vars: [1, 3], score: 2 * rng.nextDouble() - 1 },
      { type: 'orOut', vars: [0, 5, 3] },
      { type: 'dense', vars: [1, 2, 5], groups: [[1, 2], [5]], scores: randomScores(rng, 2) },
    ];
    const eta = randomScores(rng, n, 1.5);
    const ref = referenceSolve(n, factors, eta);
    if (!ref.feasible) continue;
    feasible++;
    for (const backend of backends) {
      const r = buildGraph(n, factors).solve(eta, { backend, tol: 1e-9, maxIter: 20000 });
      if (!r.converged) notConverged++;
      worstU = Math.max(worstU, maxDiff(r.u, ref.u));
    }
  }
  t.ok(feasible >= 8, `${feasible} feasible graphs`);
  t.equal(notConverged, 0);
  t.ok(worstU <= 1e-6, `max |u - u_ref| = ${worstU}`);
});

t.test('a Tree factor sharing variables with a Budget and a Pair reaches the optimum', async (t) => {
  const rng = new Rng(92);
  let worstU = 0;
  let notConverged = 0;
  for (let trial = 0; trial < 8; trial++) {
    const factors: FactorDesc[] = [
      { type: 'tree', vars: [0, 1, 2, 3, 4, 5, 6, 7, 8], length: 3 },
      { type: 'budget', vars: [0, 3, 6], k: 1, exact: false },
      { type: 'pair', vars: [1, 5], score: 2 * rng.nextDouble() - 1 },
    ];
    const eta = randomScores(rng, 9, 1.5);
    const ref = referenceSolve(9, factors, eta);
    for (const backend of backends) {
      const r = buildGraph(9, factors).solve(eta, { backend, tol: 1e-9, maxIter: 20000 });
      if (!r.converged) notConverged++;
      worstU = Math.max(worstU, maxDiff(r.u, ref.u));
    }
  }
  t.equal(notConverged, 0);
  t.ok(worstU <= 1e-6, `max |u - u_ref| = ${worstU}`);
});

t.test('a graph in which every variable has degree 1 is solved exactly, factor by factor', async (t) => {
  const rng = new Rng(3);
  const factors: FactorDesc[] = [
    { type: 'budget', vars: [4, 0, 2], k: 2, exact: true },
    { type: 'xor', vars: [1, 5] },
    { type: 'sequence', vars: [3, 6, 7, 8], states: 2, scores: randomScores(rng, sequenceScoreLength(2, 2)) },
  ];
  const eta = randomScores(rng, 9, 1.5);
  const ref = referenceSolve(9, factors, eta);
  for (const backend of backends) {
    const r = buildGraph(9, factors).solve(eta, { backend });
    t.equal(r.status, 'converged');
    t.equal(r.iterations, 1, 'no ADMM iterations');
    t.ok(maxDiff(r.u, ref.u) <= 1e-9, `${backend}: ${maxDiff(r.u, ref.u)}`);
  }
});

t.test('variables in no factor are clipped to [0, 1]', async (t) => {
  for (const backend of backends) {
    const g = buildGraph(4, [{ type: 'xor', vars: [0, 1] }]);
    const r = g.solve([0.3, 0.1, 1.7, -0.4], { backend });
    t.same(Array.from(r.u.subarray(2)), [1, 0]);
  }
});

t.test('mapSolve (LP-MAP): the value of the linear relaxation over the local polytope', async (t) => {
  const rng = new Rng(55);
  let worst = 0;
  let checked = 0;
  let notConverged = 0;
  for (let trial = 0; trial < 25; trial++) {
    const { n, factors } = randomGraph(rng);
    const eta = randomScores(rng, n, 1.5);
    const ref = referenceSolve(n, factors, eta, undefined, true);
    if (!ref.feasible) continue;
    checked++;
    for (const backend of backends) {
      const r = buildGraph(n, factors).mapSolve(eta, { backend, tol: 1e-9, maxIter: 50000 });
      if (!r.converged) notConverged++;
      worst = Math.max(worst, Math.abs(r.value - ref.value));
    }
  }
  t.ok(checked >= 15, `${checked} feasible graphs`);
  t.equal(notConverged, 0);
  t.ok(worst <= 1e-5, `max |value - value_ref| = ${worst}`);
});

t.test('mapSolve of a single Budget factor picks the top k', async (t) => {
  for (const backend of backends) {
    const g = buildGraph(5, [{ type: 'budget', vars: [0, 1, 2, 3, 4], k: 2, exact: true }]);
    const r = g.mapSolve([0.3, -0.2, 0.9, 0.5, 0.1], { backend, tol: 1e-9, maxIter: 50000 });
    t.equal(r.status, 'converged');
    t.ok(Math.abs(r.value - 1.4) < 1e-6, `${backend}: value ${r.value}`);
    t.ok(Math.abs(r.u[2] - 1) < 1e-6 && Math.abs(r.u[3] - 1) < 1e-6, 'picks 2 and 3');
  }
});
