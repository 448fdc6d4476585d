// Property-based tests (fast-check) of the sparse transformations: for any input (vectors and
// matrices in every array form, wrong shapes, NaN/Infinity, junk options), both backends give the
// same answer or the same clear TypeError/RangeError naming the argument, and every answer is a
// distribution of the right kind. Async forms reject (never throw) and agree with solve().
import t from 'tap';
import fc from 'fast-check';
import { entmax, entmax15, kSubsets, normmax, softmax, sparsemax } from '../src/index';
import type { Transform, TransformOptions } from '../src/index';
import { backendsUnderTest } from './helpers';
import {
  anyNumber, anySize, arrayForms, assertAsyncLikeSync, assertNamesArgument, assertSameOutcome, detached, inForms, outcome, Outcome, RUNS, score, valuesOf,
  vectorOf, weird, withBackend,
} from './property-helpers';

const backends = backendsUnderTest();

type AnyTransform = Transform<TransformOptions & Record<string, unknown>>;
const KINDS: Record<string, AnyTransform> = {
  softmax: softmax as AnyTransform,
  sparsemax: sparsemax as AnyTransform,
  entmax15: entmax15 as AnyTransform,
  entmax: entmax as AnyTransform,
  normmax: normmax as AnyTransform,
  kSubsets: kSubsets as unknown as AnyTransform,
};

// Scores with masks (-Infinity) and ties as well as the odd NaN/+Infinity.
const entry = fc.oneof({ weight: 12, arbitrary: score }, { weight: 1, arbitrary: fc.constant(-Infinity) }, { weight: 1, arbitrary: fc.constant(1.25) }, { weight: 1, arbitrary: anyNumber });

const input = fc.integer({ min: 1, max: 9 }).chain((cols) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ x: vectorOf(cols, entry), cols: fc.constant(cols) }) },
    {
      weight: 6,
      arbitrary: fc.integer({ min: 1, max: 4 }).chain((rows) =>
        fc.record({
          x: fc.record({
            data: fc.oneof({ weight: 12, arbitrary: inForms(fc.array(entry, { minLength: rows * cols, maxLength: rows * cols })) }, { weight: 1, arbitrary: vectorOf(rows * cols + 1, entry) }),
            rows: fc.oneof({ weight: 15, arbitrary: fc.constant(rows) }, { weight: 1, arbitrary: anySize }),
            cols: fc.oneof({ weight: 15, arbitrary: fc.constant(cols) }, { weight: 1, arbitrary: anySize }),
          }),
          cols: fc.constant(cols),
        }),
      ),
    },
    { weight: 1, arbitrary: fc.record({ x: weird, cols: fc.constant(cols) }) },
  ),
);

/** Options, mostly valid for the kind, sometimes of the wrong type or out of range. */
function optionsFor(kind: string, cols: number): fc.Arbitrary<unknown> {
  const param: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
    entmax: fc.record({ alpha: fc.oneof(fc.double({ min: 1, max: 4, noNaN: true }), fc.constantFrom(1, 2, 0.5, NaN, Infinity, '1.5', undefined)) }),
    normmax: fc.record({ gamma: fc.oneof(fc.double({ min: 1.05, max: 5, noNaN: true }), fc.constantFrom(1, 0, NaN, Infinity, true, undefined)) }),
    kSubsets: fc.record({ k: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: cols }) }, { weight: 1, arbitrary: fc.oneof(anySize, fc.constant(cols + 1)) }) }),
  };
  const common = fc.record(
    {
      support: fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: weird }),
      threads: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: anySize }),
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 10, arbitrary: fc.tuple(param[kind] ?? fc.constant({}), common).map(([a, b]) => ({ ...a, ...b })) },
    { weight: 1, arbitrary: weird.filter((w) => w !== undefined) },
  );
}

/** An options.out for x: matching, of the other precision, too short, detached, or junk. */
function outFor(x: unknown): fc.Arbitrary<unknown> {
  const data = x !== null && typeof x === 'object' && 'data' in x ? (x as { data: unknown }).data : x;
  const length = ArrayBuffer.isView(data) || Array.isArray(data) ? (data as ArrayLike<number>).length : 3;
  const f32 = data instanceof Float32Array;
  return fc.constantFrom<() => unknown>(
    ...Array.from({ length: 10 }, () => () => undefined),
    () => (f32 ? new Float32Array(length) : new Float64Array(length)),
    () => (f32 ? new Float64Array(length) : new Float32Array(length)),
    () => new Float64Array(length + 1),
    () => detached(new Float64Array(length)),
    () => Array.from({ length }, () => 0),
  ).map((make) => make());
}

const caseArb = fc.constantFrom(...Object.keys(KINDS)).chain((kind) =>
  input.chain(({ x, cols }) =>
    fc.record({
      kind: fc.constant(kind),
      x: fc.constant(x),
      options: optionsFor(kind, cols),
      out: outFor(x),
      v: fc.oneof({ weight: 4, arbitrary: fc.constant('like x') }, { weight: 1, arbitrary: vectorOf(cols, anyNumber) }),
      call: fc.constantFrom('forward', 'solve', 'conjugate', 'jvp', 'alphaGradient'),
    }),
  ),
);

const dataOf = (x: unknown): unknown => (x !== null && typeof x === 'object' && 'data' in x ? (x as { data: unknown }).data : x);

/** v shaped like x with entries derived from x (finite where x is), or the generated junk. */
function tangent(x: unknown, v: unknown): unknown {
  if (v !== 'like x') return v;
  const data = dataOf(x);
  if (!Array.isArray(data) && !(data instanceof Float64Array || data instanceof Float32Array)) return [1];
  const values = (valuesOf(data) as number[]).map((a, i) => (Number.isFinite(a) ? Math.sin(3 * a + i) : 0.5));
  const like = data instanceof Float32Array ? Float32Array.from(values) : data instanceof Float64Array ? Float64Array.from(values) : values;
  return data === x ? like : { ...(x as object), data: like };
}

function run(kind: string, call: string, x: unknown, options: unknown, v: unknown, backend: string): unknown {
  const f = KINDS[kind];
  const o = withBackend(options, backend);
  switch (call) {
    case 'forward':
      return f(x as never, o as never);
    case 'solve':
      return f.solve(x as never, o as never);
    case 'conjugate':
      return f.conjugate(x as never, o as never);
    case 'jvp':
      return f.jvp(x as never, v as never, o as never);
    default:
      return kind === 'entmax' ? entmax.alphaGradient(x as never, o as never) : f(x as never, o as never);
  }
}

/** The probabilities in a result, per row, whatever shape the call returned. */
function rowsOf(value: unknown, cols: number): number[][] {
  const v = value as Record<string, unknown>;
  const p = Array.isArray(value) ? value : Array.isArray(v.p) ? v.p : v.p && typeof v.p === 'object' ? (v.p as { data: number[] }).data : (v.data as number[]);
  const flat = p as number[];
  return Array.from({ length: flat.length / cols }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
}

/** Probabilities in [0, 1] (within rounding), summing to 1 (k for kSubsets) per row; everything finite. */
function checkDistribution(o: Outcome, kind: string, call: string, options: Record<string, unknown>, cols: number, f32: boolean): void {
  if (!o.ok) return;
  const finite = (x: unknown): boolean => (typeof x === 'number' ? Number.isFinite(x) : Array.isArray(x) ? x.every(finite) : x !== null && typeof x === 'object' ? Object.values(x).every(finite) : true);
  if (!finite(o.value)) throw new Error(`non-finite output: ${JSON.stringify(o.value).slice(0, 300)}`);
  if (call !== 'forward' && call !== 'solve') return;
  const total = kind === 'kSubsets' ? (options.k as number) : 1;
  const tol = f32 ? 1e-5 * cols : 1e-12 * cols;
  for (const row of rowsOf(o.value, cols)) {
    const sum = row.reduce((a, b) => a + b, 0);
    if (!(Math.abs(sum - total) <= tol * Math.max(1, total)) || row.some((p) => p < 0 || p > 1 + tol)) {
      throw new Error(`${kind} row is not a distribution (sum ${sum}, expected ${total}): ${row.join(', ')}`);
    }
  }
}

t.test('forward, solve, conjugate, jvp and alphaGradient: same answer or the same clear error in both backends', async (t) => {
  let answered = 0;
  fc.assert(
    fc.property(caseArb, ({ kind, x, options, out, v, call }) => {
      const opts = options !== null && typeof options === 'object' && !Array.isArray(options) && out !== undefined ? { ...(options as object), out } : options;
      const vv = tangent(x, v);
      const results = backends.map((backend) => outcome(() => run(kind, call, x, opts, vv, backend)));
      const f32 = dataOf(x) instanceof Float32Array;
      assertSameOutcome(results, f32 ? 1e-5 : 1e-10, true);
      for (const r of results) {
        assertNamesArgument(r, ['x', 'v', 'options', 'alpha', 'gamma', 'k', 'backend']);
        const cols = Array.isArray(dataOf(x)) || ArrayBuffer.isView(dataOf(x)) ? (x === dataOf(x) ? (x as unknown[]).length : (x as { cols: number }).cols) : 1;
        checkDistribution(r, kind, call, (opts ?? {}) as Record<string, unknown>, cols, f32);
      }
      if (results[0].ok) answered++;
    }),
    { numRuns: RUNS },
  );
  t.ok(answered > RUNS / 4, `${RUNS} random cases, ${answered} answered (the rest refused)`);
});

t.test('async: rejects (never throws) with the sync error, else equals solve(), in both backends', async (t) => {
  await fc.assert(
    fc.asyncProperty(caseArb, async ({ kind, x, options }) => {
      for (const backend of backends) {
        const o = withBackend(options, backend) as never;
        await assertAsyncLikeSync(() => KINDS[kind].solve(x as never, o), () => KINDS[kind].async(x as never, o));
      }
    }),
    { numRuns: Math.ceil(RUNS / 3) },
  );
  t.pass();
});

t.test('every array form of the same values gives the same answer', async (t) => {
  const forms = ['number[]', 'Float64Array', 'offset Float64Array view', 'SharedArrayBuffer Float64Array'];
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(KINDS)), fc.array(score, { minLength: 1, maxLength: 12 }), (kind, values) => {
      const options = kind === 'kSubsets' ? { k: 1 + (values.length >> 1) } : {};
      for (const backend of backends) {
        const answers = forms.map((form) => outcome(() => KINDS[kind].solve({ data: arrayForms[form](values) as number[], rows: 1, cols: values.length }, { ...options, backend })));
        for (const a of answers) assertSameOutcome([answers[0], a]);
      }
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('kSubsets: entries far above the rest are selected whole, the rest is kSubsets of the remainder', async (t) => {
  fc.assert(
    fc.property(
      fc.array(score, { minLength: 1, maxLength: 10 }),
      fc.array(fc.constantFrom(1e4, 1e9, 1e17, 1e100, 1e200, 1e300), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      fc.nat(),
      (rest, huge, kSeed, position) => {
        const m = huge.length;
        const k = m + 1 + (kSeed % rest.length);
        const x = [...rest];
        const at: number[] = [];
        for (const h of huge) {
          const i = (position + at.length * 7) % (x.length + 1);
          x.splice(i, 0, h);
          at.forEach((a, j) => (at[j] = a >= i ? a + 1 : a));
          at.push(i);
        }
        const expected = kSubsets(rest, { k: k - m });
        for (const backend of backends) {
          const p = kSubsets(x, { k, backend });
          const others = Array.from(p).filter((_, i) => !at.includes(i));
          if (!at.every((i) => p[i] === 1)) throw new Error(`[${backend}] far entries not selected: ${Array.from(p)}`);
          const gap = Math.max(...others.map((v, i) => Math.abs(v - expected[i])));
          if (!(gap <= 1e-12)) throw new Error(`[${backend}] the rest differs from kSubsets(rest, k - ${m}) by ${gap}`);
        }
      },
    ),
    { numRuns: RUNS },
  );
  for (const backend of backends) {
    // Spans beyond the floating-point range: k = d selects everything, Omega* = sum x - d / 2 = 1 - 1.5.
    t.same(Array.from(kSubsets([1e308, -1e308, 1], { k: 3, backend })), [1, 1, 1], 'a threshold below -1e308 under a max of 1e308');
    t.equal(kSubsets.conjugate([1e308, -1e308, 1], { k: 3, backend }), -0.5, 'its conjugate');
    t.same(Array.from(kSubsets([1e308, -1e308, 1], { k: 1, backend })), [1, 0, 0], 'a span beyond the range is fine when the threshold is near the top');
  }
});

t.test('entmax near alpha = 1: outputs, conjugate and alpha derivative follow their expansions', async (t) => {
  // At alpha = 1 + e: p = softmax + e d0 + O(e^2) with d0 = p (sum p L^2 - L^2) / 2 (L = log p, the
  // limit of d p / d alpha), and the conjugate is logsumexp + O(e).
  fc.assert(
    fc.property(fc.array(score, { minLength: 2, maxLength: 12 }), fc.double({ min: -300, max: -0.5, noNaN: true }), (x, logE) => {
      const e = 10 ** logE;
      const alpha = 1 + e;
      if (alpha === 1) return;
      const p0 = softmax(x);
      const l = Array.from(p0, Math.log);
      const el2 = p0.reduce((a, p, j) => a + p * l[j] * l[j], 0);
      const d0 = Array.from(p0, (p, j) => (p * (el2 - l[j] * l[j])) / 2);
      const lse = softmax.conjugate(x);
      for (const backend of backends) {
        if (e < 1e-3) {
          const p = entmax(x, { alpha, backend });
          const gap = Math.max(...Array.from(p, (v, j) => Math.abs(v - p0[j] - e * d0[j])));
          if (!(gap <= 50 * e * e + 1e-14)) throw new Error(`[${backend}] alpha = 1 + ${e}: p off its expansion by ${gap}`);
          const c = entmax.conjugate(x, { alpha, backend });
          if (!(Math.abs(c - lse) <= 10 * e + 1e-12)) throw new Error(`[${backend}] alpha = 1 + ${e}: conjugate ${c}, logsumexp ${lse}`);
        }
        const g = entmax.alphaGradient(x, { alpha, backend });
        if (e < 1e-6) {
          const gap = Math.max(...Array.from(g, (v, j) => Math.abs(v - d0[j])));
          if (!(gap <= 50 * e + 1e-12)) throw new Error(`[${backend}] alpha = 1 + ${e}: d p / d alpha off its limit by ${gap}`);
        } else {
          const h = Math.min(1e-4, e / 4);
          const plus = entmax(x, { alpha: alpha + h, backend });
          const minus = entmax(x, { alpha: alpha - h, backend });
          const gap = Math.max(...Array.from(g, (v, j) => Math.abs(v - (plus[j] - minus[j]) / (2 * h))));
          if (!(gap <= 1e-6)) throw new Error(`[${backend}] alpha = 1 + ${e}: d p / d alpha off the central difference by ${gap}`);
        }
      }
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('a batch run on all cores reports its first bad row, as the sequential loop does', { skip: backends.length < 2 }, async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 127 }), { minLength: 1, maxLength: 6 }), fc.constantFrom(NaN, Infinity, 'masked'), (bad, kind) => {
      const rows = 128;
      const cols = 512; // 65536 entries: threaded natively
      const data = Float64Array.from({ length: rows * cols }, (_, i) => Math.sin(i));
      for (const r of bad) {
        if (kind === 'masked') data.fill(-Infinity, r * cols, (r + 1) * cols);
        else data[r * cols + 7] = kind as number;
      }
      const results = backends.map((backend) => outcome(() => kSubsets({ data, rows, cols }, { k: 2, backend, threads: 0 })));
      assertSameOutcome(results);
      if (results[0].ok || !results[0].error.includes(`x row ${Math.min(...bad)} `)) throw new Error(`expected row ${Math.min(...bad)}: ${JSON.stringify(results[0]).slice(0, 200)}`);
    }),
    { numRuns: Math.ceil(RUNS / 10) },
  );
  t.pass();
});
