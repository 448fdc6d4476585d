// Independent reference for LP-SparseMAP tests: each factor's marginal-polytope vertices are
// enumerated from its logical definition, and the QP over the local polytope
//   max eta.u + sum_f b_f.v_f - 1/2 ||u||^2,  (u_f, v_f) = sum_s w_fs (m_s, n_s),  w_f in simplex
// is solved by a primal-dual interior-point method, then polished by solving the KKT equations on
// the support it found (so the answer is accurate to rounding, not to the barrier parameter).
import { FactorGraph, Rng } from '../src/index';

export type FactorDesc =
  | { type: 'xor' | 'atMostOne' | 'or' | 'imply' | 'xorOut' | 'orOut' | 'andOut'; vars: number[]; negated?: boolean[] }
  | { type: 'budget'; vars: number[]; k: number; exact: boolean; negated?: boolean[] }
  | { type: 'knapsack'; vars: number[]; costs: number[]; budget: number; negated?: boolean[] }
  | { type: 'pair'; vars: [number, number]; score: number }
  | { type: 'sequence'; vars: number[]; states: number; scores: number[] }
  | { type: 'sequenceBudget'; vars: number[]; states: number; scores: number[]; k: number; exact: boolean }
  /** vars = the groups concatenated. */
  | { type: 'dense'; vars: number[]; groups: number[][]; scores: number[] }
  /** Arc variables for m = 1..length, h = 0..length, h != m. */
  | { type: 'tree'; vars: number[]; length: number };

export interface Vertex {
  m: number[];
  n: number[];
}

export function addFactor(graph: FactorGraph, f: FactorDesc): number {
  switch (f.type) {
    case 'xor': return graph.addXor(f.vars, f.negated);
    case 'atMostOne': return graph.addAtMostOne(f.vars, f.negated);
    case 'or': return graph.addOr(f.vars, f.negated);
    case 'imply': return graph.addImply(f.vars, f.negated);
    case 'xorOut': return graph.addXorOut(f.vars, f.negated);
    case 'orOut': return graph.addOrOut(f.vars, f.negated);
    case 'andOut': return graph.addAndOut(f.vars, f.negated);
    case 'budget': return graph.addBudget(f.vars, f.k, { exact: f.exact, negated: f.negated });
    case 'knapsack': return graph.addKnapsack(f.vars, f.costs, f.budget, { negated: f.negated });
    case 'pair': return graph.addPair(f.vars[0], f.vars[1], f.score);
    case 'sequence': return graph.addSequence(f.vars, { states: f.states, transitions: f.scores });
    case 'sequenceBudget': return graph.addSequenceBudget(f.vars, { states: f.states, transitions: f.scores, k: f.k, exact: f.exact });
    case 'dense': return graph.addDense(f.groups, f.scores);
    case 'tree': return graph.addTree(f.vars, { length: f.length });
  }
}

export function buildGraph(nVariables: number, factors: FactorDesc[]): FactorGraph {
  const g = new FactorGraph(nVariables);
  for (const f of factors) addFactor(g, f);
  return g;
}

function bits(n: number): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 1 << n; mask++) out.push(Array.from({ length: n }, (_, i) => (mask >> i) & 1));
  return out;
}

function paths(length: number, states: number): number[][] {
  const out: number[][] = [];
  const total = states ** length;
  for (let code = 0; code < total; code++) {
    const p: number[] = [];
    let c = code;
    for (let t = 0; t < length; t++) {
      p.push(c % states);
      c = Math.floor(c / states);
    }
    out.push(p);
  }
  return out;
}

const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);

/** The 0/1 configurations a logic factor allows, written with the logic of its definition. */
function allowed(f: FactorDesc, x: number[]): boolean {
  const neg = 'negated' in f && f.negated ? f.negated : x.map(() => false);
  const lit = x.map((xi, i) => (neg[i] ? 1 - xi : xi));
  const inputs = lit.slice(0, -1);
  const out = lit[lit.length - 1];
  switch (f.type) {
    case 'xor': return sum(lit) === 1;
    case 'atMostOne': return sum(lit) <= 1;
    case 'or': return sum(lit) >= 1;
    case 'imply': return !(inputs.every((v) => v === 1) && out === 0);
    case 'xorOut': return sum(inputs) <= 1 && out === sum(inputs);
    case 'orOut': return out === (inputs.some((v) => v === 1) ? 1 : 0);
    case 'andOut': return out === (inputs.every((v) => v === 1) ? 1 : 0);
    case 'budget': return f.exact ? sum(lit) === f.k : sum(lit) <= f.k;
    case 'knapsack': return lit.reduce((s, li, i) => s + li * f.costs[i], 0) <= f.budget + 1e-12;
    default: return true;
  }
}

export function vertices(f: FactorDesc): Vertex[] {
  if (f.type === 'pair') return bits(2).map((x) => ({ m: x, n: [x[0] * x[1]] }));
  if (f.type === 'tree') {
    // Every head assignment in which following heads from any word reaches the root.
    const n = f.length;
    const out: Vertex[] = [];
    for (const heads of paths(n, n + 1)) {
      if (heads.some((h, i) => h === i + 1)) continue;
      const isTree = heads.every((_, i) => {
        let v = i + 1;
        for (let steps = 0; steps <= n; steps++) {
          if (v === 0) return true;
          v = heads[v - 1];
        }
        return false;
      });
      if (!isTree) continue;
      const m = new Array<number>(n * n).fill(0);
      heads.forEach((h, i) => {
        const word = i + 1;
        m[(word - 1) * n + (h < word ? h : h - 1)] = 1;
      });
      out.push({ m, n: [] });
    }
    return out;
  }
  if (f.type === 'dense') {
    // Every joint configuration, enumerated in row-major order (last group fastest).
    const sizes = f.groups.map((g) => g.length);
    const total = sizes.reduce((p, x) => p * x, 1);
    const out: Vertex[] = [];
    for (let index = 0; index < total; index++) {
      const m: number[] = [];
      let rest = index;
      const states = sizes.map(() => 0);
      for (let g = sizes.length - 1; g >= 0; g--) {
        states[g] = rest % sizes[g];
        rest = Math.floor(rest / sizes[g]);
      }
      sizes.forEach((size, g) => {
        for (let s = 0; s < size; s++) m.push(s === states[g] ? 1 : 0);
      });
      const n = new Array<number>(total).fill(0);
      n[index] = 1;
      out.push({ m, n });
    }
    return out;
  }
  if (f.type === 'sequence' || f.type === 'sequenceBudget') {
    const S = f.states;
    const L = f.vars.length / S;
    const nAdd = 2 * S + (L - 1) * S * S;
    const out: Vertex[] = [];
    for (const p of paths(L, S)) {
      if (f.type === 'sequenceBudget') {
        const zeros = p.filter((s) => s === 0).length;
        if (f.exact ? zeros !== f.k : zeros > f.k) continue;
      }
      const m = new Array<number>(L * S).fill(0);
      p.forEach((s, t) => (m[t * S + s] = 1));
      const n = new Array<number>(nAdd).fill(0);
      n[p[0]] = 1;
      for (let t = 1; t < L; t++) n[S + (t - 1) * S * S + p[t - 1] * S + p[t]] = 1;
      n[S + (L - 1) * S * S + p[L - 1]] = 1;
      out.push({ m, n });
    }
    return out;
  }
  const out = bits(f.vars.length).filter((x) => allowed(f, x)).map((x) => ({ m: x, n: [] as number[] }));
  if (f.type === 'knapsack') {
    // The factor is the continuous relaxation {l in [0,1]^n, c.l <= budget} of the literals
    // l = x (1 - x where negated): its other vertices have one fractional literal, on the budget hyperplane.
    const neg = f.negated ?? f.vars.map(() => false);
    for (const l of bits(f.vars.length)) {
      f.vars.forEach((_, i) => {
        if (l[i] !== 0) return;
        const rest = l.reduce((s, lj, j) => s + (j === i ? 0 : lj * f.costs[j]), 0);
        const li = (f.budget - rest) / f.costs[i];
        if (li > 0 && li < 1) out.push({ m: l.map((lj, j) => { const v = j === i ? li : lj; return neg[j] ? 1 - v : v; }), n: [] });
      });
    }
  }
  return out;
}

export function additionalScores(f: FactorDesc): number[] {
  if (f.type === 'pair') return [f.score];
  if (f.type === 'sequence' || f.type === 'sequenceBudget' || f.type === 'dense') return f.scores;
  return [];
}

/** Dense Gaussian elimination with partial pivoting; solves a x = b in place (a is n x n, row-major). */
function solveDense(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[p * n + c])) p = r;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = a[c * n + k]; a[c * n + k] = a[p * n + k]; a[p * n + k] = t;
      }
      const t = b[c]; b[c] = b[p]; b[p] = t;
    }
    const d = a[c * n + c];
    if (d === 0) continue;
    for (let r = c + 1; r < n; r++) {
      const factor = a[r * n + c] / d;
      if (factor === 0) continue;
      for (let k = c; k < n; k++) a[r * n + k] -= factor * a[c * n + k];
      b[r] -= factor * b[c];
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= a[r * n + k] * x[k];
    x[r] = a[r * n + r] === 0 ? 0 : s / a[r * n + r];
  }
  return x;
}

export interface ReferenceSolution {
  u: number[];
  v: number[][];
  value: number;
  /** False when the local polytope is empty (the constraints could not be met). */
  feasible: boolean;
}

/**
 * The QP in variables x = (u, w_1, ..., w_F): min 1/2 ||u||^2 - eta.u - sum_f (N_f' b_f).w_f
 * s.t. u_i - (M_f w_f)_i = 0 for every factor entry, 1'w_f = 1, w >= 0.
 */
export function referenceSolve(nVariables: number, factors: FactorDesc[], eta: number[], additional?: number[][], linear = false): ReferenceSolution {
  // LP-MAP (linear): a 1e-9 quadratic keeps the interior-point system regular; values move by < 1e-8.
  const quad = linear ? 1e-9 : 1;
  const verts = factors.map(vertices);
  const scores = additional ?? factors.map(additionalScores);
  const offsets: number[] = [];
  let nx = nVariables;
  for (const v of verts) {
    offsets.push(nx);
    nx += v.length;
  }
  const rows: { coef: Map<number, number>; rhs: number }[] = [];
  factors.forEach((f, fi) => {
    f.vars.forEach((vi, j) => {
      const coef = new Map<number, number>([[vi, 1]]);
      verts[fi].forEach((vert, s) => {
        if (vert.m[j] !== 0) coef.set(offsets[fi] + s, -vert.m[j]);
      });
      rows.push({ coef, rhs: 0 });
    });
    const coef = new Map<number, number>();
    verts[fi].forEach((_, s) => coef.set(offsets[fi] + s, 1));
    rows.push({ coef, rhs: 1 });
  });
  const c = new Float64Array(nx);
  for (let i = 0; i < nVariables; i++) c[i] = -eta[i];
  factors.forEach((_, fi) => verts[fi].forEach((vert, s) => (c[offsets[fi] + s] = -vert.n.reduce((acc, nj, j) => acc + nj * scores[fi][j], 0))));
  const isW = (i: number) => i >= nVariables;
  const nc = rows.length;
  const dim = nx + nc;
  // Interior point: x_w > 0, z_w > 0.
  const x = new Float64Array(nx);
  const z = new Float64Array(nx);
  const y = new Float64Array(nc);
  for (let i = 0; i < nx; i++) {
    x[i] = isW(i) ? 1 : 0.5;
    z[i] = isW(i) ? 1 : 0;
  }
  factors.forEach((_, fi) => verts[fi].forEach((__, s) => (x[offsets[fi] + s] = 1 / verts[fi].length)));
  const nW = nx - nVariables;
  for (let iter = 0; iter < 200; iter++) {
    let mu = 0;
    for (let i = nVariables; i < nx; i++) mu += x[i] * z[i];
    mu /= nW;
    const rd = new Float64Array(nx);
    for (let i = 0; i < nx; i++) rd[i] = (i < nVariables ? quad * x[i] : 0) + c[i] - z[i];
    rows.forEach((r, k) => r.coef.forEach((a, i) => (rd[i] -= a * y[k])));
    const rp = new Float64Array(nc);
    rows.forEach((r, k) => {
      let s = -r.rhs;
      r.coef.forEach((a, i) => (s += a * x[i]));
      rp[k] = s;
    });
    const resid = Math.max(...rd.map(Math.abs), ...rp.map(Math.abs));
    if (mu < (linear ? 1e-12 : 1e-13) && resid < 1e-12) break;
    const sigma = 0.1;
    const kkt = new Float64Array(dim * dim);
    const rhs = new Float64Array(dim);
    for (let i = 0; i < nx; i++) {
      kkt[i * dim + i] = i < nVariables ? quad : z[i] / x[i];
      rhs[i] = -rd[i] + (isW(i) ? sigma * mu / x[i] - z[i] : 0);
    }
    rows.forEach((r, k) => {
      r.coef.forEach((a, i) => {
        kkt[i * dim + nx + k] = -a;
        kkt[(nx + k) * dim + i] = a;
      });
      rhs[nx + k] = -rp[k];
      kkt[(nx + k) * dim + nx + k] = -1e-14;
    });
    const d = solveDense(kkt, rhs, dim);
    const dz = new Float64Array(nx);
    let alpha = 1;
    for (let i = nVariables; i < nx; i++) {
      dz[i] = (sigma * mu - x[i] * z[i] - z[i] * d[i]) / x[i];
      if (d[i] < 0) alpha = Math.min(alpha, -0.99 * x[i] / d[i]);
      if (dz[i] < 0) alpha = Math.min(alpha, -0.99 * z[i] / dz[i]);
    }
    for (let i = 0; i < nx; i++) {
      x[i] += alpha * d[i];
      z[i] += alpha * dz[i];
    }
    for (let k = 0; k < nc; k++) y[k] += alpha * d[nx + k];
  }
  // Polish: the equality-constrained QP with the weights the barrier left at ~0 fixed to 0.
  const keep: number[] = [];
  for (let i = 0; i < nx; i++) if (!isW(i) || x[i] > 1e-7) keep.push(i);
  const index = new Map(keep.map((i, k) => [i, k]));
  const nk = keep.length;
  const pd = nk + nc;
  const kkt = new Float64Array(pd * pd);
  const rhs = new Float64Array(pd);
  keep.forEach((i, k) => {
    kkt[k * pd + k] = i < nVariables ? quad : 1e-14;
    rhs[k] = -c[i];
  });
  rows.forEach((r, k) => {
    r.coef.forEach((a, i) => {
      const col = index.get(i);
      if (col === undefined) return;
      kkt[col * pd + nk + k] = a;
      kkt[(nk + k) * pd + col] = a;
    });
    rhs[nk + k] = r.rhs;
    kkt[(nk + k) * pd + nk + k] = -1e-14;
  });
  const sol = solveDense(kkt, rhs, pd);
  const polished = Float64Array.from(x);
  for (let i = nVariables; i < nx; i++) polished[i] = 0;
  keep.forEach((i, k) => (polished[i] = sol[k]));
  let usePolished = !linear;
  for (let i = nVariables; i < nx; i++) if (polished[i] < -1e-9) usePolished = false;
  const best = usePolished ? polished : x;
  let violation = 0;
  for (const r of rows) {
    let s = -r.rhs;
    r.coef.forEach((a, i) => (s += a * best[i]));
    violation = Math.max(violation, Math.abs(s));
  }
  for (let i = nVariables; i < nx; i++) violation = Math.max(violation, -best[i]);
  const u = Array.from(best.subarray(0, nVariables));
  // A variable in no factor only has its box [0, 1]: u_i = clip(eta_i).
  const covered = new Set(factors.flatMap((f) => f.vars));
  for (let i = 0; i < nVariables; i++) if (!covered.has(i)) u[i] = linear ? (eta[i] > 0 ? 1 : 0) : Math.min(1, Math.max(0, eta[i]));
  const v = factors.map((f, fi) => {
    const len = additionalScores(f).length;
    const out = new Array<number>(len).fill(0);
    verts[fi].forEach((vert, s) => vert.n.forEach((nj, j) => (out[j] += nj * best[offsets[fi] + s])));
    return out;
  });
  let value = 0;
  for (let i = 0; i < nVariables; i++) value += eta[i] * u[i] - (linear ? 0 : 0.5 * u[i] * u[i]);
  v.forEach((vf, fi) => vf.forEach((x2, j) => (value += x2 * scores[fi][j])));
  return { u, v, value, feasible: violation < 1e-7 };
}

export function randomScores(rng: Rng, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => scale * (2 * rng.nextDouble() - 1));
}

export function sequenceScoreLength(L: number, S: number): number {
  return 2 * S + (L - 1) * S * S;
}

/** Literal-space score patterns for an OR-with-output factor (inputs, then the output) that reach every case of its projection. */
export const OR_OUT_PATTERNS = ['generic', 'ties', 'inputs below 0', 'inputs above 1', 'output high', 'output low', 'y tied to top inputs', 'y = sum x', 'y = sum x = 1'] as const;
export type OrOutPattern = (typeof OR_OUT_PATTERNS)[number];

/**
 * Scores s (inputs, then the output) in the factor's own literals. 'ties' draws from a few levels
 * shared by inputs, output and the bounds 0 and 1; the last three aim at each face of the solution
 * at any size n: y tied to the largest inputs (y < sum x), y = sum x < 1, and y = sum x = 1.
 */
export function orOutScores(rng: Rng, n: number, pattern: OrOutPattern): number[] {
  const m = n - 1;
  const inputs = (f: () => number) => Array.from({ length: m }, f);
  const uniform = (lo: number, hi: number) => () => lo + (hi - lo) * rng.nextDouble();
  switch (pattern) {
    case 'generic': return randomScores(rng, n, 1.5);
    case 'ties': {
      const levels = [-0.5, 0, 0.2, 0.5, 1, 1.3];
      return Array.from({ length: n }, () => levels[rng.below(levels.length)]);
    }
    case 'inputs below 0': return [...inputs(uniform(-1.1, -0.1)), uniform(-3, 3)()];
    case 'inputs above 1': return [...inputs(uniform(1.1, 2.1)), uniform(-3, 3)()];
    case 'output high': return [...randomScores(rng, m), uniform(5, 10)()];
    case 'output low': return [...randomScores(rng, m), uniform(-10, -5)()];
    case 'y tied to top inputs': return [...inputs(uniform(0, 0.5)), 0.3];
    case 'y = sum x': return [...inputs(uniform(-1, 0)), 0.8];
    case 'y = sum x = 1': return [...inputs(uniform(-1, 0)), 3];
  }
}

/** Unary scores under which a factor that sees 1 - u_i where flip[i] receives the literal scores s. */
export function unaryForLiterals(s: number[], flip: boolean[]): number[] {
  return s.map((x, i) => (flip[i] ? 1 - x : x));
}

/** Which face of the OR-with-output polytope a point (x, y) in literals lies on, to within tol. */
export function orOutFace(literals: ArrayLike<number>, tol: number): 'y < sum x' | 'y = sum x < 1' | 'y = sum x = 1' {
  const n = literals.length;
  let sum = 0;
  for (let i = 0; i < n - 1; i++) sum += literals[i];
  const y = literals[n - 1];
  if (y < sum - tol) return 'y < sum x';
  return y < 1 - tol ? 'y = sum x < 1' : 'y = sum x = 1';
}

/** Combinations of k of 0..n-1 in lexicographic order. */
function* combinations(n: number, k: number): Generator<number[]> {
  const c = Array.from({ length: k }, (_, i) => i);
  while (true) {
    yield c.slice();
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return;
    c[i]++;
    for (let j = i + 1; j < k; j++) c[j] = c[j - 1] + 1;
  }
}

/**
 * The Euclidean projection of a onto conv(points), exact to rounding even where the interior-point
 * reference is slow (ties, no strict complementarity). The projection p lies in the relative
 * interior of a face, a - p is orthogonal to that face, so p is also the projection of a onto the
 * affine hull of any affinely independent vertices of the face whose hull contains p. Subsets are
 * tried smallest first; a candidate is the answer when its barycentric weights are >= 0 (it is in
 * the hull) and no point v has <a - p, v - p> > 0 (the normal-cone condition), which together
 * characterise the projection. For a few points only (subsets of up to dim + 1 of them).
 */
export function exactProjection(a: number[], points: number[][]): number[] {
  const dim = a.length;
  const tol = 1e-12 * Math.max(1, ...a.map(Math.abs));
  for (let k = 1; k <= Math.min(points.length, dim + 1); k++) {
    for (const subset of combinations(points.length, k)) {
      const v0 = points[subset[0]];
      const d = subset.slice(1).map((s) => points[s].map((x, i) => x - v0[i]));
      const m = k - 1;
      // Normal equations D'D lambda = D'(a - v0) by Cholesky; a tiny pivot means affinely dependent.
      const g = d.map((di) => d.map((dj) => di.reduce((s, x, i) => s + x * dj[i], 0)));
      const r = d.map((di) => di.reduce((s, x, i) => s + x * (a[i] - v0[i]), 0));
      const l = g.map(() => new Array<number>(m).fill(0));
      let independent = true;
      for (let j = 0; j < m && independent; j++) {
        let diag = g[j][j];
        for (let c = 0; c < j; c++) diag -= l[j][c] * l[j][c];
        if (!(diag > 1e-9)) independent = false;
        l[j][j] = Math.sqrt(diag);
        for (let i = j + 1; i < m; i++) {
          let s = g[i][j];
          for (let c = 0; c < j; c++) s -= l[i][c] * l[j][c];
          l[i][j] = s / l[j][j];
        }
      }
      if (!independent) continue;
      const z = new Array<number>(m).fill(0);
      for (let i = 0; i < m; i++) {
        let s = r[i];
        for (let c = 0; c < i; c++) s -= l[i][c] * z[c];
        z[i] = s / l[i][i];
      }
      const lambda = new Array<number>(m).fill(0);
      for (let i = m - 1; i >= 0; i--) {
        let s = z[i];
        for (let c = i + 1; c < m; c++) s -= l[c][i] * lambda[c];
        lambda[i] = s / l[i][i];
      }
      if (lambda.some((x) => x < -1e-12) || lambda.reduce((s, x) => s + x, 0) > 1 + 1e-12) continue;
      const p = v0.map((x, i) => x + d.reduce((s, di, j) => s + lambda[j] * di[i], 0));
      const normal = a.map((x, i) => x - p[i]);
      if (points.every((v) => v.reduce((s, x, i) => s + normal[i] * (x - p[i]), 0) <= tol)) return p;
    }
  }
  throw new Error('exactProjection: no face passed the optimality test');
}
