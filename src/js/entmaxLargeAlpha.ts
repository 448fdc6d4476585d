// alpha-entmax with alpha > 2: the twin of native/core/entmax_large_alpha.cpp (the reasons are in its header). With
// y = (alpha - 1)(x - max) and q = 1/(alpha - 1) < 1, p = [y - tau]_+^q, sum p = 1. The derivatives work with base-2
// logarithms of the weights p^(2 - alpha), which leave the double range.
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
