// Latent Hopfield networks: kernels against hand computations and closed forms, the energy descent
// condition dt < 2/||W_hh||, the published fixture's half-mask score, and native vs pure TS.
import t from 'tap';
import { corrupt, hebbianLatent, LatentHopfield, meanAbsoluteError, meanSquaredError, retrievalAccuracy, Rng, sumSquaredErrors, trainAttractor, trainAttractorAsync } from '../src/index';
import { getBackend } from '../src/backend';
import { erf, gelu } from '../src/js/lshn';
import { backendsUnderTest, maxAbsDiff, randomLatentWeights as randomModel } from './helpers';
import { fixturePath, mnistImages } from './lshn-fixture';

const backends = backendsUnderTest();

/** A model whose encoder/decoder are irrelevant (identity-sized), for dynamics tests. */
function latentOnly(wih: number[], whh: number[], n: number, backend: 'native' | 'js'): LatentHopfield {
  const zeros = (k: number) => new Float32Array(k);
  return new LatentHopfield(
    { encoder: { w1: zeros(n), b1: zeros(1), w2: zeros(n), b2: zeros(n) }, decoder: { w1: zeros(n), b1: zeros(1), w2: zeros(n), b2: zeros(n) }, wih, whh, inputDim: n, hiddenDim: 1, latentDim: n },
    { backend },
  );
}

function spectralNorm(w: ArrayLike<number>, n: number): number {
  // Power iteration on W'W; independent of the library.
  let x = Array.from({ length: n }, (_, i) => 1 + i / n);
  let norm = 0;
  for (let it = 0; it < 500; it++) {
    const y = Array.from({ length: n }, (_, i) => x.reduce((s, xj, j) => s + w[i * n + j] * xj, 0));
    const z = Array.from({ length: n }, (_, j) => y.reduce((s, yi, i) => s + w[i * n + j] * yi, 0));
    const len = Math.hypot(...z);
    norm = Math.sqrt(len / Math.hypot(...x));
    x = z.map((v) => v / len);
  }
  return norm;
}

t.test('erf and GELU against tabulated values', async (t) => {
  const table: [number, number][] = [
    [0, 0],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [2.5, 0.999593047982555],
    [3, 0.9999779095030014],
    [-1, -0.8427007929497149],
  ];
  for (const [x, e] of table) t.ok(Math.abs(erf(x) - e) <= 1e-14, `erf(${x}) = ${erf(x)} vs ${e}`);
  t.equal(erf(7), 1);
  // GELU(0.3) = 0.3 Phi(0.3), Phi(0.3) = 0.6179114221889527 (standard normal table)
  t.ok(Math.abs(gelu(0.3) - 0.3 * 0.6179114221889527) < 1e-15);
  t.equal(gelu(-40), -0);
});

for (const backend of backends) {
  t.test(`[${backend}] encoder and decoder against a hand computation`, async (t) => {
    // encoder: x -> tanh([2 1] gelu([[1 0],[0 -1]] x + [0, 0.5]) - 0.1); the decoder mirrors it.
    const model = new LatentHopfield(
      {
        encoder: { w1: [1, 0, 0, -1], b1: [0, 0.5], w2: [2, 1], b2: [-0.1] },
        decoder: { w1: [1, -1], b1: [0, 0], w2: [1, 0, 0, 1], b2: [0, 0.25] },
        wih: [1],
        whh: [0],
        inputDim: 2,
        hiddenDim: 2,
        latentDim: 1,
      },
      { backend },
    );
    const phi = 0.6179114221889527; // Phi(0.3)
    const bias = Math.fround(-0.1); // weights are stored as float32
    const code = model.encode([[0.3, 0.2]]);
    t.ok(Math.abs(code.data[0] - Math.tanh(3 * 0.3 * phi + bias)) < 1e-15, `encode: off by ${code.data[0] - Math.tanh(3 * 0.3 * phi + bias)}`);
    // decode(0.3): hidden = gelu([0.3, -0.3]) = [0.3 phi, -0.3 (1 - phi)]
    const image = model.decode([[0.3]]);
    t.ok(maxAbsDiff(image.data, [Math.tanh(0.3 * phi), Math.tanh(-0.3 * (1 - phi) + 0.25)]) < 1e-15, 'decode');
  });

  t.test(`[${backend}] latent dynamics against a hand computation`, async (t) => {
    // W_ih = I, W_hh = [[0, .5], [.5, 0]], I = (0.2, -0.1), dt = 0.1: worked out by hand.
    const model = latentOnly([1, 0, 0, 1], [0, 0.5, 0.5, 0], 2, backend);
    const r = model.dynamics([[0.2, -0.1]], { dt: 0.1, steps: 2 });
    t.ok(maxAbsDiff(r.states.data, [0.23, -0.09925]) < 1e-15, 'v2');
    t.ok(maxAbsDiff(r.energies!.data, [-0.04, -0.04225, -0.04451125]) < 1e-15, 'energies');
    t.same(Array.from(r.steps), [2]);
    t.same(r.converged, [false]);
    t.same(Array.from(r.signs.data), [1, -1]);

    // Clipping: W_hh = [[0, 2], [2, 0]], I = (0.5, 0.4), dt = 0.5 saturates at (1, 1) after one step,
    // the second step changes nothing, so the row stops (tol 0) with the rest of the trace NaN.
    const sat = latentOnly([1, 0, 0, 1], [0, 2, 2, 0], 2, backend).dynamics([[0.5, 0.4]], { dt: 0.5, steps: 10 });
    t.same(Array.from(sat.states.data), [1, 1]);
    t.same(Array.from(sat.steps), [2]);
    t.same(sat.converged, [true]);
    const e = Array.from(sat.energies!.data);
    t.ok(maxAbsDiff(e.slice(0, 3), [-0.81, -2.9, -2.9]) < 1e-14, 'energies before saturation');
    t.ok(e.slice(3).every(Number.isNaN), 'NaN after the stop');
    // The first step above moves v by max(0.015, 0): a tolerance of 0.016 stops right after it.
    const loose = latentOnly([1, 0, 0, 1], [0, 0.5, 0.5, 0], 2, backend).dynamics([[0.2, -0.1]], { dt: 0.1, steps: 1000, tol: 0.016 });
    t.same(Array.from(loose.steps), [1]);
    t.same(loose.converged, [true]);
    t.ok(maxAbsDiff(loose.states.data, [0.215, -0.1]) < 1e-15);
  });

  t.test(`[${backend}] energy never increases for dt < 2/||W_hh||, and can when dt is too large`, async (t) => {
    let violations = 0;
    let checked = 0;
    for (let trial = 0; trial < 4; trial++) {
      const n = 12;
      const w = randomModel(1, 1, n, 100 + trial);
      const dt = 1.9 / spectralNorm(w.whh, n);
      const model = new LatentHopfield(w, { backend });
      const rng = new Rng(trial);
      const codes = { data: Float64Array.from({ length: 8 * n }, () => 2 * rng.nextDouble() - 1), rows: 8, cols: n };
      const r = model.dynamics(codes, { dt, steps: 200 });
      const e = r.energies!;
      for (let row = 0; row < e.rows; row++) {
        for (let s = 0; s < r.steps[row]; s++) {
          const a = e.data[row * e.cols + s];
          const b = e.data[row * e.cols + s + 1];
          checked++;
          if (b > a + 1e-12 * (1 + Math.abs(a))) violations++;
        }
      }
    }
    t.ok(checked > 1000, `${checked} steps checked`);
    t.equal(violations, 0, 'no energy increase');
    // W_hh = -2 I (||W|| = 2): dt = 1.5 overshoots and the energy |v|^2 grows; dt = 0.9 shrinks it.
    const n = 3;
    const minus2 = [-2, 0, 0, 0, -2, 0, 0, 0, -2];
    const bad = latentOnly(new Array(9).fill(0), minus2, n, backend).dynamics([[0.1, 0.1, 0.1]], { dt: 1.5, steps: 1 });
    t.ok(bad.energies!.data[1] > bad.energies!.data[0], 'dt above 2/||W|| can raise the energy');
    const good = latentOnly(new Array(9).fill(0), minus2, n, backend).dynamics([[0.1, 0.1, 0.1]], { dt: 0.9, steps: 1 });
    t.ok(good.energies!.data[1] < good.energies!.data[0]);
  });
}

t.test('the published fixture reproduces SPEC.md: half mask 0.98 with dynamics, 0.00 without, Hebbian about 0.64', async (t) => {
  const images = mnistImages(100);
  const cue = corrupt.halfMask(images);
  for (const backend of backends) {
    const model = LatentHopfield.fromSafetensors(fixturePath(), { backend });
    t.equal(model.hiddenDim, Math.floor(Math.sqrt(784 * 128)), 'H = floor(sqrt(D N))');
    t.equal(retrievalAccuracy(model.recall(cue).images, images), 0.98, `[${backend}] half mask with dynamics`);
    t.equal(retrievalAccuracy(model.recall(cue, { dynamics: false }).images, images), 0, `[${backend}] decoding the cue`);
    const hebbian = model.withLatentWeights({ whh: hebbianLatent(model.encode(images)) });
    const score = retrievalAccuracy(hebbian.recall(cue).images, images);
    t.ok(Math.abs(score - 0.64) <= 0.03, `[${backend}] Hebbian latent scores ${score}`);
  }
});

t.test('native and pure TS agree on the fixture (1e-9 absolute; both accumulate in float64)', { skip: backends.length < 2 }, async (t) => {
  const images = mnistImages(40);
  const cue = corrupt.gaussian(images, 0.8, 3);
  const [a, b] = backends.map((backend) => LatentHopfield.fromSafetensors(fixturePath(), { backend }));
  const ca = a.encode(cue);
  t.ok(maxAbsDiff(ca.data, b.encode(cue).data) < 1e-9, 'codes');
  const da = a.dynamics(ca);
  const db = b.dynamics(ca);
  t.ok(maxAbsDiff(da.states.data, db.states.data) < 1e-9, 'final states');
  t.same(Array.from(da.steps), Array.from(db.steps), 'steps');
  t.same(da.converged, db.converged);
  let energyGap = 0;
  for (let i = 0; i < da.energies!.data.length; i++) {
    const x = da.energies!.data[i];
    const y = db.energies!.data[i];
    energyGap = Math.max(energyGap, Number.isNaN(x) && Number.isNaN(y) ? 0 : Math.abs(x - y) / (1 + Math.abs(x)));
  }
  t.ok(energyGap < 1e-9, `energy traces (relative gap ${energyGap})`);
  // The read-out may differ only where a latent is within the tolerance of 0.
  let signMismatches = 0;
  for (let i = 0; i < da.signs.data.length; i++) {
    if (da.signs.data[i] !== db.signs.data[i] && Math.abs(da.states.data[i]) > 1e-9) signMismatches++;
  }
  t.equal(signMismatches, 0, 'sign read-out');
  t.ok(maxAbsDiff(a.decode(da.signs).data, b.decode(da.signs).data) < 1e-9, 'decoded images');
});

t.test('native and pure TS agree on random models', { skip: backends.length < 2 }, async (t) => {
  const w = randomModel(30, 11, 7, 5);
  const [a, b] = backends.map((backend) => new LatentHopfield(w, { backend }));
  const rng = new Rng(8);
  const x = { data: Float64Array.from({ length: 300 * 30 }, () => 2 * rng.nextDouble() - 1), rows: 300, cols: 30 };
  const codes = a.encode(x);
  t.ok(maxAbsDiff(codes.data, b.encode(x).data) < 1e-12);
  t.ok(maxAbsDiff(a.decode(codes).data, b.decode(codes).data) < 1e-12);
  const ra = a.dynamics(codes, { dt: 0.05, steps: 300, tol: 1e-6 });
  const rb = b.dynamics(codes, { dt: 0.05, steps: 300, tol: 1e-6 });
  t.ok(maxAbsDiff(ra.states.data, rb.states.data) < 1e-9);
  t.same(Array.from(ra.steps), Array.from(rb.steps));
});

t.test('corruptions', async (t) => {
  const rng = new Rng(4);
  const images = { data: Float64Array.from({ length: 5 * 16 }, () => 2 * rng.nextDouble() - 1), rows: 5, cols: 16 };
  const masked = corrupt.halfMask(images);
  let wrong = 0;
  for (let r = 0; r < 5; r++) {
    for (let p = 0; p < 16; p++) {
      const expected = p >= 8 ? 0 : images.data[r * 16 + p];
      if (masked.data[r * 16 + p] !== expected) wrong++;
    }
  }
  t.equal(wrong, 0, 'rows 2 and 3 of each 4 x 4 image are zero, the rest untouched');
  t.same(Array.from(corrupt.halfMask([[1, 2, 3, 4, 5, 6]], { height: 3 }).data), [1, 2, 0, 0, 0, 0], 'height 3: floor(3/2) = 1 row kept');
  t.throws(() => corrupt.halfMask([[1, 2, 3]]), /not square/);

  const a = corrupt.gaussian(images, 0.3, 11);
  t.same(a.data, corrupt.gaussian(images, 0.3, 11).data, 'same seed, same noise');
  t.not(a.data[0], corrupt.gaussian(images, 0.3, 12).data[0]);
  t.ok(a.data.every((v) => v >= -1 && v <= 1));
  t.ok(maxAbsDiff(corrupt.gaussian(images, 0, 1).data, images.data) < 1e-15, 'sigma 0 is the identity');
  // Mid-grey pixels (0.5 on the [0,1] scale) with sigma 0.1: clamping and |.| almost never act,
  // so the noise mean is ~0 and its standard deviation ~0.1.
  const grey = corrupt.gaussian({ data: new Float64Array(20000), rows: 1, cols: 20000 }, 0.1, 2);
  const noise = Array.from(grey.data, (v) => (v + 1) / 2 - 0.5);
  const mean = noise.reduce((s, v) => s + v, 0) / noise.length;
  const sd = Math.sqrt(noise.reduce((s, v) => s + (v - mean) ** 2, 0) / noise.length);
  t.ok(Math.abs(mean) < 0.003 && Math.abs(sd - 0.1) < 0.003, `mean ${mean}, sd ${sd}`);
  // The absolute value reflects: a black pixel (-1 -> 0) with noise n becomes |n|, never below 0.
  const black = corrupt.gaussian({ data: new Float64Array(1000).fill(-1), rows: 1, cols: 1000 }, 0.5, 3);
  const reflected = Array.from(black.data, (v) => (v + 1) / 2);
  t.ok(reflected.reduce((s, v) => s + v, 0) / 1000 > 0.3, 'mean of |n| for sigma 0.5 is 0.4 (minus clamping)');
  t.throws(() => corrupt.gaussian(images, -1, 1), RangeError);
  t.throws(() => corrupt.gaussian(images, 0.1, -1), RangeError);
});

t.test('metrics on a hand-checked example', async (t) => {
  const originals = [[1, -1, 1, -1]];
  const recalled = [[1, 1, 0, -1]]; // differences on the [0,1] scale: 0, 1, -0.5, 0
  t.same(Array.from(sumSquaredErrors(recalled, originals)), [1.25]);
  t.equal(meanAbsoluteError(recalled, originals), 1.5 / 4);
  t.equal(meanSquaredError(recalled, originals), 1.25 / 4);
  t.equal(retrievalAccuracy(recalled, originals, 1.25), 1);
  t.equal(retrievalAccuracy(recalled, originals, 1.2), 0);
  // 50 wrong pixels of 784 is the edge of "retrieved" under the default threshold.
  const x = new Float64Array(784).fill(-1);
  const y = x.slice();
  y.fill(1, 0, 50);
  t.equal(retrievalAccuracy({ data: y, rows: 1, cols: 784 }, { data: x, rows: 1, cols: 784 }), 1);
  y[50] = 1;
  t.equal(retrievalAccuracy({ data: y, rows: 1, cols: 784 }, { data: x, rows: 1, cols: 784 }), 0);
  t.throws(() => retrievalAccuracy([[1, 2]], [[1, 2], [3, 4]]), /rows/);
});

for (const backend of backends) {
  t.test(`[${backend}] one-step gradient matches central finite differences`, async (t) => {
    const n = 5;
    const count = 4;
    const rng = new Rng(21);
    const r = (k: number, s: number) => Float64Array.from({ length: k }, () => s * rng.normal());
    const wih = r(n * n, 0.7);
    const whh = r(n * n, 0.7);
    const starts = Float64Array.from({ length: count * n }, () => 1.6 * rng.nextDouble() - 0.8);
    const inputs = Float64Array.from({ length: count * n }, () => 1.6 * rng.nextDouble() - 0.8);
    const targets = Float64Array.from({ length: count * n }, () => (rng.nextDouble() < 0.5 ? -1 : 1));
    const k = getBackend(backend);
    const gi = new Float64Array(n * n);
    const gh = new Float64Array(n * n);
    const dt = 0.8; // large enough that some entries clip
    k.lshnOneStepGrad(wih, whh, n, starts, inputs, targets, count, dt, gi, gh);
    const loss = () => k.lshnOneStepGrad(wih, whh, n, starts, inputs, targets, count, dt, new Float64Array(n * n), new Float64Array(n * n));
    let worst = 0;
    for (const [w, g] of [[wih, gi], [whh, gh]] as const) {
      for (let i = 0; i < n * n; i++) {
        const keep = w[i];
        w[i] = keep + 1e-6;
        const up = loss();
        w[i] = keep - 1e-6;
        const down = loss();
        w[i] = keep;
        worst = Math.max(worst, Math.abs((up - down) / 2e-6 - g[i]));
      }
    }
    t.ok(worst < 1e-7, `largest gradient error ${worst}`);
    t.ok(gi.some((v) => v !== 0) && gh.some((v) => v !== 0));
  });

  t.test(`[${backend}] trainAttractor keeps W_hh symmetric and makes the stored sign patterns attractors`, async (t) => {
    const n = 24;
    const p = 4;
    const rng = new Rng(31);
    const codes = { data: Float64Array.from({ length: p * n }, () => Math.tanh(2 * rng.normal())), rows: p, cols: n };
    const result = trainAttractor(codes, { epochs: 300, learningRate: 0.02, noise: 0.3, seed: 1, backend });
    let asymmetric = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (result.whh[i * n + j] !== result.whh[j * n + i]) asymmetric++;
    t.equal(asymmetric, 0, 'W_hh exactly symmetric');
    t.ok(result.losses[result.losses.length - 1] < 0.1 * result.losses[0], `loss ${result.losses[0]} -> ${result.losses[result.losses.length - 1]}`);
    const model = latentOnly(Array.from(result.wih), Array.from(result.whh), n, backend);
    // Fresh noisy cues of the kind trained on (the training noise came from another seed).
    const cues = codes.data.map((v) => Math.max(-1, Math.min(1, v + 0.3 * rng.normal())));
    const out = model.dynamics({ data: cues, rows: p, cols: n }, { trackEnergy: false });
    let wrong = 0;
    for (let i = 0; i < p * n; i++) if (out.signs.data[i] !== (codes.data[i] >= 0 ? 1 : -1)) wrong++;
    t.equal(wrong, 0, `every corrupted cue falls into its memory (${wrong} wrong signs)`);
  });
}

for (const backend of backends) {
  t.test(`[${backend}] trainAttractorAsync gives trainAttractor's result and lets the event loop run`, async (t) => {
    const rng = new Rng(13);
    const n = 20;
    const codes = { data: Float64Array.from({ length: 5 * n }, () => Math.tanh(rng.normal())), rows: 5, cols: n };
    const cues = { codes: { data: codes.data.map((v) => v / 3), rows: 5, cols: n }, memory: [0, 1, 2, 3, 4] };
    const epochs = 120;
    const options = { epochs, learningRate: 0.02, seed: 4, cues, backend };
    // Event-loop turns are counted by a setImmediate chain running beside the training.
    let turns = 0;
    let counting = false;
    const tick = () => {
      if (!counting) return;
      turns++;
      setImmediate(tick);
    };
    const countTurns = () => {
      turns = 0;
      counting = true;
      setImmediate(tick);
    };
    countTurns();
    const sync = trainAttractor(codes, options);
    counting = false;
    t.equal(turns, 0, 'the synchronous form holds the event loop for the whole run');
    const progress: number[][] = [];
    countTurns();
    const result = await trainAttractorAsync(codes, { ...options, onProgress: (done, total, loss) => progress.push([done, total, loss]) });
    counting = false;
    t.ok(turns >= epochs / 2, `${turns} event-loop turns ran during ${epochs} epochs`);
    t.same(result.wih, sync.wih, 'W_ih bit for bit');
    t.same(result.whh, sync.whh, 'W_hh bit for bit');
    t.same(result.losses, sync.losses, 'losses bit for bit');
    t.same(progress, Array.from(sync.losses, (loss, k) => [k + 1, epochs, loss]), 'onProgress after every epoch');
    t.same((await trainAttractorAsync(codes, { epochs: 0, backend })).losses, new Float64Array(0));
    await t.rejects(trainAttractorAsync([[0.5, 2]], { backend }), { name: 'RangeError', message: /\[-1, 1\]/ });
    await t.rejects(trainAttractorAsync(codes, { backend, onProgress: 'yes' as never }), { name: 'TypeError', message: /options\.onProgress/ });
    await t.rejects(trainAttractorAsync(codes, { backend, epochs: -1 }), { name: 'RangeError', message: /options\.epochs/ });
  });

  t.test(`[${backend}] float32 inputs give exactly the results of float64 inputs of the same values`, async (t) => {
    const model = new LatentHopfield(randomModel(12, 6, 5, 3), { backend });
    const rng = new Rng(9);
    const f32 = Float32Array.from({ length: 7 * 12 }, () => 2 * rng.nextDouble() - 1);
    const f64 = Float64Array.from(f32);
    const rows32 = Array.from({ length: 7 }, (_, r) => f32.subarray(r * 12, (r + 1) * 12));
    const a = model.recall({ data: f32, rows: 7, cols: 12 }, { steps: 50 });
    const b = model.recall({ data: f64, rows: 7, cols: 12 }, { steps: 50 });
    t.same(a.codes.data, b.codes.data, 'codes');
    t.same(a.images.data, b.images.data, 'recalled images');
    t.same(model.encode(rows32).data, b.codes.data, 'rows given as Float32Arrays');
    const codes32 = Float32Array.from(b.codes.data);
    t.same(model.dynamics({ data: codes32, rows: 7, cols: 5 }).states.data, model.dynamics({ data: Float64Array.from(codes32), rows: 7, cols: 5 }).states.data, 'dynamics');
    t.same(model.decode({ data: codes32, rows: 7, cols: 5 }).data, model.decode({ data: Float64Array.from(codes32), rows: 7, cols: 5 }).data, 'decode');
  });
}

t.test('trainAttractor gives the same weights on both backends', { skip: backends.length < 2 }, async (t) => {
  const rng = new Rng(3);
  const codes = { data: Float64Array.from({ length: 3 * 10 }, () => Math.tanh(rng.normal())), rows: 3, cols: 10 };
  const cues = { codes: { data: codes.data.map((v) => v / 2), rows: 3, cols: 10 }, memory: [0, 1, 2] };
  const [a, b] = backends.map((backend) => trainAttractor(codes, { epochs: 50, seed: 4, cues, backend }));
  t.ok(maxAbsDiff(a.whh, b.whh) < 1e-9 && maxAbsDiff(a.wih, b.wih) < 1e-9);
});

t.test('bad arguments are clear errors', async (t) => {
  const w = randomModel(4, 3, 2, 1);
  t.throws(() => new LatentHopfield({ ...w, whh: [0, 1, 2, 0] }), /symmetric/);
  t.throws(() => new LatentHopfield({ ...w, wih: [0, 1, 2] }), /weights.wih must have 4 entries/);
  t.throws(() => new LatentHopfield({ ...w, wih: [0, NaN, 2, 0] }), /finite/);
  t.throws(() => new LatentHopfield({ ...w, inputDim: 0 }), RangeError);
  const model = new LatentHopfield(w);
  t.throws(() => model.encode([[1, 2, 3]]), /length 4/);
  t.throws(() => model.encode([[1, 2, 3, NaN]]), /finite/);
  t.throws(() => model.dynamics([[0.5, 2]]), /\[-1, 1\]/);
  t.throws(() => model.dynamics([[0.5, 0.5]], { dt: 0 }), /dt/);
  t.throws(() => model.dynamics([[0.5, 0.5]], { steps: -1 }), /steps/);
  t.throws(() => model.dynamics([[0.5, 0.5]], { tol: -1 }), /tol/);
  t.throws(() => model.recall([[0, 0, 0, 0]], { dynamics: 'yes' as never }), /dynamics/);
  t.throws(() => LatentHopfield.fromSafetensors(42 as never), TypeError);
  t.throws(() => LatentHopfield.fromSafetensors(Buffer.alloc(3)), { name: 'SafetensorsError' });
  t.throws(() => trainAttractor([[0.5, 2]]), /\[-1, 1\]/);
  t.throws(() => trainAttractor([[0.5, 0.2]], { cues: { codes: [[0.1, 0.1]], memory: [3] } }), /memory\[0\]/);
  t.throws(() => trainAttractor([[0.5, 0.2]], { init: { wih: [0, 0, 0, 0], whh: [0, 1, 0, 0] } }), /symmetric/);
  t.throws(() => hebbianLatent([[0.5, 0.2]], { scale: Infinity }), RangeError);
  t.throws(() => model.withLatentWeights({ whh: [1, 2, 3, 4] }), /symmetric/);
});

t.test('a model with trained latent weights saves to safetensors and loads back identically', async (t) => {
  const w = randomModel(6, 4, 3, 9);
  const model = new LatentHopfield(w);
  const dir = t.testdir();
  const file = `${dir}/model.safetensors`;
  const rng = new Rng(2);
  const codes = { data: Float64Array.from({ length: 4 * 3 }, () => Math.tanh(rng.normal())), rows: 4, cols: 3 };
  const trained = trainAttractor(codes, { epochs: 5 });
  const custom = model.withLatentWeights(trained);
  custom.save(file, { source: 'test' });
  const back = LatentHopfield.fromSafetensors(file);
  t.same(back.latentWeights(), custom.latentWeights());
  const x = [[0.1, -0.2, 0.3, -0.4, 0.5, -0.6]];
  t.same(back.recall(x).images.data, custom.recall(x).images.data);
  t.same(LatentHopfield.fromSafetensors(custom.toSafetensors()).encode(x).data, custom.encode(x).data);
  // The fixture survives the same round trip bit for bit.
  const fixture = LatentHopfield.fromSafetensors(fixturePath());
  t.same(LatentHopfield.fromSafetensors(fixture.toSafetensors()).latentWeights(), fixture.latentWeights());
});

for (const backend of backends) {
  t.test(`[${backend}] async forms give the same results as the synchronous ones`, async (t) => {
    const model = new LatentHopfield(randomModel(20, 8, 6, 12), { backend });
    const rng = new Rng(6);
    const x = { data: Float64Array.from({ length: 30 * 20 }, () => 2 * rng.nextDouble() - 1), rows: 30, cols: 20 };
    const [a, b] = [model.recall(x, { steps: 200 }), await model.recallAsync(x, { steps: 200 })];
    t.same(b.images.data, a.images.data);
    t.same(b.codes.data, a.codes.data);
    t.same(b.dynamics!.states.data, a.dynamics!.states.data);
    const d = await model.dynamicsAsync(a.codes, { steps: 50 });
    t.same(d.energies!.data, model.dynamics(a.codes, { steps: 50 }).energies!.data);
    t.same((await model.recallAsync(x, { dynamics: false })).images.data, model.recall(x, { dynamics: false }).images.data);
    await t.rejects(model.recallAsync([[1]]), RangeError);
    await t.rejects(model.dynamicsAsync(a.codes, { dt: -1 }), RangeError);
  });
}
