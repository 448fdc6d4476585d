// Argument checks shared by every public entry point: each failure is a TypeError (wrong kind of
// value) or RangeError (right kind, value out of range) whose message names the argument.
import { checkAllocation } from './limits';

/** Any array-like of numbers. */
export type NumericArray = ArrayLike<number>;
export type RealArray = Float64Array | Float32Array;
export type RealConstructor = Float64ArrayConstructor | Float32ArrayConstructor;

/**
 * A row-major matrix.
 *
 * @example
 * ```ts
 * const m: Matrix = { data: new Float64Array(6), rows: 2, cols: 3 };
 * ```
 */
export interface Matrix<T extends NumericArray = NumericArray> {
  data: T;
  rows: number;
  cols: number;
}

/** Rows of numbers: a {data, rows, cols} matrix or an array of equal-length rows. */
export type Rows = Matrix<ArrayLike<number>> | ArrayLike<number>[];

export function isTypedNumberArray(value: unknown): value is ArrayLike<number> {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array);
}

export function isArrayLikeOfNumbers(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || isTypedNumberArray(value);
}

export function checkInteger(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

export function checkSeed(value: unknown, name: string): number {
  return checkInteger(value, name, 0, Number.MAX_SAFE_INTEGER);
}

export function checkFinite(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be finite, got ${value}`);
  return value;
}

export function checkPositive(value: unknown, name: string): number {
  checkFinite(value, name);
  if ((value as number) <= 0) throw new RangeError(`${name} must be > 0, got ${value}`);
  return value as number;
}

export function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

export function checkOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new (typeof value === 'string' ? RangeError : TypeError)(
      `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
    );
  }
  return value as T;
}

/**
 * An options object (undefined counts as {}). With `known`, a key outside it is a TypeError, so that
 * a misspelt option is not silently ignored.
 */
export function checkOptions(value: unknown, name: string, known?: readonly string[]): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describe(value)}`);
  }
  if (known) {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const near = known.find((k) => k.toLowerCase() === key.toLowerCase() || (key.length >= 4 && editDistance(k, key) <= 2));
      const hint = near ? `did you mean '${near}'? ` : '';
      throw new TypeError(`${name} has no option '${key}' (${hint}options: ${known.join(', ')})`);
    }
  }
  return value as Record<string, unknown>;
}

/**
 * The keys of an options interface, for checkOptions: the compiler rejects a list that misses a key
 * of T (or names one T lacks), so the list cannot drift from the interface.
 */
export function optionKeys<T>() {
  return <K extends readonly (keyof T & string)[]>(
    ...keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, K[number]> })
  ): readonly string[] => keys;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length];
}

/** A vector of finite numbers as Float64Array (copied), with an optional required length. */
export function toFiniteFloat64(value: unknown, name: string, length?: number): Float64Array {
  return toFiniteReal(value, name, length, Float64Array);
}

/** A vector of finite numbers copied into a Float64Array or Float32Array, with an optional required length. */
export function toFiniteReal(value: unknown, name: string, length: number | undefined, Real: Float64ArrayConstructor): Float64Array;
export function toFiniteReal(value: unknown, name: string, length: number | undefined, Real: RealConstructor): RealArray;
export function toFiniteReal(value: unknown, name: string, length: number | undefined, Real: RealConstructor): RealArray {
  if (!isArrayLikeOfNumbers(value)) throw new TypeError(`${name} must be an array or typed array of numbers, got ${describe(value)}`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must have length ${length}, got ${value.length}`);
  }
  checkAllocation(name, value.length, Real.BYTES_PER_ELEMENT);
  const out = new Real(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number') throw new TypeError(`${name}[${i}] must be a number, got ${describe(v)}`);
    if (!Number.isFinite(v)) throw new RangeError(`${name}[${i}] must be finite, got ${v}`);
    out[i] = v;
  }
  return out;
}

/** Index of the first entry above `bound` in magnitude (NaN included), or -1. */
export function firstBeyond(values: ArrayLike<number>, bound: number): number {
  for (let i = 0; i < values.length; i++) if (!(Math.abs(values[i]) <= bound)) return i;
  return -1;
}

/** `values` unchanged, or a RangeError naming the first entry above `bound` in magnitude; `why` says what larger values break. */
export function checkMagnitudes<T extends ArrayLike<number>>(values: T, name: string, bound: number, why: string): T {
  const i = firstBeyond(values, bound);
  if (i >= 0) throw new RangeError(`${name}[${i}] must be at most ${bound} in magnitude (${why}), got ${values[i]}`);
  return values;
}

/**
 * A +-1 vector as Int8Array, with an optional required length. Copied, except that with `inPlace`
 * an Int8Array input is only checked and returned itself: for synchronous reads, which finish
 * before JavaScript can change it (async calls must copy).
 */
export function toBipolarVector(value: unknown, name: string, length?: number, inPlace = false): Int8Array {
  if (!isArrayLikeOfNumbers(value)) throw new TypeError(`${name} must be an array or typed array of +-1 values, got ${describe(value)}`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must have length ${length}, got ${value.length}`);
  }
  if (inPlace && value instanceof Int8Array) {
    for (let i = 0; i < value.length; i++) bipolarEntry(value[i], name, i);
    return value;
  }
  checkAllocation(name, value.length, 1);
  const out = new Int8Array(value.length);
  for (let i = 0; i < value.length; i++) out[i] = bipolarEntry(value[i], name, i);
  return out;
}

/** v as +-1; row is given for entries of a matrix. The message is built only on failure. */
function bipolarEntry(v: unknown, name: string, index: number, row?: number): 1 | -1 {
  if (v === 1 || v === -1) return v;
  const where = row === undefined ? `${name}[${index}]` : `${name}[${row}][${index}]`;
  if (typeof v !== 'number') throw new TypeError(`${where} must be +1 or -1, got ${describe(v)}`);
  throw new RangeError(`${where} must be +1 or -1, got ${v}`);
}

/**
 * Rows of numbers given as number[][], an array of typed arrays, or a row-major {data, rows, cols}.
 * Returns the flattened rows; `cols` may be required.
 */
export function toRows(value: unknown, name: string, cols?: number): Matrix<ArrayLike<number>> & { row(i: number): ArrayLike<number> } {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new RangeError(`${name} must contain at least one row`);
    const width = cols ?? (isArrayLikeOfNumbers(value[0]) ? value[0].length : -1);
    if (width === 0) throw new RangeError(`${name}[0] must have at least one entry`);
    value.forEach((row, i) => {
      if (!isArrayLikeOfNumbers(row)) throw new TypeError(`${name}[${i}] must be an array or typed array of numbers, got ${describe(row)}`);
      if (row.length !== width) throw new RangeError(`${name}[${i}] must have length ${width}, got ${row.length}`);
    });
    return { data: [], rows: value.length, cols: width, row: (i) => value[i] as ArrayLike<number> };
  }
  if (value !== null && typeof value === 'object' && 'data' in value && 'rows' in value && 'cols' in value) {
    const m = value as Matrix;
    const rows = checkInteger(m.rows, `${name}.rows`, 1);
    const width = checkInteger(m.cols, `${name}.cols`, 1);
    if (!isArrayLikeOfNumbers(m.data)) throw new TypeError(`${name}.data must be an array or typed array of numbers`);
    if (m.data.length !== rows * width) {
      throw new RangeError(`${name}.data must have rows * cols = ${rows * width} entries, got ${m.data.length}`);
    }
    if (cols !== undefined && width !== cols) throw new RangeError(`${name}.cols must be ${cols}, got ${width}`);
    const data = m.data;
    const row = ArrayBuffer.isView(data)
      ? (i: number) => (data as unknown as Int8Array).subarray(i * width, (i + 1) * width)
      : (i: number) => Array.prototype.slice.call(data, i * width, (i + 1) * width) as number[];
    return { data, rows, cols: width, row };
  }
  throw new TypeError(`${name} must be an array of rows or a {data, rows, cols} matrix, got ${describe(value)}`);
}

/**
 * Rows of finite numbers (number[][], typed-array rows or {data, rows, cols}) copied into one
 * Float64Array or Float32Array, rows x cols; `cols` may be required.
 */
export function toFiniteRealRows(value: unknown, name: string, cols?: number): Matrix<Float64Array>;
export function toFiniteRealRows(value: unknown, name: string, cols: number | undefined, Real: RealConstructor): Matrix<RealArray>;
export function toFiniteRealRows(value: unknown, name: string, cols?: number, Real: RealConstructor = Float64Array): Matrix<RealArray> {
  const m = toRows(value, name, cols);
  const width = m.cols;
  checkAllocation(name, m.rows * width, Real.BYTES_PER_ELEMENT);
  const data = new Real(m.rows * width);
  for (let r = 0; r < m.rows; r++) {
    const row = m.row(r);
    for (let c = 0; c < width; c++) {
      const v = row[c];
      if (typeof v !== 'number') throw new TypeError(`${name}[${r}][${c}] must be a number, got ${describe(v)}`);
      if (!Number.isFinite(v)) throw new RangeError(`${name}[${r}][${c}] must be finite, got ${v}`);
      data[r * width + c] = v;
    }
  }
  return { data, rows: m.rows, cols: width };
}

/** Rows of +-1 values flattened into one Int8Array (rows x cols); `inPlace` as for toBipolarVector (a {data: Int8Array} matrix). */
export function toBipolarRows(value: unknown, name: string, cols?: number, inPlace = false): { data: Int8Array; rows: number; cols: number } {
  const m = toRows(value, name, cols);
  if (inPlace && m.data instanceof Int8Array) {
    for (let k = 0; k < m.data.length; k++) bipolarEntry(m.data[k], name, k % m.cols, Math.floor(k / m.cols));
    return { data: m.data, rows: m.rows, cols: m.cols };
  }
  checkAllocation(name, m.rows * m.cols, 1);
  const out = new Int8Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    const row = m.row(r);
    for (let c = 0; c < m.cols; c++) out[r * m.cols + c] = bipolarEntry(row[c], name, c, r);
  }
  return { data: out, rows: m.rows, cols: m.cols };
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `'${value.length > 40 ? value.slice(0, 40) + '...' : value}'`;
  return typeof value;
}
