// Scale: the closed-form factors and the k-subsets wrappers at score magnitudes from 1e-300 up to the
// documented bound (1e150 for factor graphs, any finite score for kSubsetsExact). LP-SparseMAP is
// not homogeneous (the quadratic does not scale with the scores), so the claims are the ones the
// maths makes: the answer is the exact projection (BigInt reference) at every magnitude; adding a
// constant changes nothing where the constraint fixes sum(u) (XOR, exact budgets, k-subsets); at
// large scales the answer is the LP vertex when that is unique; tied scores of symmetric variables
// get equal marginals; constraints hold to a relative tolerance; 'converged' is never reported for
// an infeasible point (ADMM included).
import t from 'tap';
import fc from 'fast-check';
import { FactorGraph, kSubsetsExact, sequentialKSubsetsBatch } from '../src/index';
import type { BackendName } from '../src/index';
import { backendsUnderTest } from './helpers';
import { RUNS } from './property-helpers';
import { exactCappedProjection, SumModeName } from './sparsemap-exact';
import { addFactor, buildGraph, FactorDesc, vertices } from './sparsemap-reference';

const backends = backendsUnderTest();

/** The projection is exact to about 2^-40 (see cappedProjection); this leaves room for n terms. */
const TOL = 1e-11;
const MAGNITUDES = [1e-300, 1e-150, 1e-20, 1e-3, 0.3, 1, 7, 1e3, 1e8, 1e15, 1e16, 1e30, 1e100, 1e150];

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const maxGap = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(0, ...Array.from(a, (v, i) => Math.abs(v - b[i])));

/** How far u is from the factor's polytope, relative to the size of the constraint (0 when inside). */
function violation(f: FactorDesc, u: ArrayLike<number>): number {
  const neg = 'negated' in f && f.negated ? f.negated : f.vars.map(() => false);
  const l = f.vars.map((v, i) => (neg[i] ? 1 - u[v] : u[v]));
  const sum = (x: number[]) => x.reduce((s, v) => s + v, 0);
  const box = Math.max(0, ...l.map((x) => Math.max(-x, x - 1)));
  const inputs = l.slice(0, -1);
  const out = l[l.length - 1];
  switch (f.type) {
    case 'xor': return Math.max(box, Math.abs(sum(l) - 1));
    case 'atMostOne': return Math.max(box, sum(l) - 1);
    case 'or': return Math.max(box, 1 - sum(l));
    case 'imply': return Math.max(box, 1 - (sum(inputs.map((x) => 1 - x)) + out));
    case 'xorOut': return Math.max(box, Math.abs(sum(inputs) - out), sum(inputs) - 1);
    case 'orOut': return Math.max(box, ...inputs.map((x) => x - out), out - sum(inputs));
    case 'andOut': return Math.max(box, ...inputs.map((x) => out - x), sum(inputs) - (inputs.length - 1) - out);
    case 'budget': return Math.max(box, f.exact ? Math.abs(sum(l) - f.k) : sum(l) - f.k);
    case 'knapsack': return Math.max(box, (sum(l.map((x, i) => x * f.costs[i])) - f.budget) / Math.max(f.budget, ...f.costs));
    case 'pair': return 0;
    default: throw new Error(`no constraints for ${f.type}`);
  }
}

type CappedKind = 'xor' | 'atMostOne' | 'or' | 'budget' | 'budgetExact' | 'knapsack' | 'kSubsets';

interface CappedCase {
  kind: CappedKind;
  a: number[];
  k: number;
  costs: number[];
  budget: number;
}

/** Scores S z with z in [-1, 1], ties (quarters) common, sometimes all equal. */
function scoresOf(n: number, magnitudes: number[]): fc.Arbitrary<number[]> {
  const z = fc.oneof(fc.integer({ min: -4, max: 4 }).map((v) => v / 4), fc.double({ min: -1, max: 1, noNaN: true }));
  return fc
    .tuple(fc.array(z, { minLength: n, maxLength: n }), fc.boolean(), fc.constantFrom(...magnitudes))
    .map(([zs, tied, scale]) => (tied ? zs.map(() => zs[0]) : zs).map((v) => v * scale));
}

const cappedCase: fc.Arbitrary<CappedCase> = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.record({
    kind: fc.constantFrom<CappedKind>('xor', 'atMostOne', 'or', 'budget', 'budgetExact', 'knapsack', 'kSubsets'),
    a: fc.oneof({ weight: 4, arbitrary: scoresOf(n, MAGNITUDES) }, { weight: 1, arbitrary: scoresOf(n, [1e200, 1e300]) }),
    k: fc.integer({ min: 0, max: n }),
    // Costs within a factor 100 of each other, all scaled by 1e-50 to 1e40 (only their ratios matter).
    costs: fc.tuple(fc.array(fc.double({ min: 0.1, max: 10, noNaN: true }), { minLength: n, maxLength: n }), fc.constantFrom(1e-50, 1e-3, 1, 1e40)).map(([c, s]) => c.map((v) => v * s)),
    budget: fc.double({ min: 0, max: 1.2, noNaN: true }),
  }),
).map((c) => ({ ...c, budget: c.budget * c.costs.reduce((s, v) => s + v, 0), a: c.kind === 'kSubsets' ? c.a : c.a.map((v) => Math.max(-1e150, Math.min(1e150, v))) }));

/** The factor a capped case adds over all its variables, or null for the kSubsets wrapper. */
function cappedFactor(c: CappedCase): FactorDesc | null {
  const vars = range(c.a.length);
  switch (c.kind) {
    case 'xor': return { type: 'xor', vars };
    case 'atMostOne': return { type: 'atMostOne', vars };
    case 'or': return { type: 'or', vars };
    case 'budget': return { type: 'budget', vars, k: c.k, exact: false };
    case 'budgetExact': return { type: 'budget', vars, k: c.k, exact: true };
    case 'knapsack': return { type: 'knapsack', vars, costs: c.costs, budget: c.budget };
    default: return null;
  }
}

function exactAnswer(c: CappedCase): number[] {
  const mode: Record<CappedKind, [number, SumModeName]> = {
    xor: [1, 'exact'], atMostOne: [1, 'atMost'], or: [1, 'atLeast'], budget: [c.k, 'atMost'], budgetExact: [c.k, 'exact'], knapsack: [c.budget, 'atMost'], kSubsets: [c.k, 'exact'],
  };
  const [k, m] = mode[c.kind];
  return exactCappedProjection(c.a, c.kind === 'knapsack' ? c.costs : null, k, m);
}

/** u and status of a capped case on one backend. */
function solveCapped(c: CappedCase, backend: BackendName): { u: ArrayLike<number>; status: string } {
  const f = cappedFactor(c);
  if (f === null) return { u: kSubsetsExact(c.a, c.k, { backend }), status: 'converged' };
  const r = buildGraph(c.a.length, [f]).solve(c.a, { backend });
  return { u: r.u, status: r.status };
}

t.test('capped factors and kSubsetsExact equal the exact projection (BigInt) at magnitudes 1e-300 to 1e300, converged and feasible', async (t) => {
  let ties = 0;
  fc.assert(
    fc.property(cappedCase, (c) => {
      const expected = exactAnswer(c);
      if (c.a.every((v) => v === c.a[0]) && c.a.length > 1) ties++;
      const f = cappedFactor(c) ?? { type: 'budget', vars: range(c.a.length), k: c.k, exact: true };
      for (const backend of backends) {
        const { u, status } = solveCapped(c, backend);
        const gap = maxGap(u, expected);
        if (!(gap <= TOL)) throw new Error(`[${backend}] ${c.kind} off the exact projection by ${gap}: ${Array.from(u)} vs ${expected}`);
        if (status !== 'converged') throw new Error(`[${backend}] status ${status}`);
        const v = violation(f, u);
        if (!(v <= TOL)) throw new Error(`[${backend}] ${c.kind} violates its constraint by ${v}`);
      }
    }),
    { numRuns: 3 * RUNS },
  );
  t.ok(ties > RUNS / 10, `${3 * RUNS} cases, ${ties} with every score tied`);
  // The cases of the report: ties at 1e15 and 1e16 gave 0 or 0.375.
  for (const backend of backends) {
    const xor = buildGraph(2, [{ type: 'xor', vars: [0, 1] }]).solve([1e16, 1e16], { backend });
    t.same([Array.from(xor.u), xor.status], [[0.5, 0.5], 'converged'], `[${backend}] XOR on [1e16, 1e16]`);
    const amo = buildGraph(3, [{ type: 'atMostOne', vars: [0, 1, 2] }]).solve([1e15, 1e15, 1e15], { backend });
    t.ok(maxGap(amo.u, [1 / 3, 1 / 3, 1 / 3]) <= 1e-15, `[${backend}] AtMostOne on three 1e15: ${Array.from(amo.u)}`);
    t.same(Array.from(kSubsetsExact([1e16, 1e16], 1, { backend })), [0.5, 0.5], `[${backend}] kSubsetsExact([1e16, 1e16], 1)`);
  }
});

/** s + c rounds to no other double than the exact sum (its TwoSum error is 0). */
function exactSum(s: number, c: number): boolean {
  const sum = s + c;
  const bb = sum - s;
  return s - (sum - bb) + (c - bb) === 0 && Number.isFinite(sum);
}

t.test('adding a constant to every score changes nothing where sum(u) is fixed: XOR, exact Budget, kSubsetsExact, sequentialKSubsets', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 7 }).chain((n) =>
        fc.record({
          z: fc.array(fc.integer({ min: -(2 ** 20), max: 2 ** 20 }), { minLength: n, maxLength: n }),
          // Often unit-sized steps (p near 0) under a shift of up to 2^52 of them: the case rounding hurts.
          p: fc.oneof(fc.integer({ min: -1020, max: 470 }), fc.integer({ min: -24, max: 2 })),
          shift: fc.integer({ min: -(2 ** 12), max: 2 ** 12 }),
          q: fc.integer({ min: 0, max: 40 }),
          k: fc.integer({ min: 0, max: n }),
          bonus: fc.constantFrom(0, 0.5, -0.3),
        }),
      ),
      ({ z, p, shift, q, k, bonus }) => {
        // Integers z 2^p (z of 21 bits) plus shift 2^(p+q), kept when the sums are exact.
        const s = z.map((v) => v * 2 ** p);
        const c = shift * 2 ** (p + q);
        const shifted = s.map((v) => v + c);
        fc.pre(s.every((v, i) => exactSum(v, c) && Math.abs(shifted[i]) <= 1e150 && Math.abs(v) <= 1e150));
        checked++;
        const n = s.length;
        for (const backend of backends) {
          const pairs: [string, (x: number[]) => ArrayLike<number>][] = [
            ['XOR', (x) => buildGraph(n, [{ type: 'xor', vars: range(n) }]).solve(x, { backend }).u],
            ['exact Budget', (x) => buildGraph(n, [{ type: 'budget', vars: range(n), k, exact: true }]).solve(x, { backend }).u],
            ['kSubsetsExact', (x) => kSubsetsExact(x, k, { backend })],
            ['sequentialKSubsets', (x) => sequentialKSubsetsBatch([x], { k, bonus, backend }).data],
          ];
          for (const [name, solve] of pairs) {
            const gap = maxGap(solve(s), solve(shifted));
            if (!(gap <= (name === 'sequentialKSubsets' ? 1e-15 : 2 * TOL))) throw new Error(`[${backend}] ${name}: shifting by ${c} moved u by ${gap}`);
          }
        }
      },
    ),
    { numRuns: RUNS },
  );
  t.ok(checked >= RUNS / 2, `${checked} exact shifts`);
});

/** Logic factors with random negations, over n variables. */
function logicFactor(type: string, n: number, flags: boolean[], k: number, costs: number[], budget: number): FactorDesc {
  const vars = range(n);
  const negated = flags.slice(0, n);
  switch (type) {
    case 'budget': return { type: 'budget', vars, k: Math.min(k, n), exact: flags[n], negated };
    case 'knapsack': return { type: 'knapsack', vars, costs: costs.slice(0, n), budget, negated };
    default: return { type: type as 'xor', vars, negated };
  }
}

const logicCase = fc.record({
  type: fc.constantFrom('xor', 'atMostOne', 'or', 'imply', 'xorOut', 'orOut', 'andOut', 'budget', 'knapsack'),
  n: fc.integer({ min: 2, max: 5 }),
  flags: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
  k: fc.integer({ min: 0, max: 5 }),
  costs: fc.array(fc.double({ min: 0.2, max: 3, noNaN: true }), { minLength: 6, maxLength: 6 }),
  budget: fc.double({ min: 0.1, max: 4, noNaN: true }),
  z: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 5, maxLength: 5 }),
});

t.test('at large scales every logic factor (negations too) returns its LP vertex when that is unique', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(logicCase, fc.constantFrom(1e8, 1e16, 1e50, 1e149), ({ type, n, flags, k, costs, budget, z }, scale) => {
      const f = logicFactor(type, n, flags, k, costs, budget);
      const zn = z.slice(0, n);
      // The projection of S z is the LP maximiser v* once S (z.v* - z.v) >= |v*| |v - v*| for every vertex v; n/S < 1e-3 here.
      const values = vertices(f).map((v) => ({ m: v.m, value: v.m.reduce((s, x, i) => s + x * zn[i], 0) })).sort((x, y) => y.value - x.value);
      fc.pre(values.length === 1 || values[0].value - values[1].value >= 1e-3);
      checked++;
      for (const backend of backends) {
        const r = buildGraph(n, [f]).solve(zn.map((v) => v * scale), { backend });
        const gap = maxGap(r.u, values[0].m);
        if (!(gap <= 1e-12) || r.status !== 'converged') throw new Error(`[${backend}] ${type} at ${scale}: ${Array.from(r.u)} (${r.status}), LP vertex ${values[0].m}`);
      }
    }),
    { numRuns: RUNS },
  );
  t.ok(checked >= RUNS / 2, `${checked} factors with a unique LP vertex`);
});

t.test('tied scores of variables a factor treats alike get equal marginals at every magnitude (OROUT and ANDOUT inputs too), feasibly', async (t) => {
  fc.assert(
    fc.property(logicCase, fc.constantFrom(...MAGNITUDES), fc.array(fc.constantFrom(-1, -0.5, 0, 1 / 3, 0.5, 1), { minLength: 5, maxLength: 5 }), ({ type, n, flags, k, costs, budget }, scale, levels) => {
      // One negation flag and one cost for all, so that permuting the variables (the inputs, for
      // factors with an output) maps the factor onto itself; the unique projection then ties too.
      const alike = flags.map(() => flags[0]);
      const f = logicFactor(type, n, alike, k, costs.map(() => costs[0]), budget);
      const a = levels.slice(0, n).map((v) => v * scale);
      const symmetric = ['orOut', 'andOut', 'xorOut', 'imply'].includes(type) ? n - 1 : n;
      for (const backend of backends) {
        const r = buildGraph(n, [f]).solve(a, { backend });
        for (let i = 0; i < symmetric; i++) {
          for (let j = 0; j < i; j++) {
            if (a[i] === a[j] && !(Math.abs(r.u[i] - r.u[j]) <= 1e-12)) throw new Error(`[${backend}] ${type} at ${scale}: tied u[${i}] = ${r.u[i]}, u[${j}] = ${r.u[j]}`);
          }
        }
        const v = violation(f, r.u);
        if (!(v <= TOL) || r.status !== 'converged') throw new Error(`[${backend}] ${type} at ${scale}: violation ${v}, ${r.status}`);
      }
    }),
    { numRuns: RUNS },
  );
  // The symmetric answers in closed form: k / n for k-subsets (sequential ones too), 1/3 per OROUT input.
  for (const backend of backends) {
    for (const s of [-1e300, -1e16, 1e-300, 0.7, 1e15, 1e16, 1e150]) {
      const seq = sequentialKSubsetsBatch([[s, s, s, s, s]], { k: 2, backend });
      t.ok(maxGap(seq.data, [0.4, 0.4, 0.4, 0.4, 0.4]) <= 1e-12 && seq.converged, `[${backend}] sequentialKSubsets of five ${s}, k = 2: ${Array.from(seq.data)}`);
      t.ok(maxGap(kSubsetsExact([s, s, s, s, s], 2, { backend }), [0.4, 0.4, 0.4, 0.4, 0.4]) <= 1e-12, `[${backend}] kSubsetsExact of five ${s}, k = 2`);
    }
  }
});

t.test('sequentialKSubsets without a bonus: feasible and within its stopping rule of the exact projection of scores / 2, at every magnitude', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 7 }).chain((n) => fc.tuple(scoresOf(n, [...MAGNITUDES, 1e200]), fc.integer({ min: 0, max: n }))), ([s, k]) => {
      // With no bonus the 2-state SequenceBudget's marginals maximise s.x/2 - |x|^2/2 over the exactly-k
      // polytope: the capped projection of s/2. Its active-set QP stops when no structure gains more
      // than 1e-12 of the largest structure's magnitude (sum |a_t| + k, a = s/2 - max s/2), which bounds
      // the objective gap; at large scales with ties below the top that allows a vertex instead.
      const half = s.map((v) => v / 2);
      const exact = exactCappedProjection(half, null, k, 'exact');
      const largest = Math.max(...half);
      const magnitude = k * Math.max(...half.map((v) => Math.abs(v - largest))) + k;
      const objective = (x: ArrayLike<number>) => Array.from(x).reduce((acc, xi, i) => acc + (half[i] - largest) * xi - 0.5 * xi * xi, 0);
      for (const backend of backends) {
        const r = sequentialKSubsetsBatch([s], { k, backend });
        const x = r.data;
        const sum = Array.from(x).reduce((acc, v) => acc + v, 0);
        if (!r.converged || !(Math.abs(sum - k) <= 1e-12 * Math.max(1, k)) || x.some((v) => !(v >= 0 && v <= 1))) throw new Error(`[${backend}] infeasible or not converged: ${Array.from(x)}`);
        // The objective is 1-strongly concave: a gap g puts x within sqrt(2 g) of the optimum.
        const allowed = 2e-12 * magnitude + 1e-15;
        const gap = objective(exact) - objective(x);
        if (!(gap <= allowed)) throw new Error(`[${backend}] objective gap ${gap} beyond the stopping rule (${allowed}): ${Array.from(x)} vs ${exact}`);
        if (!(maxGap(x, exact) <= Math.sqrt(2 * allowed) + 1e-12)) throw new Error(`[${backend}] ${Array.from(x)} farther than sqrt(2 ${allowed}) from ${exact}`);
      }
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} rows feasible, converged and within the stopping rule's gap`);
});

t.test('ADMM on graphs of closed-form factors sharing variables never reports converged for an infeasible point, at any scale', async (t) => {
  const tol = 1e-6;
  let converged = 0;
  let solved = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 3, max: 6 }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          factors: fc.array(fc.tuple(logicCase, fc.shuffledSubarray(range(n), { minLength: 2, maxLength: n })), { minLength: 2, maxLength: 4 }),
          pair: fc.option(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n - 1 }), fc.double({ min: -2, max: 2, noNaN: true }))),
          z: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
          scale: fc.constantFrom(1, 1e3, 1e6, 1e12, 1e16, 1e50, 1e149),
        }),
      ),
      ({ n, factors, pair, z, scale }) => {
        const descs: FactorDesc[] = factors.map(([c, vars]) => {
          const f = logicFactor(c.type, vars.length, c.flags, c.k, c.costs, c.budget);
          return { ...f, vars } as FactorDesc;
        });
        if (pair) descs.push({ type: 'pair', vars: [pair[0], (pair[0] + pair[1]) % n], score: pair[2] * scale });
        const g = new FactorGraph(n);
        descs.forEach((f) => addFactor(g, f));
        const copies = descs.reduce((s, f) => s + f.vars.length, 0);
        for (const backend of backends) {
          const r = g.solve(z.map((v) => v * scale), { backend, maxIter: 300, tol });
          solved++;
          if (!Array.from(r.u).every((v) => v >= 0 && v <= 1)) throw new Error(`[${backend}] u outside the box: ${Array.from(r.u)}`);
          if (r.status !== 'converged') continue;
          converged++;
          // Each copy is in its polytope and within sqrt(copies) tol of u (primal RMS below tol), so a
          // factor's constraint, summed over its n_f variables, is off by at most sqrt(n_f copies) tol.
          for (const f of descs) {
            const bound = Math.sqrt(f.vars.length * copies) * tol;
            const v = violation(f, r.u);
            if (!(v <= bound)) throw new Error(`[${backend}] converged at scale ${scale}, but ${f.type} is violated by ${v} > ${bound}`);
          }
        }
      },
    ),
    { numRuns: RUNS },
  );
  t.ok(converged > solved / 10, `${solved} solves, ${converged} converged (all feasible)`);
});
