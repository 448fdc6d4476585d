// Closed-form local problems max a.x + s.v - 1/2 ||x||^2 over a factor's marginal polytope.
// Mirrored line for line by native/core/sparsemap_closed_form.cpp.

export enum SumMode {
  AtMost = 0,
  Exact = 1,
  AtLeast = 2,
}

/** Entries closer than this to 0 or 1 count as on the boundary when reading off a face. */
export const FACE_TOL = 1e-12;

/**
 * Largest magnitude |b_i| + |t c_i| of the terms of an entry's value b_i - t c_i for which one pass
 * of the root search counts as exact: rounding errors are near 2^-52 of it, here 2^-40 at most.
 */
const SETTLED_MAGNITUDE = 2 ** 12;
/** Passes at the most; each shrinks the magnitudes near the root by a factor of 2^20 or more. */
const MAX_PIVOT_PASSES = 64;

function costOf(costs: Float64Array | null, cOff: number, i: number): number {
  return costs === null ? 1 : costs[cOff + i];
}

/**
 * Euclidean projection of a[aOff..aOff+n) onto {x in [0,1]^n, c.x (<=, =, >=) k} (c = ones when
 * costs is null), written to x[xOff..) (which must not overlap a). Returns the multiplier tau of the
 * sum constraint (x = clip(a - tau c, 0, 1)), or NaN when the constraint is not active (x = clip(a, 0, 1)).
 *
 * x is exact to about 2^-40 at any magnitude of a: the root t is sought in coordinates b_i = a_i -
 * c_i z_p shifted to a pivot's breakpoint z_p = a_p / c_p (tau = z_p + t), first with no shift, then,
 * while an entry near the root rests on terms too large for its rounding to be negligible, shifted
 * to the breakpoint nearest the root found. Near that pivot the shifted entries are small, and exact
 * where the scores tie (1e16 and 1e16 give 1/2 each, not the 0 a root near 1e16 - 1/2, which is not
 * a double, left). Costs should be scaled so that the largest is near 1 (see normalisedCosts).
 */
export function cappedProjection(
  a: Float64Array, aOff: number, n: number, costs: Float64Array | null, cOff: number, k: number, mode: SumMode,
  x: Float64Array, xOff: number,
): number {
  let clippedSum = 0;
  for (let i = 0; i < n; i++) clippedSum += costOf(costs, cOff, i) * clip01(a[aOff + i]);
  if ((mode === SumMode.AtMost && clippedSum <= k) || (mode === SumMode.AtLeast && clippedSum >= k)) {
    for (let i = 0; i < n; i++) x[xOff + i] = clip01(a[aOff + i]);
    return NaN;
  }
  let total = costs === null ? n : 0;
  let largestCost = costs === null ? 1 : 0;
  for (let i = 0; costs !== null && i < n; i++) {
    total += costs[cOff + i];
    largestCost = Math.max(largestCost, costs[cOff + i]);
  }
  // The polytope is a single vertex: the search would only approach it. tau: where every entry reaches it.
  const vertex = mode !== SumMode.AtLeast && k <= 0 ? 0 : mode !== SumMode.AtMost && k >= total ? 1 : -1;
  if (vertex >= 0) {
    let tau = vertex === 0 ? -Infinity : Infinity;
    for (let i = 0; i < n; i++) {
      const c = costOf(costs, cOff, i);
      x[xOff + i] = vertex;
      tau = vertex === 0 ? Math.max(tau, a[aOff + i] / c) : Math.min(tau, (a[aOff + i] - 1) / c);
    }
    return tau;
  }
  let b = a;
  let bOff = aOff;
  let base = 0;
  let pivot = -1;
  for (let pass = 0; ; pass++) {
    // Bracket: at lo every finite entry is at 1, at hi every one is at 0 (entries shifted to
    // infinity, from scores near 1e308, are at a bound for every finite t).
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = b[bOff + i];
      if (!Number.isFinite(v)) continue;
      const c = costOf(costs, cOff, i);
      lo = Math.min(lo, (v - 1) / c);
      hi = Math.max(hi, v / c);
    }
    const t = lo <= hi ? sumRoot(b, bOff, n, costs, cOff, k, lo, hi) : 0;
    // b_i / c_i lies in [lo, hi]: when every |b_i| + |t c_i| is small by that bound, so are the errors.
    const small = largestCost * (Math.max(Math.abs(lo), Math.abs(hi)) + Math.abs(t)) <= SETTLED_MAGNITUDE;
    if (clipSettled(b, bOff, n, costs, cOff, t, small, x, xOff) || pass === MAX_PIVOT_PASSES) return base + t;
    if (pass > 0) shiftToBreakpoint(a, aOff, n, costs, cOff, pivot, x, xOff); // b again: the clip overwrote it
    pivot = nearestBreakpoint(b, bOff, n, costs, cOff, t);
    base = shiftToBreakpoint(a, aOff, n, costs, cOff, pivot, x, xOff);
    b = x;
    bOff = xOff;
  }
}

/**
 * The root t of sum_i c_i clip(b_i - t c_i, 0, 1) = k in the bracket [lo, hi], for k strictly
 * between the sums of the two vertices: Newton steps on the linear pieces of the sum, safeguarded by
 * bisection, exact once a step lands inside the piece it was computed from.
 */
function sumRoot(b: Float64Array, bOff: number, n: number, costs: Float64Array | null, cOff: number, k: number, lo: number, hi: number): number {
  let tau = 0;
  if (!(tau > lo && tau < hi)) tau = 0.5 * lo + 0.5 * hi;
  // Enough bisections to cross the whole double range; the root step ends ordinary cases in a few.
  for (let iter = 0; iter < 2200; iter++) {
    let sumUpper = 0;
    let sumFreeCA = 0;
    let sumFreeCC = 0;
    let pieceLo = -Infinity;
    let pieceHi = Infinity;
    for (let i = 0; i < n; i++) {
      const c = costOf(costs, cOff, i);
      const v = b[bOff + i];
      const toZero = v / c; // x_i = 0 for tau >= toZero
      const toOne = (v - 1) / c; // x_i = 1 for tau <= toOne
      if (tau >= toZero) {
        if (toZero > pieceLo) pieceLo = toZero;
      } else if (tau <= toOne) {
        sumUpper += c;
        if (toOne < pieceHi) pieceHi = toOne;
      } else {
        sumFreeCA += c * v;
        sumFreeCC += c * c;
        if (toOne > pieceLo) pieceLo = toOne;
        if (toZero < pieceHi) pieceHi = toZero;
      }
    }
    const g = sumUpper + sumFreeCA - tau * sumFreeCC;
    if (g === k) break;
    if (g > k) lo = tau;
    else hi = tau;
    if (sumFreeCC > 0) {
      const root = (sumUpper + sumFreeCA - k) / sumFreeCC;
      if (root >= pieceLo && root <= pieceHi) {
        tau = root;
        break;
      }
      tau = root > lo && root < hi ? root : 0.5 * lo + 0.5 * hi;
    } else {
      tau = 0.5 * lo + 0.5 * hi;
    }
    if (!(hi - lo > 0)) break;
  }
  return tau;
}

/**
 * x = clip(b - t c) (b may be x itself: each b_i is read before x_i is written). Returns whether
 * every value v_i is exact enough: always when `small`, else when the magnitude |b_i| + |t c_i| of
 * its terms is at most SETTLED_MAGNITUDE or 2^40 times below its distance to [0, 1] (then it is
 * clipped alike whatever the rounding).
 */
function clipSettled(b: Float64Array, bOff: number, n: number, costs: Float64Array | null, cOff: number, t: number, small: boolean, x: Float64Array, xOff: number): boolean {
  if (small) {
    for (let i = 0; i < n; i++) x[xOff + i] = clip01(b[bOff + i] - t * costOf(costs, cOff, i));
    return true;
  }
  let settled = true;
  for (let i = 0; i < n; i++) {
    const c = costOf(costs, cOff, i);
    const v = b[bOff + i] - t * c;
    const magnitude = Math.abs(b[bOff + i]) + Math.abs(t * c);
    if (!(magnitude <= SETTLED_MAGNITUDE || magnitude <= 2 ** 40 * (v < 0 ? -v : v - 1))) settled = false;
    x[xOff + i] = clip01(v);
  }
  return settled;
}

/** The entry whose breakpoint b_i / c_i is nearest t: the next pivot. */
function nearestBreakpoint(b: Float64Array, bOff: number, n: number, costs: Float64Array | null, cOff: number, t: number): number {
  let pivot = 0;
  let nearest = Infinity;
  for (let i = 0; i < n; i++) {
    const c = costOf(costs, cOff, i);
    const distance = Math.abs(b[bOff + i] - t * c) / c;
    if (distance < nearest) {
      nearest = distance;
      pivot = i;
    }
  }
  return pivot;
}

/**
 * x_i = a_i - c_i z_p with z_p = a_p / c_p, returned: a_i - a_p for unit costs (exact near a_p), else
 * (a_i c_p - c_i a_p) / c_p with the products kept exactly, so that the cancellation near the pivot
 * leaves the low bits, not rounding noise.
 */
function shiftToBreakpoint(a: Float64Array, aOff: number, n: number, costs: Float64Array | null, cOff: number, p: number, x: Float64Array, xOff: number): number {
  const ap = a[aOff + p];
  if (costs === null) {
    for (let i = 0; i < n; i++) x[xOff + i] = a[aOff + i] - ap;
    return ap;
  }
  const cp = costs[cOff + p];
  for (let i = 0; i < n; i++) x[xOff + i] = differenceOfProducts(a[aOff + i], cp, costs[cOff + i], ap) / cp;
  return ap / cp;
}

const SPLITTER = 2 ** 27 + 1;

/** a b - fl(a b), exactly (Dekker's product with Veltkamp's split; |a|, |b| below 1e300). */
function productError(a: number, b: number, product: number): number {
  const as = SPLITTER * a;
  const ah = as - (as - a);
  const al = a - ah;
  const bs = SPLITTER * b;
  const bh = bs - (bs - b);
  const bl = b - bh;
  return ah * bh - product + ah * bl + al * bh + al * bl;
}

/** a b - c d to a few ulps of the result, however much the products cancel. */
function differenceOfProducts(a: number, b: number, c: number, d: number): number {
  const p = a * b;
  const q = c * d;
  return p - q + (productError(a, b, p) - productError(c, d, q));
}

/**
 * Knapsack costs and budget scaled by one power of two so that the largest cost is in [1, 2): the
 * same polytope, with products of scores and costs far from overflow. Costs within MAX_COST_RATIO
 * of each other (as graphs are validated) keep every breakpoint a_i / c_i finite.
 */
export function normalisedCosts(costs: Float64Array, cOff: number, n: number, budget: number): { costs: Float64Array; budget: number } {
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, costs[cOff + i]);
  // 2^-e with 2^e <= largest < 2^(e+1), e clamped to [-1000, 1000]; the correction makes e exact
  // whatever log2's last bit (and the same in both backends).
  let e = Math.max(-1000, Math.min(1000, Math.floor(Math.log2(largest))));
  if (e < 1000 && largest * 2 ** -e >= 2) e++;
  else if (e > -1000 && largest * 2 ** -e < 1) e--;
  const scale = 2 ** -e;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = costs[cOff + i] * scale;
  return { costs: out, budget: budget * scale };
}

/**
 * Jacobian-vector product of cappedProjection at the face of its solution x: free entries move with
 * da, projected onto c.dx = 0 when the sum constraint is active; entries at a bound stay.
 */
export function cappedProjectionJvp(
  x: Float64Array, xOff: number, n: number, costs: Float64Array | null, cOff: number, active: boolean,
  da: Float64Array, daOff: number, dx: Float64Array, dxOff: number,
): void {
  let cc = 0;
  let cda = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xOff + i];
    if (xi > FACE_TOL && xi < 1 - FACE_TOL) {
      const c = costs === null ? 1 : costs[cOff + i];
      cc += c * c;
      cda += c * da[daOff + i];
    }
  }
  const shift = active && cc > 0 ? cda / cc : 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xOff + i];
    if (xi > FACE_TOL && xi < 1 - FACE_TOL) {
      const c = costs === null ? 1 : costs[cOff + i];
      dx[dxOff + i] = da[daOff + i] - shift * c;
    } else {
      dx[dxOff + i] = 0;
    }
  }
}

function clip01(v: number): number {
  return v <= 0 ? 0 : v >= 1 ? 1 : v;
}

function isFree(v: number): boolean {
  return v > FACE_TOL && v < 1 - FACE_TOL;
}

/**
 * Pair factor: max a1 x1 + a2 x2 + s v - 1/2 (x1^2 + x2^2) with v the co-activation marginal,
 * over conv{(0,0,0), (1,0,0), (0,1,0), (1,1,1)}. The objective is the minimum of two smooth
 * concave pieces; when neither piece's own maximiser lies in its region, the optimum is on the
 * seam. Writes (x1, x2, v) to out[0..3) and returns the case (for the Jacobian).
 */
export function pairSolve(a1: number, a2: number, s: number, out: Float64Array): number {
  if (s >= 0) {
    // v = min(x1, x2)
    let x1 = clip01(a1 + s);
    let x2 = clip01(a2);
    if (x1 <= x2) {
      out[0] = x1; out[1] = x2; out[2] = x1;
      return 0;
    }
    x1 = clip01(a1);
    x2 = clip01(a2 + s);
    if (x2 <= x1) {
      out[0] = x1; out[1] = x2; out[2] = x2;
      return 1;
    }
    const t = clip01(0.5 * (a1 + a2 + s));
    out[0] = t; out[1] = t; out[2] = t;
    return 2;
  }
  // v = max(0, x1 + x2 - 1)
  let x1 = clip01(a1);
  let x2 = clip01(a2);
  if (x1 + x2 <= 1) {
    out[0] = x1; out[1] = x2; out[2] = 0;
    return 3;
  }
  x1 = clip01(a1 + s);
  x2 = clip01(a2 + s);
  if (x1 + x2 >= 1) {
    out[0] = x1; out[1] = x2; out[2] = x1 + x2 - 1;
    return 4;
  }
  x1 = clip01(0.5 * (a1 - a2 + 1));
  out[0] = x1; out[1] = 1 - x1; out[2] = 0;
  return 5;
}

/** Jacobian-vector product of pairSolve in the case it returned, at its solution x. */
export function pairJvp(pairCase: number, x: Float64Array, da1: number, da2: number, ds: number, out: Float64Array): void {
  const f1 = isFree(x[0]) ? 1 : 0;
  const f2 = isFree(x[1]) ? 1 : 0;
  switch (pairCase) {
    case 0: {
      const d1 = f1 * (da1 + ds);
      out[0] = d1; out[1] = f2 * da2; out[2] = d1;
      return;
    }
    case 1: {
      const d2 = f2 * (da2 + ds);
      out[0] = f1 * da1; out[1] = d2; out[2] = d2;
      return;
    }
    case 2: {
      const d = f1 * 0.5 * (da1 + da2 + ds);
      out[0] = d; out[1] = d; out[2] = d;
      return;
    }
    case 3:
      out[0] = f1 * da1; out[1] = f2 * da2; out[2] = 0;
      return;
    case 4: {
      const d1 = f1 * (da1 + ds);
      const d2 = f2 * (da2 + ds);
      out[0] = d1; out[1] = d2; out[2] = d1 + d2;
      return;
    }
    default: {
      const d = f1 * 0.5 * (da1 - da2);
      out[0] = d; out[1] = -d; out[2] = 0;
    }
  }
}

/** Which face of the OROUT polytope orOutProjection's solution lies on (for its Jacobian). */
export enum OrOutFace {
  /** y <= sum x is not active: inputs are clip(a_i, 0, y), y pools b with the inputs above it. */
  Clip = 0,
  /** y = sum x < 1: inputs are (a_i - tau)_+. */
  SumFree = 1,
  /** y = sum x = 1: the inputs are the projection of a onto the simplex. */
  SumOne = 2,
}

/**
 * The root t of t = c + sum_i (s_i - t)_+ for s[0..m) sorted ascending: with the k largest entries
 * above t, t = (c + their sum) / (1 + k). Pools entries from the largest while the next is above
 * the current t; t_k then rises towards the root, and the first k whose next entry is not above t_k
 * is the root (t_k stays below the entries pooled).
 */
function pooledThreshold(sorted: Float64Array, m: number, c: number): number {
  let k = 0;
  let total = 0;
  let t = c;
  while (k < m && sorted[m - 1 - k] > t) {
    total += sorted[m - 1 - k];
    k++;
    t = (c + total) / (1 + k);
  }
  return t;
}

/**
 * OROUT: Euclidean projection of a[aOff..aOff+n) (inputs, then the output b = a[aOff+n-1]) onto
 * {(x, y) in [0,1]^n : x_i <= y <= sum_i x_i}, written to x[xOff..) with y last; `sorted` is
 * scratch for n - 1 entries. Without y <= sum x, the inputs are clip(a_i, 0, y) for a given y and
 * the best y in [0, 1] is the clipped root of y - b = sum_i (a_i - y)_+. If that point has y <=
 * sum x, it is the answer; otherwise (projection onto a polytope cut by one half-space) y = sum x
 * is active, where x_i <= y and x_i <= 1 hold by themselves: x_i = (a_i - tau)_+ with tau + b =
 * sum_i (a_i - tau)_+, or, if that sum exceeds 1, y = 1 and x is a's projection onto the simplex.
 * The face is chosen by the sum as computed, so y <= 1 even when rounding (scores near 1e150) makes
 * it differ from tau + b, and the simplex projection is cappedProjection's, which keeps the 1 it
 * distributes against entries of 1e150 (a threshold t = s - 1 computed as s did not).
 */
export function orOutProjection(a: Float64Array, aOff: number, n: number, x: Float64Array, xOff: number, sorted: Float64Array): OrOutFace {
  const m = n - 1;
  const b = a[aOff + m];
  for (let i = 0; i < m; i++) sorted[i] = a[aOff + i];
  sorted.subarray(0, m).sort();
  const y = clip01(pooledThreshold(sorted, m, b));
  let total = 0;
  for (let i = 0; i < m; i++) {
    const v = a[aOff + i];
    const xi = v <= 0 ? 0 : v >= y ? y : v;
    x[xOff + i] = xi;
    total += xi;
  }
  if (y <= total) {
    x[xOff + m] = y;
    return OrOutFace.Clip;
  }
  const tau = pooledThreshold(sorted, m, -b);
  total = 0;
  for (let i = 0; i < m; i++) {
    const v = a[aOff + i] - tau;
    const xi = v > 0 ? v : 0;
    x[xOff + i] = xi;
    total += xi;
  }
  if (total <= 1) {
    x[xOff + m] = total;
    return OrOutFace.SumFree;
  }
  cappedProjection(a, aOff, m, null, 0, 1, SumMode.Exact, x, xOff);
  x[xOff + m] = 1;
  return OrOutFace.SumOne;
}

/**
 * Jacobian-vector product of orOutProjection at its solution x (face from the solve): the
 * projection of da onto the directions that keep x's active constraints active. On the Clip face
 * the inputs tied to an interior y move with it (y averages their directions with its own) and free
 * inputs move alone; on y = sum x the positive inputs shift together by the multiplier's change.
 */
export function orOutJvp(face: OrOutFace, x: Float64Array, xOff: number, n: number, da: Float64Array, daOff: number, dx: Float64Array, dxOff: number): void {
  const m = n - 1;
  const y = x[xOff + m];
  if (face === OrOutFace.Clip) {
    const interior = y > FACE_TOL && y < 1 - FACE_TOL;
    let tied = 0;
    let pooled = da[daOff + m];
    for (let i = 0; i < m; i++) {
      if (interior && x[xOff + i] >= y - FACE_TOL) {
        tied++;
        pooled += da[daOff + i];
      }
    }
    const dy = interior ? pooled / (1 + tied) : 0;
    for (let i = 0; i < m; i++) {
      const xi = x[xOff + i];
      if (interior && xi >= y - FACE_TOL) dx[dxOff + i] = dy;
      else dx[dxOff + i] = xi > FACE_TOL && xi < y - FACE_TOL ? da[daOff + i] : 0;
    }
    dx[dxOff + m] = dy;
    return;
  }
  // x_i = a_i - tau on the positive inputs: tau moves by (sum da_P - db) / (|P| + 1) while y = sum x
  // is free, and by mean(da_P) once y = 1 is fixed.
  const free = face === OrOutFace.SumFree ? 1 : 0;
  let count = free;
  let sum = -free * da[daOff + m];
  for (let i = 0; i < m; i++) {
    if (x[xOff + i] > FACE_TOL) {
      count++;
      sum += da[daOff + i];
    }
  }
  const shift = count > 0 ? sum / count : 0;
  let dy = 0;
  for (let i = 0; i < m; i++) {
    const d = x[xOff + i] > FACE_TOL ? da[daOff + i] - shift : 0;
    dx[dxOff + i] = d;
    dy += d;
  }
  dx[dxOff + m] = free * dy;
}

/**
 * Writes a distribution over OROUT vertices whose mean is the point x[xOff..xOff+n) of the polytope
 * (y last): every positive weight to weights[wOff..], at most `capacity` of them, each with its
 * 0/1 label (n entries, y last) to labels[lOff..]; returns how many weights are positive. Labels
 * are written as the values of variables u with x_i = 1 - u_i where flip[flipOff + i].
 *
 * The vertex with everything off carries 1 - y. The rest is y times a distribution over nonempty
 * input sets with marginals x_i / y. Inputs at y are in every set. The others are laid end to end
 * on [0, s) and taken when hit by a comb of teeth p = y apart at a uniform offset U in [0, p): each
 * (length x_i < y) is hit with probability x_i / y. With the ends c_i = q_i p + r_i (r_i in
 * [0, p)), input i = [c_i, c_(i+1)) holds q_(i+1) - q_i + [U < r_(i+1)] - [U < r_i] teeth, so the
 * sets change only where U passes some r_k (a tooth moves from input k - 1 to input k): there are
 * at most n of them. They are nonempty whatever the rounding: with no input at y, s = sum x >= y
 * and the counts sum to q_m + [U < r_m] >= 1 exactly. Keeping inputs at y off the line also keeps
 * rounding from splitting the intervals (c + y is not exact).
 */
export function orOutDecompose(
  x: Float64Array, xOff: number, n: number, flip: Uint8Array, flipOff: number, capacity: number,
  weights: Float64Array, wOff: number, labels: Int32Array, lOff: number,
): number {
  const m = n - 1;
  const y = x[xOff + m];
  const off = (i: number) => (flip[flipOff + i] ? 1 : 0);
  let count = 0;
  if (1 - y > 0) {
    if (count < capacity) {
      weights[wOff] = 1 - y;
      for (let i = 0; i < n; i++) labels[lOff + i] = off(i);
    }
    count++;
  }
  if (!(y > 0)) return count;
  let total = 0;
  let anyAtY = false;
  for (let i = 0; i < m; i++) {
    if (x[xOff + i] < y) total += x[xOff + i];
    else anyAtY = true;
  }
  // Without inputs at y, s >= y up to rounding; the period min(y, s) keeps q_m >= 1.
  const p = anyAtY ? y : Math.min(y, total);
  const rem = new Float64Array(n);
  const turns = new Float64Array(n);
  let c = 0;
  for (let i = 0; i <= m; i++) {
    // fmod is exact, so c - r = q p to within an ulp of c and the rounded quotient is q exactly.
    const r = c % p;
    rem[i] = r;
    turns[i] = Math.round((c - r) / p);
    if (i < m && x[xOff + i] < y) c += x[xOff + i];
  }
  // Teeth per input and the labels at U = 0, then the ends r_k in increasing order. off(i): u_i when x_i = 0.
  const teeth = new Int32Array(m);
  const label = new Int32Array(n);
  const setLabel = (i: number) => (label[i] = teeth[i] > 0 || x[xOff + i] >= y ? 1 - off(i) : off(i));
  for (let i = 0; i < m; i++) {
    teeth[i] = turns[i + 1] - turns[i] + (rem[i + 1] > 0 ? 1 : 0) - (rem[i] > 0 ? 1 : 0);
    setLabel(i);
  }
  label[m] = 1 - off(m);
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  order.sort((i, j) => rem[i] - rem[j]);
  for (let j = 0; j < n; j++) {
    const k = order[j];
    const lo = rem[k];
    if (lo > 0) {
      if (k < m) {
        teeth[k]++;
        setLabel(k);
      }
      if (k > 0) {
        teeth[k - 1]--;
        setLabel(k - 1);
      }
    }
    // U in [lo, hi): every end at or below lo has been passed (ties give empty intervals).
    const hi = j + 1 < n ? rem[order[j + 1]] : p;
    const w = (y * (hi - lo)) / p;
    if (!(w > 0)) continue;
    if (count < capacity) {
      weights[wOff + count] = w;
      labels.set(label, lOff + count * n);
    }
    count++;
  }
  return count;
}
