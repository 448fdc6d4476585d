// Property-based tests (fast-check) of the file formats: safetensors, BinaryHopfield model files
// and IDX round-trip exactly for random contents; bad writer arguments are clear TypeErrors or
// RangeErrors; damaged files (the mutations of scripts/fuzz-readers.js, driven by fast-check seeds)
// give only the reader's documented error class, a TypeError or a RangeError, and whatever still
// loads is consistent (model files whose contents were edited and checksums repaired recall alike
// with both kinds of fields, with finite energies; safetensors keep every name, __proto__ too) and
// agrees across backends. A short run of the fuzzer replays its corpus in test/fuzz-corpus and
// tries the file readers on hostile paths.
import t from 'tap';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BinaryHopfield, readIdx, readSafetensors, Rng, writeSafetensors } from '../src/index';
import type { TensorInput } from '../src/index';
import { readers, runOne } from '../scripts/fuzz-readers';
import { backendsUnderTest } from './helpers';
import { assertNamesArgument, outcome, plain, RUNS, weird } from './property-helpers';

const backends = backendsUnderTest();

const tensorArb: fc.Arbitrary<TensorInput> = fc
  .tuple(fc.constantFrom('F64', 'F32', 'I64', 'I32', 'U8') as fc.Arbitrary<TensorInput['dtype']>, fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }))
  .chain(([dtype, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const values: fc.Arbitrary<number[] | bigint[]> =
      dtype === 'F64' ? fc.array(fc.double(), { minLength: n, maxLength: n })
      : dtype === 'F32' ? fc.array(fc.float(), { minLength: n, maxLength: n })
      : dtype === 'I64' ? fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { minLength: n, maxLength: n })
      : dtype === 'I32' ? fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: n, maxLength: n })
      : fc.array(fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n });
    return values.map((data) => ({ dtype, shape, data: (dtype === 'I64' ? BigInt64Array.from(data as bigint[]) : data) as TensorInput['data'] }));
  });

/** Names Object.prototype has (a plain object would lose __proto__ to its setter) come up often. */
const prototypeNames = fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf');
const names = fc.oneof(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'), prototypeNames);

t.test('safetensors: any tensors and metadata round-trip exactly', async (t) => {
  fc.assert(
    fc.property(fc.dictionary(names, tensorArb, { maxKeys: 4 }), fc.dictionary(fc.oneof(fc.string({ maxLength: 5 }), prototypeNames), fc.string({ maxLength: 8 }), { maxKeys: 3 }), (tensors, metadata) => {
      const file = readSafetensors(writeSafetensors(tensors, metadata));
      const keys = Object.keys(tensors).sort();
      if ([...file.tensors.keys()].sort().join('\u0000') !== keys.join('\u0000')) throw new Error('tensor names differ');
      for (const k of keys) {
        const a = tensors[k];
        const b = file.tensors.get(k)!;
        const expected = Array.from(a.data as ArrayLike<number | bigint>, (v) => (a.dtype === 'F32' ? Math.fround(v as number) : v));
        if (b.dtype !== a.dtype || b.shape.join() !== a.shape.join() || b.data.length !== expected.length) throw new Error(`tensor '${k}' changed: ${b.dtype} [${b.shape}]`);
        for (let i = 0; i < expected.length; i++) if (!Object.is(b.data[i], expected[i])) throw new Error(`tensor '${k}'[${i}]: ${b.data[i]} vs ${String(expected[i])}`);
      }
      if (JSON.stringify(file.metadata) !== JSON.stringify(Object.keys(metadata).length ? metadata : {})) throw new Error('metadata changed');
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('writeSafetensors: bad arguments are TypeErrors or RangeErrors naming them', async (t) => {
  const bad = fc.oneof(
    fc.record({ dtype: fc.oneof(fc.constantFrom('F16', 'BOOL', 'x'), weird), shape: fc.constant([1]), data: fc.constant([1]) }),
    fc.record({ dtype: fc.constant('F32'), shape: fc.oneof(fc.constant([-1]), fc.constant([1.5]), weird), data: fc.constant([1]) }),
    fc.record({ dtype: fc.constantFrom('F64', 'I32', 'U8', 'I64'), shape: fc.constant([2]), data: fc.oneof(fc.constant([1]), fc.constant(['a', 'b']), fc.constant([300, -1]), fc.constant([1.5, NaN]), fc.constant([1e300, 2 ** 53]), fc.constant([2n ** 64n, 1n]), weird) }),
  );
  fc.assert(
    fc.property(fc.oneof(fc.dictionary(names, bad, { minKeys: 1, maxKeys: 2 }), weird), fc.oneof(fc.constant({}), fc.constant({ a: 1 }), weird), (tensors, metadata) => {
      const o = outcome(() => writeSafetensors(tensors as never, metadata as never).length);
      assertNamesArgument(o, ['tensors', 'metadata']);
      if (o.ok) {
        // Accepted: it must read back (I32/U8 values out of range would have been refused).
        readSafetensors(writeSafetensors(tensors as never, metadata as never));
      }
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

const networkArb = fc.integer({ min: 1, max: 9 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    kind: fc.constantFrom('hebbian', 'storkey', 'pseudoinverse', 'weights'),
    zeroDiagonal: fc.boolean(),
    thresholds: fc.option(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }), { nil: undefined }),
    patterns: fc.array(fc.array(fc.constantFrom(1, -1), { minLength: n, maxLength: n }), { maxLength: 5 }),
    weights: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n * n, maxLength: n * n }),
    cue: fc.array(fc.constantFrom(1, -1), { minLength: n, maxLength: n }),
  }),
);

type NetworkCase = typeof networkArb extends fc.Arbitrary<infer T> ? T : never;

function buildNetwork(c: NetworkCase, backend: 'native' | 'js'): BinaryHopfield {
  if (c.kind === 'weights') return BinaryHopfield.fromWeights({ data: c.weights, rows: c.n, cols: c.n }, { thresholds: c.thresholds, backend });
  const net = new BinaryHopfield(c.n, { rule: c.kind as 'hebbian', zeroDiagonal: c.zeroDiagonal, thresholds: c.thresholds, backend });
  return c.patterns.length ? net.store(c.patterns) : net;
}

t.test('model files: every network round-trips exactly, in both backends', async (t) => {
  fc.assert(
    fc.property(networkArb, (c) => {
      for (const backend of backends) {
        const net = buildNetwork(c, backend);
        const back = BinaryHopfield.fromBuffer(net.toBuffer(), { backend });
        const same = (x: unknown, y: unknown, what: string) => {
          if (JSON.stringify(plain(x)) !== JSON.stringify(plain(y))) throw new Error(`${what} changed in the round trip`);
        };
        same(back.getWeights(), net.getWeights(), 'weights');
        same(back.thresholds, net.thresholds, 'thresholds');
        same([back.rule, back.zeroDiagonal, back.rank, back.weightStorage], [net.rule, net.zeroDiagonal, net.rank, net.weightStorage], 'fields');
        same(back.patterns, net.patterns, 'patterns');
        same(back.recall(c.cue, { seed: 3 }), net.recall(c.cue, { seed: 3 }), 'recall');
      }
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

const IDX_TYPES: [number, (v: number) => number, fc.Arbitrary<number>, (b: Buffer, v: number, o: number) => void, number][] = [
  [0x08, (v) => v, fc.integer({ min: 0, max: 255 }), (b, v, o) => b.writeUInt8(v, o), 1],
  [0x09, (v) => v, fc.integer({ min: -128, max: 127 }), (b, v, o) => b.writeInt8(v, o), 1],
  [0x0b, (v) => v, fc.integer({ min: -32768, max: 32767 }), (b, v, o) => b.writeInt16BE(v, o), 2],
  [0x0c, (v) => v, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (b, v, o) => b.writeInt32BE(v, o), 4],
  [0x0d, Math.fround, fc.float(), (b, v, o) => b.writeFloatBE(v, o), 4],
  [0x0e, (v) => v, fc.double(), (b, v, o) => b.writeDoubleBE(v, o), 8],
];

t.test('IDX: any element type and shape reads back exactly, limit keeps the first items', async (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom(...IDX_TYPES.keys()).chain((k) =>
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }).chain((dims) => {
          const n = dims.reduce((a, b) => a * b, 1);
          return fc.tuple(fc.constant(k), fc.constant(dims), fc.array(IDX_TYPES[k][2], { minLength: n, maxLength: n }), fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }));
        }),
      ),
      ([k, dims, values, limit]) => {
        const [type, round, , write, bytes] = IDX_TYPES[k];
        const head = Buffer.alloc(4 + 4 * dims.length);
        head[2] = type;
        head[3] = dims.length;
        dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
        const body = Buffer.alloc(values.length * bytes);
        values.forEach((v, i) => write(body, v, i * bytes));
        const r = readIdx(Buffer.concat([head, body]), limit);
        const items = limit === undefined ? dims[0] : Math.min(limit, dims[0]);
        const kept = values.slice(0, (values.length / Math.max(dims[0], 1)) * items).map(round);
        if (r.shape.join() !== [items, ...dims.slice(1)].join()) throw new Error(`shape ${r.shape}`);
        if (!kept.every((v, i) => Object.is(r.data[i], v)) || r.data.length !== kept.length) throw new Error('values changed');
      },
    ),
    { numRuns: RUNS },
  );
  t.pass();
});

t.test('damaged files: only documented errors, and what loads agrees across backends', async (t) => {
  for (const [name, reader] of Object.entries(readers)) {
    const seeds = reader.seeds().map((b) => new Uint8Array(b));
    let loaded = 0;
    fc.assert(
      fc.property(fc.nat(), fc.nat(seeds.length - 1), fc.integer({ min: 1, max: 4 }), (seed, which, rounds) => {
        const rng = new Rng(seed);
        let bytes = seeds[which];
        for (let m = 0; m < rounds; m++) bytes = reader.mutate(bytes, rng, seeds);
        const { signature, finding } = runOne(reader, bytes, rng);
        if (finding) throw new Error(`${name}: ${finding}`);
        if (signature === 'ok') loaded++;
      }),
      { numRuns: RUNS },
    );
    t.ok(loaded < RUNS, `${name}: ${RUNS} damaged files, ${loaded} still loaded`);
  }
});

t.test('the reader fuzzer runs clean on its corpus for a short budget', async (t) => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'fuzz-readers.js'), '--iterations', '3000', '--seed', '2'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stdout + r.stderr);
  t.match(r.stdout, /safetensors: \d+ inputs \(\d+ from the corpus\)/);
  t.match(r.stdout, /model: \d+ inputs \(\d+ from the corpus\), \d+ distinct outcomes, 0 findings/);
  t.match(r.stdout, /files: \d+ hostile cases, 0 findings/, 'directories, /dev/zero, FIFOs, procfs and oversize files are refused at once');
});
