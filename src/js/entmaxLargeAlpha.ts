// alpha-entmax with alpha > 2: the twin of native/core/entmax_large_alpha.cpp (the reasons are in its header). With
// y = (alpha - 1)(x - max) and q = 1/(alpha - 1) < 1, p = [y - tau]_+^q, sum p = 1. The derivatives work with base-2
// logarithms of the weights p^(2 - alpha), which leave the double range. Near the edge of the support tau is written
// from the support's smallest score b, tau = b - eps, and solved for w = p at b = eps^q in logarithms, so that
// y - tau = (y - b) + eps is resolved however small eps is.
import { timesPowerOfTwo } from '../scaling';

/**
 * t 2^(e + shift) for a real e and an integer shift: 2^(floor(e) + shift) applied exactly, so that the product leaves the
 * range only where it does and scaling t or shift by a power of two scales it exactly (as the native twin).
 */
function timesExp2(t: number, e: number, shift = 0): number {
  if (t === 0) return 0;
  const n = Math.floor(e);
  return timesPowerOfTwo(2 ** (e - n) * t, Math.min(Math.max(n + shift, -2200), 2200));
}

/** w = g / max g = 2^((2 - alpha)(log2 p - log2 min p)) in (0, 1] on the support, 0 off it. */
export function relativeWeights(p: Float64Array, alpha: number, w: Float64Array): void {
  let least = Infinity;
  for (const v of p) least = v > 0 && v < least ? v : least;
  const base = Math.log2(least);
  for (let i = 0; i < p.length; i++) w[i] = p[i] > 0 ? 2 ** ((2 - alpha) * (Math.log2(p[i]) - base)) : 0;
}

/**
 * out = J v = g (v - mean), mean = <g, v> / sum g, g = p^(2 - alpha): the mean relative to v at the largest g and
 * summed scaled by a power of two that puts its largest term near 1, each output formed in base-2 logarithms, so that
 * it overflows only where J v does (as the native twin). v from offset, out from offset.
 */
export function largeAlphaJvp(p: Float64Array, alpha: number, v: ArrayLike<number>, out: { [i: number]: number }, offset: number): void {
  const n = p.length;
  let r = 0;
  let top = -Infinity;
  for (let i = 0; i < n; i++) {
    const lg = p[i] > 0 ? (2 - alpha) * Math.log2(p[i]) : -Infinity;
    if (lg > top) {
      top = lg;
      r = i;
    }
  }
  const ref = v[offset + r];
  let weight = 0;
  let largest = -Infinity;
  for (let i = 0; i < n; i++) {
    if (!(p[i] > 0)) continue;
    const e = (2 - alpha) * Math.log2(p[i]) - top;
    weight += 2 ** e;
    if (v[offset + i] !== ref) largest = Math.max(largest, e + Math.log2(Math.abs(v[offset + i] - ref)));
  }
  const k = largest > -Infinity ? -Math.floor(largest) : 0;
  let scaled = 0;
  for (let i = 0; i < n; i++) {
    if (p[i] > 0 && v[offset + i] !== ref) scaled += timesExp2(v[offset + i] - ref, (2 - alpha) * Math.log2(p[i]) - top, k);
  }
  scaled /= weight;
  const mean = timesExp2(scaled, 0, -k);
  for (let i = 0; i < n; i++) {
    if (!(p[i] > 0)) {
      out[offset + i] = 0;
      continue;
    }
    const lg = (2 - alpha) * Math.log2(p[i]);
    out[offset + i] = (v[offset + i] === ref ? -timesExp2(scaled, lg, -k) : timesExp2(v[offset + i] - ref - mean, lg)) + 0;
  }
}

export interface Boundary {
  /** The smallest support score: the support is y >= b. */
  b: number;
  /** p at y = b. */
  w: number;
  /** log(b - tau) = (alpha - 1) log w. */
  logEps: number;
}

/** log(d + eps) from log d and log eps, without forming either sum term. */
function logSum(logD: number, logEps: number): number {
  return logD > logEps ? logD + Math.log1p(Math.exp(logEps - logD)) : logEps + Math.log1p(Math.exp(logD - logEps));
}

/**
 * w in (0, 1/m] with m w + sum over y > b of (y - b + w^(alpha-1))^q = 1, given h0 = that sum at w = 0 < 1: Newton
 * from w0 = (1 - h0) / m, decreasing monotonically onto the root of the increasing convex left side (as the native twin).
 */
function solveW(y: Float64Array, n: number, b: number, m: number, h0: number, q: number): number {
  let w = (1 - h0) / m;
  for (let iteration = 0; iteration < 100; iteration++) {
    const logEps = Math.log(w) / q;
    let h = m * w - 1;
    let slope = m;
    for (let i = 0; i < n; i++) {
      if (!(y[i] > b)) continue;
      const l = logSum(Math.log(y[i] - b), logEps);
      const p = Math.exp(q * l);
      h += p;
      slope += (p * Math.exp(logEps - l)) / w; // d/dw (d + w^(1/q))^q = p eps / (w (d + eps))
    }
    const step = h / slope;
    if (!(step > 0)) break;
    w -= step;
    if (step <= 2 ** -52 * w) break;
  }
  return w;
}

/** Whether tau lies so close to one of the candidates y that its last ulps move some p by more than about 1e-13 (as the native twin). */
export function boundaryUnresolved(y: Float64Array, n: number, tau: number, q: number): boolean {
  // The score nearest tau, on either side: one just below may belong to the support too.
  let least = Infinity;
  for (let i = 0; i < n; i++) least = Math.min(least, Math.abs(y[i] - tau));
  // q t^(q-1) (4 ulps of tau) > 2^-44, in logarithms (t^(q-1) overflows for tiny t; t = 0 gives +Infinity).
  const ulps = 2 ** -50 * Math.max(1, Math.abs(tau));
  return Math.log(q * ulps) + (q - 1) * Math.log(least) > -44 * Math.log(2);
}

/** The support and threshold from a tau good to a few ulps (the support may gain or lose the entries within them). */
export function solveBoundary(y: Float64Array, n: number, tau: number, q: number): Boundary {
  let b = Infinity;
  for (let i = 0; i < n; i++) b = y[i] > tau && y[i] < b ? y[i] : b;
  let result: Boundary = { b, w: 1, logEps: 0 };
  // Each move takes in or drops the entries at one score next to b (as the native twin).
  for (let move = 0; move < 64; move++) {
    let m = 0;
    let h0 = 0;
    let lower = -Infinity;
    let higher = Infinity;
    for (let i = 0; i < n; i++) {
      if (y[i] > b) {
        h0 += Math.exp(q * Math.log(y[i] - b));
        higher = y[i] < higher ? y[i] : higher;
      } else if (y[i] === b) m += 1;
      else lower = y[i] > lower ? y[i] : lower;
    }
    if (h0 >= 1) {
      b = higher;
      continue;
    }
    const w = solveW(y, n, b, m, h0, q);
    result = { b, w, logEps: Math.log(w) / q };
    if (lower > -Infinity && result.logEps > Math.log(b - lower)) {
      b = lower;
      continue;
    }
    break;
  }
  return result;
}

/** p at the score y (the candidates' units). */
export function boundaryProbability(y: number, boundary: Boundary, q: number): number {
  const d = y - boundary.b;
  if (!(d >= 0)) return 0;
  if (d === 0) return boundary.w;
  return Math.exp(q * logSum(Math.log(d), boundary.logEps));
}
