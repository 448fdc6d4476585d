// Capacity and spurious states: the classical results of Hopfield-network theory, and seeded reproducibility.
import t from 'tap';
import { BinaryHopfield, capacityCurve, capacityCurveAsync, getLimits, randomPatterns, setLimits, spuriousStates, spuriousStatesAsync } from '../src/index';
import { backendsUnderTest } from './helpers';

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] Hebbian retrieval breaks down near 0.138 N`, async (t) => {
    const loads = [0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.25, 0.3];
    const curve = capacityCurve({ n: 400, loads, trials: 2, noise: 0.1, seed: 3, backend });
    t.same(curve.map((p) => p.patterns), loads.map((l) => Math.round(l * 400)));
    // Retrieval from 10% noise is near perfect at low load and poor at high load...
    t.ok(curve[0].meanOverlap > 0.99 && curve[0].retrieved > 0.95, `load 0.06: ${curve[0].meanOverlap}`);
    t.ok(curve[curve.length - 1].meanOverlap < 0.6, `load 0.3: ${curve[curve.length - 1].meanOverlap}`);
    // ...and the collapse (mean overlap falling below 0.9) happens between 0.11 N and 0.19 N.
    const collapse = curve.find((p) => p.meanOverlap < 0.9);
    t.ok(collapse && collapse.load > 0.11 && collapse.load < 0.19, `collapse at ${collapse?.load}`);
  });

  t.test(`[${backend}] Storkey and pseudo-inverse store 0.2 N patterns where Hebbian fails`, async (t) => {
    const options = { n: 300, loads: [0.2], trials: 2, noise: 0.05, seed: 5, backend };
    const [hebb] = capacityCurve(options);
    const [storkey] = capacityCurve({ ...options, rule: 'storkey' });
    const [pinv] = await capacityCurveAsync({ ...options, rule: 'pseudoinverse' });
    t.ok(hebb.stable < 0.2, `Hebbian fixed points at 0.2 N: ${hebb.stable}`);
    t.ok(storkey.stable > 0.95 && storkey.retrieved > 0.9, `Storkey: ${storkey.stable}, ${storkey.retrieved}`);
    t.ok(pinv.stable === 1 && pinv.retrieved > 0.95, `pseudo-inverse: ${pinv.stable}, ${pinv.retrieved}`);
    t.ok(storkey.meanOverlap > hebb.meanOverlap + 0.2 && pinv.meanOverlap > hebb.meanOverlap + 0.2);
  });

  t.test(`[${backend}] spurious states appear as the load grows`, async (t) => {
    const n = 100;
    const few = new BinaryHopfield(n, { backend }).store(randomPatterns(2, n, { seed: 1 }));
    const many = new BinaryHopfield(n, { backend }).store(randomPatterns(12, n, { seed: 1 }));
    const a = spuriousStates(few, { starts: 150, seed: 2 });
    const b = await spuriousStatesAsync(many, { starts: 150, seed: 2 });
    for (const r of [a, b]) {
      t.equal(r.starts, 150);
      t.equal(r.converged, r.stored + r.reversed + r.spurious, 'every fixed point is classified');
      t.ok(r.distinctSpurious <= r.spurious);
    }
    // With two patterns the only attractors reached are the patterns and their negations,
    // except for the symmetric mixtures; with twelve, most random starts end in spurious states.
    t.ok(a.spuriousRatio < 0.35, `2 patterns: ${a.spuriousRatio}`);
    t.ok(b.spuriousRatio > a.spuriousRatio, `12 patterns: ${b.spuriousRatio}`);
    // Every reported spurious state really is a fixed point that is no pattern nor negation.
    const again = many.recallBatch(randomPatterns(150, n, { seed: 2 }), { seed: 2 });
    const patterns = many.patterns;
    let bad = 0;
    for (const r of again) {
      if (!r.converged) continue;
      if (!many.isStable(r.state)) bad++;
    }
    t.equal(bad, 0);
    t.equal(patterns.rows, 12);
  });
}

t.test('seeded spuriousStates and capacityCurve are reproducible, the same sync and async, and agree across backends', async (t) => {
  const backends = backendsUnderTest();
  const n = 90;
  const patterns = randomPatterns(9, n, { seed: 4 });
  const spurious = [];
  const curves = [];
  for (const backend of backends) {
    const net = new BinaryHopfield(n, { backend }).store(patterns);
    const a = spuriousStates(net, { starts: 80, seed: 7 });
    t.same(spuriousStates(net, { starts: 80, seed: 7 }), a, `[${backend}] spuriousStates: same seed, same report`);
    t.same(await spuriousStatesAsync(net, { starts: 80, seed: 7 }), a, `[${backend}] spuriousStatesAsync`);
    t.notSame(spuriousStates(net, { starts: 80, seed: 8 }), a, `[${backend}] another seed, other starts`);
    spurious.push(a);
    const options = { n, loads: [0.05, 0.12, 0.2], trials: 2, noise: 0.15, seed: 11, backend };
    const curve = capacityCurve(options);
    t.same(capacityCurve(options), curve, `[${backend}] capacityCurve: same seed, same curve`);
    t.same(await capacityCurveAsync(options), curve, `[${backend}] capacityCurveAsync`);
    t.notSame(capacityCurve({ ...options, seed: 12 }), curve, `[${backend}] another seed, other patterns`);
    curves.push(curve);
  }
  if (backends.length === 2) {
    t.same(spurious[1], spurious[0], 'spuriousStates: native = js');
    t.same(curves[1], curves[0], 'capacityCurve: native = js');
  }
});

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] absurd trial counts and sizes are refused at once, naming the option`, async (t) => {
    // trials: 1e8 used to build a list of 1e8 jobs and die of V8 heap exhaustion after about 2 minutes.
    for (const trials of [1e8, 2 ** 32]) {
      for (const run of [capacityCurve, capacityCurveAsync]) {
        const started = Date.now();
        try {
          await run({ n: 64, loads: [0.1], trials, backend });
          t.fail(`trials ${trials} was accepted`);
        } catch (error) {
          t.match(error, { name: 'RangeError', message: /^options\.trials must be an integer in \[1, 1000000\]/ }, `${run.name}, trials ${trials}`);
        }
        t.ok(Date.now() - started < 1000, `refused in ${Date.now() - started} ms`);
      }
    }
    t.throws(() => capacityCurve({ n: 2 ** 32, loads: [0.1], backend }), { name: 'RangeError', message: /^the weights of options\.n = 4294967296 neurons would need/ });
    const saved = getLimits();
    setLimits({ maxBytes: 2 ** 20 });
    try {
      // 512^2 weights fit in 1 MiB; the 5120 x 512 patterns of load 10 do not, and are refused before load 0.01 runs.
      t.throws(() => capacityCurve({ n: 512, loads: [0.01, 10], backend }), {
        name: 'RangeError',
        message: 'the 5120 patterns of options.n = 512 neurons at the largest of options.loads would need 2.5 MiB, above the limit of 1.0 MiB (see setLimits)',
      });
    } finally {
      setLimits(saved);
    }
  });
}
