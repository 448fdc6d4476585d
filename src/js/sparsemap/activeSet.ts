// Active-set SparseMAP for factors that only have a MAP oracle: max a.x + b.v - 1/2 ||x||^2 over
// conv{(m_s, n_s)}, as a QP on the simplex of structure weights w. Each pass solves the
// equality-constrained QP on the current support (or, where it is singular and unbounded, moves
// along a null direction), drops a structure whose weight reaches 0, and otherwise asks the oracle
// for the structure with the highest reduced score (a - x).m + b.n; it stops when none beats the
// support. Mirrored line for line by native/core/sparsemap/active_set.cpp.

/** A vertex of the marginal polytope: sorted indices of its unary and additional ones. */
export interface Structure {
  /** Factor-specific description: the state path (sequences) or the 0/1 membership (OROUT). */
  label: Int32Array;
  on: Int32Array;
  add: Int32Array;
}

export interface Oracle {
  readonly n: number;
  readonly nAdd: number;
  readonly labelLength: number;
  /** argmax over structures of u.m + b.n (ties: the first found). */
  argmax(u: Float64Array, uOff: number, b: Float64Array, bOff: number): Structure;
}

/** Relative tolerance of the optimality test (no structure beats the support by more). */
const GAP_TOL = 1e-12;
/** Relative size below which a pivot of the reduced Hessian counts as zero. */
const RANK_TOL = 1e-10;
/** Relative residual above which a singular reduced QP is unbounded along its null space. */
const NULL_TOL = 1e-11;
/** Weights at or below this are rounding noise, not support, for the Jacobian and the reported distribution. */
export const SUPPORT_TOL = 1e-10;

function overlap(a: Int32Array, b: Int32Array): number {
  let i = 0;
  let j = 0;
  let count = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      count++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return count;
}

function sameLabel(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function structureScore(s: Structure, u: Float64Array, uOff: number, b: Float64Array, bOff: number): number {
  let total = 0;
  for (let i = 0; i < s.on.length; i++) total += u[uOff + s.on[i]];
  for (let i = 0; i < s.add.length; i++) total += b[bOff + s.add[i]];
  return total;
}

/**
 * Pivoted Cholesky of the m x m PSD matrix h (row-major; overwritten): on return perm holds the
 * pivot order and l (m x m) the factor of h[perm][perm] in its first `rank` columns.
 */
function pivotedCholesky(h: Float64Array, m: number, perm: Int32Array, l: Float64Array): number {
  let maxDiag = 0;
  for (let i = 0; i < m; i++) {
    perm[i] = i;
    maxDiag = Math.max(maxDiag, h[i * m + i]);
  }
  l.fill(0, 0, m * m);
  const tol = RANK_TOL * Math.max(1, maxDiag);
  for (let j = 0; j < m; j++) {
    let p = j;
    for (let i = j + 1; i < m; i++) if (h[i * m + i] > h[p * m + p]) p = i;
    if (!(h[p * m + p] > tol)) return j;
    if (p !== j) {
      for (let c = 0; c < m; c++) {
        const t = h[j * m + c]; h[j * m + c] = h[p * m + c]; h[p * m + c] = t;
      }
      for (let r = 0; r < m; r++) {
        const t = h[r * m + j]; h[r * m + j] = h[r * m + p]; h[r * m + p] = t;
      }
      for (let c = 0; c < j; c++) {
        const t = l[j * m + c]; l[j * m + c] = l[p * m + c]; l[p * m + c] = t;
      }
      const t = perm[j]; perm[j] = perm[p]; perm[p] = t;
    }
    const d = Math.sqrt(h[j * m + j]);
    l[j * m + j] = d;
    for (let i = j + 1; i < m; i++) l[i * m + j] = h[i * m + j] / d;
    for (let i = j + 1; i < m; i++) {
      const lij = l[i * m + j];
      for (let c = j + 1; c <= i; c++) {
        h[i * m + c] -= lij * l[c * m + j];
        h[c * m + i] = h[i * m + c];
      }
    }
  }
  return m;
}

/** The reduced system of a support: H = Z'GZ with Z eliminating the first weight, factorised. */
class ReducedSystem {
  m = 0;
  rank = 0;
  h = new Float64Array(0);
  l = new Float64Array(0);
  perm = new Int32Array(0);
  z = new Float64Array(0);
  y = new Float64Array(0);

  factor(gram: number[][], k: number): void {
    const m = k - 1;
    this.m = m;
    if (this.h.length < m * m) {
      this.h = new Float64Array(m * m);
      this.l = new Float64Array(m * m);
    }
    if (this.perm.length < m) {
      this.perm = new Int32Array(m);
      this.z = new Float64Array(m);
      this.y = new Float64Array(m);
    }
    const g00 = gram[0][0];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) this.h[i * m + j] = gram[i + 1][j + 1] - gram[i + 1][0] - gram[0][j + 1] + g00;
    }
    this.rank = pivotedCholesky(this.h, m, this.perm, this.l);
  }

  /**
   * Solves H y = r (r indexed like the support minus its first entry) on the factorised part, y = 0
   * elsewhere; returns the index (in pivot order) of the most inconsistent null direction, or -1.
   */
  solve(r: Float64Array, nullTol: number): number {
    const { m, rank, l, perm, z, y } = this;
    for (let i = 0; i < rank; i++) {
      let s = r[perm[i]];
      for (let c = 0; c < i; c++) s -= l[i * m + c] * z[c];
      z[i] = s / l[i * m + i];
    }
    let worst = -1;
    let worstAbs = nullTol;
    for (let i = rank; i < m; i++) {
      let s = r[perm[i]];
      for (let c = 0; c < rank; c++) s -= l[i * m + c] * z[c];
      if (Math.abs(s) > worstAbs) {
        worstAbs = Math.abs(s);
        worst = i;
      }
      z[i] = s;
    }
    for (let i = m - 1; i >= 0; i--) {
      if (i >= rank) {
        y[perm[i]] = 0;
        continue;
      }
      let s = z[i];
      for (let c = i + 1; c < rank; c++) s -= l[c * m + i] * y[perm[c]];
      y[perm[i]] = s / l[i * m + i];
    }
    return worst;
  }

  /** The null direction for pivot index j >= rank, ascending for r (sign of its residual z[j]). */
  nullDirection(j: number): void {
    const { m, rank, l, perm, z, y } = this;
    for (let i = 0; i < m; i++) y[i] = 0;
    const sign = z[j] > 0 ? 1 : -1;
    y[perm[j]] = sign;
    for (let i = rank - 1; i >= 0; i--) {
      let s = -sign * l[j * m + i];
      for (let c = i + 1; c < rank; c++) s -= l[c * m + i] * y[perm[c]];
      y[perm[i]] = s / l[i * m + i];
    }
  }
}

export class ActiveSetQP {
  structures: Structure[] = [];
  weights: number[] = [];
  private gram: number[][] = [];
  private scores: number[] = [];
  private readonly residual: Float64Array;
  private readonly reduced = new ReducedSystem();
  private r = new Float64Array(0);
  private p = new Float64Array(0);
  /** Passes of the last solve, and whether it proved optimality. */
  iterations = 0;
  converged = true;

  constructor(readonly oracle: Oracle) {
    this.residual = new Float64Array(oracle.n);
  }

  private addStructure(s: Structure, weight: number): void {
    const row: number[] = [];
    for (let i = 0; i < this.structures.length; i++) {
      const g = overlap(s.on, this.structures[i].on);
      row.push(g);
      this.gram[i].push(g);
    }
    row.push(s.on.length);
    this.gram.push(row);
    this.structures.push(s);
    this.weights.push(weight);
  }

  private removeStructure(index: number): void {
    this.structures.splice(index, 1);
    this.weights.splice(index, 1);
    this.gram.splice(index, 1);
    for (const row of this.gram) row.splice(index, 1);
  }

  /** Drops structures whose weight is not positive, renormalising the rest. */
  private dropEmpty(): void {
    let removed = false;
    for (let i = this.weights.length - 1; i >= 0; i--) {
      if (!(this.weights[i] > 0)) {
        this.removeStructure(i);
        removed = true;
      }
    }
    if (removed) {
      let total = 0;
      for (const w of this.weights) total += w;
      for (let i = 0; i < this.weights.length; i++) this.weights[i] /= total;
    }
  }

  /** x = sum_s w_s m_s into x[xOff..). */
  private unaryMarginals(x: Float64Array, xOff: number): void {
    const n = this.oracle.n;
    for (let i = 0; i < n; i++) x[xOff + i] = 0;
    for (let s = 0; s < this.structures.length; s++) {
      const w = this.weights[s];
      const on = this.structures[s].on;
      for (let i = 0; i < on.length; i++) x[xOff + on[i]] += w;
    }
  }

  /** Solves the local QP for unary scores a[aOff..] and additional scores b[bOff..], warm-started. */
  solve(a: Float64Array, aOff: number, b: Float64Array, bOff: number, maxIter: number, x: Float64Array, xOff: number, v: Float64Array, vOff: number): boolean {
    const oracle = this.oracle;
    if (this.structures.length === 0) this.addStructure(oracle.argmax(a, aOff, b, bOff), 1);
    this.scores = this.structures.map((s) => structureScore(s, a, aOff, b, bOff));
    this.converged = false;
    let iter = 0;
    while (iter < maxIter) {
      iter++;
      const k = this.structures.length;
      if (k > 1) {
        const m = k - 1;
        if (this.r.length < m) this.r = new Float64Array(2 * m);
        if (this.p.length < k) this.p = new Float64Array(2 * k);
        // Reduced ascent direction of c.w - 1/2 w'Gw along Z (the first weight absorbs the sum).
        let h0 = this.scores[0];
        for (let j = 0; j < k; j++) h0 -= this.gram[0][j] * this.weights[j];
        let rScale = 1;
        for (let i = 0; i < m; i++) {
          let hi = this.scores[i + 1];
          for (let j = 0; j < k; j++) hi -= this.gram[i + 1][j] * this.weights[j];
          this.r[i] = hi - h0;
          rScale = Math.max(rScale, Math.abs(this.r[i]));
        }
        this.reduced.factor(this.gram, k);
        const nullIndex = this.reduced.solve(this.r, NULL_TOL * rScale);
        const bounded = nullIndex < 0;
        if (!bounded) this.reduced.nullDirection(nullIndex);
        const y = this.reduced.y;
        let sum = 0;
        for (let i = 0; i < m; i++) {
          this.p[i + 1] = y[i];
          sum += y[i];
        }
        this.p[0] = -sum;
        let alpha = bounded ? 1 : Infinity;
        let blocking = -1;
        for (let j = 0; j < k; j++) {
          if (this.p[j] < 0) {
            const ratio = this.weights[j] / -this.p[j];
            if (ratio < alpha) {
              alpha = ratio;
              blocking = j;
            }
          }
        }
        if (!Number.isFinite(alpha)) alpha = 0;
        for (let j = 0; j < k; j++) this.weights[j] += alpha * this.p[j];
        if (blocking >= 0) this.weights[blocking] = 0;
        const before = this.structures.length;
        this.dropEmpty();
        if (blocking >= 0 || this.structures.length !== before) {
          this.scores = this.structures.map((s) => structureScore(s, a, aOff, b, bOff));
          continue;
        }
      }
      // At the optimum on the support: is there a better structure?
      this.unaryMarginals(this.residual, 0);
      for (let i = 0; i < oracle.n; i++) this.residual[i] = a[aOff + i] - this.residual[i];
      let tau = 0;
      for (let s = 0; s < this.structures.length; s++) tau += this.weights[s] * structureScore(this.structures[s], this.residual, 0, b, bOff);
      const best = oracle.argmax(this.residual, 0, b, bOff);
      const gain = structureScore(best, this.residual, 0, b, bOff) - tau;
      if (gain <= GAP_TOL * Math.max(1, Math.abs(tau)) || this.structures.some((s) => sameLabel(s.label, best.label))) {
        this.converged = true;
        break;
      }
      this.addStructure(best, 0);
      this.scores.push(structureScore(best, a, aOff, b, bOff));
    }
    this.iterations = iter;
    this.unaryMarginals(x, xOff);
    for (let j = 0; j < oracle.nAdd; j++) v[vOff + j] = 0;
    for (let s = 0; s < this.structures.length; s++) {
      const add = this.structures[s].add;
      for (let j = 0; j < add.length; j++) v[vOff + add[j]] += this.weights[s];
    }
    return this.converged;
  }

  /** Structures whose weight is above SUPPORT_TOL: the support the Jacobian is taken on. */
  private jvpSupport: number[] = [];

  /** Factorises the current support (weights above SUPPORT_TOL) for jvp. */
  prepareJvp(): void {
    this.jvpSupport = [];
    for (let s = 0; s < this.weights.length; s++) if (this.weights[s] > SUPPORT_TOL) this.jvpSupport.push(s);
    const support = this.jvpSupport;
    if (support.length > 1) this.reduced.factor(support.map((i) => support.map((j) => this.gram[i][j])), support.length);
  }

  /** (dx, dv) = d(x, v)/d(a, b) . (da, db) on the current support (after prepareJvp). */
  jvp(da: Float64Array, daOff: number, db: Float64Array, dbOff: number, dx: Float64Array, dxOff: number, dv: Float64Array, dvOff: number): void {
    const n = this.oracle.n;
    for (let i = 0; i < n; i++) dx[dxOff + i] = 0;
    for (let j = 0; j < this.oracle.nAdd; j++) dv[dvOff + j] = 0;
    const support = this.jvpSupport;
    const k = support.length;
    if (k < 2) return;
    const m = k - 1;
    if (this.r.length < m) this.r = new Float64Array(2 * m);
    const dc0 = structureScore(this.structures[support[0]], da, daOff, db, dbOff);
    for (let i = 0; i < m; i++) this.r[i] = structureScore(this.structures[support[i + 1]], da, daOff, db, dbOff) - dc0;
    this.reduced.solve(this.r, Infinity);
    const y = this.reduced.y;
    let sum = 0;
    for (let s = 1; s < k; s++) {
      sum += y[s - 1];
      this.scatter(support[s], y[s - 1], dx, dxOff, dv, dvOff);
    }
    this.scatter(support[0], -sum, dx, dxOff, dv, dvOff);
  }

  private scatter(s: number, dw: number, dx: Float64Array, dxOff: number, dv: Float64Array, dvOff: number): void {
    const { on, add } = this.structures[s];
    for (let i = 0; i < on.length; i++) dx[dxOff + on[i]] += dw;
    for (let j = 0; j < add.length; j++) dv[dvOff + add[j]] += dw;
  }
}

/** OROUT: the last variable is the OR of the others. Labels are 0/1 memberships. */
export class OrOutOracle implements Oracle {
  readonly nAdd = 0;
  readonly labelLength: number;
  constructor(readonly n: number) {
    this.labelLength = n;
  }

  argmax(u: Float64Array, uOff: number): Structure {
    const n = this.n;
    const label = new Int32Array(n);
    // Best with the output on: every positive input, or the single best input if none is positive.
    let onValue = u[uOff + n - 1];
    let anyPositive = false;
    let bestInput = 0;
    for (let i = 0; i < n - 1; i++) {
      const s = u[uOff + i];
      if (s > 0) {
        onValue += s;
        anyPositive = true;
      }
      if (s > u[uOff + bestInput]) bestInput = i;
    }
    if (!anyPositive) onValue += u[uOff + bestInput];
    if (onValue > 0) {
      for (let i = 0; i < n - 1; i++) if (u[uOff + i] > 0) label[i] = 1;
      if (!anyPositive) label[bestInput] = 1;
      label[n - 1] = 1;
    }
    const on: number[] = [];
    for (let i = 0; i < n; i++) if (label[i] === 1) on.push(i);
    return { label, on: Int32Array.from(on), add: new Int32Array(0) };
  }
}

/** Index layout of a sequence factor's additional scores: start[S], (L-1) S x S transitions, end[S]. */
export function sequenceAdditionalLength(length: number, states: number): number {
  return 2 * states + (length - 1) * states * states;
}

function sequenceStructure(path: Int32Array, states: number): Structure {
  const length = path.length;
  const on = new Int32Array(length);
  const add = new Int32Array(length + 1);
  for (let t = 0; t < length; t++) on[t] = t * states + path[t];
  add[0] = path[0];
  for (let t = 1; t < length; t++) add[t] = states + (t - 1) * states * states + path[t - 1] * states + path[t];
  add[length] = states + (length - 1) * states * states + path[length - 1];
  return { label: path, on, add };
}

/**
 * Sequence (k < 0) or SequenceBudget: L positions x S states, one state per position; with a
 * budget, state 0 is used at most (or exactly) k times. MAP = Viterbi, over (state, count of
 * state 0) with a budget.
 */
export class SequenceOracle implements Oracle {
  readonly n: number;
  readonly nAdd: number;
  readonly labelLength: number;
  private readonly counts: number;
  private readonly delta: Float64Array;
  private readonly back: Int32Array;

  constructor(readonly length: number, readonly states: number, readonly budget = -1, readonly exact = false) {
    this.n = length * states;
    this.nAdd = sequenceAdditionalLength(length, states);
    this.labelLength = length;
    this.counts = budget < 0 ? 1 : budget + 1;
    this.delta = new Float64Array(length * states * this.counts);
    this.back = new Int32Array(length * states * this.counts);
  }

  argmax(u: Float64Array, uOff: number, b: Float64Array, bOff: number): Structure {
    const { length: L, states: S, counts: C, delta, back } = this;
    const budgeted = this.budget >= 0;
    // delta[(t*S + s)*C + c]: best score of a prefix ending at position t in state s with c uses of state 0.
    delta.fill(-Infinity);
    for (let s = 0; s < S; s++) {
      const c = budgeted && s === 0 ? 1 : 0;
      if (c < C) delta[s * C + c] = u[uOff + s] + b[bOff + s];
    }
    for (let t = 1; t < L; t++) {
      const transOff = bOff + S + (t - 1) * S * S;
      for (let s = 0; s < S; s++) {
        const inc = budgeted && s === 0 ? 1 : 0;
        const unary = u[uOff + t * S + s];
        for (let c = inc; c < C; c++) {
          let best = -Infinity;
          let arg = -1;
          for (let p = 0; p < S; p++) {
            const prev = delta[((t - 1) * S + p) * C + c - inc];
            if (prev === -Infinity) continue;
            const value = prev + b[transOff + p * S + s];
            if (value > best) {
              best = value;
              arg = p;
            }
          }
          if (arg >= 0) {
            delta[(t * S + s) * C + c] = best + unary;
            back[(t * S + s) * C + c] = arg;
          }
        }
      }
    }
    const endOff = bOff + S + (L - 1) * S * S;
    let best = -Infinity;
    let bestState = -1;
    let bestCount = -1;
    for (let s = 0; s < S; s++) {
      for (let c = budgeted && this.exact ? this.budget : 0; c < C; c++) {
        const prev = delta[((L - 1) * S + s) * C + c];
        if (prev === -Infinity) continue;
        const value = prev + b[endOff + s];
        if (value > best) {
          best = value;
          bestState = s;
          bestCount = c;
        }
      }
    }
    if (bestState < 0) throw new RangeError('sequence factor has no feasible configuration');
    const path = new Int32Array(L);
    let s = bestState;
    let c = bestCount;
    for (let t = L - 1; t >= 0; t--) {
      path[t] = s;
      if (t > 0) {
        const p = back[(t * S + s) * C + c];
        if (budgeted && s === 0) c--;
        s = p;
      }
    }
    return sequenceStructure(path, S);
  }
}
