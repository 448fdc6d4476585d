// Missing or malformed arguments of public functions give a TypeError or RangeError naming the
// argument, not a JavaScript error from inside (Cannot read properties of null, x.map is not a
// function). Regression tests of the defects the junk-argument walk (junk-arguments.test.ts) found.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import {
  backend as activeBackend, barChartSvg, BinaryHopfield, capacityCurveSvg, corrupt, energyTraceSvg, FactorGraph, getLimits, hebbianLatent, IdxError,
  labelMapSvg, LatentHopfield, lineChartSvg, meanAbsoluteError, meanSquaredError, patternGridSvg, randomPatterns, readIdx, readIdxFile, readSafetensors,
  readSafetensorsFile, retrievalAccuracy, SafetensorsError, scalePixels, setBackend, setLimits, spuriousStates, spuriousStatesAsync, sumSquaredErrors,
  supportHistogramSvg, trainAttractor, trainAttractorAsync, writeSafetensors,
} from '../src/index';
import { backendsUnderTest, maxAbsDiff, randomLatentWeights, wellFormedSvg } from './helpers';

const rows = (name: string, got: string) => ({ name: 'TypeError', message: `${name} must be an array of rows or a {data, rows, cols} matrix, got ${got}` });

t.test('image and code rows: a missing or null argument is named', async (t) => {
  const x = [[0.5, -0.5]];
  for (const [what, metric] of [['sumSquaredErrors', sumSquaredErrors], ['meanSquaredError', meanSquaredError], ['meanAbsoluteError', meanAbsoluteError], ['retrievalAccuracy', retrievalAccuracy]] as const) {
    t.throws(() => (metric as (...a: unknown[]) => unknown)(), rows('originals', 'undefined'), `${what}()`);
    t.throws(() => metric(x, null as never), rows('originals', 'null'), `${what}(x, null)`);
    t.throws(() => metric(null as never, x), rows('recalled', 'null'), `${what}(null, x)`);
    t.throws(() => metric(x, [5] as never), { name: 'TypeError', message: 'originals[0] must be an array or typed array of numbers, got 5' }, `${what}(x, [5])`);
  }
  t.throws(() => retrievalAccuracy(x, x, 'x' as never), { name: 'TypeError', message: "threshold must be a number, got 'x'" });
  t.throws(() => (corrupt.halfMask as (...a: unknown[]) => unknown)(), rows('images', 'undefined'));
  t.throws(() => corrupt.gaussian(null as never, 0.1, 1), rows('images', 'null'));
  t.throws(() => (hebbianLatent as (...a: unknown[]) => unknown)(), rows('codes', 'undefined'));
  // Still computed from the first row's width when it is valid: the metrics on the [0, 1] scale.
  t.same([...sumSquaredErrors([[1, -1], [0, 0]], [[-1, -1], [0, 1]])], [1, 0.25]);
  t.equal(meanAbsoluteError([[1, -1]], [[-1, -1]]), 0.5);
});

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] trainAttractor names a missing codes argument`, async (t) => {
    t.throws(() => trainAttractor(null as never, { backend }), rows('codes', 'null'));
    await t.rejects(trainAttractorAsync(undefined as never, { backend }), rows('codes', 'undefined'));
  });

  t.test(`[${backend}] trainAttractor refuses a dt whose gradients AdamW cannot square`, async (t) => {
    // The gradient is a mean of dt (clip - s) v terms, at most 2 dt: dt = 1e308 overflowed inside
    // AdamW, whose error named its own grads[0][0].
    const message = /^options\.dt must be at most 6\.70390396497\d*e\+153 \(the gradient, up to 2 dt, is squared\), got 1e\+308$/;
    t.throws(() => trainAttractor([[0.5, -0.5]], { dt: 1e308, backend }), { name: 'RangeError', message });
    await t.rejects(trainAttractorAsync([[0.5, -0.5]], { dt: 1e308, backend }), { name: 'RangeError', message });
    const { losses } = trainAttractor([[0.5, -0.5]], { dt: 6.7e153, epochs: 3, backend });
    // Each of the N = 2 entries has |clip - s| <= 2: the loss (a mean of ||.||^2 / 2) is at most 2 N = 4.
    t.ok(losses.every((l) => Number.isFinite(l) && l >= 0 && l <= 4), `the largest allowed dt trains: losses ${losses}`);
  });
}

t.test('SVG charts name the malformed argument', async (t) => {
  const call = (f: unknown, ...args: unknown[]) => () => (f as (...a: unknown[]) => unknown)(...args);
  t.throws(call(energyTraceSvg), { name: 'TypeError', message: 'traces must be a non-empty array, got undefined' });
  t.throws(call(energyTraceSvg, [{}]), { name: 'TypeError', message: 'traces[0] must be an object { name, energies } with energies an array of numbers, got object' });
  t.throws(call(energyTraceSvg, [{ name: 'a', energies: [] }]), { name: 'RangeError', message: 'traces[0].energies must not be empty' });
  t.throws(call(capacityCurveSvg, 5), { name: 'TypeError', message: 'curves must be a non-empty array, got 5' });
  t.throws(call(capacityCurveSvg, [{ name: 'h', points: [null] }]), { name: 'TypeError', message: /^curves\[0\] must be an object \{ name, points \}/ });
  t.throws(call(supportHistogramSvg, null), { name: 'TypeError', message: 'counts must be an array or typed array of numbers, got null' });
  t.throws(call(supportHistogramSvg, [3, 'a']), { name: 'TypeError', message: "counts[1] must be a number, got 'a'" });
  t.throws(call(supportHistogramSvg, [3, -1]), { name: 'RangeError', message: 'counts[1] must be finite and >= 0, got -1' });
  t.throws(call(barChartSvg, 5, [1]), { name: 'TypeError', message: 'labels must be an array, got 5' });
  t.throws(call(lineChartSvg, [null]), { name: 'TypeError', message: /^series\[0\] must be an object \{ name, x, y \}/ });
  t.throws(call(patternGridSvg, [null]), { name: 'TypeError', message: 'patterns[0] must be an array or typed array of numbers, got null' });
  // Valid input still draws.
  t.ok(wellFormedSvg(energyTraceSvg([{ name: 'e', energies: [-1, -2] }])));
  t.ok(wellFormedSvg(capacityCurveSvg([{ name: 'h', points: [{ load: 0.1, meanOverlap: 1 }, { load: 0.2, meanOverlap: 0.5 }] }])));
  t.ok(wellFormedSvg(supportHistogramSvg([3, 2, 1])));
});

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] spuriousStates needs a network; sizes name the argument`, async (t) => {
    for (const net of [undefined, null, {}, { n: 4 }]) {
      const message = /^net must be a BinaryHopfield, got /;
      t.throws(() => spuriousStates(net as never), { name: 'TypeError', message }, `spuriousStates(${JSON.stringify(net)})`);
      await t.rejects(spuriousStatesAsync(net as never), { name: 'TypeError', message });
    }
    const net = new BinaryHopfield(8, { backend }).store(randomPatterns(1, 8, { seed: 1 }));
    t.throws(() => spuriousStates(net, { starts: 2 ** 32 }), { name: 'RangeError', message: /^options\.starts = 4294967296 random states of 8 neurons would need 32\.0 GiB/ });
    t.throws(() => randomPatterns(2 ** 32, 4), { name: 'RangeError', message: /^p x n = 4294967296 x 4 patterns would need 16\.0 GiB/ });
    // From one pattern, the only fixed points are the pattern and its negation: nothing spurious.
    const report = spuriousStates(net, { starts: 20 });
    t.equal(report.converged, report.stored + report.reversed);
    t.equal(report.spurious, 0);
  });
}

t.test('scalePixels names its pixels', async (t) => {
  t.throws(() => scalePixels(null as never, 1), { name: 'TypeError', message: 'pixels must be an array or typed array of numbers, got null' });
  t.throws(() => scalePixels(undefined as never, 1), { name: 'TypeError', message: 'pixels must be an array or typed array of numbers, got undefined' });
  const scaled = scalePixels([0, 255, 51, 204], 2);
  t.same([scaled.rows, scaled.cols], [2, 2]);
  t.ok(maxAbsDiff(scaled.data, [-1, 1, -0.6, 0.6]) <= 1e-15, `x / 255 * 2 - 1: ${scaled.data}`);
});

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] withLatentWeights names latent, not the constructor's weights`, async (t) => {
    const model = new LatentHopfield(randomLatentWeights(4, 3, 2, 1), { backend });
    const call = (...args: unknown[]) => () => (model.withLatentWeights as (...a: unknown[]) => unknown)(...args);
    t.throws(call(), { name: 'TypeError', message: 'latent must be an object { wih?, whh }, got undefined' });
    t.throws(call(null), { name: 'TypeError', message: 'latent must be an object, got null' });
    t.throws(call({}), { name: 'TypeError', message: 'latent.whh must be an array or typed array of numbers, got undefined' });
    t.throws(call({ whh: [1, 2] }), { name: 'RangeError', message: 'latent.whh must have 4 entries, got 2' });
    t.throws(call({ whh: [0, 1, 2, 0] }), { name: 'RangeError', message: 'latent.whh must be symmetric (entries [1][0] and [0][1] differ)' });
    t.throws(call({ wih: [1, 2, 3, NaN], whh: [0, 1, 1, 0] }), { name: 'RangeError', message: /^latent\.wih\[3\] must be finite/ });
    const swapped = model.withLatentWeights({ wih: [1, 0, 0, 1], whh: [0, 0.5, 0.5, 0], losses: [] } as never);
    t.same(swapped.latentWeights(), { wih: Float64Array.of(1, 0, 0, 1), whh: Float64Array.of(0, 0.5, 0.5, 0) }, 'a trainAttractor result with its losses is accepted');
    t.throws(() => new LatentHopfield({ ...randomLatentWeights(4, 3, 2, 1), whh: [0, 1, 2, 0] }), { name: 'RangeError', message: /^weights\.whh must be symmetric/ });
  });
}

t.test('safetensors: a huge shape and a foreign file are refused in our words', async (t) => {
  // Node's Buffer.alloc refused this with 'The value of "size" is out of range'.
  const huge = { w: { dtype: 'F64' as const, shape: [2 ** 31], data: { length: 2 ** 31 } as ArrayLike<number> } };
  t.throws(() => writeSafetensors(huge), { name: 'RangeError', message: /^tensors\['w'\] \(F64 \[2147483648\]\) would need 16\.0 GiB, above the limit/ });
  t.throws(() => writeSafetensors({ w: { dtype: 'F64', shape: [2], data: 5 as never } }), { name: 'TypeError', message: "tensors['w'].data must be an array or typed array, got number" });
  t.throws(() => (readSafetensors as (...a: unknown[]) => unknown)(), { name: 'TypeError', message: 'bytes must be a Buffer or Uint8Array, got undefined' });
  // A text file's first 8 bytes read as a header length of about 5.8e18; the message now names the file.
  const dir = t.testdir({ 'notes.txt': 'Ordinary text, not a safetensors file.' });
  const file = path.join(dir, 'notes.txt');
  const foreign = { name: 'SafetensorsError', message: new RegExp(`^cannot read ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: safetensors header length \\d+ is outside \\[2, 100000000\\]: not a safetensors file`) };
  t.throws(() => readSafetensorsFile(file), foreign);
  t.throws(() => LatentHopfield.fromSafetensors(file), foreign);
  t.ok(new SafetensorsError('x') instanceof Error);
  const good = path.join(dir, 'w.safetensors');
  fs.writeFileSync(good, writeSafetensors({ w: { dtype: 'F64', shape: [2], data: [0.5, -3] } }));
  t.same([...(readSafetensorsFile(good).tensors.get('w')?.data as Float64Array)], [0.5, -3], 'a real file still reads');
});

t.test('IDX: the file read is named in its errors', async (t) => {
  t.throws(() => (readIdx as (...a: unknown[]) => unknown)(), { name: 'TypeError', message: 'bytes must be a Buffer or Uint8Array, got undefined' });
  const dir = t.testdir({ 'notes.txt': 'Ordinary text.', 'two.idx': Buffer.from([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]) });
  t.throws(() => readIdxFile(path.join(dir, 'notes.txt')), { name: 'IdxError', message: `${path.join(dir, 'notes.txt')}: IDX magic number must start with two zero bytes` });
  t.ok(new IdxError('x') instanceof Error);
  t.same(readIdxFile(path.join(dir, 'two.idx')), { shape: [2], data: Uint8Array.of(7, 9) }, 'a real file still reads');
});

t.test('setLimits and setBackend check their argument', async (t) => {
  const saved = getLimits();
  const call = (f: unknown, ...args: unknown[]) => () => (f as (...a: unknown[]) => unknown)(...args);
  t.throws(call(setLimits), { name: 'TypeError', message: 'update must be an object { maxBytes }, got undefined' });
  t.throws(call(setLimits, null), { name: 'TypeError', message: 'update must be an object, got null' });
  t.throws(call(setLimits, { maxBytes: '1' }), { name: 'TypeError', message: "update.maxBytes must be a number, got '1'" });
  t.throws(call(setLimits, { maxBytes: 0 }), { name: 'RangeError', message: /^update\.maxBytes must be an integer in \[1, / });
  // A misspelt key used to be ignored, leaving the limit as it was without a word.
  t.throws(call(setLimits, { maxbytes: 10 }), { name: 'TypeError', message: /^update has no option 'maxbytes' \(did you mean 'maxBytes'\?/ });
  t.same(getLimits(), saved, 'the refused calls changed nothing');
  const before = activeBackend;
  t.throws(call(setBackend), { name: 'TypeError', message: "backend must be 'js' or 'native', got undefined" });
  t.throws(call(setBackend, null), { name: 'TypeError', message: "backend must be 'js' or 'native', got null" });
  t.throws(call(setBackend, 'gpu'), { name: 'RangeError', message: "backend must be 'js' or 'native', got 'gpu'" });
  t.equal(activeBackend, before, 'the backend is unchanged');
});

t.test('FactorGraph.addPair names i and j', async (t) => {
  const g = new FactorGraph(3);
  t.throws(() => (g.addPair as (...a: unknown[]) => unknown)(), { name: 'TypeError', message: 'i must be a number, got undefined' });
  t.throws(() => g.addPair(0, 5, 1), { name: 'RangeError', message: 'j must be an integer in [0, 2], got 5' });
  t.throws(() => g.addPair(1, 1, 1), { name: 'RangeError', message: /^the pair \[i, j\] contains variable 1 twice/ });
  t.throws(() => g.addPair(0, 1, NaN), { name: 'RangeError', message: 'score must be finite, got NaN' });
  t.equal(g.nFactors, 0, 'nothing was added');
  t.equal(g.addPair(0, 2, 0.5), 0);
  t.equal(g.nFactors, 1);
});

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] BinaryHopfield.isStable names state, not recall's cue`, async (t) => {
    const net = new BinaryHopfield(4, { backend }).store([[1, -1, 1, -1]]);
    t.throws(() => (net.isStable as (...a: unknown[]) => unknown)(), { name: 'TypeError', message: 'state must be an array or typed array of +-1 values, got undefined' });
    t.throws(() => net.isStable([1, -1]), { name: 'RangeError', message: 'state must have length 4, got 2' });
    t.throws(() => net.isStable([1, -1, 0, 1]), { name: 'RangeError', message: 'state[2] must be +1 or -1, got 0' });
    // A stored pattern (alone) and its negation are fixed points; a state one flip away is not.
    t.equal(net.isStable([1, -1, 1, -1]), true);
    t.equal(net.isStable(Int8Array.of(-1, 1, -1, 1)), true);
    t.equal(net.isStable([1, 1, 1, -1]), false);
  });
}

t.test('labelMapSvg checks extent, points and names', async (t) => {
  const map = (options: object) => () => labelMapSvg([0, 1, 1, 0], 2, options as never);
  t.throws(map({ extent: 5 }), { name: 'TypeError', message: 'options.extent must be [xMin, xMax, yMin, yMax], got 5' });
  t.throws(map({ extent: [0, 1, 0] }), { name: 'RangeError', message: /^options\.extent must be \[xMin, xMax, yMin, yMax\], finite/ });
  t.throws(map({ extent: [0, Infinity, 0, 1] }), { name: 'RangeError', message: /^options\.extent must be/ });
  t.throws(map({ points: 5 }), { name: 'TypeError', message: 'options.points must be an array of [x, y] points, got 5' });
  t.throws(map({ points: [null] }), { name: 'TypeError', message: 'options.points[0] must be an [x, y] pair of numbers, got null' });
  t.throws(map({ points: [[1, NaN]] }), { name: 'RangeError', message: 'options.points[0] must be an [x, y] pair of finite numbers' });
  t.throws(map({ names: {} }), { name: 'TypeError', message: 'options.names must be an array of strings, got object' });
  t.ok(wellFormedSvg(labelMapSvg([0, 1, 1, 0], 2, { extent: [0, 2, 0, 2], points: [[1, 1]], names: ['a', 'b'] })));
});
