// Exact reference for the capped projection (XOR, AtMostOne, OR, Budget, Knapsack, k-subsets): the
// Euclidean projection of a onto {x in [0,1]^n, c.x (<=, =, >=) k}, found by trying every split of
// the entries into those at 1, free and at 0 and keeping the one that meets the KKT conditions, in
// rational arithmetic on BigInts. Doubles are dyadic rationals, so the answer is exact whatever the
// magnitudes (1e-300 or 1e150); only the final x is rounded to a double. For small n (3^n splits).

export type SumModeName = 'atMost' | 'exact' | 'atLeast';

/** A double as m * 2^e with m an integer, read off its IEEE bits. */
function dyadic(v: number): { m: bigint; e: number } {
  if (!Number.isFinite(v)) throw new Error(`not finite: ${v}`);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return exponent === 0 ? { m: sign * fraction, e: -1074 } : { m: sign * (fraction | (1n << 52n)), e: exponent - 1075 };
}

/** n / d (0 <= n <= d, d > 0) as a double, to about 1e-18. */
function ratio(n: bigint, d: bigint): number {
  return Number((n << 64n) / d) / 2 ** 64;
}

/**
 * The exact projection, rounded to doubles; `costs` null for unit costs. Throws if no split passes
 * (it cannot: the projection exists and is unique).
 */
export function exactCappedProjection(a: number[], costs: number[] | null, k: number, mode: SumModeName): number[] {
  const n = a.length;
  const c = costs ?? a.map(() => 1);
  const parts = [...a, ...c, k, 1].map(dyadic);
  const e0 = Math.min(...parts.map((p) => p.e));
  // Every quantity as an integer in units of 2^e0.
  const scaled = parts.map((p) => p.m << BigInt(p.e - e0));
  const A = scaled.slice(0, n);
  const C = scaled.slice(n, 2 * n);
  const K = scaled[2 * n];
  const ONE = scaled[2 * n + 1];
  const clip = (v: bigint) => (v < 0n ? 0n : v > ONE ? ONE : v);
  // c.clip(a) against k: sum C_i clip(A_i) against K * ONE (both in units of 2^(2 e0)).
  let clipped = 0n;
  for (let i = 0; i < n; i++) clipped += C[i] * clip(A[i]);
  if ((mode === 'atMost' && clipped <= K * ONE) || (mode === 'atLeast' && clipped >= K * ONE)) return A.map((v) => ratio(clip(v), ONE));
  const splits = 3 ** n;
  for (let code = 0; code < splits; code++) {
    const side: number[] = [];
    for (let i = 0, r = code; i < n; i++, r = Math.floor(r / 3)) side.push(r % 3); // 0: at 0, 1: free, 2: at 1
    let upper = 0n;
    let ca = 0n;
    let cc = 0n;
    for (let i = 0; i < n; i++) {
      if (side[i] === 2) upper += C[i];
      if (side[i] === 1) {
        ca += C[i] * A[i];
        cc += C[i] * C[i];
      }
    }
    if (cc === 0n) {
      // A vertex: the split's sum is k, and some tau keeps the entries at 0 below and those at 1 above.
      if (upper !== K) continue;
      let ok = true;
      for (let i = 0; i < n && ok; i++) {
        for (let j = 0; j < n && ok; j++) {
          // tau >= A_i / C_i for i at 0 and tau <= (A_j - ONE) / C_j for j at 1.
          if (side[i] === 0 && side[j] === 2) ok = A[i] * C[j] <= (A[j] - ONE) * C[i];
        }
      }
      if (ok) return side.map((s) => (s === 2 ? 1 : 0));
      continue;
    }
    // tau = P / Q with Q > 0; x_i = (A_i Q - P C_i) / (Q ONE) for free i.
    const P = ca - (K - upper) * ONE;
    const Q = cc;
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      const num = A[i] * Q - P * C[i];
      if (side[i] === 0) ok = num <= 0n;
      else if (side[i] === 2) ok = num >= Q * ONE;
      else ok = num > 0n && num < Q * ONE;
    }
    if (ok) return side.map((s, i) => (s === 2 ? 1 : s === 0 ? 0 : ratio(A[i] * Q - P * C[i], Q * ONE)));
  }
  throw new Error(`exactCappedProjection: no split passed for a = ${a}, costs = ${costs}, k = ${k}, ${mode}`);
}
