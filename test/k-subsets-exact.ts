// The k-subsets projection p = clip(x - tau, 0, 1), sum p = k, in exact rational arithmetic on the
// doubles given (every double is an integer multiple of 2^-1074), for checking the transform at any
// magnitudes: no rounding, so no shift or scale can hide an error.

/** Every finite double as an integer count of 2^-1074. */
const UNIT_BITS = 1074n;
const ONE = 1n << UNIT_BITS;

/** v as an exact integer multiple of 2^-1074 (v finite). */
export function exactUnits(v: number): bigint {
  let m = v;
  let e = 0n;
  // Doubling is exact, and a finite double becomes an integer after at most 1074 doublings.
  while (!Number.isInteger(m)) {
    m *= 2;
    e++;
  }
  return BigInt(m) << (UNIT_BITS - e);
}

/** The double nearest a / b (b > 0), to about 2^-60 relative. */
function ratio(a: bigint, b: bigint): number {
  const negative = a < 0n;
  const n = negative ? -a : a;
  if (n === 0n) return 0;
  // 64 significant bits of the quotient, then one rounding by Number().
  const shift = BigInt(n.toString(2).length - b.toString(2).length) - 64n;
  const q = shift >= 0n ? n / (b << shift) : (n << -shift) / b;
  const half = Number(shift / 2n); // in two factors: 2^shift alone may leave the range
  const value = Number(q) * 2 ** half * 2 ** (Number(shift) - half);
  return negative ? -value : value;
}

export interface ExactKSubsets {
  /** The exact projection, each entry rounded once to the nearest double. */
  p: number[];
  /** Omega*(x) = <x, p> - ||p||^2 / 2, rounded once. */
  conjugate: number;
}

/**
 * The projection of finite x (-Infinity entries are masked, p = 0) onto {0 <= p <= 1, sum p = k}.
 * With x sorted decreasing, the answer has a ones, then a block of m fractional entries with
 * tau = (sum of the block + a - k) / m, then zeros; or, when x_(k) - x_(k+1) >= 1, exactly the top k
 * (m = 0). Every (a, m) is tried against the conditions x_(a) >= tau + 1, tau <= block <= tau + 1,
 * x_(a+m+1) <= tau (O(d^2) with prefix sums; the projection is unique, so any pair that meets them
 * gives it).
 */
export function exactKSubsets(x: ArrayLike<number>, k: number): ExactKSubsets {
  const finite: Array<{ i: number; u: bigint }> = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== -Infinity) finite.push({ i, u: exactUnits(x[i]) });
  finite.sort((a, b) => (a.u > b.u ? -1 : a.u < b.u ? 1 : 0));
  const n = finite.length;
  if (k < 1 || k > n) throw new Error(`k = ${k} outside [1, ${n}]`);
  const u = finite.map((f) => f.u);
  const prefix = [0n];
  for (const v of u) prefix.push(prefix[prefix.length - 1] + v);
  const K = BigInt(k);
  // tau as num / den (den > 0); the answer's p_j = clip(u_j - tau) / ONE.
  let num = 0n;
  let den = 0n;
  if (k < n && u[k - 1] - u[k] >= ONE) {
    num = u[k];
    den = 1n;
  } else if (k === n) {
    num = u[n - 1] - ONE;
    den = 1n;
  } else {
    search: for (let a = 0; a < k; a++) {
      for (let m = 1; a + m <= n; m++) {
        const M = BigInt(m);
        const tn = prefix[a + m] - prefix[a] + BigInt(a) * ONE - K * ONE; // tau * m
        const onesOk = a === 0 || u[a - 1] * M >= tn + ONE * M;
        const blockOk = u[a] * M <= tn + ONE * M && u[a + m - 1] * M >= tn;
        const zerosOk = a + m === n || u[a + m] * M <= tn;
        if (onesOk && blockOk && zerosOk) {
          num = tn;
          den = M;
          break search;
        }
      }
    }
    if (den === 0n) throw new Error('no threshold found (the reference is wrong)');
  }
  const p = new Array<number>(x.length).fill(0);
  let dot = 0n; // <x, p> * den * ONE
  let square = 0n; // ||p||^2 * den^2 * ONE^2
  for (const { i, u: v } of finite) {
    const t = v * den - num; // (x_i - tau) * den, in units
    const clipped = t <= 0n ? 0n : t >= ONE * den ? ONE * den : t; // p_i * ONE * den
    p[i] = ratio(clipped, ONE * den);
    dot += v * clipped;
    square += clipped * clipped;
  }
  // <x, p> - ||p||^2 / 2 over the common denominator 2 ONE^2 den^2.
  const conjugate = ratio(2n * dot * den - square, 2n * ONE * ONE * den * den);
  return { p, conjugate };
}
