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
 * Euclidean projection of a[aOff..aOff+n) onto {x in [0,1]^n, c.x (<=, =, >=) k} (c = ones when
 * costs is null), written to x[xOff..). Returns the multiplier tau of the sum constraint
 * (x = clip(a - tau c, 0, 1)), or NaN when the constraint is not active (x = clip(a, 0, 1)).
 * The root of the piecewise-linear sum is found by Newton steps on its linear pieces, safeguarded
 * by bisection, and is exact once a step lands inside the piece it was computed from.
 */
export function cappedProjection(
  a: Float64Array, aOff: number, n: number, costs: Float64Array | null, cOff: number, k: number, mode: SumMode,
  x: Float64Array, xOff: number,
): number {
  let clippedSum = 0;
  for (let i = 0; i < n; i++) {
    const v = a[aOff + i];
    const xi = v <= 0 ? 0 : v >= 1 ? 1 : v;
    clippedSum += (costs === null ? 1 : costs[cOff + i]) * xi;
  }
  if ((mode === SumMode.AtMost && clippedSum <= k) || (mode === SumMode.AtLeast && clippedSum >= k)) {
    for (let i = 0; i < n; i++) {
      const v = a[aOff + i];
      x[xOff + i] = v <= 0 ? 0 : v >= 1 ? 1 : v;
    }
    return NaN;
  }
  // Bracket: at lo every entry is at 1, at hi every entry is at 0.
  let lo = Infinity;
  let hi = -Infinity;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const c = costs === null ? 1 : costs[cOff + i];
    const v = a[aOff + i];
    lo = Math.min(lo, (v - 1) / c);
    hi = Math.max(hi, v / c);
    total += c;
  }
  // The polytope is a single vertex: bisection would only approach it.
  if (mode !== SumMode.AtLeast && k <= 0) {
    for (let i = 0; i < n; i++) x[xOff + i] = 0;
    return hi;
  }
  if (mode !== SumMode.AtMost && k >= total) {
    for (let i = 0; i < n; i++) x[xOff + i] = 1;
    return lo;
  }
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
      const c = costs === null ? 1 : costs[cOff + i];
      const v = a[aOff + i];
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
  for (let i = 0; i < n; i++) {
    const c = costs === null ? 1 : costs[cOff + i];
    const v = a[aOff + i] - tau * c;
    x[xOff + i] = v <= 0 ? 0 : v >= 1 ? 1 : v;
  }
  return tau;
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
