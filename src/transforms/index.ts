// Sparse transformations yhat(theta) = argmax_{p in simplex} <theta,p> - Omega(p) (SPEC section 2):
// softmax, sparsemax, entmax (alpha), entmax15, normmax (gamma) and k-subsets, on one vector or on
// every row of a row-major matrix, in float64 or float32, with their Jacobian-vector products.
//
// Precision: Float32Array inputs give Float32Array outputs; number[] and Float64Array give
// Float64Array. Both backends compute each row in double and round once on output.
//
// Scores: any finite value of the input's precision (float64 below 2^1024, about 1.8e308; float32
// below 2^128, about 3.4e38), -Infinity as a mask. Rows are solved relative to their max (k-subsets:
// their k-th largest score), so adding c to a row leaves p and J v as they are and moves the
// conjugate by c (k c for k-subsets), at any magnitude. Only a conjugate or J v beyond the range of
// its precision is refused (RangeError).
//
// Conjugates (the regularised max Omega*(theta) = max_p <theta,p> - Omega(p), per row), with
// Omega chosen so that Omega*(theta) = max(theta) exactly when the output is one-hot, except k-subsets:
//   softmax    Omega(p) = sum p log p                          -> Omega* = logsumexp(theta)
//   sparsemax  Omega(p) = (||p||^2 - 1) / 2                    -> <theta,p> - ||p||^2/2 + 1/2
//   entmax     Omega(p) = (sum p^alpha - 1) / (alpha(alpha-1)) (Tsallis; alpha = 2 is sparsemax,
//              alpha -> 1 is softmax, which alpha = 1 returns)
//   normmax    Omega(p) = ||p||_gamma - 1
//   kSubsets   Omega(p) = ||p||^2 / 2 over {0 <= p <= 1, sum p = k} -> <theta,p> - ||p||^2/2
// Each is convex in theta with gradient yhat(theta).
//
// Jacobians (symmetric; 0 on masked entries and off the support):
//   softmax   J v = p v - p <p,v>
//   sparsemax J v = v - mean(v over the support), on the support
//   entmax    J v = g v - g <g,v> / sum g, g = p^(2-alpha) on the support
//   kSubsets  J v = v - mean(v over 0 < p < 1), on those entries
//   normmax   derived by implicit differentiation: with r = 1/(gamma-1), u = [theta - tau]_+^r and
//             p = u / U (U = sum u), the root condition sum u^gamma = sum [theta - tau]_+^(r+1) = 1
//             gives dtau = <u, dtheta> / U = <p, dtheta>; du = h (dtheta - dtau) with
//             h = r [theta - tau]_+^(r-1); dp = (du - p sum du) / U. So
//             J v = (h (v - <p,v>) - p sum(h (v - <p,v>))) / U = (1/U)(I - p 1')H(I - 1 p') v.
// entmax d p / d alpha (alpha > 1), from p = [(alpha-1) theta - tau]_+^(1/(alpha-1)) and sum p = 1:
//   r^2 (p - g/G) - r (p log p - (g/G) sum p log p), r = 1/(alpha-1), g = p^(2-alpha), G = sum g.
//
// Algorithms (both backends, the same steps): subtract the row max; sparsemax = Michelot passes
// from below finished by a seeded randomized pivot search (expected linear); entmax / normmax =
// safeguarded Newton (Halley for q >= 2) on the q-norm form of the threshold equation (a few
// passes; 1.5-entmax ends with the exact quadratic threshold on the support found; for alpha > 2, a
// tau within its rounding of a score is solved again from the support's smallest score, in
// logarithms); k-subsets = seeded random breakpoints narrowing a bracket (expected linear) on the
// scores shifted by their k-th largest, in (-1, 0) at any magnitude (found in one scan for k <= 16;
// larger k try the row max first and select the k-th largest only when tau lands far below it). J v
// takes v relative to its entry of largest weight, so that a nearly one-hot output keeps its small
// entries. Long rows (d >= 8192) first take a support floor suggested by a strided sample and
// verified after the gathering pass, which is also the row's max scan (the floor is taken relative
// to the sample's max); for k-subsets the sample gives a bracket from both sides, and one pass
// (which also validates the row, shifting by the sample's max) keeps only the entries undetermined
// on it. Exponents that need pow, on long candidate lists: a start estimated from per-cell counts
// (pow per cell, not per entry), later passes take t^(q-1) from the previous one's by a binomial
// series, and the output reuses the last pass's terms. Rows of a batch run on all cores natively
// (results do not depend on it).
import { getBackend } from '../backend';
import { BackendName, RealArray, TransformKind, TransformParams } from '../kernels';
import { checkAllocation } from '../limits';
import { downScale, largestMagnitude, scaledBy } from '../scaling';
import { checkBoolean, checkInteger, checkOptions, optionKeys, describe, isArrayLikeOfNumbers } from '../validate';

// The options every transform takes.
const TRANSFORM_KEYS = optionKeys<TransformOptions>()('backend', 'support', 'threads', 'out');

export type { RealArray } from '../kernels';
/**
 * One score vector: Float64Array, Float32Array or number[] (number[] gives Float64Array results).
 */
export type VectorInput = Float64Array | Float32Array | number[];
/**
 * A batch of score rows, row-major; every row is transformed.
 */
export interface MatrixInput {
  data: VectorInput;
  rows: number;
  cols: number;
}
/**
 * A vector or a batch of rows.
 */
export type TransformInput = VectorInput | MatrixInput;
/**
 * A row-major result matrix, of the input's precision.
 */
export interface RealMatrix {
  data: RealArray;
  rows: number;
  cols: number;
}

/**
 * Options every transformation takes.
 */
export interface TransformOptions {
  backend?: BackendName;
  /** Return `{ p, support }` (nonzero count: a number for a vector, an Int32Array per row for a matrix). */
  support?: boolean;
  /** Threads for batches (0 = all cores; capped at the cores); results do not depend on it. */
  threads?: number;
  /** Write the probabilities here (same element type and length as x) instead of a new array. */
  out?: RealArray;
}
/**
 * Options of {@link entmax}.
 */
export interface EntmaxOptions extends TransformOptions {
  /** alpha >= 1 (default 1.5): 1 = softmax, 2 = sparsemax. */
  alpha?: number;
}
/**
 * Options of {@link normmax}.
 */
export interface NormmaxOptions extends TransformOptions {
  /** gamma > 1 (default 2). */
  gamma?: number;
}
/**
 * Options of {@link kSubsets}.
 */
export interface KSubsetsOptions extends TransformOptions {
  /** Number of selected entries, an integer in [1, d]. */
  k: number;
}

/** Everything a caller such as a Hopfield layer needs, batch-shaped. */
export interface TransformSolution {
  p: RealMatrix;
  /** Nonzero outputs per row. */
  support: Int32Array;
  /** Omega*(x row) per row (conventions above). */
  conjugate: Float64Array;
}

/**
 * A sparse transformation: call it on a vector or a batch; it also carries its Jacobian-vector product, conjugate and batch solver.
 */
export interface Transform<O extends TransformOptions> {
  (x: VectorInput, options?: O & { support?: false }): RealArray;
  (x: VectorInput, options: O & { support: true }): { p: RealArray; support: number };
  (x: MatrixInput, options?: O & { support?: false }): RealMatrix;
  (x: MatrixInput, options: O & { support: true }): { p: RealMatrix; support: Int32Array };
  /** J(x) v, shaped like x (J is symmetric, so this is also the vector-Jacobian product). */
  jvp(x: VectorInput, v: VectorInput, options?: O): RealArray;
  /** J(x) v for every row of a batch; v is shaped like x (a matrix, or its data as one flat array). */
  jvp(x: MatrixInput, v: VectorInput | MatrixInput, options?: O): RealMatrix;
  /** Omega*(x): a number for a vector, one per row for a matrix. */
  conjugate(x: VectorInput, options?: O): number;
  /** Omega*(x) of every row of a batch. */
  conjugate(x: MatrixInput, options?: O): Float64Array;
  /** p, support and conjugate of every row at once. */
  solve(x: TransformInput, options?: O): TransformSolution;
  /** solve() off the main thread (libuv pool for native). */
  async(x: TransformInput, options?: O): Promise<TransformSolution>;
}

interface Prepared {
  x: RealArray;
  rows: number;
  cols: number;
  isVector: boolean;
  /** x is the caller's own array (not a converted copy). */
  borrowed: boolean;
}

function toReal(value: ArrayLike<number>, name: string, like?: RealArray): RealArray {
  if (value instanceof Float64Array || value instanceof Float32Array) {
    if (!like || value.constructor === like.constructor) return value;
    return like instanceof Float32Array ? Float32Array.from(value) : Float64Array.from(value);
  }
  if (!Array.isArray(value)) throw new TypeError(`${name} must be a Float64Array, Float32Array or number[], got ${describe(value)}`);
  const out = allocate(like ?? new Float64Array(0), value.length, name);
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number') throw new TypeError(`${name}[${i}] must be a number, got ${describe(v)}`);
    out[i] = v;
  }
  return out;
}

function prepare(x: unknown, name: string): Prepared {
  if (isArrayLikeOfNumbers(x)) {
    if (x.length === 0) throw new RangeError(`${name} must have at least one entry`);
    const real = toReal(x, name);
    return { x: real, rows: 1, cols: x.length, isVector: true, borrowed: real === x };
  }
  if (x !== null && typeof x === 'object' && 'data' in x && 'rows' in x && 'cols' in x) {
    const m = x as MatrixInput;
    const rows = checkInteger(m.rows, `${name}.rows`, 1);
    const cols = checkInteger(m.cols, `${name}.cols`, 1);
    if (!isArrayLikeOfNumbers(m.data)) throw new TypeError(`${name}.data must be a Float64Array, Float32Array or number[], got ${describe(m.data)}`);
    // Before the length check, so that an impossible shape is reported as such whatever data came with it.
    checkAllocation(name, rows * cols, m.data instanceof Float32Array ? 4 : 8);
    if (m.data.length !== rows * cols) throw new RangeError(`${name}.data must have rows * cols = ${rows * cols} entries, got ${m.data.length}`);
    const real = toReal(m.data, `${name}.data`);
    return { x: real, rows, cols, isVector: false, borrowed: real === m.data };
  }
  throw new TypeError(`${name} must be a Float64Array, Float32Array, number[] or a {data, rows, cols} matrix, got ${describe(x)}`);
}

/** options.out when given (checked against x), else a new array like x. */
function outputFor(options: Record<string, unknown>, like: RealArray): RealArray {
  const out = options.out;
  if (out === undefined) return allocate(like, like.length);
  if (!(out instanceof Float64Array || out instanceof Float32Array) || out.constructor !== like.constructor) {
    throw new TypeError(`options.out must be a ${like.constructor.name} like x, got ${describe(out)}`);
  }
  if (out.length !== like.length) throw new RangeError(`options.out must have ${like.length} entries like x, got ${out.length}`);
  return out;
}

function allocate(like: RealArray, length: number, what = 'transform output'): RealArray {
  checkAllocation(what, length, like.BYTES_PER_ELEMENT);
  return like instanceof Float32Array ? new Float32Array(length) : new Float64Array(length);
}

function copyOf(x: RealArray): RealArray {
  const copy = allocate(x, x.length, 'copy of x');
  copy.set(x);
  return copy;
}

function checkAlpha(value: unknown): number {
  if (value === undefined) return 1.5;
  if (typeof value !== 'number') throw new TypeError(`alpha must be a number, got ${describe(value)}`);
  if (!(value >= 1) || !Number.isFinite(value)) throw new RangeError(`alpha must be a finite number >= 1, got ${value}`);
  return value;
}

function checkGamma(value: unknown): number {
  if (value === undefined) return 2;
  if (typeof value !== 'number') throw new TypeError(`gamma must be a number, got ${describe(value)}`);
  if (!(value > 1) || !Number.isFinite(value)) throw new RangeError(`gamma must be a finite number > 1, got ${value}`);
  return value;
}

type ParamReader = (options: Record<string, unknown>, cols: number) => number;

function params(kind: TransformKind, readParam: ParamReader, options: Record<string, unknown>, prepared: Prepared): TransformParams {
  const threads = options.threads === undefined ? 0 : checkInteger(options.threads, 'options.threads', 0, 1024);
  return { kind, param: readParam(options, prepared.cols), rows: prepared.rows, cols: prepared.cols, threads };
}

// paramKeys: the options naming the transform's parameter (alpha, gamma, k), checked against O.
function makeTransform<O extends TransformOptions>(kind: TransformKind, paramKeys: readonly (Exclude<keyof O, keyof TransformOptions> & string)[], readParam: ParamReader): Transform<O> {
  const known = [...TRANSFORM_KEYS, ...paramKeys];
  const setup = (x: unknown, rawOptions: unknown) => {
    const options = checkOptions(rawOptions, 'options', known);
    const backend = getBackend(options.backend as BackendName | undefined);
    const prepared = prepare(x, 'x');
    return { options, backend, prepared, params: params(kind, readParam, options, prepared) };
  };

  const shaped = (prepared: Prepared, data: RealArray): RealArray | RealMatrix =>
    prepared.isVector ? data : { data, rows: prepared.rows, cols: prepared.cols };

  const transform = (x: TransformInput, rawOptions?: O): unknown => {
    const { options, backend, prepared, params: p } = setup(x, rawOptions);
    const wantSupport = options.support === undefined ? false : checkBoolean(options.support, 'options.support');
    const out = outputFor(options, prepared.x);
    const support = wantSupport ? new Int32Array(prepared.rows) : null;
    backend.transformForward(p, prepared.x, out, support, null);
    const result = shaped(prepared, out);
    if (!support) return result;
    return { p: result, support: prepared.isVector ? support[0] : support };
  };

  const jvp = (x: TransformInput, v: TransformInput, rawOptions?: O): unknown => {
    const { backend, prepared, params: p } = setup(x, rawOptions);
    const vData = isArrayLikeOfNumbers(v) ? v : v !== null && typeof v === 'object' && 'data' in v ? (v as MatrixInput).data : v;
    if (!isArrayLikeOfNumbers(vData)) throw new TypeError(`v must be shaped like x, got ${describe(v)}`);
    if (!isArrayLikeOfNumbers(v) && ((v as MatrixInput).rows !== prepared.rows || (v as MatrixInput).cols !== prepared.cols)) {
      throw new RangeError(`v must have ${prepared.rows} rows and ${prepared.cols} cols like x, got ${(v as MatrixInput).rows} x ${(v as MatrixInput).cols}`);
    }
    if (vData.length !== prepared.x.length) throw new RangeError(`v must have ${prepared.x.length} entries like x, got ${vData.length}`);
    const vReal = toReal(vData, 'v', prepared.x);
    for (let i = 0; i < vReal.length; i++) {
      if (!Number.isFinite(vReal[i])) throw new RangeError(`v[${i}] must be finite, got ${vReal[i]}`);
    }
    // J v is linear in v: a huge v is scaled down for the kernel and the result back up, so that only
    // a J v beyond the range of its precision overflows (a RangeError), not the kernel's sums. The
    // Jacobian itself can exceed the range (entmax weights p^(2 - alpha) for large alpha).
    const e = downScale(vReal);
    const out = allocate(prepared.x, prepared.x.length);
    backend.transformJvp(p, prepared.x, scaledBy(vReal, -e), out);
    const result = scaledBy(out, e);
    for (let i = 0; i < result.length; i++) {
      if (Number.isFinite(result[i])) continue;
      const range = result instanceof Float32Array ? 'float32' : 'float64';
      if (e !== 0) throw new RangeError(`v is too large: J v overflows (|v| up to ${largestMagnitude(vReal)})`);
      throw new RangeError(`J v overflows the ${range} range at x row ${Math.floor(i / prepared.cols)}: the Jacobian there is too large for v (|v| up to ${largestMagnitude(vReal)})`);
    }
    return shaped(prepared, result);
  };

  const solveWith = (x: TransformInput, rawOptions: O | undefined) => {
    const { options, backend, prepared, params: p } = setup(x, rawOptions);
    const solution: TransformSolution = {
      p: { data: outputFor(options, prepared.x), rows: prepared.rows, cols: prepared.cols },
      support: new Int32Array(prepared.rows),
      conjugate: new Float64Array(prepared.rows),
    };
    return { backend, prepared, p, solution };
  };

  const solve = (x: TransformInput, options?: O): TransformSolution => {
    const { backend, prepared, p, solution } = solveWith(x, options);
    backend.transformForward(p, prepared.x, solution.p.data, solution.support, solution.conjugate);
    return solution;
  };

  const conjugate = (x: TransformInput, options?: O): unknown => {
    const solution = solve(x, options);
    return isArrayLikeOfNumbers(x) ? solution.conjugate[0] : solution.conjugate;
  };

  // The kernel runs on a pool thread (native) or a later turn (js) while the caller's code goes on,
  // so it reads a copy of x and writes a private output, copied into options.out once it is done.
  const async = async (x: TransformInput, options?: O): Promise<TransformSolution> => {
    const { backend, prepared, p, solution } = solveWith(x, options);
    const input = prepared.borrowed ? copyOf(prepared.x) : prepared.x;
    const out = solution.p.data;
    const result = out === (options as TransformOptions | undefined)?.out ? allocate(out, out.length) : out;
    await backend.transformForwardAsync(p, input, result, solution.support, solution.conjugate);
    if (result !== out) {
      if (out.length !== result.length) throw new TypeError(`options.out was detached or resized while the call ran (${out.length} entries, expected ${result.length})`);
      out.set(result);
    }
    return solution;
  };

  return Object.assign(transform, { jvp, conjugate, solve, async }) as unknown as Transform<O>;
}

const noParam: ParamReader = () => 0;

/**
 * Softmax (Shannon negentropy).
 *
 * @example
 * ```ts
 * softmax([1, 2, 3]); // Float64Array [0.090, 0.245, 0.665]
 * softmax.conjugate([1, 2, 3]); // logsumexp = 3.408
 * ```
 */
export const softmax: Transform<TransformOptions> = makeTransform(TransformKind.Softmax, [], noParam);
/**
 * Sparsemax: Euclidean projection onto the simplex (expected-linear pivot search).
 *
 * @example
 * ```ts
 * sparsemax([1, 0.5, -1]); // Float64Array [0.75, 0.25, 0]
 * sparsemax([1, 0.5, -1], { support: true }).support; // 2
 * sparsemax.jvp([1, 0.5, -1], [1, 0, 0]); // [0.5, -0.5, 0]
 * ```
 */
export const sparsemax: Transform<TransformOptions> = makeTransform(TransformKind.Sparsemax, [], noParam);
/**
 * 1.5-entmax (exact quadratic threshold on the support).
 *
 * @example
 * ```ts
 * entmax15(new Float32Array([1, 0.5, -1])); // Float32Array, sparse
 * entmax15.jvp(x, v); // J v
 * ```
 */
export const entmax15: Transform<TransformOptions> = makeTransform(TransformKind.Entmax, [], () => 1.5);

/** {@link entmax}: a {@link Transform} that also differentiates with respect to alpha. */
export interface EntmaxTransform extends Transform<EntmaxOptions> {
  /** d yhat / d alpha (alpha > 1), shaped like x. */
  alphaGradient(x: VectorInput, options?: EntmaxOptions): RealArray;
  /** d yhat / d alpha for every row of a batch. */
  alphaGradient(x: MatrixInput, options?: EntmaxOptions): RealMatrix;
}

const entmaxBase = makeTransform<EntmaxOptions>(TransformKind.Entmax, ['alpha'], (o) => checkAlpha(o.alpha));
/**
 * alpha-entmax (Tsallis), alpha >= 1 (default 1.5): safeguarded Newton on the threshold.
 *
 * @example
 * ```ts
 * entmax(x, { alpha: 1.3 });
 * entmax.alphaGradient(x, { alpha: 1.3 }); // d p / d alpha
 * ```
 */
export const entmax: EntmaxTransform = Object.assign(entmaxBase, {
  alphaGradient: (x: TransformInput, rawOptions?: EntmaxOptions): unknown => {
    const options = checkOptions(rawOptions, 'options', [...TRANSFORM_KEYS, 'alpha']);
    const alpha = checkAlpha(options.alpha);
    if (alpha === 1) throw new RangeError('alpha must be > 1 for the alpha derivative, got 1');
    const backend = getBackend(options.backend as BackendName | undefined);
    const prepared = prepare(x, 'x');
    const p = params(TransformKind.Entmax, () => alpha, options, prepared);
    const out = allocate(prepared.x, prepared.x.length);
    backend.transformAlphaGradient(p, prepared.x, out);
    return prepared.isVector ? out : { data: out, rows: prepared.rows, cols: prepared.cols };
  },
}) as EntmaxTransform;

/**
 * gamma-normmax, Omega(p) = ||p||_gamma - 1, gamma > 1 (default 2).
 *
 * @example
 * ```ts
 * normmax({ data: scores, rows: 256, cols: 1000 }, { gamma: 3 }); // every row
 * ```
 */
export const normmax: Transform<NormmaxOptions> = makeTransform(TransformKind.Normmax, ['gamma'], (o) => checkGamma(o.gamma));

/**
 * k-subsets: Euclidean projection onto {0 <= p <= 1, sum p = k}.
 *
 * @example
 * ```ts
 * kSubsets([3, 0.2, 5, 2], { k: 2 }); // Float64Array [1, 0, 1, 0]
 * ```
 */
export const kSubsets: Transform<KSubsetsOptions> = makeTransform(TransformKind.KSubsets, ['k'], (o, cols) => {
  if (o.k === undefined) throw new TypeError('options.k is required for kSubsets');
  return checkInteger(o.k, 'options.k', 1, cols);
});
