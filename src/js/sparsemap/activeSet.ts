// Active-set SparseMAP for factors that only have a MAP oracle: max a.x + b.v - 1/2 ||x||^2 over
// conv{(m_s, n_s)}, as a QP on the simplex of structure weights w. Each pass solves the
// equality-constrained QP on the current support (or, where it is singular and unbounded, moves
// along a null direction), drops a structure whose weight reaches 0, and otherwise asks the oracle
// for the structure with the highest reduced score (a - x).m + b.n; it stops when none beats the
// support. Mirrored line for line by native/core/sparsemap_active_set.cpp.
//
// Degenerate inputs (ties, scores tiny beside the quadratic term) must not make it cycle: a
// structure enters with a gain the optimality test counts, the QP on the enlarged (singular) support
// must not then dismiss the same gain as noise, leave it at weight 0 and drop it, or the oracle
// returns it again forever. So one tolerance, GAIN_TOL, relative to the size of the terms summed
// (structureMagnitude), judges both the gain and the slope along a null direction, and a structure
// that just entered is followed along its null direction whenever that slope is positive at all.

/** A vertex of the marginal polytope: sorted indices of its unary and additional ones. */
export interface Structure {
  /** Factor-specific description: the state path (sequences), the heads (Tree), the group states (Dense) or the selected positions. */
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
  /** The structure with this label (taken, not copied); RangeError if no structure has it. */
  structure(label: Int32Array): Structure;
}

function checkLabel(ok: boolean, what: string): void {
  if (!ok) throw new RangeError(`not a label of this factor: ${what}`);
}

/**
 * An ascent is real when above this times the largest structureMagnitude involved: a structure's
 * gain over the support (else the support is optimal), or the slope of a singular reduced QP along
 * a null direction (else the QP is bounded there).
 */
const GAIN_TOL = 1e-12;
/** Relative size below which a pivot of the reduced Hessian counts as zero. */
const RANK_TOL = 1e-10;
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
 * sum |a_on| + sum |b_add| + |on|: the size of the terms in the structure's score at residual a - x
 * (x in [0, 1]) and in its reduced gradient c - (Gw) ((Gw) <= |on|), hence the scale of their
 * rounding errors, even when large scores cancel (a total near 0 is no such scale).
 */
function structureMagnitude(s: Structure, a: Float64Array, aOff: number, b: Float64Array, bOff: number): number {
  let total = s.on.length;
  for (let i = 0; i < s.on.length; i++) total += Math.abs(a[aOff + s.on[i]]);
  for (let i = 0; i < s.add.length; i++) total += Math.abs(b[bOff + s.add[i]]);
  return total;
}

/**
 * The reduced Hessian H = Z'GZ of a support (Z eliminates the first weight), kept factorised as
 * H[perm][perm] = L L' in its first `rank` columns. A full factorisation uses diagonal pivoting;
 * while H has full rank, adding a structure appends a row (O(k^2)) and removing one re-triangularises
 * with Givens rotations (O(k^2)), so an active-set pass does not refactorise from scratch.
 */
class ReducedSystem {
  m = 0;
  rank = 0;
  private cap = 0;
  /** Row-major with stride cap. */
  private l = new Float64Array(0);
  private h = new Float64Array(0);
  perm = new Int32Array(0);
  private z = new Float64Array(0);
  y = new Float64Array(0);
  private maxDiag = 0;

  private reserve(m: number): void {
    if (m <= this.cap) return;
    const cap = Math.max(2 * this.cap, m, 8);
    const l = new Float64Array(cap * cap);
    for (let i = 0; i < this.m; i++) for (let c = 0; c <= i && c < this.rank; c++) l[i * cap + c] = this.l[i * this.cap + c];
    const perm = new Int32Array(cap);
    perm.set(this.perm.subarray(0, this.m));
    this.l = l;
    this.perm = perm;
    this.h = new Float64Array(cap * cap);
    this.z = new Float64Array(cap);
    this.y = new Float64Array(cap);
    this.cap = cap;
  }

  private static entry(gram: number[][], i: number, j: number): number {
    return gram[i + 1][j + 1] - gram[i + 1][0] - gram[0][j + 1] + gram[0][0];
  }

  /** Full factorisation with diagonal pivoting. */
  factor(gram: number[][], k: number): void {
    const m = k - 1;
    this.reserve(m);
    this.m = m;
    const { h, l, perm, cap } = this;
    let maxDiag = 0;
    for (let i = 0; i < m; i++) {
      perm[i] = i;
      for (let j = 0; j < m; j++) h[i * cap + j] = ReducedSystem.entry(gram, i, j);
      maxDiag = Math.max(maxDiag, h[i * cap + i]);
      for (let c = 0; c < m; c++) l[i * cap + c] = 0;
    }
    this.maxDiag = maxDiag;
    const tol = RANK_TOL * Math.max(1, maxDiag);
    this.rank = m;
    for (let j = 0; j < m; j++) {
      let p = j;
      for (let i = j + 1; i < m; i++) if (h[i * cap + i] > h[p * cap + p]) p = i;
      if (!(h[p * cap + p] > tol)) {
        this.rank = j;
        return;
      }
      if (p !== j) {
        for (let c = 0; c < m; c++) {
          const t = h[j * cap + c]; h[j * cap + c] = h[p * cap + c]; h[p * cap + c] = t;
        }
        for (let r = 0; r < m; r++) {
          const t = h[r * cap + j]; h[r * cap + j] = h[r * cap + p]; h[r * cap + p] = t;
        }
        for (let c = 0; c < j; c++) {
          const t = l[j * cap + c]; l[j * cap + c] = l[p * cap + c]; l[p * cap + c] = t;
        }
        const t = perm[j]; perm[j] = perm[p]; perm[p] = t;
      }
      const d = Math.sqrt(h[j * cap + j]);
      l[j * cap + j] = d;
      for (let i = j + 1; i < m; i++) l[i * cap + j] = h[i * cap + j] / d;
      for (let i = j + 1; i < m; i++) {
        const lij = l[i * cap + j];
        for (let c = j + 1; c <= i; c++) {
          h[i * cap + c] -= lij * l[c * cap + j];
          h[c * cap + i] = h[i * cap + c];
        }
      }
    }
  }

  /** The support gained a last structure (now k structures). */
  append(gram: number[][], k: number): void {
    const m = k - 1;
    if (this.rank !== this.m || m !== this.m + 1 || m === 1) {
      this.factor(gram, k);
      return;
    }
    this.reserve(m);
    const { l, perm, cap } = this;
    const row = m - 1;
    const diag = ReducedSystem.entry(gram, row, row);
    this.maxDiag = Math.max(this.maxDiag, diag);
    let rest = diag;
    for (let i = 0; i < row; i++) {
      let s = ReducedSystem.entry(gram, row, perm[i]);
      for (let c = 0; c < i; c++) s -= l[i * cap + c] * l[row * cap + c];
      const v = s / l[i * cap + i];
      l[row * cap + i] = v;
      rest -= v * v;
    }
    if (!(rest > RANK_TOL * Math.max(1, this.maxDiag))) {
      this.factor(gram, k);
      return;
    }
    l[row * cap + row] = Math.sqrt(rest);
    perm[row] = row;
    this.m = m;
    this.rank = m;
  }

  /** Structure `index` left the support (now k structures). */
  remove(gram: number[][], k: number, index: number): void {
    if (index === 0 || this.rank !== this.m) {
      this.factor(gram, k);
      return;
    }
    const { l, perm, cap } = this;
    const m = this.m;
    const gone = index - 1;
    let q = 0;
    while (perm[q] !== gone) q++;
    // Drop row q; rows below it keep one entry right of the diagonal, which Givens rotations on
    // column pairs (j, j+1) fold back.
    for (let i = q; i < m - 1; i++) {
      for (let c = 0; c <= i + 1; c++) l[i * cap + c] = l[(i + 1) * cap + c];
      perm[i] = perm[i + 1];
    }
    for (let j = q; j < m - 1; j++) {
      const a = l[j * cap + j];
      const b = l[j * cap + j + 1];
      const r = Math.hypot(a, b);
      const c = a / r;
      const s = b / r;
      for (let i = j; i < m - 1; i++) {
        const x = l[i * cap + j];
        const y = l[i * cap + j + 1];
        l[i * cap + j] = c * x + s * y;
        l[i * cap + j + 1] = -s * x + c * y;
      }
    }
    for (let i = 0; i < m - 1; i++) {
      l[i * cap + m - 1] = 0;
      if (perm[i] > gone) perm[i]--;
    }
    this.m = m - 1;
    this.rank = m - 1;
  }

  /**
   * Solves H y = r (r indexed like the support minus its first entry) on the factorised part, y = 0
   * elsewhere; returns the index (in pivot order) of the most inconsistent null direction, or -1.
   */
  solve(r: Float64Array, nullTol: number): number {
    const { m, rank, l, perm, z, y, cap } = this;
    for (let i = 0; i < rank; i++) {
      let s = r[perm[i]];
      for (let c = 0; c < i; c++) s -= l[i * cap + c] * z[c];
      z[i] = s / l[i * cap + i];
    }
    let worst = -1;
    let worstAbs = nullTol;
    for (let i = rank; i < m; i++) {
      let s = r[perm[i]];
      for (let c = 0; c < rank; c++) s -= l[i * cap + c] * z[c];
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
      for (let c = i + 1; c < rank; c++) s -= l[c * cap + i] * y[perm[c]];
      y[perm[i]] = s / l[i * cap + i];
    }
    return worst;
  }

  /** After solve: the pivot index of reduced index i if it lies in the null part and r ascends along its null direction, else -1. */
  ascendingNullPivot(i: number): number {
    for (let j = this.rank; j < this.m; j++) if (this.perm[j] === i) return this.z[j] > 0 ? j : -1;
    return -1;
  }

  /** The null direction for pivot index j >= rank, ascending for r (sign of its residual z[j]). */
  nullDirection(j: number): void {
    const { m, rank, l, perm, z, y, cap } = this;
    for (let i = 0; i < m; i++) y[i] = 0;
    const sign = z[j] > 0 ? 1 : -1;
    y[perm[j]] = sign;
    for (let i = rank - 1; i >= 0; i--) {
      let s = -sign * l[j * cap + i];
      for (let c = i + 1; c < rank; c++) s -= l[c * cap + i] * y[perm[c]];
      y[perm[i]] = s / l[i * cap + i];
    }
  }
}

export class ActiveSetQP {
  structures: Structure[] = [];
  weights: number[] = [];
  private gram: number[][] = [];
  private scores: number[] = [];
  /** structureMagnitude of each structure at the current scores. */
  private magnitudes: number[] = [];
  private readonly residual: Float64Array;
  private readonly reduced = new ReducedSystem();
  private readonly jvpSystem = new ReducedSystem();
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
    if (this.structures.length > 1) this.reduced.append(this.gram, this.structures.length);
  }

  private removeStructure(index: number): void {
    this.structures.splice(index, 1);
    this.weights.splice(index, 1);
    this.gram.splice(index, 1);
    for (const row of this.gram) row.splice(index, 1);
    if (this.structures.length > 1) this.reduced.remove(this.gram, this.structures.length, index);
    else this.reduced.factor(this.gram, 1);
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

  private recomputeScores(a: Float64Array, aOff: number, b: Float64Array, bOff: number): void {
    this.scores = this.structures.map((s) => structureScore(s, a, aOff, b, bOff));
    this.magnitudes = this.structures.map((s) => structureMagnitude(s, a, aOff, b, bOff));
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
    this.recomputeScores(a, aOff, b, bOff);
    this.converged = false;
    let iter = 0;
    // The index of the structure the previous pass added, else -1.
    let entering = -1;
    while (iter < maxIter) {
      iter++;
      const k = this.structures.length;
      const entered = entering;
      entering = -1;
      if (k > 1) {
        const m = k - 1;
        if (this.r.length < m) this.r = new Float64Array(2 * m);
        if (this.p.length < k) this.p = new Float64Array(2 * k);
        // Reduced ascent direction of c.w - 1/2 w'Gw along Z (the first weight absorbs the sum).
        let h0 = this.scores[0];
        for (let j = 0; j < k; j++) h0 -= this.gram[0][j] * this.weights[j];
        let rScale = this.magnitudes[0];
        for (let i = 0; i < m; i++) {
          let hi = this.scores[i + 1];
          for (let j = 0; j < k; j++) hi -= this.gram[i + 1][j] * this.weights[j];
          this.r[i] = hi - h0;
          rScale = Math.max(rScale, this.magnitudes[i + 1]);
        }
        let nullIndex = this.reduced.solve(this.r, GAIN_TOL * rScale);
        // A structure that entered affinely dependent on the support (a null pivot) ascends along its
        // null direction at the gain that admitted it; rounding may put that slope back under the
        // tolerance the gain passed: follow any ascent there, or the structure keeps weight 0, is
        // dropped and re-added forever.
        if (nullIndex < 0 && entered > 0) nullIndex = this.reduced.ascendingNullPivot(entered - 1);
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
          this.recomputeScores(a, aOff, b, bOff);
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
      const magnitude = structureMagnitude(best, a, aOff, b, bOff);
      let scale = magnitude;
      for (const mag of this.magnitudes) scale = Math.max(scale, mag);
      if (gain <= GAIN_TOL * scale || this.structures.some((s) => sameLabel(s.label, best.label))) {
        this.converged = true;
        break;
      }
      this.addStructure(best, 0);
      this.scores.push(structureScore(best, a, aOff, b, bOff));
      this.magnitudes.push(magnitude);
      entering = this.structures.length - 1;
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

  /**
   * Makes the support a reported distribution (count weights, labels one after another), as the
   * solve that reported it left it: the backward pass differentiates that very decomposition (at
   * ties in the additional scores there are others, with other Jacobians).
   */
  restore(weights: Float64Array, wOff: number, labels: Int32Array, lOff: number, count: number): void {
    this.structures = [];
    this.weights = [];
    this.gram = [];
    const length = this.oracle.labelLength;
    for (let s = 0; s < count; s++) {
      this.addStructure(this.oracle.structure(labels.slice(lOff + s * length, lOff + (s + 1) * length)), weights[wOff + s]);
    }
  }

  /** Structures whose weight is above SUPPORT_TOL: the support the Jacobian is taken on. */
  private jvpSupport: number[] = [];

  /** Factorises the current support (weights above SUPPORT_TOL) for jvp. */
  prepareJvp(): void {
    this.jvpSupport = [];
    for (let s = 0; s < this.weights.length; s++) if (this.weights[s] > SUPPORT_TOL) this.jvpSupport.push(s);
    const support = this.jvpSupport;
    if (support.length > 1) this.jvpSystem.factor(support.map((i) => support.map((j) => this.gram[i][j])), support.length);
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
    this.jvpSystem.solve(this.r, Infinity);
    const y = this.jvpSystem.y;
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

/**
 * Dense: G categorical variables (group g is one-hot over its `sizes[g]` binary variables, groups
 * concatenated) with a score for every joint configuration (row-major, last group fastest), whose
 * marginals are the additionals. MAP = enumeration. Labels are the state of each group.
 */
export class DenseOracle implements Oracle {
  readonly n: number;
  readonly nAdd: number;
  readonly labelLength: number;
  private readonly offsets: number[];

  constructor(readonly sizes: number[]) {
    this.offsets = [];
    let n = 0;
    let nAdd = 1;
    for (const size of sizes) {
      this.offsets.push(n);
      n += size;
      nAdd *= size;
    }
    this.n = n;
    this.nAdd = nAdd;
    this.labelLength = sizes.length;
  }

  argmax(u: Float64Array, uOff: number, b: Float64Array, bOff: number): Structure {
    const { sizes, offsets } = this;
    const G = sizes.length;
    const state = new Int32Array(G);
    let best = -Infinity;
    let bestIndex = 0;
    for (let index = 0; index < this.nAdd; index++) {
      let score = b[bOff + index];
      for (let g = 0; g < G; g++) score += u[uOff + offsets[g] + state[g]];
      if (score > best) {
        best = score;
        bestIndex = index;
      }
      for (let g = G - 1; g >= 0; g--) {
        if (++state[g] < sizes[g]) break;
        state[g] = 0;
      }
    }
    const label = new Int32Array(G);
    let rest = bestIndex;
    for (let g = G - 1; g >= 0; g--) {
      label[g] = rest % sizes[g];
      rest = Math.floor(rest / sizes[g]);
    }
    return this.structure(label);
  }

  /** One state per group; the configuration index runs row-major (last group fastest). */
  structure(label: Int32Array): Structure {
    const { sizes, offsets } = this;
    checkLabel(label.length === sizes.length, `${label.length} group states for ${sizes.length} groups`);
    const on = new Int32Array(sizes.length);
    let index = 0;
    for (let g = 0; g < sizes.length; g++) {
      checkLabel(label[g] >= 0 && label[g] < sizes[g], `state ${label[g]} of group ${g}`);
      on[g] = offsets[g] + label[g];
      index = index * sizes[g] + label[g];
    }
    return { label, on, add: Int32Array.of(index) };
  }
}

/**
 * Exactly k of L positions selected, with a score for each pair of consecutive selected positions
 * (additional t - 1 for the pair (t - 1, t)). This is the 2-state SequenceBudget of sequential
 * k-subsets written on the selected state alone: there, sum_t (x_t^2 + (1 - x_t)^2) =
 * 2 ||x||^2 - 2 sum x + L, so with unary scores a on the selected state and bonus b on
 * selected -> selected, its QP is twice this one's at scores (a + 1) / 2 and b / 2 (and with
 * exactly k selected the + 1/2 is a constant). Structures keep only the k selected positions, so
 * a pass costs O(k) per structure instead of O(L). MAP = Viterbi over (selected?, count).
 */
export class SelectionOracle implements Oracle {
  readonly nAdd: number;
  readonly labelLength: number;
  private readonly delta: Float64Array;
  private readonly back: Uint8Array;

  constructor(readonly n: number, readonly k: number) {
    this.nAdd = Math.max(0, n - 1);
    this.labelLength = k;
    this.delta = new Float64Array(n * 2 * (k + 1));
    this.back = new Uint8Array(n * 2 * (k + 1));
  }

  argmax(u: Float64Array, uOff: number, b: Float64Array, bOff: number): Structure {
    const { n: L, k, delta, back } = this;
    const C = k + 1;
    // delta[(t * 2 + s) * C + c]: best prefix ending at t, s = 1 if t is selected, c selected so far.
    delta.fill(-Infinity);
    delta[0] = 0;
    if (C > 1) delta[1 * C + 1] = u[uOff];
    for (let t = 1; t < L; t++) {
      for (let c = 0; c < C; c++) {
        // t not selected: from either state with the same count.
        const fromOff = delta[((t - 1) * 2) * C + c];
        const fromOn = delta[((t - 1) * 2 + 1) * C + c];
        if (fromOn > fromOff) {
          delta[(t * 2) * C + c] = fromOn;
          back[(t * 2) * C + c] = 1;
        } else {
          delta[(t * 2) * C + c] = fromOff;
          back[(t * 2) * C + c] = 0;
        }
        if (c === 0) continue;
        // t selected: one more selected; the pair bonus when t - 1 was selected too.
        const offPrev = delta[((t - 1) * 2) * C + c - 1];
        const onPrev = delta[((t - 1) * 2 + 1) * C + c - 1] + b[bOff + t - 1];
        if (onPrev > offPrev) {
          delta[(t * 2 + 1) * C + c] = onPrev + u[uOff + t];
          back[(t * 2 + 1) * C + c] = 1;
        } else {
          delta[(t * 2 + 1) * C + c] = offPrev + u[uOff + t];
          back[(t * 2 + 1) * C + c] = 0;
        }
      }
    }
    const endOff = delta[((L - 1) * 2) * C + k];
    const endOn = delta[((L - 1) * 2 + 1) * C + k];
    if (endOff === -Infinity && endOn === -Infinity) throw new RangeError('selection factor has no feasible configuration');
    let s = endOn > endOff ? 1 : 0;
    let c = k;
    const label = new Int32Array(k);
    for (let t = L - 1; t >= 0; t--) {
      const prev = t > 0 ? back[(t * 2 + s) * C + c] : 0;
      if (s === 1) label[--c] = t;
      s = prev;
    }
    return this.structure(label);
  }

  /** The k selected positions in increasing order; additional t - 1 marks the pair (t - 1, t). */
  structure(label: Int32Array): Structure {
    checkLabel(label.length === this.k, `${label.length} positions for k = ${this.k}`);
    const add: number[] = [];
    for (let i = 0; i < label.length; i++) {
      checkLabel(label[i] >= (i > 0 ? label[i - 1] + 1 : 0) && label[i] < this.n, `position ${label[i]}`);
      if (i > 0 && label[i] === label[i - 1] + 1) add.push(label[i] - 1);
    }
    return { label, on: label, add: Int32Array.from(add) };
  }
}

/**
 * Maximum spanning arborescence rooted at node 0 (Chu-Liu-Edmonds): score[h * N + m] is the score
 * of arc h -> m (-Infinity when absent). Returns head[m] (head[0] = -1).
 */
export function chuLiuEdmonds(score: Float64Array, N: number): Int32Array {
  const head = new Int32Array(N);
  head[0] = -1;
  for (let m = 1; m < N; m++) {
    let best = -Infinity;
    let arg = -1;
    for (let h = 0; h < N; h++) {
      if (h !== m && score[h * N + m] > best) {
        best = score[h * N + m];
        arg = h;
      }
    }
    head[m] = arg;
  }
  // A cycle among the best heads, if any.
  const mark = new Int32Array(N).fill(-1);
  let cycleNode = -1;
  for (let start = 1; start < N && cycleNode < 0; start++) {
    let v = start;
    while (v !== 0 && mark[v] === -1) {
      mark[v] = start;
      v = head[v];
    }
    if (v !== 0 && mark[v] === start) cycleNode = v;
  }
  if (cycleNode < 0) return head;
  const inCycle = new Uint8Array(N);
  for (let v = cycleNode; !inCycle[v]; v = head[v]) inCycle[v] = 1;
  // Contract the cycle into the last node of a smaller graph.
  const index = new Int32Array(N);
  const original: number[] = [];
  for (let v = 0; v < N; v++) {
    if (!inCycle[v]) {
      index[v] = original.length;
      original.push(v);
    }
  }
  const c = original.length;
  const M = c + 1;
  for (let v = 0; v < N; v++) if (inCycle[v]) index[v] = c;
  const sub = new Float64Array(M * M).fill(-Infinity);
  const enterVia = new Int32Array(M).fill(-1);
  const leaveFrom = new Int32Array(M).fill(-1);
  for (let h = 0; h < N; h++) {
    for (let m = 0; m < N; m++) {
      if (h === m || score[h * N + m] === -Infinity) continue;
      const hi = index[h];
      const mi = index[m];
      if (inCycle[h] && inCycle[m]) continue;
      if (inCycle[m]) {
        const value = score[h * N + m] - score[head[m] * N + m];
        if (value > sub[hi * M + c]) {
          sub[hi * M + c] = value;
          enterVia[hi] = m;
        }
      } else if (inCycle[h]) {
        if (score[h * N + m] > sub[c * M + mi]) {
          sub[c * M + mi] = score[h * N + m];
          leaveFrom[mi] = h;
        }
      } else {
        sub[hi * M + mi] = score[h * N + m];
      }
    }
  }
  const subHead = chuLiuEdmonds(sub, M);
  const result = Int32Array.from(head);
  for (let m = 1; m < N; m++) {
    if (inCycle[m]) continue;
    const h = subHead[index[m]];
    result[m] = h === c ? leaveFrom[index[m]] : original[h];
  }
  const entry = subHead[c];
  result[enterVia[entry]] = original[entry];
  return result;
}

/**
 * Tree: a dependency arborescence over `length` words rooted at node 0, one variable per arc
 * (h -> m), ordered m = 1..length, then h = 0..length skipping h = m. MAP = Chu-Liu-Edmonds.
 * Labels are the head of each word.
 */
export class TreeOracle implements Oracle {
  readonly n: number;
  readonly nAdd = 0;
  readonly labelLength: number;
  private readonly score: Float64Array;

  constructor(readonly length: number) {
    this.n = length * length;
    this.labelLength = length;
    this.score = new Float64Array((length + 1) * (length + 1));
  }

  static arcIndex(length: number, h: number, m: number): number {
    return (m - 1) * length + (h < m ? h : h - 1);
  }

  argmax(u: Float64Array, uOff: number): Structure {
    const n = this.length;
    const N = n + 1;
    const score = this.score.fill(-Infinity);
    for (let m = 1; m <= n; m++) for (let h = 0; h <= n; h++) if (h !== m) score[h * N + m] = u[uOff + TreeOracle.arcIndex(n, h, m)];
    return this.structure(chuLiuEdmonds(score, N).slice(1));
  }

  /** The head of each word 1..length (the labels of the arcs; not checked to form a tree). */
  structure(label: Int32Array): Structure {
    const n = this.length;
    checkLabel(label.length === n, `${label.length} heads for ${n} words`);
    const on = new Int32Array(n);
    for (let m = 1; m <= n; m++) {
      const h = label[m - 1];
      checkLabel(h >= 0 && h <= n && h !== m, `head ${h} of word ${m}`);
      on[m - 1] = TreeOracle.arcIndex(n, h, m);
    }
    return { label, on, add: new Int32Array(0) };
  }
}

/** Index layout of a sequence factor's additional scores: start[S], (L-1) S x S transitions, end[S]. */
export function sequenceAdditionalLength(length: number, states: number): number {
  return 2 * states + (length - 1) * states * states;
}

function sequenceStructure(path: Int32Array, states: number): Structure {
  const length = path.length;
  for (let t = 0; t < length; t++) checkLabel(path[t] >= 0 && path[t] < states, `state ${path[t]} at position ${t}`);
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
    return this.structure(path);
  }

  /** The state at each position (a budget is not checked: the Jacobian needs no feasibility). */
  structure(label: Int32Array): Structure {
    checkLabel(label.length === this.length, `${label.length} states for ${this.length} positions`);
    return sequenceStructure(label, this.states);
  }
}
