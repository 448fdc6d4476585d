// Sparse transformations at extremes, against exact arithmetic and closed forms: k-subsets rows whose
// threshold lies far below the max or among scores spaced by more than 1 (magnitudes 1e-300 to
// 1.6e308, float64 and float32), their conjugate, and k-subsets memories, whose energy must not
// increase at any scale; entmax at large alpha (J v and d p / d alpha with weights beyond the range,
// entries just inside the support); J v of nearly one-hot outputs; conjugates of one-hot outputs at
// tiny magnitudes and of normmax at large gamma.
import t from 'tap';
import { entmax, entmax15, HopfieldMemory, kSubsets, normmax, Rng, softmax, sparsemax } from '../src/index';
import { backendsUnderTest } from './helpers';
import { exactKSubsets } from './k-subsets-exact';

const backends = backendsUnderTest();

/** Largest |p - exact p|, and the conjugate's error relative to sum |x_i| p_i + k (the scale of its rounding). */
function kSubsetsGaps(x: number[] | Float32Array, k: number, backend: string): { p: number; conjugate: number } {
  const exact = exactKSubsets(x, k);
  const p = kSubsets(x, { k, backend });
  let gap = 0;
  let scale = k;
  for (let i = 0; i < x.length; i++) {
    gap = Math.max(gap, Math.abs(p[i] - exact.p[i]));
    scale += Math.abs(x[i]) * exact.p[i];
  }
  // Beyond the range the conjugate must be refused (a gap of 0), and only there.
  let conjugate: number;
  try {
    conjugate = Math.abs(kSubsets.conjugate(x, { k, backend }) - exact.conjugate) / scale;
  } catch (error) {
    if (Number.isFinite(exact.conjugate) || !(error instanceof RangeError) || !/conjugate overflows/.test(error.message)) throw error;
    conjugate = 0;
  }
  return { p: gap, conjugate };
}

/** A score of magnitude 10^[lo, hi) and random sign. */
function magnitude(rng: Rng, lo: number, hi: number): number {
  return (rng.nextDouble() < 0.5 ? -1 : 1) * 10 ** (lo + (hi - lo) * rng.nextDouble());
}

t.test('k-subsets of rows spanning large ranges of magnitudes: the reported cases, exactly', async (t) => {
  for (const backend of backends) {
    t.same(Array.from(kSubsets([1e40, 1e20, 0], { k: 2, backend })), [1, 1, 0], `${backend}: the top two of 1e40, 1e20, 0`);
    t.same(Array.from(kSubsets([1e300, 1e290], { k: 2, backend })), [1, 1], `${backend}: k = d selects everything`);
    // Omega* = 1e300 + 1e290 - ||p||^2 / 2, which rounds to 1.0000000001e300.
    t.equal(kSubsets.conjugate([1e300, 1e290], { k: 2, backend }), 1.0000000001e300, `${backend}: its conjugate`);
    t.equal(kSubsets.conjugate([3e20, 1e20, 0], { k: 2, backend }), 4e20, `${backend}: conjugate of the top two`);
  }
});

t.test('k-subsets against exact rational arithmetic at magnitudes 1e-300 to 1.6e308, float64 and float32', async (t) => {
  const rng = new Rng(19);
  for (const backend of backends) {
    const worst = { p: 0, conjugate: 0, p32: 0 };
    let rows = 0;
    for (let trial = 0; trial < 500; trial++) {
      // Short rows (the one-scan k <= 16 path) and rows of 20-40 (the k > 16 path with its selection).
      const d = trial % 5 === 4 ? 20 + rng.below(21) : 1 + rng.below(8);
      const style = trial % 4;
      const top = rng.nextDouble() * 600 - 300; // log10 of the row's scale
      const x = Array.from({ length: d }, () => {
        // One scale; every entry its own magnitude; near the largest doubles (differences and sums overflow); or a
        // cluster c + [0, 3) of any c (fractional parts at small c, spacing above 1 beyond 2^53).
        if (style === 0) return magnitude(rng, top, top + 1);
        if (style === 1) return magnitude(rng, -300, 300);
        if (style === 2) return magnitude(rng, 307, 308.2);
        return 10 ** top * (rng.nextDouble() < 0.5 ? -1 : 1) + 3 * rng.nextDouble();
      });
      if (rng.nextDouble() < 0.2 && d > 1) x[rng.below(d)] = x[rng.below(d)]; // a tie
      for (const k of new Set([d, Math.max(1, d - 1), 1 + rng.below(d)])) {
        const g = kSubsetsGaps(x, k, backend);
        worst.p = Math.max(worst.p, g.p);
        worst.conjugate = Math.max(worst.conjugate, g.conjugate);
        rows++;
        if (x.every((v) => Math.abs(v) < 3e38)) worst.p32 = Math.max(worst.p32, kSubsetsGaps(Float32Array.from(x), k, backend).p);
      }
    }
    t.ok(worst.p <= 1e-12, `${backend}: ${rows} rows, largest |p - exact| ${worst.p}`);
    t.ok(worst.conjugate <= 1e-14, `${backend}: conjugate within ${worst.conjugate} of exact, relative to sum |x| p + k`);
    t.ok(worst.p32 <= 6e-8, `${backend}: float32 rows (|x| < 3e38) within ${worst.p32} of exact (rounding of p to float32)`);
  }
});

t.test('k-subsets on long rows of tied huge scores: the group holding the k-th largest shares what the groups above leave', async (t) => {
  // Scores take five values at least 1 apart; with n_g entries in group g and a entries in the groups above the
  // k-th largest score's group, p is 1 above, (k - a) / n_g in it, 0 below.
  const rng = new Rng(23);
  const d = 9000;
  for (let trial = 0; trial < 8; trial++) {
    const values = trial % 2 ? [1e40, 1e20, 1, 0, -1e20] : [1e300, 3e150, -7e100, -1e200, -1.7e308];
    const group = Array.from({ length: d }, () => rng.below(values.length));
    const x = group.map((g) => values[g]);
    const count = values.map((_, g) => group.filter((h) => h === g).length);
    const k = trial < 2 ? d : 1 + rng.below(d);
    let above = 0;
    let g = 0;
    while (above + count[g] < k) above += count[g++];
    const expected = group.map((h) => (h < g ? 1 : h === g ? (k - above) / count[g] : 0));
    for (const backend of backends) {
      const p = kSubsets(x, { k, backend });
      const gap = Math.max(...Array.from(p, (v, j) => Math.abs(v - expected[j])));
      t.ok(gap <= 1e-15, `${backend} k = ${k}: largest deviation ${gap}`);
    }
  }
});

t.test('k-subsets memories: the energy never increases, at pattern scales up to 1e140 (float64) and 1e16 (float32)', async (t) => {
  const rng = new Rng(29);
  for (const backend of backends) {
    for (const [dtype, scales] of [['float64', [1, 1e10, 1e25, 1e50, 1e100, 1e140]], ['float32', [1, 1e8, 1e16]]] as const) {
      for (const scale of scales) {
        let increases = 0;
        let runs = 0;
        for (let trial = 0; trial < 40; trial++) {
          const n = 2 + rng.below(5);
          const dim = 1 + rng.below(4);
          const patterns = Array.from({ length: n }, () => Array.from({ length: dim }, () => rng.normal() * scale));
          const k = 1 + rng.below(n);
          const memory = new HopfieldMemory(patterns, { transform: { name: 'kSubsets', k }, dtype, backend });
          const energies = memory.retrieve(Array.from({ length: dim }, () => rng.normal() * scale), { maxIter: 5 }).energies;
          const tol = dtype === 'float32' ? 1e-5 : 1e-9;
          for (let i = 1; i < energies.length; i++) {
            if (!(energies[i] <= energies[i - 1] + tol * Math.max(1, Math.abs(energies[i]), Math.abs(energies[i - 1])))) increases++;
          }
          runs++;
        }
        t.equal(increases, 0, `${backend} ${dtype} scale ${scale}: ${runs} retrievals, no energy increase`);
      }
    }
  }
});

t.test('entmax Jacobian and alpha derivative at large alpha: weights p^(2 - alpha) beyond the range, results not', async (t) => {
  // On m exactly tied top scores p = 1/m there for every alpha, so d p / d alpha = 0, and J v = m^(alpha - 2) (v - mean
  // of v over the ties) there, 0 elsewhere.
  for (const backend of backends) {
    for (const [x, m] of [[[0, 0, 0], 3], [[5, 5, 4, 5, 5], 4]] as const) {
      for (const alpha of [700, 1000, 5000]) {
        const label = `${backend} alpha = ${alpha}, ${m} ties`;
        const g = entmax.alphaGradient(Array.from(x), { alpha, backend });
        t.ok(g.every((v) => Math.abs(v) <= 1e-15), `${label}: d p / d alpha = 0 (${Array.from(g)})`);
        t.same(Array.from(entmax.jvp(Array.from(x), x.map(() => 1), { alpha, backend })), x.map(() => 0), `${label}: J 1 = 0`);
        // v = 1e-250 e_1: J v = m^(alpha - 2) 1e-250 (e_1 - 1/m) on the ties, finite while (alpha - 2) log10 m < 558.
        const v = x.map((_, i) => (i === 1 ? 1e-250 : 0));
        const log10Scale = (alpha - 2) * Math.log10(m) - 250;
        if (log10Scale < 308) {
          const j = entmax.jvp(Array.from(x), v, { alpha, backend });
          const expected = x.map((xi, i) => (xi < x[0] ? 0 : 10 ** log10Scale * ((i === 1 ? 1 : 0) - 1 / m)));
          const gap = Math.max(...Array.from(j, (ji, i) => Math.abs(ji - expected[i]) / Math.max(Math.abs(expected[i]), 1e-300)));
          t.ok(gap <= 1e-11, `${label}: J (1e-250 e_1) within ${gap} of m^(alpha-2) 1e-250 (e_1 - 1/m)`);
        } else {
          t.throws(() => entmax.jvp(Array.from(x), v, { alpha, backend }), { name: 'RangeError', message: /^J v overflows the float64 range at x row 0/ }, `${label}: J v of 1e${log10Scale.toFixed(0)} overflows`);
        }
        t.throws(() => entmax.jvp(Float32Array.from(x), Float32Array.from(x.map((_, i) => (i === 1 ? 1 : 0))), { alpha, backend }), { name: 'RangeError', message: /^J v overflows the float32 range at x row 0/ }, `${label}: float32 J e_1 overflows`);
      }
    }
    // The reported row: finite, J 1 = 0, d p / d alpha sums to 0 (sum p = 1 at every alpha) and is the central difference in alpha.
    for (const alpha of [700, 1000, 5000]) {
      const x = [1e-300, 2e-300, 0];
      const g = entmax.alphaGradient(x, { alpha, backend });
      const h = alpha * 1e-6;
      const plus = entmax(x, { alpha: alpha + h, backend });
      const minus = entmax(x, { alpha: alpha - h, backend });
      const gap = Math.max(...Array.from(g, (gi, i) => Math.abs(gi - (plus[i] - minus[i]) / (2 * h))));
      t.ok(gap <= 1e-9 && Math.abs(g[0] + g[1] + g[2]) <= 1e-15, `${backend} alpha = ${alpha}, [1e-300, 2e-300, 0]: d p / d alpha = ${Array.from(g)}, within ${gap} of the central difference`);
      t.same(Array.from(entmax.jvp(x, [1, 1, 1], { alpha, backend })), [0, 0, 0], `${backend} alpha = ${alpha}, [1e-300, 2e-300, 0]: J 1 = 0`);
    }
  }
});

/**
 * entmax on [0, -delta (m times)]: top p and the tied p = w solve (1 - m w)^a - w^a = a delta (a = alpha - 1, both in
 * the support while a delta < 1), by bisection on w in (0, 1/(m + 1)], where the left side falls from 1 - a delta to
 * -a delta or below.
 */
function entmaxPair(alpha: number, delta: number, m: number): number {
  const a = alpha - 1;
  const f = (w: number) => Math.exp(a * Math.log1p(-m * w)) - Math.exp(a * Math.log(w)) - a * delta;
  let lo = 0;
  let hi = 1 / (m + 1);
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi);
    if (f(mid) > 0) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

t.test('entmax at large alpha: an entry just inside the support gets its closed-form p, not one skewed by the rounding of tau', async (t) => {
  for (const backend of backends) {
    let worst = 0;
    for (const alpha of [3, 10, 100, 512.4, 1000]) {
      for (const lead of [0.5, 0.01, 1e-10, 2 ** -20]) {
        for (const m of [1, 3]) {
          const a = alpha - 1;
          const x = [0, ...Array.from({ length: m }, () => -lead / a)];
          const w = entmaxPair(alpha, lead / a, m);
          const p = entmax(x, { alpha, backend });
          const gap = Math.max(Math.abs(p[0] - (1 - m * w)), ...Array.from(p.subarray(1), (pi) => Math.abs(pi - w)));
          worst = Math.max(worst, gap);
          if (gap > 1e-12) t.fail(`${backend} alpha = ${alpha}, lead ${lead} / (alpha - 1), ${m} tied below: p = ${Array.from(p)}, expected ${1 - m * w} and ${w}`);
        }
      }
    }
    t.ok(worst <= 1e-12, `${backend}: largest deviation from the closed form ${worst}`);
  }
});

t.test('J v of a nearly one-hot output: the small entries are not lost to the rounding of the mean', async (t) => {
  for (const backend of backends) {
    // softmax: J e_1 = p_1 p_2 (e_1 - e_2) on two entries; p_2 = e^-40 / (1 + e^-40), below the rounding of p_1 = 1.
    const p2 = Math.exp(-40) / (1 + Math.exp(-40));
    const expected = (1 - p2) * p2;
    const j = softmax.jvp([0, -40], [1, 0], { backend });
    t.ok(Math.abs(j[0] - expected) <= 1e-14 * expected && Math.abs(j[1] + expected) <= 1e-14 * expected, `${backend} softmax: J e_1 = ${Array.from(j)}, expected +-${expected}`);
    // entmax: J e_1 = (g_1 g_2 / G)(e_1 - e_2), g = p^(2 - alpha), on two entries near the margin 1 / (alpha - 1).
    for (const alpha of [1.2, 1.5, 1.8]) {
      const x = [0, -(1 - 1e-7) / (alpha - 1)];
      const p = entmax(x, { alpha, backend });
      const g = Array.from(p, (pi) => Math.pow(pi, 2 - alpha));
      const e = (g[0] * g[1]) / (g[0] + g[1]);
      const je = entmax.jvp(x, [1, 0], { alpha, backend });
      t.ok(Math.abs(je[0] - e) <= 1e-12 * e && Math.abs(je[1] + e) <= 1e-12 * e, `${backend} entmax ${alpha}: J e_1 = ${Array.from(je)}, expected +-${e}`);
    }
  }
});

t.test('conjugates: exactly the max for a one-hot output at any magnitude', async (t) => {
  for (const backend of backends) {
    // Omega(e_i) = 0 for every kind but softmax (conventions in src/transforms/index.ts): Omega* = max.
    for (const [name, f] of [['sparsemax', (x: number[]) => sparsemax.conjugate(x, { backend })], ['entmax 1.5', (x: number[]) => entmax15.conjugate(x, { backend })], ['entmax 3', (x: number[]) => entmax.conjugate(x, { alpha: 3, backend })], ['normmax 2', (x: number[]) => normmax.conjugate(x, { gamma: 2, backend })]] as const) {
      for (const top of [1e-300, -3e-200, 1e-20, 7]) t.equal(f([top, top - 5]), top, `${backend} ${name}: Omega*([${top}, ${top} - 5]) = ${top}`);
    }
  }
});

t.test('normmax conjugate at large gamma, where sum p^gamma underflows', async (t) => {
  for (const backend of backends) {
    // Uniform on m ties: Omega* = max + 1 - ||p||_gamma = max + 1 - m^(1/gamma - 1).
    for (const gamma of [416, 1001]) {
      const value = normmax.conjugate([3, 3, 3, 3, 3, 3, 3], { gamma, backend });
      const expected = 3 + 1 - Math.pow(7, 1 / gamma - 1);
      t.ok(Math.abs(value - expected) <= 1e-15 * 4, `${backend} normmax gamma = ${gamma}, 7 ties: Omega* = ${value}, expected ${expected}`);
    }
  }
});
