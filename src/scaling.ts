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

/** x 2^e, exactly (in two halves: 2^1024 itself overflows); x itself when e = 0. */
export function scaledBy<T extends RealArray>(x: T, e: number): T {
  if (e === 0) return x;
  const half = 2 ** Math.trunc(e / 2);
  const rest = 2 ** (e - Math.trunc(e / 2));
  return (x as Float64Array).map((v) => v * half * rest) as T;
}
