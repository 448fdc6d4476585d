// Shared pieces of the property-based (fast-check), concurrency and leak tests: case counts,
// outcomes (a value or a clear error) to compare across backends, and generators of the shapes
// users pass, junk included.
import fc from 'fast-check';

/** fast-check runs per property (SSHN_PROPERTY_RUNS, default 300). */
export const RUNS = Number(process.env.SSHN_PROPERTY_RUNS ?? 300);

// One seed for every property (SSHN_PROPERTY_SEED, default 1), so a run is reproducible; set
// another seed to explore more cases.
fc.configureGlobal({ seed: Number(process.env.SSHN_PROPERTY_SEED ?? 1) });

/** A value, or the class and message of the error thrown. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

/** Error classes a bad input may raise: TypeError, RangeError, or a documented reader error. */
export type ErrorClass = new (...args: never[]) => Error;

function caught(error: unknown, allowed: ErrorClass[]): Outcome {
  if (!(error instanceof TypeError) && !(error instanceof RangeError) && !allowed.some((C) => error instanceof C)) throw error;
  return { ok: false, error: `${(error as Error).name}: ${(error as Error).message}` };
}

/** Runs fn; an error other than TypeError, RangeError or one of `allowed` fails the test. */
export function outcome(fn: () => unknown, allowed: ErrorClass[] = []): Outcome {
  try {
    return { ok: true, value: plain(fn()) };
  } catch (error) {
    return caught(error, allowed);
  }
}

/** outcome() of an async call; it must reject, never throw synchronously. */
export async function outcomeAsync(fn: () => Promise<unknown>, allowed: ErrorClass[] = []): Promise<Outcome> {
  let promise: Promise<unknown>;
  try {
    promise = fn();
  } catch (error) {
    throw new Error(`an async entry point threw synchronously: ${(error as Error).message}`);
  }
  try {
    return { ok: true, value: plain(await promise) };
  } catch (error) {
    return caught(error, allowed);
  }
}

/** Typed arrays as arrays, Maps as entry lists, functions dropped: a structure JSON and t.same compare. */
export function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? String(v) : v));
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [k, plain(v)]);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v !== 'function') out[k] = plain(v);
    return out;
  }
  return value;
}

/**
 * Largest difference between two plain() structures: 0 when equal, Infinity when they differ in
 * shape, type, a string or a NaN's position; numbers are compared absolutely, or relatively to
 * max(1, |a|) with `relative`.
 */
export function structuralGap(a: unknown, b: unknown, relative = false): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
    if (a === b) return 0;
    const d = Math.abs(a - b);
    return relative ? d / Math.max(1, Math.abs(a)) : d;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return Infinity;
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, structuralGap(a[i], b[i], relative));
    return m;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    if (ka.join() !== kb.join()) return Infinity;
    let m = 0;
    for (const k of ka) m = Math.max(m, structuralGap((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], relative));
    return m;
  }
  return a === b ? 0 : Infinity;
}

/**
 * Throws unless the outcomes agree: both errors with the same class and message, or both values
 * within `tolerance` (see structuralGap).
 */
export function assertSameOutcome(outcomes: Outcome[], tolerance = 0, relative = false): void {
  if (outcomes.length < 2) return;
  const [a, b] = outcomes;
  const gap = a.ok && b.ok ? structuralGap(a.value, b.value, relative) : a.ok === b.ok && JSON.stringify(a) === JSON.stringify(b) ? 0 : Infinity;
  if (!(gap <= tolerance)) {
    const show = (o: Outcome) => JSON.stringify(o).slice(0, 400);
    throw new Error(`backends differ (gap ${gap}): ${show(a)} vs ${show(b)}`);
  }
}

/** Throws unless the async call rejects with the sync call's error or resolves to its value (never throwing synchronously). */
export async function assertAsyncLikeSync(sync: () => unknown, async: () => Promise<unknown>): Promise<void> {
  assertSameOutcome([outcome(sync), await outcomeAsync(async)]);
}

/** Options with the backend added when they are an object; junk options stay as they are. */
export function withBackend(options: unknown, backend: string): unknown {
  return options !== null && typeof options === 'object' && !Array.isArray(options) ? { ...(options as object), backend } : options;
}

/** Throws unless a failed outcome's message mentions one of the names. */
export function assertNamesArgument(o: Outcome, names: string[]): void {
  if (!o.ok && !names.some((n) => o.error.includes(n))) throw new Error(`error does not name ${names.join(' or ')}: ${o.error}`);
}

/** Odd numbers: NaN, infinities, -0, huge and tiny magnitudes, plus ordinary doubles. */
export const anyNumber = fc.oneof(fc.constantFrom(0, 1, -1, 2, 0.5, NaN, Infinity, -Infinity, -0, 1e308, -1e308, 5e-324), fc.double());

/** Values of the wrong kind for almost any argument. */
export const weird = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.string({ maxLength: 5 }),
  fc.boolean(),
  fc.object({ maxDepth: 1 }),
  fc.constant([]),
  fc.constant(new DataView(new ArrayBuffer(8))),
  fc.constant(BigInt64Array.of(1n)),
);

/** Sizes and counts, including the ones that must be refused. */
export const anySize = fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom(0.5, NaN, Infinity, 2 ** 31, 2 ** 53, -(2 ** 31)), weird);

type Maker = (values: number[]) => unknown;

/** The same values as number[], Float64Array, Float32Array, an offset view, a SharedArrayBuffer view, a detached array, or an Int8Array. */
export const arrayForms: Record<string, Maker> = {
  'number[]': (v) => v,
  Float64Array: (v) => Float64Array.from(v),
  Float32Array: (v) => Float32Array.from(v),
  'offset Float64Array view': (v) => {
    const big = new Float64Array(v.length + 5);
    big.set(v, 3);
    return big.subarray(3, 3 + v.length);
  },
  'offset Float32Array view': (v) => new Float32Array(Float32Array.from([9, ...v, 9]).buffer, 4, v.length),
  'SharedArrayBuffer Float64Array': (v) => {
    const shared = new Float64Array(new SharedArrayBuffer(8 * v.length));
    shared.set(v);
    return shared;
  },
  'detached Float64Array': (v) => detached(Float64Array.from(v)),
  Int8Array: (v) => Int8Array.from(v),
};

/** The array after its buffer was transferred away (length 0 from then on). */
export function detached<T extends ArrayBufferView>(array: T): T {
  structuredClone(array.buffer, { transfer: [array.buffer as ArrayBuffer] });
  // fast-check's printer cannot read a detached array on Node 20; tell it what this is.
  Object.defineProperty(array, fc.toStringMethod, { value: () => `detached ${array.constructor.name}` });
  return array;
}

/** Forms that no numeric entry point accepts. */
const refusedForms = new Set(['detached Float64Array', 'Int8Array']);

/** `values` in one of the array forms, a refused form one time in seven. */
export function inForms(values: fc.Arbitrary<number[]>, forms: string[] = Object.keys(arrayForms)): fc.Arbitrary<unknown> {
  const weighted = forms.flatMap((form) => (refusedForms.has(form) ? [form] : [form, form, form]));
  return fc.tuple(values, fc.constantFrom(...weighted)).map(([v, form]) => arrayForms[form](v));
}

/** Finite doubles of moderate size (scores the solvers should handle). */
export const score = fc.double({ min: -5, max: 5, noNaN: true, noDefaultInfinity: true });

/** A vector of n scores in any form, sometimes with one odd entry, sometimes of the wrong length. */
export function vectorOf(n: number, entry: fc.Arbitrary<number> = score): fc.Arbitrary<unknown> {
  const good = fc.array(entry, { minLength: n, maxLength: n });
  return fc.oneof(
    { weight: 12, arbitrary: inForms(good) },
    { weight: 2, arbitrary: inForms(fc.tuple(good, fc.nat(), anyNumber).map(([v, i, x]) => (n > 0 ? Object.assign([...v], { [i % n]: x }) : v))) },
    { weight: 1, arbitrary: inForms(fc.array(entry, { maxLength: n + 2 })) },
    { weight: 1, arbitrary: weird },
  );
}

/** The entries of an array-like as number[] (a detached typed array gives []), junk as null. */
export function valuesOf(x: unknown): unknown[] | null {
  if (!Array.isArray(x) && !(ArrayBuffer.isView(x) && !(x instanceof DataView))) return null;
  const a = x as ArrayLike<unknown>;
  return Array.from({ length: a.length }, (_, i) => a[i]);
}

/** Overwrites every array reachable from `value` (typed arrays are detached every other time). */
export function scribble(value: unknown, detach = false): void {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    if (detach && !(value.buffer instanceof SharedArrayBuffer)) detached(value);
    else (value as unknown as Float64Array).fill(7);
  } else if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'number')) value.fill(7);
    else value.forEach((v) => scribble(v, detach));
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) scribble(v, detach);
  }
}
