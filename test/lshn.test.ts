// Latent Hopfield networks: kernels against hand computations and closed forms, the energy descent
// condition dt < 2/||W_hh||, the published fixture's half-mask score, and native vs pure TS.
import t from 'tap';
import { corrupt, hebbianLatent, LatentHopfield, meanAbsoluteError, meanSquaredError, retrievalAccuracy, Rng, sumSquaredErrors, trainAttractor } from '../src/index';
import type { LatentHopfieldWeights } from '../src/index';
import { erf, gelu } from '../src/js/lshn';
import { backendsUnderTest, maxAbsDiff } from './helpers';
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

function randomModel(d: number, h: number, n: number, seed: number): LatentHopfieldWeights {
  const rng = new Rng(seed);
  const r = (k: number, s: number) => Array.from({ length: k }, () => s * rng.normal());
  const whh = new Array<number>(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) whh[i * n + j] = whh[j * n + i] = rng.normal() / Math.sqrt(n);
  return {
    encoder: { w1: r(h * d, 1 / Math.sqrt(d)), b1: r(h, 0.1), w2: r(n * h, 1 / Math.sqrt(h)), b2: r(n, 0.1) },
    decoder: { w1: r(h * n, 1 / Math.sqrt(n)), b1: r(h, 0.1), w2: r(d * h, 1 / Math.sqrt(h)), b2: r(d, 0.1) },
    wih: r(n * n, 1 / Math.sqrt(n)),
    whh,
    inputDim: d,
    hiddenDim: h,
    latentDim: n,
  };
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
