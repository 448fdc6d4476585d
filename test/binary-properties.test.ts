// Property-based tests (fast-check) of the binary Hopfield entry points: for any input, both
// backends give the same answer or the same clear TypeError/RangeError; nothing crashes or hangs.
import t from 'tap';
import fc from 'fast-check';
import { BinaryHopfield } from '../src/index';
import { backendsUnderTest } from './helpers';

const backends = backendsUnderTest();
const RUNS = Number(process.env.SSHN_PROPERTY_RUNS ?? 300);

/** Either a value or the class of the error thrown, for comparing backends. */
function outcome(fn: () => unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (!(e instanceof TypeError) && !(e instanceof RangeError)) throw e;
    return { ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

const anyNumber = fc.oneof(fc.constantFrom(1, -1), fc.constantFrom(0, 2, 0.5, NaN, Infinity, -Infinity, -0), fc.double());
const weird = fc.oneof(fc.constant(undefined), fc.constant(null), fc.string(), fc.boolean(), fc.object(), fc.constant([]));

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
        (v) => {
          const detached = Int8Array.from(v);
          structuredClone(detached.buffer, { transfer: [detached.buffer] });
          return detached;
        },
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
        let asyncOutcome;
        try {
          await other.storeAsync(patterns);
          asyncOutcome = { ok: true, value: (await other.recallAsync(cue as ArrayLike<number>)).state.join() };
        } catch (e) {
          if (!(e instanceof TypeError) && !(e instanceof RangeError)) throw e;
          asyncOutcome = { ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
        }
        if (JSON.stringify(sync) !== JSON.stringify(asyncOutcome)) throw new Error(`${JSON.stringify(sync)} vs ${JSON.stringify(asyncOutcome)}`);
      }
    }),
    { numRuns: Math.ceil(RUNS / 3) },
  );
  t.pass();
});
