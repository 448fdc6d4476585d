// The defects SPEC.md section 3 lists for the reference library, each a test we pass (the
// shared-variable case is in sparsemap-brute, the Pair gradient in sparsemap-grad).
import t from 'tap';
import { FactorGraph, Rng } from '../src/index';
import type { BackendName } from '../src/index';
import { backendsUnderTest } from './helpers';
import { ActiveSetQP, SequenceOracle } from '../src/js/sparsemap/activeSet';
import { bestPathScore, certifySequence, dot, residualScores } from './sparsemap-certificates';
import { randomScores, sequenceScoreLength } from './sparsemap-reference';

const backends = backendsUnderTest();

/** One-hot unary vector of a state path (position-major, vars[t * S + s]). */
function onehot(label: ArrayLike<number>, S: number): number[] {
  const m = new Array<number>(label.length * S).fill(0);
  for (let pos = 0; pos < label.length; pos++) m[pos * S + label[pos]] = 1;
  return m;
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
      const { consistency, gap } = certifySequence(dist, r.u, eta, b, L, S);
      t.ok(consistency <= 1e-9, `${backend}: u matches the distribution (${consistency})`);
      t.ok(gap <= 1e-9, `${backend}: optimality gap ${gap}`);
    }
  }
});

t.test('a long SequenceBudget factor is solved to optimality with default settings (certificate by an independent (state, count) Viterbi)', async (t) => {
  const rng = new Rng(16);
  for (let trial = 0; trial < 4; trial++) {
    const L = 30 + 4 * trial;
    const S = 3 + (trial % 2);
    const k = Math.round(L / (S + 1)) + trial;
    const exact = trial % 2 === 0;
    const b = randomScores(rng, sequenceScoreLength(L, S));
    // State 0 scores raised so that the unconstrained optimum uses it more than k times: the budget binds.
    const eta = randomScores(rng, L * S, 2).map((e, i) => (i % S === 0 ? e + 1 : e));
    const vars = Array.from({ length: L * S }, (_, i) => i);
    const free = new FactorGraph(L * S);
    free.addSequence(vars, { states: S, transitions: b });
    let unconstrainedUses = 0;
    free.solve(eta, { backend: backends[0] }).u.forEach((x, i) => (unconstrainedUses += i % S === 0 ? x : 0));
    t.ok(unconstrainedUses > k + 0.5, `without the budget state 0 is used ${unconstrainedUses.toFixed(2)} > k = ${k} times`);
    for (const backend of backends) {
      const g = new FactorGraph(L * S);
      g.addSequenceBudget(vars, { states: S, transitions: b, k, exact });
      const r = g.solve(eta, { backend });
      const name = `${backend} L=${L} S=${S} k=${k} ${exact ? 'exact' : 'at most'}`;
      t.equal(r.status, 'converged', `${name}: status`);
      const dist = r.distributions[0]!;
      t.ok(dist.length > 1, `${name}: support of ${dist.length} structures`);
      const overBudget = dist.filter((d) => {
        const uses = Array.from(d.label).filter((s) => s === 0).length;
        return exact ? uses !== k : uses > k;
      });
      t.equal(overBudget.length, 0, `${name}: every structure in the support meets the budget`);
      const { consistency, gap } = certifySequence(dist, r.u, eta, b, L, S, { k, exact });
      t.ok(consistency <= 1e-9, `${name}: u matches the distribution (${consistency})`);
      t.ok(gap <= 1e-9, `${name}: optimality gap against the budgeted Viterbi ${gap}`);
      // The plain Viterbi beats the support: the certificate above depends on the budget.
      const residual = residualScores(eta, r.u);
      t.ok(bestPathScore(residual, b, L, S) > bestPathScore(residual, b, L, S, { k, exact }) + 1e-6, `${name}: the budget is active`);
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

/** The orthogonal projection of g onto span(vectors) (modified Gram-Schmidt, twice, dropping dependent vectors). */
function projectOntoSpan(g: number[], vectors: number[][]): number[] {
  const basis: number[][] = [];
  for (const v of vectors) {
    const w = v.slice();
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = dot(q, w);
        for (let i = 0; i < w.length; i++) w[i] -= c * q[i];
      }
    }
    const norm = Math.sqrt(dot(w, w));
    if (norm > 1e-9) basis.push(w.map((x) => x / norm));
  }
  const out = new Array<number>(g.length).fill(0);
  for (const q of basis) {
    const c = dot(q, g);
    for (let i = 0; i < g.length; i++) out[i] += c * q[i];
  }
  return out;
}

// A structure whose weight is 1e-14..1e-11 sits a hair from a kink of u(eta): moving eta on by
// more than that drops it from the support, moving back raises its weight. Such weights are
// rounding-level, not support: the reported distribution and the backward pass leave them out, so
// the backward is the derivative on the side where the structure has left. With exact comparisons
// (weight > 0) the structure would be reported and the backward would be the other side's derivative.
// Central differences across the kink average the two sides, so each side gets its own central
// difference (at t* + 1.5h and t* - 1.5h, step h, both clear of the kink at t* + ~1e-12).
t.test('near-zero structure weights (1e-14..1e-11) are left out of the support and the backward: one-sided derivatives, consistency', async (t) => {
  const rng = new Rng(21);
  const key = (label: ArrayLike<number>) => Array.from(label).join(',');
  let valid = 0, rawTiny = 0, tried = 0, wrongSupport = 0;
  let worstConsistency = 0, worstProjection = 0, worstLeft = 0, smallestGapToOtherSide = Infinity;
  while (valid < 10 && tried < 200) {
    tried++;
    const L = 4 + rng.below(3), S = 3, n = L * S, nAdd = sequenceScoreLength(L, S);
    const b = randomScores(rng, nAdd, 0.5), eta = randomScores(rng, n, 1.5);
    const delta = [1e-14, 1e-12, 1e-11][tried % 3];
    const g = new FactorGraph(n);
    g.addSequence(Array.from({ length: n }, (_, i) => i), { states: S, transitions: b });
    const d = Array.from({ length: n }, () => rng.normal());
    const gu = Array.from({ length: n }, () => rng.normal());
    // Drive the lightest structure T of a generic solution down to weight delta along d (weights are affine in eta on a face).
    const dist0 = g.solve(eta, { backend: 'js' }).distributions[0]!;
    if (dist0.length < 3) continue;
    const T = dist0.reduce((a, x) => (x.weight < a.weight ? x : a));
    const step = 1e-5;
    const dist1 = g.solve(eta.map((x, i) => x + step * d[i]), { backend: 'js' }).distributions[0]!;
    const T1 = dist1.find((x) => key(x.label) === key(T.label));
    if (!T1 || dist1.length !== dist0.length) continue;
    const slope = (T1.weight - T.weight) / step;
    if (Math.abs(slope) < 1e-2) continue;
    const dir = slope > 0 ? d.map((x) => -x) : d;
    const tStar = (T.weight - delta) / Math.abs(slope);
    const at = (s: number) => eta.map((x, i) => x + (tStar + s) * dir[i]);
    // Keep the trial only if T is the only change: the face is F0 = dist0 without T just beyond t*, and
    // dist0 just before it (there T's weight is ~1e-6, far from any tolerance).
    const h = 1e-6;
    const labels = (s: number, backend: BackendName) => new Set(g.solve(at(s), { backend }).distributions[0]!.map((x) => key(x.label)));
    const f0 = new Set(dist0.filter((x) => x !== T).map((x) => key(x.label)));
    const f1 = new Set(dist0.map((x) => key(x.label)));
    const same = (a: Set<string>, c: Set<string>) => a.size === c.size && [...a].every((x) => c.has(x));
    if (!same(labels(h, 'js'), f0) || !same(labels(2 * h, 'js'), f0) || !same(labels(-h, 'js'), f1) || !same(labels(-2 * h, 'js'), f1)) continue;
    valid++;
    // The raw active set really holds T at a tiny weight (the pure TypeScript QP, as solve runs it for one factor).
    const qp = new ActiveSetQP(new SequenceOracle(L, S));
    qp.solve(Float64Array.from(at(0)), 0, Float64Array.from(b), 0, 1000, new Float64Array(n), 0, new Float64Array(nAdd), 0);
    const raw = qp.structures.findIndex((x) => key(x.label) === key(T.label));
    if (raw >= 0 && qp.weights[raw] > 0 && qp.weights[raw] <= 1e-10) rawTiny++;
    for (const backend of backends) {
      const r = g.solve(at(0), { backend });
      const dist = r.distributions[0]!;
      if (!same(labels(0, backend), f0)) wrongSupport++;
      const { consistency } = certifySequence(dist, r.u, at(0), b, L, S);
      worstConsistency = Math.max(worstConsistency, consistency);
      const back = Array.from(r.backward(gu).unary);
      // On a face, du/deta is the orthogonal projection onto the span of its structures' differences.
      const ms = dist.map((x) => onehot(x.label, S));
      const projected = projectOntoSpan(gu, ms.slice(1).map((m) => m.map((x, i) => x - ms[0][i])));
      worstProjection = Math.max(worstProjection, ...projected.map((x, i) => Math.abs(x - back[i])));
      const loss = (s: number) => dot(gu, g.solve(at(s), { backend }).u);
      const after = (loss(2 * h) - loss(h)) / h;
      const before = (loss(-h) - loss(-2 * h)) / h;
      const jd = dot(back, dir);
      worstLeft = Math.max(worstLeft, Math.abs(jd - after) / Math.max(1, Math.abs(jd)));
      smallestGapToOtherSide = Math.min(smallestGapToOtherSide, Math.abs(jd - before));
    }
  }
  t.ok(valid >= 8, `${valid} problems with a structure at weight 1e-14..1e-11 (of ${tried} tried)`);
  t.ok(rawTiny >= 3, `${rawTiny} of them hold it in the raw active set with weight in (0, 1e-10]`);
  t.equal(wrongSupport, 0, 'the reported support at t* leaves the near-zero structure out');
  t.ok(worstConsistency <= 1e-9, `reported weights sum to 1 and reproduce u (${worstConsistency})`);
  t.ok(worstProjection <= 1e-9, `backward = projection onto the reported face (${worstProjection})`);
  t.ok(worstLeft <= 1e-7, `backward = the derivative on the side where the structure has left (${worstLeft})`);
  t.ok(smallestGapToOtherSide > 1e-4, `and not the other side's (which keeps it): they differ by >= ${smallestGapToOtherSide}`);
});

// A Dense factor over two categorical variables of a and b states with zero configuration scores
// and interior marginals: its solution is a coupling of the two marginals, which for generic
// marginals has a + b - 1 configurations in its support (a vertex of the transportation polytope).
t.test('a distribution over more than 1024 structures is reported as truncated, not silently cut', async (t) => {
  const rng = new Rng(17);
  for (const [a, b] of [[100, 6], [1020, 6]] as const) {
    const g = new FactorGraph(a + b);
    g.addDense([Array.from({ length: a }, (_, i) => i), Array.from({ length: b }, (_, i) => a + i)], new Float64Array(a * b));
    const eta = [...Array.from({ length: a }, () => (1 + 0.5 * (2 * rng.nextDouble() - 1)) / a), ...Array.from({ length: b }, () => (1 + 0.5 * (2 * rng.nextDouble() - 1)) / b)];
    for (const backend of backends) {
      const r = g.solve(eta, { backend, maxActiveSetIter: 3000 });
      const dist = r.distributions[0]!;
      const name = `${backend} ${a} x ${b}`;
      t.equal(r.status, 'converged', `${name}: status`);
      t.equal(dist.supportSize, a + b - 1, `${name}: support of a + b - 1 = ${a + b - 1} configurations`);
      t.equal(dist.length, Math.min(a + b - 1, 1024), `${name}: ${dist.length} listed`);
      t.equal(dist.truncated, a + b - 1 > 1024, `${name}: truncated = ${dist.truncated}`);
      const listed = dist.reduce((s, d) => s + d.weight, 0);
      if (dist.truncated) t.ok(listed < 1 - 1e-9, `${name}: the listed weights miss ${1 - listed}`);
      else t.ok(Math.abs(listed - 1) <= 1e-12, `${name}: the listed weights sum to 1`);
    }
  }
});
