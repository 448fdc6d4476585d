// Real weights and thresholds are bounded by 1e150 in magnitude (larger ones are RangeErrors naming
// the entry), and across the whole accepted range energies agree with the exact energy, computed
// in BigInt fixed point (every double is an integer multiple of 2^-1074), within the rounding
// error of the sums, and recall never produces Infinity or NaN.
import t from 'tap';
import { BinaryHopfield, Rng } from '../src/index';
import { backendsUnderTest } from './helpers';

const BOUND = 1e150;
const EPS = 2 ** -52;

/** x * 2^1074 exactly, as a BigInt. */
function fixed(x: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const mantissa = bits & ((1n << 52n) - 1n);
  if (exponent === 0x7ff) throw new Error(`${x} is not finite`);
  const magnitude = exponent === 0 ? mantissa : (mantissa | (1n << 52n)) << BigInt(exponent - 1);
  return bits >> 63n ? -magnitude : magnitude;
}

/** 2 E(s) 2^1074 = (-sum_ij W_ij s_i s_j + 2 sum_i U_i s_i) 2^1074, exactly. */
function twiceExactEnergy(w: Float64Array, u: Float64Array, s: ArrayLike<number>): bigint {
  const n = s.length;
  let sum = 0n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) sum -= fixed(w[i * n + j]) * BigInt(s[i] * s[j]);
    sum += 2n * fixed(u[i]) * BigInt(s[i]);
  }
  return sum;
}

/** |computed - exact| <= tolerance, compared exactly. */
function energyWithin(computed: number, w: Float64Array, u: Float64Array, s: ArrayLike<number>, tolerance: number): boolean {
  if (!Number.isFinite(computed)) return false;
  const gap = 2n * fixed(computed) - twiceExactEnergy(w, u, s);
  return (gap < 0n ? -gap : gap) <= 2n * fixed(tolerance);
}

/** Exact sign of the field h_i = sum_j W_ij s_j - U_i, or 0 when it is within `slack` of 0. */
function exactFieldSign(w: Float64Array, u: Float64Array, s: ArrayLike<number>, i: number, slack: number): number {
  const n = s.length;
  let h = -fixed(u[i]);
  for (let j = 0; j < n; j++) h += fixed(w[i * n + j]) * BigInt(s[j]);
  const margin = fixed(slack);
  return h > margin ? 1 : h < -margin ? -1 : 0;
}

/** A symmetric zero-diagonal matrix and thresholds over the whole range, with entries exactly at +-1e150. */
function extremeNetwork(n: number, seed: number): { w: Float64Array; u: Float64Array } {
  const rng = new Rng(seed);
  const value = () => {
    const r = rng.nextDouble();
    return r < 0.2 ? BOUND : r < 0.4 ? -BOUND : (2 * rng.nextDouble() - 1) * BOUND;
  };
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) w[i * n + j] = w[j * n + i] = value();
  return { w, u: Float64Array.from({ length: n }, value) };
}

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] weights and thresholds beyond 1e150 are RangeErrors naming the entry`, async (t) => {
    const above = BOUND * (1 + EPS);
    t.throws(() => BinaryHopfield.fromWeights([[0, 1e308], [1e308, 0]], { backend }), { name: 'RangeError', message: /weights\[0\]\[1\] must be at most 1e\+150 in magnitude.*got 1e\+308/ });
    t.throws(() => BinaryHopfield.fromWeights([[0, 1], [-above, 0]], { backend }), { name: 'RangeError', message: /weights\[1\]\[0\] must be at most 1e\+150/ });
    t.throws(() => BinaryHopfield.fromWeights([[0, 1], [1, 0]], { backend, thresholds: [0, above] }), { name: 'RangeError', message: /options\.thresholds\[1\] must be at most 1e\+150/ });
    t.throws(() => new BinaryHopfield(3, { backend, rule: 'storkey', thresholds: [-1e200, 0, 0] }), { name: 'RangeError', message: /options\.thresholds\[0\] must be at most 1e\+150/ });
    const atBound = BinaryHopfield.fromWeights([[0, BOUND], [BOUND, 0]], { backend, thresholds: [-BOUND, BOUND] });
    t.equal(atBound.energy([1, 1]), -BOUND, '-1/2 (2e150) - 1e150 + 1e150');
    t.equal(new BinaryHopfield(2, { backend, thresholds: [BOUND, -BOUND] }).energy([1, -1]), 2 * BOUND);
  });

  t.test(`[${backend}] energies at the bound equal the exact energy within rounding, and recall stays finite`, async (t) => {
    for (const n of [2, 5, 12]) {
      for (let seed = 1; seed <= 4; seed++) {
        const { w, u } = extremeNetwork(n, 100 * n + seed);
        const net = BinaryHopfield.fromWeights({ data: w, rows: n, cols: n }, { backend, thresholds: u });
        // Every partial sum is at most S = sum |W_ij| + sum |U_i| in magnitude.
        const size = w.reduce((a, v) => a + Math.abs(v), 0) + u.reduce((a, v) => a + Math.abs(v), 0);
        const rng = new Rng(seed);
        const cue = () => Array.from({ length: n }, () => (rng.nextDouble() < 0.5 ? 1 : -1));
        for (let k = 0; k < 5; k++) {
          const s = cue();
          t.ok(energyWithin(net.energy(s), w, u, s, (n + 4) * EPS * size), `n ${n} seed ${seed}: energy of ${s.join(',')}`);
        }
        for (const mode of ['async', 'sync', 'stochastic'] as const) {
          const start = cue();
          const r = net.recall(start, { mode, seed, maxSweeps: 20, temperature: 1e149 });
          // Each flip adds one rounded update to every field: the error grows by S eps per flip.
          const tolerance = (n * (r.sweeps + 1) + n + 4) * EPS * size;
          t.ok(r.energies.every(Number.isFinite), `${mode}: finite energies ${Array.from(r.energies)}`);
          t.ok(energyWithin(r.energies[0], w, u, start, tolerance), `${mode}: energy of the cue`);
          t.ok(energyWithin(r.energies[r.sweeps], w, u, r.state, tolerance), `${mode}: energy of the final state`);
          if (mode === 'async') {
            for (let k = 1; k <= r.sweeps; k++) t.ok(r.energies[k] <= r.energies[k - 1] + 2 * tolerance, `async: no increase at sweep ${k}`);
          }
          if (mode !== 'stochastic' && r.converged) {
            // A fixed point: every neuron agrees with the sign of its exact field (fields near 0 excepted).
            const wrong = Array.from(r.state).filter((si, i) => exactFieldSign(w, u, r.state, i, tolerance) === -si);
            t.same(wrong, [], `${mode}: the final state is a fixed point`);
          }
        }
      }
    }
  });
}
