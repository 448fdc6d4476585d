// Gradients through LP-SparseMAP against central finite differences, for unary and additional
// scores, single factors (exact) and graphs solved by ADMM; and the Jacobian's symmetry.
import t from 'tap';
import { FactorGraph, kSubsetsExactBackward, kSubsetsExactBatch, Rng, sequentialKSubsetsBackward, sequentialKSubsetsBatch } from '../src/index';
import { backendsUnderTest } from './helpers';
import { addFactor, FactorDesc, orOutFace, orOutScores, OrOutPattern, randomScores, sequenceScoreLength, unaryForLiterals } from './sparsemap-reference';

const backends = backendsUnderTest();

interface Case {
  name: string;
  n: number;
  factors: FactorDesc[];
  admm: boolean;
  /** Unary scores (default: random around 0.3). */
  eta?: number[];
  /** The face a single OROUT factor on variables 0..n-1 must reach, so that each branch of its Jacobian is exercised. */
  face?: ReturnType<typeof orOutFace>;
}

function cases(rng: Rng): Case[] {
  const seq = (vars: number[], S: number): FactorDesc => ({ type: 'sequence', vars, states: S, scores: randomScores(rng, sequenceScoreLength(vars.length / S, S)) });
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const orOut = (pattern: OrOutPattern, face: Case['face']): Case => ({
    name: `orOut, ${face}`, n: 12, factors: [{ type: 'orOut', vars: range(12) }], admm: false, eta: orOutScores(rng, 12, pattern), face,
  });
  return [
    { name: 'budget', n: 6, factors: [{ type: 'budget', vars: [0, 1, 2, 3, 4, 5], k: 2, exact: false }], admm: false },
    { name: 'knapsack', n: 4, factors: [{ type: 'knapsack', vars: [0, 1, 2, 3], costs: [0.5, 1, 1.5, 0.7], budget: 1.3 }], admm: false },
    { name: 'pair, positive score', n: 2, factors: [{ type: 'pair', vars: [0, 1], score: 0.8 }], admm: false },
    // On the seam x1 + x2 = 1 (both free), where the Jacobian is not zero.
    { name: 'pair, negative score', n: 2, factors: [{ type: 'pair', vars: [0, 1], score: -0.6 }], admm: false, eta: [0.7, 0.6] },
    { name: 'sequence', n: 12, factors: [seq(Array.from({ length: 12 }, (_, i) => i), 3)], admm: false },
    {
      name: 'sequence budget', n: 10,
      factors: [{ type: 'sequenceBudget', vars: Array.from({ length: 10 }, (_, i) => i), states: 2, scores: randomScores(rng, sequenceScoreLength(5, 2)), k: 2, exact: true }],
      admm: false,
    },
    { name: 'tree', n: 9, factors: [{ type: 'tree', vars: [0, 1, 2, 3, 4, 5, 6, 7, 8], length: 3 }], admm: false },
    { name: 'orOut', n: 4, factors: [{ type: 'orOut', vars: [0, 1, 2, 3] }], admm: false },
    { name: 'dense', n: 5, factors: [{ type: 'dense', vars: [0, 1, 2, 3, 4], groups: [[0, 1, 2], [3, 4]], scores: randomScores(rng, 6) }], admm: false },
    {
      name: 'graph: sequence + budget + pair + xor', n: 8,
      factors: [
        seq([0, 1, 2, 3, 4, 5], 2),
        { type: 'budget', vars: [0, 2, 4], k: 1, exact: false },
        { type: 'pair', vars: [1, 6], score: -0.9 },
        { type: 'xor', vars: [6, 7, 3] },
      ],
      admm: true,
    },
    orOut('y tied to top inputs', 'y < sum x'),
    orOut('y = sum x', 'y = sum x < 1'),
    orOut('y = sum x = 1', 'y = sum x = 1'),
    // Negated copies: q = 1 - x(1 - a) flips the sign of the Jacobian's cross terms with plain copies.
    { name: 'exact budget with negated variables', n: 5, factors: [{ type: 'budget', vars: [0, 1, 2, 3, 4], k: 2, exact: true, negated: [false, true, false, true, false] }], admm: false },
    { name: 'xorOut (output negated)', n: 4, factors: [{ type: 'xorOut', vars: [0, 1, 2, 3] }], admm: false },
    { name: 'andOut with negated inputs', n: 7, factors: [{ type: 'andOut', vars: [3, 0, 5, 1, 6, 2, 4], negated: [true, false, false, true, false, false, false] }], admm: false },
    {
      name: 'graph: orOut + andOut + budget', n: 7,
      factors: [
        { type: 'orOut', vars: [0, 1, 2, 3] },
        { type: 'andOut', vars: [2, 4, 5, 6], negated: [false, true, false, false] },
        { type: 'budget', vars: [1, 3, 5], k: 1, exact: false },
      ],
      admm: true,
    },
  ];
}

function build(c: Case): FactorGraph {
  const g = new FactorGraph(c.n);
  for (const f of c.factors) addFactor(g, f);
  return g;
}

t.test('gradients match finite differences', async (t) => {
  const rng = new Rng(31);
  for (const c of cases(rng)) {
    // The same draws for every backend (and whichever backends are under test).
    const graph = build(c);
    const eta = c.eta ?? randomScores(rng, c.n, 0.8).map((x) => x + 0.3);
    const base = graph.additionalScores();
    const gu = randomScores(rng, c.n);
    const gv = randomScores(rng, base.length);
    for (const backend of backends) {
      const opts = { backend, tol: 1e-12, maxIter: 100000 };
      const loss = (etaX: number[], add: Float64Array): number => {
        const r = graph.solve(etaX, { ...opts, additionalScores: add });
        let l = 0;
        r.u.forEach((x, i) => (l += gu[i] * x));
        let off = 0;
        for (const v of r.additionals) v.forEach((x) => (l += gv[off++] * x));
        return l;
      };
      const result = graph.solve(eta, opts);
      if (c.face) t.equal(orOutFace(result.u, 1e-9), c.face, `${c.name} (${backend}): face`);
      const grad = result.backward(gu, gv);
      const flatGradV = new Float64Array(base.length);
      let off = 0;
      for (const v of grad.additionals) {
        flatGradV.set(v, off);
        off += v.length;
      }
      const h = c.admm ? 1e-5 : 1e-6;
      const tolerance = c.admm ? 2e-5 : 1e-6;
      let worst = 0;
      for (let i = 0; i < c.n; i++) {
        const up = eta.slice();
        const down = eta.slice();
        up[i] += h;
        down[i] -= h;
        const fd = (loss(up, base) - loss(down, base)) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - grad.unary[i]));
      }
      for (let j = 0; j < base.length; j++) {
        const up = Float64Array.from(base);
        const down = Float64Array.from(base);
        up[j] += h;
        down[j] -= h;
        const fd = (loss(eta, up) - loss(eta, down)) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - flatGradV[j]));
      }
      t.ok(worst <= tolerance, `${c.name} (${backend}): max |grad - fd| = ${worst}`);
      const norm = Math.max(...Array.from(grad.unary, Math.abs), ...Array.from(flatGradV, Math.abs));
      t.ok(norm > 0.01, `${c.name} (${backend}): non-trivial gradient (max ${norm})`);
    }
  }
});

t.test('OROUT / ANDOUT Jacobians match central differences along random directions, on every face and size', async (t) => {
  const rng = new Rng(77);
  const patterns: OrOutPattern[] = ['generic', 'inputs above 1', 'output high', 'y tied to top inputs', 'y = sum x', 'y = sum x = 1'];
  const h = 1e-7;
  for (const backend of backends) {
    let worst = 0;
    let checked = 0;
    for (let trial = 0; trial < 120; trial++) {
      const n = 2 + rng.below(60);
      const vars = Array.from({ length: n }, (_, i) => i);
      const negated = vars.map(() => rng.nextDouble() < 0.2);
      const andOut = trial % 4 === 3;
      const graph = new FactorGraph(n);
      if (andOut) graph.addAndOut(vars, negated);
      else graph.addOrOut(vars, negated);
      const flip = negated.map((x) => x !== andOut);
      const eta = unaryForLiterals(orOutScores(rng, n, patterns[trial % patterns.length]), flip);
      const gu = randomScores(rng, n);
      const d = randomScores(rng, n);
      const along = (step: number) => {
        const u = graph.solve(eta.map((e, i) => e + step * d[i]), { backend }).u;
        return u.reduce((acc, x, i) => acc + gu[i] * x, 0);
      };
      const analytic = graph.solve(eta, { backend }).backward(gu).unary.reduce((acc, g, i) => acc + g * d[i], 0);
      const err = Math.abs((along(h) - along(-h)) / (2 * h) - analytic);
      worst = Math.max(worst, err);
      checked++;
    }
    t.equal(checked, 120);
    t.ok(worst <= 1e-6, `${backend}: max |d/dh gu.u(eta + h d) - backward(gu).d| = ${worst}`);
  }
});

t.test('the Jacobian of u with respect to the unary scores is symmetric', async (t) => {
  const rng = new Rng(5);
  const c = cases(rng)[7];
  for (const backend of backends) {
    const graph = build(c);
    const eta = randomScores(rng, c.n, 0.8).map((x) => x + 0.3);
    const r = graph.solve(eta, { backend, tol: 1e-12, maxIter: 100000 });
    const columns = Array.from({ length: c.n }, (_, i) => r.backward(Array.from({ length: c.n }, (_, j) => (i === j ? 1 : 0))).unary);
    let asym = 0;
    let norm = 0;
    for (let i = 0; i < c.n; i++) {
      for (let j = 0; j < c.n; j++) {
        asym = Math.max(asym, Math.abs(columns[i][j] - columns[j][i]));
        norm = Math.max(norm, Math.abs(columns[i][j]));
      }
    }
    t.ok(norm > 0.1, 'non-trivial Jacobian');
    t.ok(asym <= 1e-8, `${backend}: asymmetry ${asym}`);
  }
});

t.test('Pair gradient with respect to a negative score is not zero (reference defect)', async (t) => {
  for (const backend of backends) {
    const g = new FactorGraph(2);
    g.addPair(0, 1, -0.3);
    // Both strongly on: v = x1 + x2 - 1 with x_i = a_i + s, so dv/ds = 2.
    const r = g.solve([0.9, 0.8], { backend });
    t.ok(Math.abs(r.additionals[0][0] - 0.1) < 1e-12, 'v = x1 + x2 - 1 = 0.6 + 0.5 - 1');
    const grad = r.backward([0, 0], [[1]]);
    t.ok(Math.abs(grad.additionals[0][0] - 2) < 1e-12, `${backend}: dv/ds = ${grad.additionals[0][0]}`);
  }
});

t.test('k-subset batch gradients match finite differences', async (t) => {
  const rng = new Rng(41);
  const rows = 3;
  const cols = 12;
  const scores = Float64Array.from(randomScores(rng, rows * cols, 2));
  const grad = Float64Array.from(randomScores(rng, rows * cols));
  const h = 1e-6;
  for (const backend of backends) {
    for (const sequential of [false, true]) {
      const forward = (s: Float64Array) =>
        sequential ? sequentialKSubsetsBatch({ data: s, rows, cols }, { k: 4, bonus: 0.4, backend }).data : kSubsetsExactBatch({ data: s, rows, cols }, 4, { backend }).data;
      const analytic = sequential
        ? sequentialKSubsetsBackward({ data: scores, rows, cols }, { data: grad, rows, cols }, { k: 4, bonus: 0.4, backend }).data
        : kSubsetsExactBackward({ data: scores, rows, cols }, 4, { data: grad, rows, cols }, { backend }).data;
      let worst = 0;
      let norm = 0;
      for (let i = 0; i < rows * cols; i++) {
        const up = Float64Array.from(scores);
        const down = Float64Array.from(scores);
        up[i] += h;
        down[i] -= h;
        const [fu, fd] = [forward(up), forward(down)];
        let diff = 0;
        for (let j = 0; j < rows * cols; j++) diff += grad[j] * (fu[j] - fd[j]);
        worst = Math.max(worst, Math.abs(diff / (2 * h) - analytic[i]));
        norm = Math.max(norm, Math.abs(analytic[i]));
      }
      t.ok(norm > 0.01, 'non-trivial gradient');
      t.ok(worst <= 1e-6, `${sequential ? 'sequential' : 'plain'} (${backend}): max |grad - fd| = ${worst}`);
    }
  }
});
