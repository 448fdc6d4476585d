// Bad input to memories: a TypeError or RangeError naming the argument, never a crash or NaN; the
// native kernels refuse malformed direct calls too.
import t from 'tap';
import { getBackend } from '../src/backend';
import { HopfieldMemory, setLimits, getLimits } from '../src/index';
import { backendsUnderTest } from './helpers';

const x = [[1, 0, 0], [0, 1, 0]];

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] constructor arguments`, async (t) => {
    t.throws(() => new HopfieldMemory([], { backend }), { name: 'RangeError', message: /patterns must contain at least one row/ });
    t.throws(() => new HopfieldMemory([[]], { backend }), RangeError);
    t.throws(() => new HopfieldMemory([[1, 2], [3]], { backend }), { name: 'RangeError', message: /patterns\[1\] must have length 2/ });
    t.throws(() => new HopfieldMemory([[1, NaN]], { backend }), { name: 'RangeError', message: /patterns\[0\]\[1\] must be finite/ });
    t.throws(() => new HopfieldMemory([[1, Infinity]], { backend }), RangeError);
    t.throws(() => new HopfieldMemory([[1, '2']], { backend }), { name: 'TypeError', message: /patterns\[0\]\[1\] must be a number/ });
    t.throws(() => new HopfieldMemory('abc', { backend }), TypeError);
    t.throws(() => new HopfieldMemory({ data: [1, 2, 3], rows: 2, cols: 2 }, { backend }), { name: 'RangeError', message: /rows \* cols = 4/ });
    for (const beta of [0, -1, NaN, Infinity]) t.throws(() => new HopfieldMemory(x, { beta, backend }), { name: 'RangeError', message: /options.beta/ });
    t.throws(() => new HopfieldMemory(x, { beta: '1' as unknown as number, backend }), { name: 'TypeError', message: /options.beta/ });
    t.throws(() => new HopfieldMemory(x, { maxIter: -1, backend }), { name: 'RangeError', message: /options.maxIter/ });
    t.throws(() => new HopfieldMemory(x, { maxIter: 1.5, backend }), RangeError);
    t.throws(() => new HopfieldMemory(x, { tol: -1, backend }), { name: 'RangeError', message: /options.tol/ });
    t.throws(() => new HopfieldMemory(x, { dtype: 'int8' as 'float32', backend }), { name: 'RangeError', message: /options.dtype/ });
    t.throws(() => new HopfieldMemory(x, { transform: 'maxout' as 'softmax', backend }), { name: 'RangeError', message: /options.transform.name/ });
    t.throws(() => new HopfieldMemory(x, { transform: 3 as unknown as 'softmax', backend }), { name: 'TypeError', message: /options.transform/ });
    t.throws(() => new HopfieldMemory(x, { transform: { name: 'entmax', alpha: 0.5 }, backend }), { name: 'RangeError', message: /alpha/ });
    t.throws(() => new HopfieldMemory(x, { transform: { name: 'entmax' } as unknown as 'softmax', backend }), { name: 'TypeError', message: /alpha/ });
    t.throws(() => new HopfieldMemory(x, { transform: { name: 'normmax', gamma: 1 }, backend }), { name: 'RangeError', message: /gamma/ });
    t.throws(() => new HopfieldMemory(x, { transform: { name: 'kSubsets', k: 3 }, backend }), { name: 'RangeError', message: /k must be <= the number of patterns \(2\)/ });
    t.throws(() => new HopfieldMemory(x, { transform: { name: 'kSubsets', k: 0 }, backend }), { name: 'RangeError', message: /options.transform.k/ });
    t.throws(() => new HopfieldMemory(x, { transform: { name: 'sequentialKSubsets', k: 1, bonus: NaN }, backend }), { name: 'RangeError', message: /bonus/ });
    t.throws(() => new HopfieldMemory(x, { backend: 'gpu' as 'js' }), RangeError);
    t.throws(() => new HopfieldMemory([[1e200, 1e200]], { backend }), { name: 'RangeError', message: /overflow/ });
  });

  t.test(`[${backend}] retrieval arguments`, async (t) => {
    const memory = new HopfieldMemory(x, { transform: 'sparsemax', backend });
    t.throws(() => memory.retrieve([1, 0]), { name: 'RangeError', message: /query must have length 3, got 2/ });
    t.throws(() => memory.retrieve([1, 0, NaN]), { name: 'RangeError', message: /query\[2\] must be finite/ });
    t.throws(() => memory.retrieve('abc' as unknown as number[]), TypeError);
    t.throws(() => memory.retrieve([1, 0, 0], { maxIter: -2 }), { name: 'RangeError', message: /options.maxIter/ });
    t.throws(() => memory.retrieve([1, 0, 0], { energies: 1 as unknown as boolean }), { name: 'TypeError', message: /options.energies/ });
    t.throws(() => memory.retrieve([1, 0, 0], { supportThreshold: -1 }), { name: 'RangeError', message: /options.supportThreshold/ });
    t.throws(() => memory.retrieve([1e300, 0, 0]), { name: 'RangeError', message: /overflow/ });
    t.throws(() => memory.retrieveBatch([[1, 0, 0], [1, 0]]), { name: 'RangeError', message: /queries\[1\] must have length 3/ });
    t.throws(() => memory.retrieveBatch({ data: [1, 0, 0], rows: 1, cols: 2 }), RangeError);
    t.throws(() => memory.retrieveBatch([[1, 0, 0]], { weights: 'csr' as 'sparse' }), { name: 'RangeError', message: /options.weights/ });
    await t.rejects(memory.retrieveAsync([1, 0]), RangeError);
    await t.rejects(memory.retrieveBatchAsync([[1, 0]]), RangeError);
    t.throws(() => memory.energy([1, 0]), { name: 'RangeError', message: 'query must have length 3, got 2' });
    t.throws(() => (memory.energy as (...a: unknown[]) => number)(), { name: 'TypeError', message: 'query must be an array or typed array of numbers, got undefined' });
    t.throws(() => memory.add([[1, 0]]), { name: 'RangeError', message: /patterns\[0\] must have length 3/ });
    t.throws(() => memory.add([[1e200, 0, 0]]), { name: 'RangeError', message: /overflow/ });
    // A single index is named as the argument itself, a list's entries by position.
    t.throws(() => memory.remove(5), { name: 'RangeError', message: 'indices must be an integer in [0, 1], got 5' });
    t.throws(() => memory.remove([0, 7]), { name: 'RangeError', message: 'indices[1] must be an integer in [0, 1], got 7' });
    t.throws(() => memory.remove([0, 1]), { name: 'RangeError', message: /at least one pattern/ });
    t.throws(() => memory.certify(99), { name: 'RangeError', message: 'patterns must be an integer in [0, 1], got 99' });
    t.throws(() => memory.certify([2]), { name: 'RangeError', message: 'patterns[0] must be an integer in [0, 1], got 2' });
    t.throws(() => memory.certify([0, 1]), { name: 'RangeError', message: /must list 1 pattern/ });
    const k2 = new HopfieldMemory([[1, 0], [0, 1], [1, 1]], { transform: { name: 'kSubsets', k: 2 }, backend });
    t.throws(() => k2.certify([1, 1]), { name: 'RangeError', message: /repeats pattern 1/ });
    t.throws(() => k2.remove([0, 1]), { name: 'RangeError', message: /k must be <= the number of patterns/ });
    const seq = new HopfieldMemory(x, { transform: { name: 'sequentialKSubsets', k: 1 }, backend });
    t.throws(() => seq.certify(0), { name: 'RangeError', message: /no known margin/ });
    // Nothing was changed by the failed calls.
    t.equal(memory.size, 2);
    t.same(Array.from(memory.retrieve([1, -0.5, 0]).state), [1, 0, 0]);
  });

  t.test(`[${backend}] sizes beyond the allocation limit are refused up front`, async (t) => {
    const saved = getLimits().maxBytes;
    const memory = new HopfieldMemory({ data: new Float64Array(1000 * 4), rows: 1000, cols: 4 }, { backend });
    setLimits({ maxBytes: 4000 });
    try {
      t.throws(() => memory.retrieveBatch({ data: new Float64Array(4), rows: 1, cols: 4 }, { weights: 'dense' }), { name: 'RangeError', message: /retrieval weights would need 7.8 KiB/ });
      t.throws(() => memory.scores({ data: new Float64Array(4), rows: 1, cols: 4 }), { name: 'RangeError', message: /scores would need/ });
    } finally {
      setLimits({ maxBytes: saved });
    }
  });
}

if (backendsUnderTest().includes('native')) {
  t.test('the native memory kernels refuse malformed calls', async (t) => {
    const native = getBackend('native');
    const patterns = new Float64Array(6);
    const params = { kind: 1, param: 0, bonus: 0, beta: 1, maxIter: 2, tol: 0, supportThreshold: 0, maxActiveSetIter: 10, threads: 0 };
    const out = () => ({ states: new Float64Array(3), weights: null, support: new Int32Array(1), iterations: new Int32Array(1), status: new Uint8Array(1), energies: null });
    const call = (p: unknown, n: number, d: number, count: number, prm: unknown, o: unknown) =>
      native.memoryRetrieve(p as Float64Array, n, d, count, prm as typeof params, o as ReturnType<typeof out>);
    t.throws(() => call(patterns, 2, 4, 1, params, out()), { name: 'RangeError', message: /patterns has 6 elements/ });
    t.throws(() => call(new Int8Array(6), 2, 3, 1, params, out()), { name: 'TypeError', message: /patterns must be a Float32Array or Float64Array/ });
    t.throws(() => call(patterns, 2, 3, 2, params, out()), { name: 'RangeError', message: /out.states/ });
    t.throws(() => call(patterns, 2, 3, 1, { ...params, kind: 9 }, out()), { name: 'RangeError', message: /params.kind/ });
    t.throws(() => call(patterns, 2, 3, 1, { ...params, beta: 0 }, out()), { name: 'RangeError', message: /beta/ });
    t.throws(() => call(patterns, 2, 3, 1, { ...params, kind: 5, param: 3 }, out()), { name: 'RangeError', message: /k must be an integer/ });
    t.throws(() => call(patterns, 2, 3, 1, params, { ...out(), states: new Float32Array(3) }), { name: 'TypeError', message: /out.states has the wrong element type/ });
    t.throws(() => call(patterns, 2, 3, 1, params, null), { name: 'TypeError', message: /out must be an object/ });
    t.throws(() => call(patterns, 2, 3, 1, params, { ...out(), energies: new Float64Array(2) }), { name: 'RangeError', message: /out.energies/ });
    t.throws(() => native.memoryScores(new Float64Array(2), 1, patterns, 2, 3, 1, new Float64Array(2), 0), { name: 'RangeError', message: /queries/ });
    await t.rejects(native.memoryRetrieveAsync(patterns, 2, 3, 1, { ...params, tol: -1 }, out()), { name: 'RangeError', message: /tol/ });
  });
}
