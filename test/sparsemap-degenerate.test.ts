// The active-set QP (SPEC section 3) on degenerate inputs: exact ties, all-zero and denormal scores,
// bonuses tiny beside the quadratic term, large scores that cancel, k = 1 and k = n - 1, sequences
// whose paths all score the same. Such inputs made it cycle: a structure entered on a gain the
// optimality test counted, the QP on the enlarged (singular) support dismissed the same gain as noise
// and left it at weight 0, it was dropped, and the oracle returned it again, forever. Every case must
// converge within the default cap and be certified optimal by an independent Viterbi
// (sparsemap-certificates.js), on both backends; where symmetry fixes the optimum, it must be that.
import t from 'tap';
import { FactorGraph, Rng, sequentialKSubsetsBatch } from '../src/index';
import type { BackendName } from '../src/index';
import { backendsUnderTest, maxAbsDiff } from './helpers';
import { certifySequence, sequenceDualGap } from './sparsemap-certificates';
import { sequenceScoreLength } from './sparsemap-reference';

const backends = backendsUnderTest();

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The 2-state SequenceBudget that sequential k-subsets stands for: unary (score, 0) per position, the bonus on 0 -> 0 (full additional layout). */
function twoStateForm(scores: number[], bonus: number): { eta: number[]; b: number[] } {
  const L = scores.length;
  const b = new Array<number>(sequenceScoreLength(L, 2)).fill(0);
  for (let pos = 1; pos < L; pos++) b[2 + (pos - 1) * 4] = bonus;
  return { eta: scores.flatMap((s) => [s, 0]), b };
}

interface Certificate {
  status: string;
  /** Of the 2-state SequenceBudget solved as a FactorGraph: its distribution against its u, and its Frank-Wolfe gap. */
  consistency: number;
  gap: number;
  /** Of the sequential k-subsets marginals: dual value at mu = (x_t, 1 - x_t) minus the value of the distribution above (>= 1/2 ||mu - mu*||^2). */
  dualGap: number;
}

/** sequentialKSubsetsBatch on one row, its status and marginals, and their certificate. */
function solveSequential(scores: number[], k: number, bonus: number, backend: BackendName): { status: string; x: Float64Array; cert: Certificate } {
  const r = sequentialKSubsetsBatch([scores], { k, bonus, backend });
  const L = scores.length;
  const { eta, b } = twoStateForm(scores, bonus);
  const g = new FactorGraph(2 * L);
  g.addSequenceBudget(range(2 * L), { states: 2, transitions: b, k, exact: true });
  const general = g.solve(eta, { backend });
  const budget = { k, exact: true };
  const dist = general.distributions[0]!;
  const own = certifySequence(dist, general.u, eta, b, L, 2, budget);
  const mu = Array.from(r.data).flatMap((x) => [x, 1 - x]);
  return { status: r.status[0], x: r.data, cert: { status: general.status, consistency: own.consistency, gap: own.gap, dualGap: sequenceDualGap(mu, eta, b, L, 2, budget, dist) } };
}

/** Why a certified solve fails at tolerance tol, or null. */
function certificateFailure(status: string, cert: Certificate, tol: number): string | null {
  if (status !== 'converged') return `status ${status}`;
  if (cert.status !== 'converged') return `SequenceBudget status ${cert.status}`;
  if (!(cert.consistency <= 1e-9)) return `SequenceBudget distribution off its u by ${cert.consistency}`;
  if (!(cert.gap <= tol)) return `SequenceBudget Frank-Wolfe gap ${cert.gap}`;
  if (!(cert.dualGap <= tol && cert.dualGap >= -tol)) return `duality gap ${cert.dualGap}`;
  return null;
}

/**
 * Solves every case on every backend; returns the failures (certificate, closed form when given,
 * backends apart) and the largest duality gap. Tolerances scale with the scores' size.
 */
function checkSequential(cases: { scores: number[]; k: number; bonus: number; expected?: number }[]): { failures: string[]; worst: number } {
  const failures: string[] = [];
  let worst = 0;
  for (const { scores, k, bonus, expected } of cases) {
    const size = scores.reduce((acc, s) => acc + Math.abs(s), 0) + (scores.length - 1) * Math.abs(bonus) + scores.length;
    const tol = 1e-10 * size;
    const name = `scores ${JSON.stringify(scores)}, k = ${k}, bonus ${bonus}`;
    const xs: Float64Array[] = [];
    for (const backend of backends) {
      const { status, x, cert } = solveSequential(scores, k, bonus, backend);
      const failure = certificateFailure(status, cert, tol);
      if (failure) failures.push(`[${backend}] ${name}: ${failure}`);
      if (expected !== undefined && !(maxAbsDiff(x, new Float64Array(scores.length).fill(expected)) <= 1e-12)) failures.push(`[${backend}] ${name}: ${Array.from(x)} is not ${expected} everywhere`);
      worst = Math.max(worst, cert.dualGap / size);
      xs.push(x);
    }
    if (xs.length > 1 && !(maxAbsDiff(xs[0], xs[1]) <= 1e-9)) failures.push(`${name}: backends differ by ${maxAbsDiff(xs[0], xs[1])}`);
  }
  return { failures, worst };
}

t.test('the case the k-subsets wrappers property (sparsemap-properties) found: denormal scores and a tiny negative bonus no longer cycle', async (t) => {
  const scores = [0, 0, 0, -5e-323, 0, 1e-323, 0, 0];
  for (const backend of backends) {
    // The cap it used to exhaust; the fix needs a handful of passes.
    const r = sequentialKSubsetsBatch([scores], { k: 3, bonus: -2.7000068847371494e-12, maxActiveSetIter: 100000, backend });
    t.same(r.status, ['converged'], `[${backend}] converges`);
  }
  const { failures } = checkSequential([{ scores, k: 3, bonus: -2.7000068847371494e-12 }]);
  t.same(failures, [], 'converges within the default cap, certified optimal');
});

t.test('all-zero scores with tiny bonuses of both signs, every k from 1 to n - 1', async (t) => {
  const cases: { scores: number[]; k: number; bonus: number }[] = [];
  for (const n of [2, 3, 5, 8, 12]) {
    for (let k = 1; k < n; k++) {
      for (const magnitude of [1e-13, 1e-12, 2.7e-12, 1e-11, 3.2e-11, 1e-10]) for (const sign of [1, -1]) cases.push({ scores: new Array<number>(n).fill(0), k, bonus: sign * magnitude });
    }
  }
  // A gain just above the tolerance that rounding puts back under it in the reduced QP: the
  // structure that entered on it must still be stepped along its null direction.
  cases.push({ scores: new Array<number>(12).fill(0), k: 5, bonus: -3.99024902361428e-12 });
  const { failures, worst } = checkSequential(cases);
  t.same(failures, [], `${cases.length} cases converge, certified (largest relative duality gap ${worst})`);
});

t.test('denormal and tiny scores, seeded', async (t) => {
  const rng = new Rng(41);
  const values = [0, 0, 5e-324, -5e-324, 1e-320, -1e-310, 1e-12, -1e-12, 3e-13];
  const cases = Array.from({ length: 60 }, () => {
    const n = 2 + rng.below(11);
    const bonus = (rng.nextDouble() < 0.5 ? -1 : 1) * 10 ** (-13 + 3 * rng.nextDouble());
    return { scores: Array.from({ length: n }, () => values[rng.below(values.length)]), k: 1 + rng.below(n - 1), bonus };
  });
  const { failures, worst } = checkSequential(cases);
  t.same(failures, [], `${cases.length} cases converge, certified (largest relative duality gap ${worst})`);
});

t.test('exact ties: equal scores without a bonus give k / n everywhere; integer scores and bonuses with ties are certified', async (t) => {
  const cases: { scores: number[]; k: number; bonus: number; expected?: number }[] = [];
  // With equal scores and no bonus the exactly-k polytope and the objective are symmetric under
  // permutations of the positions, and the optimum is unique: it is the symmetric point.
  for (const n of [1, 2, 4, 7, 10]) for (let k = 0; k <= n; k++) for (const c of [0, 1, -3]) cases.push({ scores: new Array<number>(n).fill(c), k, bonus: 0, expected: k / n });
  const rng = new Rng(42);
  for (let trial = 0; trial < 60; trial++) {
    const n = 2 + rng.below(11);
    cases.push({ scores: Array.from({ length: n }, () => rng.below(2)), k: 1 + rng.below(n - 1), bonus: [-1, -0.5, 0.5, 1][rng.below(4)] });
  }
  const { failures, worst } = checkSequential(cases);
  t.same(failures, [], `${cases.length} cases converge, certified (largest relative duality gap ${worst})`);
});

t.test('large scores that cancel: the optimality test is relative to the terms summed, not to their near-zero total', async (t) => {
  // Shifted so that the support's residual score is about 0: a tolerance relative to it was below the
  // rounding noise of scores near 1e6, and a noise "gain" was added and dropped forever.
  const cases = [
    { scores: [500000.83333333326, -1499999.1666666667, -499999.16666666674, -499999.16666666674, -499999.16666666674, -1499999.1666666667], k: 2, bonus: 1e6 },
    { scores: [500000000001, -1499999999999, -499999999999, -499999999999, -499999999999, -1499999999999], k: 2, bonus: 1e12 },
  ];
  const { failures } = checkSequential(cases);
  t.same(failures, [], 'converge, certified');
});

t.test('Sequence and SequenceBudget factors with all-equal transition scores: every path ties', async (t) => {
  const failures: string[] = [];
  let solves = 0;
  const rng = new Rng(43);
  for (const L of [2, 5, 12]) {
    for (const S of [2, 3, 4]) {
      for (const c of [0, 0.7, -1e-12, 3e-12, 5e-324]) {
        const b = new Array<number>(sequenceScoreLength(L, S)).fill(c);
        // Budgets: none, then k uses of state 0 exactly or at most. With zero unary scores the problem
        // is symmetric under permutations of the positions and of states 1..S-1, so the optimum has
        // state 0 at p everywhere: p = k / L when exact, else the unconstrained 1 / S capped at k / L.
        const budgets: ({ k: number; exact: boolean } | undefined)[] = [undefined];
        for (const k of new Set([0, 1, L - 1, L])) for (const exact of [true, false]) budgets.push({ k, exact });
        for (const budget of budgets) {
          const p = budget === undefined ? 1 / S : budget.exact ? budget.k / L : Math.min(1 / S, budget.k / L);
          const expected = range(L * S).map((i) => (i % S === 0 ? p : (1 - p) / (S - 1)));
          // Zero unary scores, then tiny and denormal ones (certified only).
          for (const eta of [new Array<number>(L * S).fill(0), range(L * S).map(() => [0, 5e-324, -1e-12, 1e-12][rng.below(4)])]) {
            const name = `L = ${L}, S = ${S}, transitions ${c}, budget ${JSON.stringify(budget)}, unary ${eta.some((e) => e !== 0) ? 'tiny' : 'zero'}`;
            const us: Float64Array[] = [];
            for (const backend of backends) {
              const g = new FactorGraph(L * S);
              if (budget) g.addSequenceBudget(range(L * S), { states: S, transitions: b, ...budget });
              else g.addSequence(range(L * S), { states: S, transitions: b });
              const r = g.solve(eta, { backend });
              solves++;
              const { consistency, gap } = certifySequence(r.distributions[0]!, r.u, eta, b, L, S, budget);
              const tol = 1e-10 * L * (S + Math.abs(c));
              if (r.status !== 'converged') failures.push(`[${backend}] ${name}: status ${r.status}`);
              if (!(consistency <= 1e-9 && gap <= tol)) failures.push(`[${backend}] ${name}: distribution off u by ${consistency}, Frank-Wolfe gap ${gap}`);
              if (eta.every((e) => e === 0) && !(maxAbsDiff(r.u, expected) <= 1e-9)) failures.push(`[${backend}] ${name}: u = ${Array.from(r.u)}, not the symmetric optimum`);
              us.push(r.u);
            }
            if (us.length > 1 && !(maxAbsDiff(us[0], us[1]) <= 1e-9)) failures.push(`${name}: backends differ by ${maxAbsDiff(us[0], us[1])}`);
          }
        }
      }
    }
  }
  t.same(failures, [], `${solves} solves converge, certified`);
});

/** The additional indices a structure uses: a Sequence path (start, transitions, end) or a Dense configuration. */
function additionalsOf(kind: 'sequence' | 'dense', label: Int32Array, sizes: number[]): number[] {
  if (kind === 'dense') return [Array.from(label).reduce((index, state, g) => index * sizes[g] + state, 0)];
  const S = sizes[0];
  const L = label.length;
  const used = [label[0]];
  for (let pos = 1; pos < L; pos++) used.push(S + (pos - 1) * S * S + label[pos - 1] * S + label[pos]);
  used.push(S + (L - 1) * S * S + label[L - 1]);
  return used;
}

t.test('backward at ties differentiates the reported decomposition: additional gradients vanish off its structures, the same in both backends', async (t) => {
  // With every score tied, many decompositions of the optimal marginals are optimal, each with its
  // own Jacobian. On the reported one, an additional score no reported structure uses moves nothing.
  const rng = new Rng(11);
  const cases: { name: string; build: (g: FactorGraph) => { kind: 'sequence' | 'dense'; sizes: number[] }[]; n: number }[] = [
    { name: 'the property test\'s case: Sequence L = 3, S = 3 on permuted variables, a Dense factor fixing two', n: 9, build: (g) => {
      g.addSequence([8, 4, 7, 6, 3, 0, 2, 5, 1], { states: 3 });
      g.addDense([[1], [0]], [0]);
      return [{ kind: 'sequence', sizes: [3] }, { kind: 'dense', sizes: [1, 1] }];
    } },
    { name: 'Sequence L = 4, S = 3 alone', n: 12, build: (g) => {
      g.addSequence(range(12), { states: 3 });
      return [{ kind: 'sequence', sizes: [3] }];
    } },
    { name: 'two Sequences sharing their first positions, and a Dense factor over two groups', n: 10, build: (g) => {
      g.addSequence(range(6), { states: 2 });
      g.addSequence([0, 1, 2, 3, 6, 7, 8, 9], { states: 2 });
      g.addDense([[6, 7], [8, 9]], new Array(4).fill(0));
      return [{ kind: 'sequence', sizes: [2] }, { kind: 'sequence', sizes: [2] }, { kind: 'dense', sizes: [2, 2] }];
    } },
  ];
  for (const { name, build, n } of cases) {
    for (let trial = 0; trial < 4; trial++) {
      const solved = backends.map((backend) => {
        const g = new FactorGraph(n, { backend });
        const factors = build(g);
        return { factors, solution: g.solve(new Array(n).fill(0), { backend }) };
      });
      const gradU = range(n).map(() => rng.nextDouble() - 0.5);
      const gradAdditionals = solved[0].solution.additionals.map((v) => Array.from(v, () => rng.nextDouble() - 0.5));
      const results = solved.map(({ factors, solution }) => ({ factors, solution, grad: solution.backward(gradU, gradAdditionals) }));
      for (const [b, { factors, solution, grad }] of results.entries()) {
        let worst = 0;
        factors.forEach(({ kind, sizes }, f) => {
          const distribution = solution.distributions[f]!;
          t.notOk(distribution.truncated);
          const used = new Set(distribution.flatMap((s) => additionalsOf(kind, s.label, sizes)));
          grad.additionals[f].forEach((v, j) => {
            if (!used.has(j)) worst = Math.max(worst, Math.abs(v));
          });
        });
        t.ok(worst <= 1e-12, `[${backends[b]}] ${name}, gradients ${trial}: off the reported structures at most ${worst}`);
      }
      if (results.length > 1) {
        const gap = Math.max(maxAbsDiff(results[0].grad.unary, results[1].grad.unary),
          ...results[0].grad.additionals.map((v, f) => maxAbsDiff(v, results[1].grad.additionals[f])));
        t.ok(gap <= 1e-9, `${name}, gradients ${trial}: backends agree within ${gap}`);
      }
    }
  }
});

t.test('the backward pass keeps its own copy of the distributions, which callers may change', async (t) => {
  for (const backend of backends) {
    const g = new FactorGraph(12, { backend });
    g.addSequence(range(12), { states: 3 });
    const solution = g.solve(range(12).map((i) => (i % 5) / 5), { backend });
    const gradU = range(12).map((i) => Math.sin(i));
    const before = solution.backward(gradU);
    for (const s of solution.distributions[0]!) s.label.fill(99);
    const after = solution.backward(gradU);
    t.same(Array.from(after.unary), Array.from(before.unary), `[${backend}] same gradients after the labels were overwritten`);
  }
});

t.test('OROUT at scores near 1e150 stays in its polytope (a simplex step lost the 1 it spreads against entries of 1e150)', async (t) => {
  for (const backend of backends) {
    // max a.x - ||x||^2 / 2 over OROUT at a = (-A, -B, A), A > B >> 1: y = x_1 + x_0 is active and
    // y = 1, so x puts the whole 1 on the larger input: (0, 1, 1), value A - B - 1.
    const single = new FactorGraph(3, { backend });
    single.addOrOut([0, 1, 2]);
    const r = single.solve([-1e150, -9e149, 1e150], { backend });
    t.same(Array.from(r.u), [0, 1, 1], `[${backend}] the projection of (-A, -B, A) is (0, 1, 1)`);
    // The fuzz target's graph: two OROUT factors sharing an input, one output negated. ADMM need not
    // converge at this scale, but what it reports must be distributions over the polytopes' vertices.
    const g = new FactorGraph(8, { backend });
    g.addOrOut([4, 0, 6], [false, false, true]);
    g.addOrOut([3, 0, 7]);
    for (const scale of [1e150, 1e20]) {
      const s = g.solve(new Array(8).fill(-scale), { backend });
      t.ok(s.u.every((v) => v >= 0 && v <= 1), `[${backend}] scale ${scale}: u in the box`);
      for (const d of s.distributions) {
        const total = d!.reduce((a, w) => a + w.weight, 0);
        t.ok(d!.length > 0 && Math.abs(total - 1) <= 1e-9, `[${backend}] scale ${scale}: a distribution of ${d!.length} vertices, total ${total}`);
      }
    }
  }
});
