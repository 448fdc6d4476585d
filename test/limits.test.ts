// Requests that would need more memory than the limit are refused up front with a RangeError naming
// the size, before anything is allocated: huge shapes given with small (or sparse) data, and
// ordinary shapes under a lowered limit (setLimits), for the transforms, LP-SparseMAP factors and
// wrappers, and latent Hopfield networks.
import t from 'tap';
const tap = t;
import { FactorGraph, getLimits, kSubsetsExactBatch, LatentHopfield, sequentialKSubsetsBatch, setLimits, softmax, sparsemax } from '../src/index';
import { backendsUnderTest, randomLatentWeights } from './helpers';

const backends = backendsUnderTest();
const NEEDS = /would need [\d.]+ (bytes|KiB|MiB|GiB|TiB|PiB), above the limit of [\d.]+ (bytes|KiB|MiB|GiB) \(see setLimits\)/;

/** Runs fn with the allocation limit lowered to maxBytes, restoring it afterwards. */
function withLimit<T>(maxBytes: number, fn: () => T): T {
  const saved = getLimits().maxBytes;
  setLimits({ maxBytes });
  try {
    return fn();
  } finally {
    setLimits({ maxBytes: saved });
  }
}

/** RSS grows by less than this during a refused call: nothing big was allocated first. */
function refusedWithoutAllocating(t: typeof tap, fn: () => unknown, message: RegExp): void {
  const before = process.memoryUsage().rss;
  t.throws(fn, { name: 'RangeError', message });
  t.ok(process.memoryUsage().rss - before < 64 * 2 ** 20, 'refused before allocating');
}

t.test('transforms: impossible batch shapes and huge sparse inputs', async (t) => {
  for (const backend of backends) {
    // rows * cols beyond the limit with three numbers of data: the size is reported, not the length mismatch.
    refusedWithoutAllocating(t, () => sparsemax({ data: [1, 2, 3], rows: 2 ** 20, cols: 2 ** 20 }, { backend }), /^x would need 8\.0 TiB/);
    // A sparse number[] of 2^31 entries would have been copied into 16 GiB before its first entry was read.
    refusedWithoutAllocating(t, () => sparsemax(new Array(2 ** 31) as number[], { backend }), /^x would need 16\.0 GiB/);
    withLimit(4096, () => {
      t.throws(() => sparsemax(new Float64Array(1000), { backend }), { name: 'RangeError', message: /^transform output would need 7\.8 KiB, above the limit of 4\.0 KiB/ });
      t.throws(() => sparsemax.jvp(new Float32Array(2000), new Float32Array(2000), { backend }), { name: 'RangeError', message: NEEDS });
      t.ok(sparsemax(new Float64Array(500), { backend }).length === 500, 'within the limit it works');
    });
  }
  await t.rejects(softmax.async({ data: new Float32Array(3), rows: 2 ** 31, cols: 2 ** 10 }), { name: 'RangeError', message: /^x would need 8\.0 TiB/ });
});

t.test('LP-SparseMAP: Sequence, SequenceBudget and Dense factors, batches and wrappers', async (t) => {
  const S = 1 << 16;
  const wide = new FactorGraph(2 * S);
  const vars = Array.from({ length: 2 * S }, (_, i) => i);
  // 2 S + (L - 1) S^2 transition scores for L = 2, S = 65536: 32 GiB.
  refusedWithoutAllocating(t, () => wide.addSequence(vars, { states: S }), /^Sequence scores would need 32\.0 GiB/);
  refusedWithoutAllocating(t, () => wide.addSequenceBudget(vars, { states: S, k: 1 }), /^SequenceBudget scores would need 32\.0 GiB/);
  t.equal(wide.nFactors, 0, 'nothing was added');
  const g = new FactorGraph(150);
  const groups = Array.from({ length: 5 }, (_, i) => Array.from({ length: 30 }, (_, j) => 30 * i + j));
  t.throws(() => g.addDense(groups, []), { name: 'RangeError', message: /at most 2\^24 joint configurations, got 24300000/ }, 'the configuration count is checked before the scores');
  withLimit(2 ** 20, () => {
    const dense = new FactorGraph(24);
    const sizes = [[0, 1, 2, 3, 4, 5, 6, 7], [8, 9, 10, 11, 12, 13, 14, 15], [16, 17, 18, 19, 20, 21, 22, 23]];
    t.doesNotThrow(() => dense.addDense(sizes, new Float64Array(512)));
    const chain = new FactorGraph(800);
    refusedWithoutAllocating(t, () => chain.addSequence(Array.from({ length: 800 }, (_, i) => i), { states: 400 }), /^Sequence scores would need 1\.2 MiB, above the limit of 1\.0 MiB/);
    t.throws(() => kSubsetsExactBatch({ data: new Float64Array(200000), rows: 1000, cols: 200 }, 3), { name: 'RangeError', message: /^scores would need 1\.5 MiB, above the limit of 1\.0 MiB/ });
    t.throws(() => sequentialKSubsetsBatch([new Float64Array(20000)], { k: 10000 }), { name: 'RangeError', message: /^dynamic programme would need/ });
    const small = new FactorGraph(4);
    small.addBudget([0, 1, 2, 3], 2);
    t.throws(() => small.solveBatch({ data: new Float64Array(4 * 40000), rows: 40000, cols: 4 }), { name: 'RangeError', message: /^unaryScores would need 1\.2 MiB/ });
  });
  refusedWithoutAllocating(t, () => kSubsetsExactBatch({ data: new Array(2 ** 32 - 1) as number[], rows: 65537, cols: 65535 }, 1), /^scores would need 32\.0 GiB/);
});

t.test('latent Hopfield networks: huge dimensions and inputs', async (t) => {
  const w = randomLatentWeights(6, 4, 3, 1);
  refusedWithoutAllocating(t, () => new LatentHopfield({ ...w, inputDim: 2 ** 20, hiddenDim: 2 ** 20 }), /^LatentHopfield weights would need 8\.0 TiB/);
  refusedWithoutAllocating(t, () => new LatentHopfield({ ...w, latentDim: 2 ** 30 }), /^LatentHopfield weights would need/);
  for (const backend of backends) {
    const model = new LatentHopfield(w, { backend });
    refusedWithoutAllocating(t, () => model.encode({ data: new Array(6 * 2 ** 29) as number[], rows: 2 ** 29, cols: 6 }), /^images would need 24\.0 GiB/);
    await t.rejects(model.dynamicsAsync({ data: [0, 0, 0, 0, 0, 0], rows: 2, cols: 3 }, { steps: 5e8 }), { name: 'RangeError', message: /^energy trace would need 7\.5 GiB/ });
    withLimit(4096, () => {
      t.throws(() => model.decode({ data: new Float64Array(3 * 200), rows: 200, cols: 3 }), { name: 'RangeError', message: /^codes would need 4\.7 KiB/ });
    });
  }
});
