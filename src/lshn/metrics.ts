// Retrieval metrics of SPEC.md section 5, on the [0, 1] pixel scale: images in [-1, 1] are halved.
import { describe, Matrix, Rows } from '../validate';
import { toFiniteRows } from './model';

function pair(recalled: Rows, originals: Rows): { a: Matrix<Float64Array>; b: Matrix<Float64Array> } {
  const b = toFiniteRows(originals, 'originals');
  const a = toFiniteRows(recalled, 'recalled', b.cols);
  if (a.rows !== b.rows) throw new RangeError(`recalled has ${a.rows} rows but originals has ${b.rows}`);
  return { a, b };
}

/**
 * Per image sum(((xhat - x) / 2)^2).
 *
 * @example
 * ```ts
 * sumSquaredErrors(recalled, originals); // Float64Array, one sum per image on the [0, 1] scale
 * ```
 */
export function sumSquaredErrors(recalled: Rows, originals: Rows): Float64Array {
  const { a, b } = pair(recalled, originals);
  const out = new Float64Array(a.rows);
  for (let r = 0; r < a.rows; r++) {
    let s = 0;
    for (let c = 0; c < a.cols; c++) {
      const d = (a.data[r * a.cols + c] - b.data[r * a.cols + c]) / 2;
      s += d * d;
    }
    out[r] = s;
  }
  return out;
}

/**
 * Fraction of images with sum(((xhat - x) / 2)^2) <= threshold (default 50).
 *
 * @example
 * ```ts
 * retrievalAccuracy(recalled, originals); // share of images with sum of squared errors <= 50
 * ```
 */
export function retrievalAccuracy(recalled: Rows, originals: Rows, threshold = 50): number {
  if (typeof threshold !== 'number') throw new TypeError(`threshold must be a number, got ${describe(threshold)}`);
  if (!(threshold >= 0)) throw new RangeError(`threshold must be >= 0, got ${threshold}`);
  const errors = sumSquaredErrors(recalled, originals);
  return errors.filter((e) => e <= threshold).length / errors.length;
}

/**
 * Mean absolute error per pixel on the [0, 1] scale.
 *
 * @example
 * ```ts
 * meanAbsoluteError(recalled, originals); // on the [0, 1] pixel scale
 * ```
 */
export function meanAbsoluteError(recalled: Rows, originals: Rows): number {
  const { a, b } = pair(recalled, originals);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i] - b.data[i]) / 2;
  return s / a.data.length;
}

/**
 * Mean squared error per pixel on the [0, 1] scale.
 *
 * @example
 * ```ts
 * meanSquaredError(recalled, originals); // on the [0, 1] pixel scale
 * ```
 */
export function meanSquaredError(recalled: Rows, originals: Rows): number {
  return sumSquaredErrors(recalled, originals).reduce((x, y) => x + y, 0) / pair(recalled, originals).a.data.length;
}
