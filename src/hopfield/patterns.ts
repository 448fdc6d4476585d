// Helpers for +-1 patterns: conversions, similarity measures, seeded generation and corruption.
import { checkAllocation } from '../limits';
import { Rng } from '../rng';
import { checkFinite, checkInteger, checkOptions, checkSeed, isArrayLikeOfNumbers, describe, optionKeys, toBipolarRows, toBipolarVector } from '../validate';

/** p patterns of n neurons, row-major. */
export interface PatternSet {
  data: Int8Array;
  rows: number;
  cols: number;
}

/**
 * 0/1 values to -1/+1.
 *
 * @example
 * ```ts
 * toBipolar([0, 1, 1]); // Int8Array [-1, 1, 1]
 * ```
 */
export function toBipolar(binary: ArrayLike<number>): Int8Array {
  if (!isArrayLikeOfNumbers(binary)) throw new TypeError(`binary must be an array or typed array of 0/1 values, got ${describe(binary)}`);
  const out = new Int8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    const v = binary[i];
    if (v !== 0 && v !== 1) throw new RangeError(`binary[${i}] must be 0 or 1, got ${String(v)}`);
    out[i] = v === 1 ? 1 : -1;
  }
  return out;
}

/**
 * -1/+1 values to 0/1.
 *
 * @example
 * ```ts
 * toBinary([-1, 1, 1]); // Uint8Array [0, 1, 1]
 * ```
 */
export function toBinary(bipolar: ArrayLike<number>): Uint8Array {
  const s = toBipolarVector(bipolar, 'bipolar', undefined, true);
  return Uint8Array.from(s, (v) => (v > 0 ? 1 : 0));
}

/**
 * Real data to +-1: values >= threshold become +1 (e.g. pixels with threshold 128).
 *
 * @example
 * ```ts
 * binarize([0, 127, 128, 255], 128); // Int8Array [-1, -1, 1, 1]
 * ```
 */
export function binarize(data: ArrayLike<number>, threshold = 0): Int8Array {
  if (!isArrayLikeOfNumbers(data)) throw new TypeError(`data must be an array or typed array of numbers, got ${describe(data)}`);
  checkFinite(threshold, 'threshold');
  const out = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || Number.isNaN(v)) throw new RangeError(`data[${i}] must be a number, got ${String(v)}`);
    out[i] = v >= threshold ? 1 : -1;
  }
  return out;
}

function pair(a: ArrayLike<number>, b: ArrayLike<number>): [Int8Array, Int8Array] {
  const x = toBipolarVector(a, 'a', undefined, true);
  const y = toBipolarVector(b, 'b', x.length, true);
  if (x.length === 0) throw new RangeError('a must not be empty');
  return [x, y];
}

/**
 * Overlap m = (1/N) a.b, in [-1, 1].
 *
 * @example
 * ```ts
 * overlap([1, 1, -1, -1], [1, -1, -1, -1]); // 0.5
 * ```
 */
export function overlap(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const [x, y] = pair(a, b);
  let dot = 0;
  for (let i = 0; i < x.length; i++) dot += x[i] * y[i];
  return dot / x.length;
}

/**
 * Number of positions where a and b differ.
 *
 * @example
 * ```ts
 * hammingDistance([1, 1, -1], [1, -1, 1]); // 2
 * ```
 */
export function hammingDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const [x, y] = pair(a, b);
  let d = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) d++;
  return d;
}

/**
 * 1 - hammingDistance / N, in [0, 1].
 *
 * @example
 * ```ts
 * hammingSimilarity([1, 1, -1, -1], [1, 1, -1, 1]); // 0.75
 * ```
 */
export function hammingSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return 1 - hammingDistance(a, b) / a.length; // a was checked by hammingDistance
}

/**
 * p x p matrix of overlaps between the rows of `patterns`.
 *
 * @example
 * ```ts
 * similarityMatrix([[1, 1, -1], [1, -1, -1]]).data; // [1, 1/3, 1/3, 1]
 * ```
 */
export function similarityMatrix(patterns: unknown): { data: Float64Array; rows: number; cols: number } {
  const { data, rows, cols } = toBipolarRows(patterns, 'patterns', undefined, true);
  checkAllocation('similarity matrix', rows * rows, 8);
  const out = new Float64Array(rows * rows);
  for (let a = 0; a < rows; a++) {
    for (let b = a; b < rows; b++) {
      let dot = 0;
      for (let i = 0; i < cols; i++) dot += data[a * cols + i] * data[b * cols + i];
      out[a * rows + b] = out[b * rows + a] = dot / cols;
    }
  }
  return { data: out, rows, cols: rows };
}

/** Options of {@link randomPatterns}. */
export interface RandomPatternsOptions {
  seed?: number;
  /** P(+1) of each entry (default 0.5). */
  bias?: number;
}

/**
 * p random +-1 patterns of n neurons; `bias` is P(+1).
 *
 * @example
 * ```ts
 * const { data, rows, cols } = randomPatterns(25, 500, { seed: 1 });
 * ```
 */
export function randomPatterns(p: number, n: number, options: RandomPatternsOptions = {}): PatternSet {
  checkInteger(p, 'p', 1);
  checkInteger(n, 'n', 1);
  const opts = checkOptions(options, 'options', optionKeys<RandomPatternsOptions>()('seed', 'bias'));
  const seed = checkSeed(opts.seed ?? 0, 'options.seed');
  const bias = checkFinite(opts.bias ?? 0.5, 'options.bias');
  if (bias < 0 || bias > 1) throw new RangeError(`options.bias must be in [0, 1], got ${bias}`);
  checkAllocation(`p x n = ${p} x ${n} patterns`, p * n, 1);
  const rng = new Rng(seed);
  const data = new Int8Array(p * n);
  for (let i = 0; i < data.length; i++) data[i] = rng.nextDouble() < bias ? 1 : -1;
  return { data, rows: p, cols: n };
}

/**
 * A copy of `pattern` with exactly `flips` distinct positions, chosen by `seed`, negated.
 *
 * @example
 * ```ts
 * const cue = flipBits(pattern, 10, 42); // hammingDistance(cue, pattern) === 10
 * ```
 */
export function flipBits(pattern: ArrayLike<number>, flips: number, seed = 0): Int8Array {
  const s = toBipolarVector(pattern, 'pattern');
  checkInteger(flips, 'flips', 0, s.length);
  const rng = new Rng(checkSeed(seed, 'seed'));
  const index = Uint32Array.from({ length: s.length }, (_, i) => i);
  // Partial Fisher-Yates: the first `flips` entries of a random permutation.
  for (let k = 0; k < flips; k++) {
    const j = k + rng.below(s.length - k);
    const tmp = index[k];
    index[k] = index[j];
    index[j] = tmp;
    s[index[k]] = -s[index[k]] as -1 | 1;
  }
  return s;
}
