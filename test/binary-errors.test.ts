// Bad input to the binary Hopfield API: a clear TypeError or RangeError naming the argument,
// never a crash, in both backends.
import t from 'tap';
import { BinaryHopfield, binarize, hammingDistance, overlap, randomPatterns, setLimits, getLimits, toBipolar, spuriousStates, capacityCurve } from '../src/index';
import { getBackend } from '../src/backend';
import { backendsUnderTest } from './helpers';

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] constructor arguments`, async (t) => {
    t.throws(() => new BinaryHopfield(0, { backend }), { name: 'RangeError', message: /n must be/ });
    t.throws(() => new BinaryHopfield(-3, { backend }), RangeError);
    t.throws(() => new BinaryHopfield(2.5, { backend }), RangeError);
    t.throws(() => new BinaryHopfield(NaN, { backend }), RangeError);
    t.throws(() => new BinaryHopfield('9' as unknown as number, { backend }), TypeError);
    t.throws(() => new BinaryHopfield(9, { backend, rule: 'oja' as never }), { name: 'RangeError', message: /options\.rule/ });
    t.throws(() => new BinaryHopfield(9, { backend, thresholds: [0, 1] }), { name: 'RangeError', message: /options\.thresholds must have length 9/ });
    t.throws(() => new BinaryHopfield(3, { backend, thresholds: [0, NaN, 1] }), { name: 'RangeError', message: /options\.thresholds\[1\]/ });
    t.throws(() => new BinaryHopfield(3, { backend, zeroDiagonal: 'yes' as never }), TypeError);
    t.throws(() => new BinaryHopfield(3, null as never), TypeError);
  });

  t.test(`[${backend}] huge networks are refused up front, naming the size`, async (t) => {
    t.throws(() => new BinaryHopfield(1_000_000, { backend }), { name: 'RangeError', message: /weights of 1000000 neurons would need 931\.3 GiB/ });
    t.throws(() => new BinaryHopfield(2 ** 31 - 1, { backend, rule: 'storkey' }), RangeError);
    const saved = getLimits().maxBytes;
    setLimits({ maxBytes: 1000 });
    try {
      t.throws(() => new BinaryHopfield(40, { backend, rule: 'pseudoinverse' }), /above the limit of 1000 bytes/);
    } finally {
      setLimits({ maxBytes: saved });
    }
    t.throws(() => setLimits({ maxBytes: -1 }), RangeError);
  });

  t.test(`[${backend}] store arguments`, async (t) => {
    const net = new BinaryHopfield(4, { backend });
    t.throws(() => net.store([]), { name: 'RangeError', message: /patterns must contain at least one row/ });
    t.throws(() => net.store([[1, -1, 1]]), { name: 'RangeError', message: /patterns\[0\] must have length 4/ });
    t.throws(() => net.store([[1, -1, 1, 0]]), { name: 'RangeError', message: /patterns\[0\]\[3\] must be \+1 or -1, got 0/ });
    t.throws(() => net.store([[1, -1, 1, NaN]]), { name: 'RangeError', message: /got NaN/ });
    t.throws(() => net.store([[1, -1, 1, '1' as never]]), TypeError);
    t.throws(() => net.store('patterns' as never), TypeError);
    t.throws(() => net.store({ data: new Int8Array(7), rows: 2, cols: 4 }), { name: 'RangeError', message: /rows \* cols = 8/ });
    t.throws(() => net.store({ data: new Int8Array(8).fill(1), rows: 2, cols: 3 } as never), RangeError);
    t.equal(net.patternCount, 0, 'failed stores change nothing');
    const custom = BinaryHopfield.fromWeights([[0, 1], [1, 0]], { backend });
    t.throws(() => custom.store([[1, 1]]), { name: 'TypeError', message: /explicit weights/ });
    t.throws(() => BinaryHopfield.fromWeights([[0, 1, 2], [1, 0, 2]], { backend }), { name: 'RangeError', message: /square/ });
    t.throws(() => BinaryHopfield.fromWeights([[0, Infinity], [1, 0]], { backend }), { name: 'RangeError', message: /weights\[0\]\[1\] must be finite/ });
  });

  t.test(`[${backend}] recall arguments`, async (t) => {
    const net = new BinaryHopfield(4, { backend });
    net.store([[1, -1, 1, -1]]);
    t.throws(() => net.recall([1, -1, 1]), { name: 'RangeError', message: /cue must have length 4/ });
    t.throws(() => net.recall([1, -1, 1, 2]), { name: 'RangeError', message: /cue\[3\]/ });
    t.throws(() => net.recall(null as never), TypeError);
    t.throws(() => net.recall([1, 1, 1, 1], { mode: 'parallel' as never }), { name: 'RangeError', message: /options\.mode/ });
    t.throws(() => net.recall([1, 1, 1, 1], { maxSweeps: 0 }), { name: 'RangeError', message: /options\.maxSweeps/ });
    t.throws(() => net.recall([1, 1, 1, 1], { seed: -1 }), { name: 'RangeError', message: /options\.seed/ });
    t.throws(() => net.recall([1, 1, 1, 1], { seed: 2 ** 53 }), RangeError);
    t.throws(() => net.recall([1, 1, 1, 1], { mode: 'stochastic', temperature: 0 }), { name: 'RangeError', message: /options\.temperature/ });
    t.throws(() => net.recall([1, 1, 1, 1], { temperature: NaN }), RangeError);
    t.throws(() => net.recallBatch([]), RangeError);
    t.throws(() => net.energy([1, 1]), { name: 'RangeError', message: /state must have length 4/ });
    await t.rejects(net.recallAsync([1, 1]), RangeError);
    await t.rejects(net.recallBatchAsync([[1, 1, 1]]), RangeError);
    t.throws(() => spuriousStates(net, { starts: 0 }), RangeError);
    t.throws(() => capacityCurve({ n: 10, loads: [] }), TypeError);
    t.throws(() => capacityCurve({ n: 10, loads: [0.1], noise: 2 }), RangeError);
  });
}

t.test('the native layer rejects malformed kernel calls without crashing', async (t) => {
  if (!backendsUnderTest().includes('native')) return;
  const native = getBackend('native');
  const w = new Int8Array(4);
  const net = { weights: w, weightsT: w, scale: 0.5, thresholds: null, n: 2 };
  const params = { mode: 1, maxSweeps: 5, seed: 0, temperature: 1, trackEnergy: true, threads: 1 };
  const out = { states: new Int8Array(2), sweeps: new Int32Array(1), status: new Uint8Array(1), cycleLength: new Int32Array(1), energies: new Float64Array(6) };
  t.throws(() => native.binaryRecall(net, new Int8Array(1), 1, params, out), { name: 'RangeError', message: /cues has 1 elements/ });
  t.throws(() => native.binaryRecall({ ...net, n: 3 }, new Int8Array(3), 1, params, out), RangeError);
  t.throws(() => native.binaryRecall({ ...net, weights: new Float32Array(4) as never }, new Int8Array(2), 1, params, out), TypeError);
  t.throws(() => native.binaryRecall(net, new Int8Array(2), 1, { ...params, maxSweeps: 0 }, out), RangeError);
  t.throws(() => native.binaryRecall(net, new Int8Array(2), 1, params, { ...out, energies: new Float64Array(2) }), RangeError);
  t.throws(() => native.binaryRecall(null as never, new Int8Array(2), 1, params, out), TypeError);
  t.throws(() => native.binaryStore(0, new Int8Array(3), 2, 2, new Int8Array(4), true), RangeError);
  t.throws(() => native.binaryStore(1, new Int8Array(4), 2, 2, new Int8Array(4), true), TypeError);
  t.throws(() => native.binaryStoreAsync(0, new Int8Array(3), 2, 2, new Int8Array(4), true), RangeError);
});

t.test('pattern helpers validate their input', async (t) => {
  t.same(Array.from(toBipolar([0, 1, 1])), [-1, 1, 1]);
  t.throws(() => toBipolar([0, 2]), { name: 'RangeError', message: /binary\[1\] must be 0 or 1/ });
  t.same(Array.from(binarize([0, 127, 128, 255], 128)), [-1, -1, 1, 1]);
  t.throws(() => binarize([0, NaN]), RangeError);
  t.throws(() => binarize([0, 1], NaN), RangeError);
  t.throws(() => overlap([1, -1], [1]), { name: 'RangeError', message: /b must have length 2/ });
  t.throws(() => overlap([], []), RangeError);
  t.throws(() => hammingDistance([1, 0], [1, 1]), RangeError);
  t.throws(() => randomPatterns(0, 5), RangeError);
  t.throws(() => randomPatterns(2, 5, { bias: 1.5 }), RangeError);
});
