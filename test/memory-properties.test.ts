// Property-based tests (fast-check) of Hopfield memories and pooling: for any patterns, queries
// and options (every array form, wrong shapes, NaN/Infinity, junk), both backends give the same
// answer or the same clear TypeError/RangeError naming the argument; answers are finite, weights are
// distributions of the transform's kind and energies never increase. Async forms reject (never
// throw) and agree with the sync ones.
import t from 'tap';
import fc from 'fast-check';
import { HopfieldMemory, HopfieldPooling } from '../src/index';
import { backendsUnderTest } from './helpers';
import {
  anyNumber, anySize, assertAsyncLikeSync, assertNamesArgument, assertSameOutcome, inForms, outcome, Outcome, RUNS, score, vectorOf, weird, withBackend,
} from './property-helpers';

const backends = backendsUnderTest();

const transformArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>('softmax', 'sparsemax', 'entmax15', { name: 'entmax', alpha: 1.3 }, { name: 'normmax', gamma: 3 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 4 }).map((k) => ({ name: 'kSubsets', k })) },
  { weight: 1, arbitrary: fc.record({ name: fc.constant('sequentialKSubsets'), k: fc.integer({ min: 1, max: 3 }), bonus: fc.oneof(score, anyNumber) }) },
  { weight: 1, arbitrary: fc.oneof(weird, fc.constantFrom<unknown>('maxout', { name: 'entmax', alpha: 0.5 }, { name: 'normmax', gamma: 1 }, { name: 'kSubsets', k: 0 })) },
);

/** n x d patterns in some form, mostly valid. */
const patternsArb = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.integer({ min: 1, max: 5 }).chain((d) =>
    fc.record({
      n: fc.constant(n),
      d: fc.constant(d),
      patterns: fc.oneof(
        { weight: 8, arbitrary: fc.record({ data: inForms(fc.array(score, { minLength: n * d, maxLength: n * d })), rows: fc.constant(n), cols: fc.constant(d) }) },
        { weight: 4, arbitrary: fc.array(vectorOf(d), { minLength: n, maxLength: n }) },
        { weight: 1, arbitrary: fc.record({ data: vectorOf(n * d + 1), rows: fc.oneof(fc.constant(n), anySize), cols: fc.oneof(fc.constant(d), anySize) }) },
        { weight: 1, arbitrary: weird },
      ),
    }),
  ),
);

const optionsArb = fc.record(
  {
    transform: transformArb,
    beta: fc.oneof({ weight: 6, arbitrary: fc.double({ min: 0.05, max: 20, noNaN: true }) }, { weight: 1, arbitrary: anyNumber }, { weight: 1, arbitrary: weird }),
    maxIter: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 8 }) }, { weight: 1, arbitrary: anySize }),
    tol: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1e-9, 1e-3) }, { weight: 1, arbitrary: anyNumber }),
    dtype: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('float64', 'float32') }, { weight: 1, arbitrary: weird }),
  },
  { requiredKeys: [] },
);

const caseArb = patternsArb.chain(({ n, d, patterns }) =>
  fc.record({
    patterns: fc.constant(patterns),
    options: fc.oneof({ weight: 12, arbitrary: optionsArb }, { weight: 1, arbitrary: weird.filter((w) => w !== undefined) }),
    query: vectorOf(d),
    queries: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }).chain((rows) => fc.record({ data: inForms(fc.array(score, { minLength: rows * d, maxLength: rows * d })), rows: fc.constant(rows), cols: fc.constant(d) })) },
      { weight: 2, arbitrary: fc.array(vectorOf(d), { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: weird },
    ),
    call: fc.constantFrom('retrieve', 'retrieveBatch', 'energy', 'scores', 'certify'),
    index: fc.oneof(fc.integer({ min: 0, max: n - 1 }), fc.constant(n), anySize),
    callOptions: fc.oneof(
      { weight: 6, arbitrary: fc.record({ maxIter: fc.integer({ min: 0, max: 4 }), weights: fc.constantFrom('sparse', 'dense', 'none'), supportThreshold: fc.constantFrom(0, 1e-2) }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: fc.record({ maxIter: anySize, weights: fc.oneof(weird, fc.constant('csr')), energies: fc.oneof(weird, fc.boolean()) }, { requiredKeys: [] }) },
    ),
  }),
);

// Updates near a tie amplify last-bit differences between the backends step after step, so the
// comparisons run at most 3 updates (an options.maxIter of more is capped).
function capped(options: unknown): unknown {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return options;
  const o = options as Record<string, unknown>;
  return { ...o, maxIter: typeof o.maxIter === 'number' && o.maxIter > 3 ? 3 : (o.maxIter ?? 3) };
}

function run(c: Record<string, unknown>, backend: string): unknown {
  const memory = new HopfieldMemory(c.patterns, withBackend(capped(c.options), backend) as never);
  switch (c.call) {
    case 'retrieve':
      return memory.retrieve(c.query as never, c.callOptions as never);
    case 'retrieveBatch':
      return memory.retrieveBatch(c.queries as never, c.callOptions as never);
    case 'energy':
      return memory.energy(c.query as never);
    case 'scores':
      return memory.scores(c.queries as never);
    default:
      return memory.certify(c.index as never);
  }
}

function statesOnly(value: unknown): unknown {
  const v = value as Record<string, unknown>;
  if (v && typeof v === 'object' && 'state' in v) return { state: v.state };
  if (v && typeof v === 'object' && 'states' in v) return { states: v.states };
  return value;
}

function checkAnswer(o: Outcome, c: Record<string, unknown>, f32: boolean): void {
  if (!o.ok) return;
  // No NaN anywhere but in the padding of batch energy traces, which is NaN exactly after each
  // row's iterations + 1 entries (a certificate's separation is +Infinity when nothing competes).
  const noNaN = (x: unknown): boolean =>
    typeof x === 'number' ? !Number.isNaN(x) : Array.isArray(x) ? x.every(noNaN) : x !== null && typeof x === 'object' ? Object.values(x).every(noNaN) : true;
  const { energies, ...rest } = o.value as { energies?: { data: number[]; cols: number } | null; iterations?: number[] };
  if (!noNaN(c.call === 'retrieveBatch' ? rest : o.value)) throw new Error(`NaN in an answer: ${JSON.stringify(o.value).slice(0, 300)}`);
  if (c.call === 'retrieveBatch' && energies) {
    const iterations = (rest as { iterations: number[] }).iterations;
    energies.data.forEach((e, k) => {
      const row = Math.floor(k / energies.cols);
      if (Number.isNaN(e) !== k % energies.cols > iterations[row]) throw new Error(`energy trace of row ${row} is not padded after its ${iterations[row]} updates`);
    });
  }
  if (c.call !== 'retrieve') return;
  const r = o.value as { energies: number[]; weights: number[] };
  // Monotone up to the working precision's rounding of the states.
  for (let i = 1; i < r.energies.length; i++) {
    const scale = Math.max(1, Math.abs(r.energies[i]), Math.abs(r.energies[i - 1]));
    if (!(r.energies[i] <= r.energies[i - 1] + (f32 ? 1e-5 : 1e-9) * scale)) throw new Error(`energy increased: ${r.energies.join(', ')}`);
  }
  if (r.weights.some((p) => p < 0 || p > 1 + 1e-6)) throw new Error(`weights outside [0, 1]: ${r.weights.join(', ')}`);
}

t.test('constructor and every method: same answer or the same clear error in both backends', async (t) => {
  let answered = 0;
  fc.assert(
    fc.property(caseArb, (c) => {
      const options = c.options as Record<string, unknown> | null;
      const f32 = (options && typeof options === 'object' && options.dtype === 'float32') || (c.patterns as { data?: unknown })?.data instanceof Float32Array;
      // In float32 the backends round differently, so a row near its stopping tolerance may take
      // one update more in one of them: compare the states (and certificates) only.
      const results = backends.map((backend) => outcome(() => run(c, backend)));
      assertSameOutcome(f32 ? results.map((r) => (r.ok ? { ok: true as const, value: statesOnly(r.value) } : r)) : results, f32 ? 1e-3 : 1e-9, true);
      for (const r of results) {
        assertNamesArgument(r, ['patterns', 'options', 'query', 'queries', 'indices', 'beta', 'k ', 'k must', 'backend', 'overflow', 'certify']);
        checkAnswer(r, c, Boolean(f32));
      }
      if (results[0].ok) answered++;
    }),
    { numRuns: RUNS },
  );
  t.ok(answered > RUNS / 5, `${RUNS} random cases, ${answered} answered (the rest refused)`);
});

t.test('async forms reject (never throw) with the sync error, else equal the sync result', async (t) => {
  await fc.assert(
    fc.asyncProperty(caseArb, async (c) => {
      for (const backend of backends) {
        const make = () => new HopfieldMemory(c.patterns, withBackend(c.options, backend) as never);
        let memory: HopfieldMemory;
        try {
          memory = make();
        } catch {
          continue;
        }
        await assertAsyncLikeSync(() => memory.retrieve(c.query as never, c.callOptions as never), () => memory.retrieveAsync(c.query as never, c.callOptions as never));
        await assertAsyncLikeSync(() => memory.retrieveBatch(c.queries as never, c.callOptions as never), () => memory.retrieveBatchAsync(c.queries as never, c.callOptions as never));
      }
    }),
    { numRuns: Math.ceil(RUNS / 3) },
  );
  t.pass();
});

t.test('pooling: same answer or the same clear error in both backends', async (t) => {
  const arb = fc.record({
    inputDim: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: anySize }),
    keyDim: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 3 }), anySize),
    valueDim: fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer({ min: 1, max: 3 }), anySize),
    queries: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 3 }), anySize),
    transform: transformArb,
    bagRows: fc.integer({ min: 1, max: 5 }),
    bag: fc.oneof({ weight: 6, arbitrary: fc.constant('valid') }, { weight: 1, arbitrary: weird }),
    grad: fc.oneof({ weight: 6, arbitrary: fc.constant('valid') }, { weight: 1, arbitrary: vectorOf(2, anyNumber) }),
  });
  fc.assert(
    fc.property(arb, (c) => {
      const results = backends.map((backend) =>
        outcome(() => {
          const pool = new HopfieldPooling({ inputDim: c.inputDim, keyDim: c.keyDim, valueDim: c.valueDim, queries: c.queries, transform: c.transform, seed: 1, backend } as never);
          const bag = c.bag === 'valid' ? Array.from({ length: c.bagRows }, (_, i) => Array.from({ length: pool.inputDim }, (_, j) => Math.sin(i + 2 * j))) : c.bag;
          const forward = pool.forward(bag);
          const grad = c.grad === 'valid' ? new Float64Array(forward.output.data.length).fill(1) : c.grad;
          return { forward, backward: pool.backward(bag, grad as never) };
        }),
      );
      assertSameOutcome(results, 1e-9, true);
      for (const r of results) assertNamesArgument(r, ['options', 'bag', 'gradOutput', 'k ', 'k must', 'at least k', 'backend']);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});
