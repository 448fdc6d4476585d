// Exact power-of-two scaling for problems linear in an input (backward passes, Jacobian-vector
// products): they are solved on the input scaled down, where sums near the floating-point limit
// cannot overflow, and the result is scaled back. Scaling by a power of two is exact; inputs below
// the threshold (the usual ones) are passed as they are.
import { RealArray } from './validate';

/** The largest |x| over the arrays. */
export function largestMagnitude(...arrays: ArrayLike<number>[]): number {
  let largest = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i]));
  return largest;
}

/** 0, or when some |x| exceeds 2^60 the e with max |x| 2^-e in (1/2, 1]. */
export function downScale(...arrays: ArrayLike<number>[]): number {
  const largest = largestMagnitude(...arrays);
  return largest > 2 ** 60 ? Math.ceil(Math.log2(largest)) : 0;
}

/** v 2^e for an integer e, as C's ldexp: in factors of at most 2^1000 (2^1024 itself overflows), exact unless the result is subnormal. */
export function timesPowerOfTwo(v: number, e: number): number {
  let r = v;
  let rest = e;
  for (; rest > 1000; rest -= 1000) r *= 2 ** 1000;
  for (; rest < -1000; rest += 1000) r *= 2 ** -1000;
  return r * 2 ** rest;
}

/** x 2^e, exactly (see timesPowerOfTwo); x itself when e = 0. */
export function scaledBy<T extends RealArray>(x: T, e: number): T {
  if (e === 0) return x;
  return (x as Float64Array).map((v) => timesPowerOfTwo(v, e)) as T;
}
