// Property-based tests (fast-check) of the binary Hopfield entry points: for any input, both
// backends give the same answer or the same clear TypeError/RangeError; nothing crashes or hangs.
import t from 'tap';
import fc from 'fast-check';
import { BinaryHopfield } from '../src/index';
import { backendsUnderTest } from './helpers';
import { anyNumber as oddNumber, assertNamesArgument, assertSameOutcome, detached, outcome, outcomeAsync, RUNS, weird } from './property-helpers';

const backends = backendsUnderTest();

const anyNumber = fc.oneof(fc.constantFrom(1, -1), oddNumber);

// A vector as one of the shapes users pass: number[], typed arrays (also views with an offset
// into a larger or shared buffer), or junk.
const vectorLike = (n: number) =>
  fc.oneof(
    fc.array(fc.constantFrom(1, -1), { minLength: n, maxLength: n }),
    fc.array(anyNumber, { minLength: 0, maxLength: n + 2 }),
    fc.array(fc.constantFrom(1, -1), { minLength: n, maxLength: n }).chain((values) =>
      fc.constantFrom<(v: number[]) => ArrayLike<number>>(
        (v) => Int8Array.from(v),
        (v) => Float32Array.from(v),
        (v) => Float64Array.from(v),
        (v) => {
          const big = new Int8Array(v.length + 5);
          big.set(v, 3);
          return big.subarray(3, 3 + v.length);
        },
        (v) => {
          const shared = new Int8Array(new SharedArrayBuffer(v.length));
          shared.set(v);
          return shared;
        },
        (v) => detached(Int8Array.from(v)),
      ).map((make) => make(values)),
    ),
    weird,
  );

t.test('constructor: any n and options', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.integer({ min: -5, max: 40 }), fc.double(), weird, fc.constant(2 ** 40)), fc.oneof(fc.record({ rule: fc.constantFrom('hebbian', 'storkey', 'pseudoinverse', 'x') }), weird), (n, options) => {
      const results = backends.map((backend) => outcome(() => new BinaryHopfield(n as number, { ...(options as object), backend }).n));
      if (results.length === 2) t.same(results[0], results[1]);
    }),
    { numRuns: RUNS },
  );
});

t.test('store, recall, energy: same answer or same clear error in both backends', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          rule: fc.constantFrom('hebbian' as const, 'storkey' as const, 'pseudoinverse' as const),
          patterns: fc.oneof(fc.array(vectorLike(n), { minLength: 0, maxLength: 5 }), weird),
          cue: vectorLike(n),
          options: fc.oneof(
            fc.record({ mode: fc.constantFrom('async', 'sync', 'stochastic', 'bad'), maxSweeps: fc.oneof(fc.integer({ min: -1, max: 20 }), fc.double()), seed: fc.oneof(fc.integer({ min: -2, max: 2 ** 40 }), fc.double()), temperature: fc.oneof(fc.double({ min: 0.01, max: 10, noNaN: true }), fc.constantFrom(0, -1, NaN)) }, { requiredKeys: [] }),
            weird,
          ),
        }),
      ),
      ({ n, rule, patterns, cue, options }) => {
        const results = backends.map((backend) => {
          const net = new BinaryHopfield(n, { rule, backend });
          const stored = outcome(() => net.store(patterns).patternCount);
          const recalled = outcome(() => {
            const r = net.recall(cue as ArrayLike<number>, options as object);
            return [Array.from(r.state), r.sweeps, r.status, Array.from(r.energies)];
          });
          const energy = outcome(() => net.energy(cue as ArrayLike<number>));
          return { stored, recalled, energy };
        });
        for (const r of results) {
          if (r.recalled.ok) {
            const [state, sweeps, , energies] = r.recalled.value as [number[], number, string, number[]];
            if (state.length !== n || !state.every((v) => v === 1 || v === -1)) throw new Error('bad state');
            if (!(sweeps >= 1) || energies.some((e) => !Number.isFinite(e))) throw new Error('bad trace');
          }
        }
        if (results.length === 2) {
          const [a, b] = results;
          if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`backends differ: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
        }
      },
    ),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} random cases`);
});

t.test('async forms reject (never throw synchronously) and agree with the sync forms', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 10 }).chain((n) => fc.tuple(fc.constant(n), vectorLike(n), fc.array(vectorLike(n), { maxLength: 3 }))), async ([n, cue, patterns]) => {
      for (const backend of backends) {
        const net = new BinaryHopfield(n, { backend });
        const sync = outcome(() => net.store(patterns).recall(cue as ArrayLike<number>).state.join());
        const other = new BinaryHopfield(n, { backend });
        const asyncOutcome = await outcomeAsync(async () => {
          await other.storeAsync(patterns);
          return (await other.recallAsync(cue as ArrayLike<number>)).state.join();
        });
        if (JSON.stringify(sync) !== JSON.stringify(asyncOutcome)) throw new Error(`${JSON.stringify(sync)} vs ${JSON.stringify(asyncOutcome)}`);
      }
    }),
    { numRuns: Math.ceil(RUNS / 3) },
  );
  t.pass();
});

const cueSet = (n: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.oneof({ weight: 6, arbitrary: fc.array(fc.constantFrom(1, -1), { minLength: n, maxLength: n }) }, { weight: 1, arbitrary: vectorLike(n) }), { minLength: 1, maxLength: 4 }) },
    {
      weight: 4,
      arbitrary: fc.integer({ min: 1, max: 4 }).chain((rows) =>
        fc.record({
          data: fc.oneof({ weight: 6, arbitrary: fc.array(fc.constantFrom(1, -1), { minLength: rows * n, maxLength: rows * n }) }, { weight: 1, arbitrary: fc.array(anyNumber, { maxLength: rows * n + 1 }) }),
          rows: fc.oneof({ weight: 8, arbitrary: fc.constant(rows) }, { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -1, max: 6 }), fc.constant(2 ** 40), weird) }),
          cols: fc.oneof({ weight: 8, arbitrary: fc.constant(n) }, { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -1, max: 13 }), weird) }),
        }),
      ),
    },
    { weight: 1, arbitrary: weird },
  );

t.test('fromWeights, thresholds and recallBatch: same answer or the same clear error in both backends', async (t) => {
  let answered = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          weights: fc.oneof(
            { weight: 6, arbitrary: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n * n, maxLength: n * n }).map((data) => ({ data, rows: n, cols: n })) },
            { weight: 2, arbitrary: fc.array(fc.array(anyNumber, { minLength: n, maxLength: n }), { minLength: n, maxLength: n }) },
            { weight: 1, arbitrary: fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n + 1 }), { minLength: 1, maxLength: n + 1 }) },
            { weight: 1, arbitrary: weird },
          ),
          thresholds: fc.oneof(
            { weight: 3, arbitrary: fc.constant(undefined) },
            { weight: 3, arbitrary: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }) },
            { weight: 1, arbitrary: fc.array(anyNumber, { maxLength: n + 1 }) },
            { weight: 1, arbitrary: weird },
          ),
          rule: fc.constantFrom('hebbian' as const, 'storkey' as const, 'pseudoinverse' as const),
          patterns: fc.array(fc.array(fc.constantFrom(1, -1), { minLength: n, maxLength: n }), { minLength: 1, maxLength: 3 }),
          cues: cueSet(n),
          options: fc.oneof(
            { weight: 6, arbitrary: fc.record({ mode: fc.constantFrom('async', 'sync', 'stochastic'), maxSweeps: fc.integer({ min: 1, max: 20 }), seed: fc.integer({ min: 0, max: 99 }), threads: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(-1)) }, { requiredKeys: [] }) },
            { weight: 1, arbitrary: weird },
          ),
        }),
      ),
      ({ n, weights, thresholds, rule, patterns, cues, options }) => {
        const summary = (rs: { state: Int8Array; sweeps: number; status: string; energies: Float64Array }[]) => rs.map((r) => [Array.from(r.state), r.sweeps, r.status, Array.from(r.energies)]);
        const results = backends.map((backend) => ({
          custom: outcome(() => summary(BinaryHopfield.fromWeights(weights, { thresholds: thresholds as number[], backend }).recallBatch(cues, options as object))),
          stored: outcome(() => summary(new BinaryHopfield(n, { rule, thresholds: thresholds as number[], backend }).store(patterns).recallBatch(cues, options as object))),
        }));
        for (const r of results) {
          assertNamesArgument(r.custom, ['weights', 'thresholds', 'cues', 'options']);
          assertNamesArgument(r.stored, ['thresholds', 'cues', 'options']);
        }
        if (results.length === 2) {
          // Energies are sums of products of the same numbers in the same order in both backends.
          assertSameOutcome([results[0].custom, results[1].custom], 1e-12, true);
          assertSameOutcome([results[0].stored, results[1].stored], 1e-12, true);
        }
        if (results[0].custom.ok) answered++;
      },
    ),
    { numRuns: RUNS },
  );
  t.ok(answered > RUNS / 8, `${RUNS} random cases, ${answered} recalled from explicit weights`);
});
