// Sparse transformations against mathematics: an exact high-precision reference (BigInt fixed
// point, 2^-200, rational exponents by integer roots), KKT conditions, shift invariance, ties,
// output types, margins, masks, finite-difference Jacobians, the alpha derivative, the conjugate's
// gradient and maximality, limits in alpha against closed forms, and errors.
import t from 'tap';
import { entmax, entmax15, kSubsets, normmax, Rng, softmax, sparsemax } from '../src/index';
import type { Transform, TransformOptions } from '../src/index';
import { backendsUnderTest, maxAbsDiff } from './helpers';

type AnyTransform = Transform<TransformOptions & Record<string, unknown>>;
interface Case {
  name: string;
  f: AnyTransform;
  opts: Record<string, unknown>;
  kind: 'softmax' | 'entmax' | 'normmax' | 'ksubsets';
  alpha?: number;
  gamma?: number;
  k?: number;
  margin?: number;
}

// Margins are 1 / (alpha - 1) of the alpha as stored (4/3 - 1 rounds below 1/3, so the margin is a hair above 3).
const cases: Case[] = [
  { name: 'softmax', f: softmax as AnyTransform, opts: {}, kind: 'softmax' },
  { name: 'sparsemax', f: sparsemax as AnyTransform, opts: {}, kind: 'entmax', alpha: 2, margin: 1 },
  // entmax routes alpha = 1 and 2 to softmax and sparsemax: checked here against the mathematics, not against those.
  { name: 'entmax alpha=1', f: entmax as AnyTransform, opts: { alpha: 1 }, kind: 'softmax' },
  { name: 'entmax alpha=2', f: entmax as AnyTransform, opts: { alpha: 2 }, kind: 'entmax', alpha: 2, margin: 1 },
  { name: 'entmax15', f: entmax15 as AnyTransform, opts: {}, kind: 'entmax', alpha: 1.5, margin: 2 },
  { name: 'entmax alpha=1.25', f: entmax as AnyTransform, opts: { alpha: 1.25 }, kind: 'entmax', alpha: 1.25, margin: 4 },
  { name: 'entmax alpha=4/3', f: entmax as AnyTransform, opts: { alpha: 4 / 3 }, kind: 'entmax', alpha: 4 / 3, margin: 1 / (4 / 3 - 1) },
  { name: 'entmax alpha=1.7', f: entmax as AnyTransform, opts: { alpha: 1.7 }, kind: 'entmax', alpha: 1.7, margin: 1 / (1.7 - 1) },
  { name: 'entmax alpha=3', f: entmax as AnyTransform, opts: { alpha: 3 }, kind: 'entmax', alpha: 3, margin: 0.5 },
  { name: 'normmax gamma=2', f: normmax as AnyTransform, opts: { gamma: 2 }, kind: 'normmax', gamma: 2, margin: 1 },
  { name: 'normmax gamma=1.5', f: normmax as AnyTransform, opts: { gamma: 1.5 }, kind: 'normmax', gamma: 1.5, margin: 1 },
  { name: 'normmax gamma=4/3', f: normmax as AnyTransform, opts: { gamma: 4 / 3 }, kind: 'normmax', gamma: 4 / 3, margin: 1 },
  { name: 'normmax gamma=3', f: normmax as AnyTransform, opts: { gamma: 3 }, kind: 'normmax', gamma: 3, margin: 1 },
  { name: 'kSubsets k=2', f: kSubsets as unknown as AnyTransform, opts: { k: 2 }, kind: 'ksubsets', k: 2 },
  { name: 'kSubsets k=3', f: kSubsets as unknown as AnyTransform, opts: { k: 3 }, kind: 'ksubsets', k: 3 },
];

const backends = backendsUnderTest();
const vec = (c: Case, x: ArrayLike<number>, backend: string, extra: Record<string, unknown> = {}) =>
  c.f(Array.from(x), { ...c.opts, backend, ...extra } as never) as unknown as Float64Array;

// ---- Exact reference: bisection on tau in BigInt fixed point, with rational exponents. ----
const BITS = 200n;
const ONE = 1n << BITS;
const fixed = (v: number) => {
  const scaled = Math.round(v * 1024);
  if (scaled !== v * 1024) throw new Error('reference inputs must be multiples of 1/1024');
  return (BigInt(scaled) * ONE) / 1024n;
};
const mul = (a: bigint, b: bigint) => (a * b) >> BITS;
const powInt = (a: bigint, n: number) => {
  let r = ONE;
  for (let i = 0; i < n; i++) r = mul(r, a);
  return r;
};
/** floor(a^(1/n)), a >= 0: integer Newton from above (stops when the iterate stops decreasing). */
function intRoot(a: bigint, n: number): bigint {
  if (a < 2n || n === 1) return a;
  const N = BigInt(n);
  let x = 1n << (BigInt(a.toString(2).length) / N + 1n);
  for (;;) {
    const y = ((N - 1n) * x + a / x ** (N - 1n)) / N;
    if (y >= x) return x;
    x = y;
  }
}
/** a^(num/den) in fixed point, a >= 0: the den-th root of (a/ONE)^num scaled by ONE^den. */
const powRational = (a: bigint, [num, den]: [number, number]) => (den === 1 ? powInt(a, num) : intRoot(powInt(a, num) * ONE ** BigInt(den - 1), den));
const toNumber = (a: bigint) => Number(a >> (BITS - 60n)) / 2 ** 60;
/** v as num/den with den <= 12 (the parameters of the cases are such ratios). */
function rational(v: number): [number, number] {
  for (let den = 1; den <= 12; den++) if (Math.abs(v * den - Math.round(v * den)) < 1e-9) return [Math.round(v * den), den];
  throw new Error(`${v} is not a small rational`);
}

/**
 * Exact probabilities (to 2^-60) for every kind but softmax. With r = 1/(alpha-1) or 1/(gamma-1):
 * entmax p = [(alpha-1)x - tau]_+^r with sum p = 1; normmax p proportional to [x - tau]_+^r with
 * sum [x - tau]_+^(r+1) = 1; k-subsets p = clip(x - tau, 0, 1) with sum p = k.
 */
function reference(c: Case, x: number[]): number[] {
  let scale: [number, number] = [1, 1], rootPow: [number, number] = [1, 1], outPow: [number, number] = [1, 1], target = ONE, clip = false;
  if (c.kind === 'entmax') {
    const [rn, rd] = rational(1 / (c.alpha! - 1));
    scale = [rd, rn];
    rootPow = outPow = [rn, rd];
  } else if (c.kind === 'normmax') {
    const [rn, rd] = rational(1 / (c.gamma! - 1));
    rootPow = [rn + rd, rd];
    outPow = [rn, rd];
  } else if (c.kind === 'ksubsets') {
    clip = true;
    target = BigInt(c.k!) * ONE;
  } else throw new Error('no exact reference');
  const y = x.map((v) => (fixed(v) * BigInt(scale[0])) / BigInt(scale[1]));
  const term = (u: bigint, pw: [number, number]) => (u <= 0n ? 0n : clip ? (u >= ONE ? ONE : u) : powRational(u, pw));
  const total = (tau: bigint) => y.reduce((s, yi) => s + term(yi - tau, rootPow), 0n);
  let lo = -(ONE << 12n), hi = ONE << 12n;
  for (let i = 0; i < 230; i++) {
    const mid = (lo + hi) >> 1n;
    if (total(mid) >= target) lo = mid; else hi = mid;
  }
  const u = y.map((yi) => term(yi - lo, outPow));
  if (clip) return u.map(toNumber);
  const sum = u.reduce((s, v) => s + v, 0n);
  return u.map((v) => toNumber((v * ONE) / sum));
}

t.test('exact high-precision reference on small cases (1e-12)', async (t) => {
  const rng = new Rng(11);
  let checked = 0;
  const worst: Record<string, number> = {};
  for (const c of cases.filter((c) => c.kind !== 'softmax')) {
    for (let trial = 0; trial < 25; trial++) {
      const d = 1 + Math.floor(rng.nextDouble() * 7);
      if (c.kind === 'ksubsets' && d < c.k!) continue;
      const spread = [1, 4, 16][trial % 3];
      const x = Array.from({ length: d }, () => Math.round((rng.nextDouble() - 0.5) * spread * 1024) / 1024);
      const exact = reference(c, x);
      for (const backend of backends) {
        const key = `${backend} ${c.name}`;
        worst[key] = Math.max(worst[key] ?? 0, maxAbsDiff(vec(c, x, backend), exact));
        checked++;
      }
    }
  }
  t.ok(checked > 200, `${checked} cases`);
  for (const [key, w] of Object.entries(worst)) t.ok(w <= 1e-12, `${key}: max deviation from the exact reference ${w}`);
  // softmax (and entmax alpha = 1): the closed form in double
  for (const backend of backends) {
    for (const c of cases.filter((c) => c.kind === 'softmax')) {
      let worstSoft = 0;
      for (let trial = 0; trial < 20; trial++) {
        const x = Array.from({ length: 1 + trial }, () => rng.normal() * 3);
        worstSoft = Math.max(worstSoft, maxAbsDiff(vec(c, x, backend), softmaxClosedForm(x)));
      }
      t.ok(worstSoft <= 1e-15, `${backend} ${c.name}: closed form (${worstSoft})`);
    }
  }
});

/** exp(x - max) / sum, written out here. */
function softmaxClosedForm(x: number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Sparsemax by sorting (Held et al.): tau from the largest k with z_k > (sum_{j<=k} z_j - 1) / k. */
function sparsemaxBySorting(x: number[]): number[] {
  const z = [...x].sort((a, b) => b - a);
  let cumulative = 0, tau = 0;
  z.forEach((zk, k) => {
    cumulative += zk;
    if (zk > (cumulative - 1) / (k + 1)) tau = (cumulative - 1) / (k + 1);
  });
  return x.map((v) => Math.max(0, v - tau));
}

/** Largest violation of the optimality (KKT) conditions of each problem at output p. */
function kktViolation(c: Case, x: number[], p: ArrayLike<number>): number {
  let bad = 0;
  const sum = Array.from(p).reduce((a, b) => a + b, 0);
  bad = Math.max(bad, Math.abs(sum - (c.kind === 'ksubsets' ? c.k! : 1)));
  for (let i = 0; i < p.length; i++) if (!(p[i] >= 0) || (c.kind === 'ksubsets' && p[i] > 1)) bad = Math.max(bad, 1);
  // Threshold structure: on the support, a kind-specific score s_i equals a common tau; off it, x_i <= tau.
  const norm = c.kind === 'normmax' ? Math.pow(Array.from(p).reduce((a, v) => a + Math.pow(v, c.gamma!), 0), 1 / c.gamma!) : 1;
  const score = (i: number): number => {
    if (c.kind === 'softmax') return x[i] - Math.log(p[i]);
    if (c.kind === 'entmax') return (c.alpha! - 1) * x[i] - Math.pow(p[i], c.alpha! - 1);
    if (c.kind === 'normmax') return x[i] - Math.pow(p[i] / norm, c.gamma! - 1);
    return x[i] - p[i];
  };
  const scale = (c.kind === 'entmax' ? c.alpha! - 1 : 1);
  const interior = (i: number) => p[i] > 0 && (c.kind !== 'ksubsets' || p[i] < 1);
  const taus = x.map((_, i) => i).filter(interior).map(score);
  if (taus.length === 0 && c.kind !== 'ksubsets') return 1;
  const tau = taus.length ? taus.reduce((a, b) => a + b, 0) / taus.length : NaN;
  for (const s of taus) bad = Math.max(bad, Math.abs(s - tau));
  if (taus.length) {
    for (let i = 0; i < p.length; i++) {
      if (p[i] === 0) bad = Math.max(bad, scale * x[i] - tau);
      if (c.kind === 'ksubsets' && p[i] === 1) bad = Math.max(bad, tau - (x[i] - 1));
    }
  }
  return bad;
}

/** The element type of a result, or for a matrix its data type and shape (as the API promises them). */
function shapeOf(r: unknown): string {
  if (r instanceof Float64Array || r instanceof Float32Array) return `${r.constructor.name}(${r.length})`;
  if (r !== null && typeof r === 'object' && 'data' in r && 'rows' in r && 'cols' in r) return `{data: ${shapeOf(r.data)}, rows: ${r.rows}, cols: ${r.cols}}`;
  return Array.isArray(r) ? 'number[]' : typeof r;
}

t.test('KKT conditions, shift invariance, size 1, ties, batches, output types, float32', async (t) => {
  const rng = new Rng(5);
  for (const backend of backends) {
    for (const c of cases) {
      let kkt = 0, shift = 0, batch = 0, single = 0;
      const rowsX: number[] = [];
      const rowsP: number[] = [];
      const wrongTypes: string[] = [];
      const o = { ...c.opts, backend } as never;
      // number[] and Float64Array give Float64Array, Float32Array gives Float32Array; matrices keep their shape.
      const expectShape = (what: string, got: unknown, want: string) => {
        if (shapeOf(got) !== want) wrongTypes.push(`${what}: ${shapeOf(got)}, not ${want}`);
      };
      for (let trial = 0; trial < 30; trial++) {
        const d = 3 + Math.floor(rng.nextDouble() * 30);
        const x = Array.from({ length: d }, () => Math.round(rng.normal() * 3 * 64) / 64);
        const v = x.map(() => rng.normal());
        const p = vec(c, x, backend);
        kkt = Math.max(kkt, kktViolation(c, x, p));
        shift = Math.max(shift, maxAbsDiff(p, vec(c, x.map((xi) => xi + 37.5), backend)));
        const x64 = Float64Array.from(x), x32 = Float32Array.from(x);
        const p64 = c.f(x64, o);
        const p32 = c.f(x32, o);
        expectShape('number[]', p, `Float64Array(${d})`);
        expectShape('Float64Array', p64, `Float64Array(${d})`);
        expectShape('Float32Array', p32, `Float32Array(${d})`);
        if (maxAbsDiff(p64, p) !== 0) wrongTypes.push('Float64Array input differs from number[]');
        const two = (data: ArrayLike<number>) => [...Array.from(data), ...Array.from(data)];
        expectShape('matrix number[]', c.f({ data: two(x), rows: 2, cols: d }, o), `{data: Float64Array(${2 * d}), rows: 2, cols: ${d}}`);
        expectShape('matrix Float64Array', c.f({ data: Float64Array.from(two(x)), rows: 2, cols: d }, o), `{data: Float64Array(${2 * d}), rows: 2, cols: ${d}}`);
        expectShape('matrix Float32Array', c.f({ data: Float32Array.from(two(x)), rows: 2, cols: d }, o), `{data: Float32Array(${2 * d}), rows: 2, cols: ${d}}`);
        expectShape('support number[]', (c.f(x, { ...c.opts, backend, support: true } as never) as unknown as { p: unknown }).p, `Float64Array(${d})`);
        expectShape('support Float32Array', (c.f(x32, { ...c.opts, backend, support: true } as never) as unknown as { p: unknown }).p, `Float32Array(${d})`);
        expectShape('jvp number[]', c.f.jvp(x, v, o), `Float64Array(${d})`);
        expectShape('jvp Float32Array', c.f.jvp(x32, Float32Array.from(v), o), `Float32Array(${d})`);
        expectShape('jvp matrix Float32Array', c.f.jvp({ data: x32, rows: 1, cols: d }, v, o), `{data: Float32Array(${d}), rows: 1, cols: ${d}}`);
        expectShape('solve Float32Array', c.f.solve(x32, o).p, `{data: Float32Array(${d}), rows: 1, cols: ${d}}`);
        if (d === 12) continue;
        if (rowsX.length < 12 * 4 && d >= 12) {
          rowsX.push(...x.slice(0, 12));
          rowsP.push(...vec(c, x.slice(0, 12), backend));
        }
        single = Math.max(single, maxAbsDiff(p32 as ArrayLike<number>, vec(c, Array.from(x32), backend)));
      }
      const rows = rowsX.length / 12;
      const m = c.f({ data: rowsX, rows, cols: 12 }, o) as unknown as { data: Float64Array };
      batch = maxAbsDiff(m.data, rowsP);
      t.same(wrongTypes, [], `${backend} ${c.name}: output types and shapes on every trial`);
      t.ok(kkt <= 1e-9, `${backend} ${c.name}: KKT violation ${kkt}`);
      t.ok(shift <= 1e-12, `${backend} ${c.name}: shift invariance ${shift}`);
      t.ok(batch === 0, `${backend} ${c.name}: batch rows equal single vectors`);
      t.ok(single <= 1e-6, `${backend} ${c.name}: float32 within 1e-6 of float64 (${single})`);
      t.same(Array.from(vec(c, [4.2], backend, c.kind === 'ksubsets' ? { k: 1 } : {})), [1], `${backend} ${c.name}: size 1`);
    }
    // ties
    t.same(Array.from(sparsemax([1, 1, 1, 0], { backend })), [1 / 3, 1 / 3, 1 / 3, 0], `${backend} sparsemax ties`);
    t.same(Array.from(kSubsets([2, 2, 2, -5], { backend, k: 2 })), [2 / 3, 2 / 3, 2 / 3, 0], `${backend} k-subsets ties`);
    const tiedEntmax = entmax([0.5, 0.5, 0.5, 0.5], { backend, alpha: 1.7 });
    t.ok(maxAbsDiff(tiedEntmax, [0.25, 0.25, 0.25, 0.25]) <= 1e-15, `${backend} entmax ties`);
  }
});

t.test('normmax ties: tied scores get equal outputs, the KKT conditions hold, tied tops lead by the margin are uniform', async (t) => {
  const rng = new Rng(7);
  for (const backend of backends) {
    for (const c of cases.filter((c) => c.kind === 'normmax')) {
      let unequal = 0, kkt = 0, uniform = 0, notSparse = 0;
      for (let trial = 0; trial < 40; trial++) {
        const d = 3 + rng.below(12);
        const ties = 2 + rng.below(d - 1);
        const top = Math.round(rng.normal() * 64) / 64;
        // `ties` entries share the top score; in odd trials two of the others share a lower score too.
        const x = Array.from({ length: d }, (_, i) => (i < ties ? top : top - 0.25 - Math.round(rng.nextDouble() * 2 * 64) / 64));
        if (trial % 2 === 1 && d - ties >= 2) x[d - 1] = x[d - 2];
        const order = Array.from({ length: d }, (_, i) => i).sort(() => rng.nextDouble() - 0.5);
        const xs = order.map((i) => x[i]);
        const p = vec(c, xs, backend);
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) if (xs[i] === xs[j] && p[i] !== p[j]) unequal++;
        kkt = Math.max(kkt, kktViolation(c, xs, p));
        // Uniform on `ties` tops: p_i / ||p||_gamma = ties^(-1/gamma), so the threshold is top - ties^(-(gamma-1)/gamma);
        // every other score at or below it gets 0.
        const lead = Math.pow(ties, -(c.gamma! - 1) / c.gamma!);
        const y = xs.map((v) => (v === top ? top : Math.min(v, top - lead * (1 + 1e-12))));
        uniform = Math.max(uniform, maxAbsDiff(vec(c, y, backend), y.map((v) => (v === top ? 1 / ties : 0))));
        if (ties < d) {
          const closer = xs.map((v) => (v === top ? top : top - 0.99 * lead));
          if (!(vec(c, closer, backend).every((pi) => pi > 0))) notSparse++;
        }
      }
      t.equal(unequal, 0, `${backend} ${c.name}: equal scores give equal outputs`);
      t.ok(kkt <= 1e-9, `${backend} ${c.name}: KKT violation ${kkt}`);
      t.ok(uniform <= 1e-15, `${backend} ${c.name}: tied tops leading by ties^(-(gamma-1)/gamma) are uniform (${uniform})`);
      t.equal(notSparse, 0, `${backend} ${c.name}: a lead of 0.99 times that keeps every entry`);
      t.ok(maxAbsDiff(vec(c, [0.3, 0.3, 0.3, 0.3, 0.3], backend), [0.2, 0.2, 0.2, 0.2, 0.2]) <= 1e-15, `${backend} ${c.name}: all tied`);
    }
  }
});

t.test('k-subsets with k above the small-k prefilter (k > 16): exact reference and KKT', async (t) => {
  const rng = new Rng(31);
  for (const backend of backends) {
    let worst = 0, kkt = 0;
    for (let trial = 0; trial < 6; trial++) {
      const k = 17 + trial * 3;
      const c: Case = { name: `kSubsets k=${k}`, f: kSubsets as unknown as AnyTransform, opts: { k }, kind: 'ksubsets', k };
      const x = Array.from({ length: 40 }, () => Math.round(rng.normal() * 2 * 1024) / 1024);
      const p = vec(c, x, backend);
      worst = Math.max(worst, maxAbsDiff(p, reference(c, x)));
      kkt = Math.max(kkt, kktViolation(c, x, p));
    }
    t.ok(worst <= 1e-12, `${backend}: max deviation from the exact reference ${worst}`);
    t.ok(kkt <= 1e-9, `${backend}: KKT violation ${kkt}`);
  }
});

t.test('k-subsets on long rows: sampled prefilter, including inputs that defeat the sample', async (t) => {
  const rng = new Rng(37);
  for (const backend of backends) {
    const d = 16384;
    const normal = Array.from({ length: d }, () => rng.normal());
    // every 16th entry (the strided sample) is large: the sampled bound is refuted by the count
    const skewed = Array.from({ length: d }, (_, j) => (j % 16 === 0 ? 5 + rng.nextDouble() : rng.normal()));
    const uniform = Array.from({ length: d }, () => rng.nextDouble());
    // 10% masked: masked sampled positions count as zeros of F, the pass counts the unmasked entries
    const masked = Array.from({ length: d }, () => (rng.nextDouble() < 0.1 ? -Infinity : 3 * rng.normal()));
    const cases2 = [['normal', normal, 300], ['normal', normal, 5000], ['normal', normal, 2], ['skewed', skewed, 2000], ['skewed', skewed, 700], ['uniform', uniform, 8000], ['uniform', uniform, 100], ['masked', masked, 7000], ['masked', masked, 5]] as const;
    for (const [name, x, k] of cases2) {
      const c: Case = { name: `kSubsets k=${k}`, f: kSubsets as unknown as AnyTransform, opts: { k }, kind: 'ksubsets', k };
      const p = vec(c, x, backend);
      t.ok(kktViolation(c, x as number[], p) <= 1e-9, `${backend} ${name} k=${k}: KKT violation ${kktViolation(c, x as number[], p)}`);
      if (backends.length > 1 && backend === 'js') {
        t.ok(maxAbsDiff(p, vec(c, x, 'native')) <= 1e-12, `${name} k=${k}: backends agree`);
      }
    }
    // The one pass over a long row still finds a NaN or +Infinity at an unsampled column, and counts the unmasked entries.
    for (const bad of [NaN, Infinity]) {
      const x = normal.slice();
      x[d - 5] = bad;
      t.throws(() => kSubsets(x, { backend, k: 300 }), { name: 'RangeError', message: new RegExp(`column ${d - 5}`) }, `${backend} ${bad} at column ${d - 5}`);
    }
    const sparse = normal.map((v, j) => (j % 4 === 0 ? v : -Infinity));
    t.throws(() => kSubsets(sparse, { backend, k: d / 4 + 1 }), { name: 'RangeError', message: new RegExp(`exceeds the ${d / 4} unmasked`) }, `${backend} k above the unmasked count`);
  }
});

/** k-subsets of unmasked z by bisection on tau: F(t) = sum clip(z - t, 0, 1) is decreasing, F(min - 1) = n >= k > F(max) = 0. */
function bisectedKSubsets(z: number[], k: number): number[] {
  const F = (t: number) => z.reduce((f, v) => f + Math.min(Math.max(v - t, 0), 1), 0);
  let lo = z.reduce((m, v) => Math.min(m, v), Infinity) - 1;
  let hi = z.reduce((m, v) => Math.max(m, v), -Infinity);
  for (let i = 0; i < 200 && hi - lo > 0; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (F(mid) >= k) lo = mid;
    else hi = mid;
  }
  return z.map((v) => Math.min(Math.max(v - lo, 0), 1));
}

t.test('long rows meet the hardening cases: far entries, spans beyond the range, entmax near alpha = 1', async (t) => {
  const rng = new Rng(53);
  const rest = Array.from({ length: 9000 }, () => rng.normal());
  const stride = Math.floor((rest.length + 3) / 1024); // the sampled columns of the long row (j % stride = 0)
  // Entries far above the rest are selected whole and the rest is k-subsets of the remainder, also when
  // one of them is a sampled column (the sample's max then sits far above the threshold).
  for (const [huge, at] of [[[1e4, 1e17, 1e300], [1, 4000, 8999]], [[1e17, 1e17, 1e300], [0, 5 * stride, 77]], [[1e9, 1e300, 1e4], [2, 3 * stride, 6001]]] as const) {
    const x = rest.slice();
    for (let i = 0; i < huge.length; i++) x.splice(at[i], 0, huge[i]); // positions increase: each stays where it went
    const others = (p: ArrayLike<number>) => Array.from(p).filter((_, j) => !(at as readonly number[]).includes(j));
    for (const kRest of [1, 40, 2500]) {
      const k = huge.length + kRest;
      const expected = bisectedKSubsets(rest, kRest);
      for (const backend of backends) {
        const p = kSubsets(x, { k, backend });
        const label = `${backend} ${huge.join(', ')} at ${at.join(', ')}, k = ${k}`;
        t.ok(at.every((j) => p[j] === 1), `${label}: far entries selected whole`);
        t.ok(maxAbsDiff(others(p), expected) <= 1e-12, `${label}: the rest is k-subsets of the remainder (${maxAbsDiff(others(p), expected)})`);
      }
    }
  }
  // A threshold more than the floating-point range below the max, in or out of the sample: k = d selects everything.
  for (const [top, bottom] of [[0, 7], [5, 0]]) {
    const x = rest.slice();
    x[top] = 1e308;
    x[bottom] = -1e308;
    for (const backend of backends) {
      t.ok(kSubsets(x, { k: x.length, backend }).every((v) => v === 1), `${backend} 1e308 at ${top}, -1e308 at ${bottom}: k = d selects every entry`);
      const p = kSubsets(x, { k: 1, backend });
      t.ok(p[top] === 1 && p.reduce((s, v) => s + v, 0) === 1, `${backend} k = 1 is the top entry`);
    }
  }
  // The sample's max far below the row's (-1.5e308 against unsampled 1e308s): the two 1e308s are selected whole and
  // the k - 2 = 5 left are shared by the tied rest.
  const low = rest.map((_, j) => (j === 1 || j === 2 ? 1e308 : -1.5e308));
  for (const backend of backends) {
    const p = kSubsets(low, { k: 7, backend });
    t.ok(p.every((v, j) => v === (j === 1 || j === 2 ? 1 : 5 / (low.length - 2))), `${backend} unsampled 1e308s above -1.5e308`);
  }
  // Entmax at alpha = 1 + e (the log1p form) on a long row: p = softmax + e d0 + O(e^2), d0 = p (S2 - L^2) / 2 with
  // L = log p, S1 = sum p L, S2 = sum p L^2; d p / d alpha tends to d0; the conjugate is logsumexp - e (S2 / 2 - S1) + O(e^2)
  // (its alpha derivative is -dOmega/dalpha at p, and Omega = (sum p^(1+e) - 1) / ((1+e) e) = S1 + e (S2 / 2 - S1) + O(e^2)).
  const x = rest.map((v) => 3 * v);
  const p0 = softmaxClosedForm(x);
  const l = p0.map(Math.log);
  const el2 = p0.reduce((a, p, j) => a + p * l[j] * l[j], 0);
  const el1 = p0.reduce((a, p, j) => a + p * l[j], 0);
  const d0 = p0.map((p, j) => (p * (el2 - l[j] * l[j])) / 2);
  const max = Math.max(...x);
  const lse = max + Math.log(x.reduce((s, v) => s + Math.exp(v - max), 0));
  for (const e of [1e-4, 1e-8]) {
    for (const backend of backends) {
      const p = entmax(x, { alpha: 1 + e, backend });
      const gap = Math.max(...p.map((v, j) => Math.abs(v - p0[j] - e * d0[j])));
      t.ok(gap <= 50 * e * e + 1e-14, `${backend} alpha = 1 + ${e}: p off its expansion by ${gap}`);
      const c = entmax.conjugate(x, { alpha: 1 + e, backend });
      const first = lse - e * (el2 / 2 - el1);
      t.ok(Math.abs(c - first) <= 1e3 * e * e + 1e-12, `${backend} alpha = 1 + ${e}: conjugate ${c}, first order ${first} (logsumexp ${lse})`);
    }
  }
  for (const backend of backends) {
    const g = entmax.alphaGradient(x, { alpha: 1 + 1e-8, backend });
    const gap = Math.max(...g.map((v, j) => Math.abs(v - d0[j])));
    t.ok(gap <= 50e-8 + 1e-12, `${backend} d p / d alpha at 1 + 1e-8 off its limit by ${gap}`);
  }
});

t.test('overflow only where the result overflows: J v for huge v, the k-subsets conjugate with a moved shift', async (t) => {
  const rng = new Rng(59);
  for (const backend of backends) {
    // J v is linear: J (2^1000 u) = 2^1000 J u exactly (a power of two), with J u computed on moderate values.
    let worst = 0;
    for (const c of cases) {
      for (let trial = 0; trial < 3; trial++) {
        const x = Array.from({ length: 3 + trial * 4 }, () => rng.normal());
        const u = x.map(() => rng.normal() * 50);
        const big = c.f.jvp(x, u.map((v) => v * 2 ** 1000), { ...c.opts, backend } as never) as Float64Array;
        const small = c.f.jvp(x, u, { ...c.opts, backend } as never) as Float64Array;
        worst = Math.max(worst, maxAbsDiff(big, small.map((v) => v * 2 ** 1000)) / 2 ** 1000);
      }
    }
    t.equal(worst, 0, `${backend}: J(2^1000 u) = 2^1000 J u`);
    // Two tied entries of normmax (gamma = 1.05, r = 20): J v = (r / t) (v0 - v2) / 4 [1, 0, -1] with t = 2^(-1/21), about
    // 1.74e308 here: the products inside the kernel (r t^(r-1) (v - <p,v>)) overflowed before.
    const v2 = -3.3657048780633057e307;
    const j = normmax.jvp(Float64Array.from([0, -2e12, 0]), [0, 0, v2], { gamma: 1.05, backend });
    const expected = (20 / 2 ** (-1 / 21)) * (-v2 / 4);
    t.ok(Math.abs(j[0] - expected) <= 1e-12 * expected && j[1] === 0 && Math.abs(j[2] + expected) <= 1e-12 * expected, `${backend} normmax tied pair: ${Array.from(j)} (expected +-${expected})`);
    // Sparsemax on three tied entries: J v = v - mean(v), 2.27e308 in its first entry.
    t.throws(() => sparsemax.jvp([0, 0, 0], [1.7e308, -1.7e308, -1.7e308], { backend }), { name: 'RangeError', message: /^v is too large: J v overflows/ }, `${backend} J v beyond the range`);
    // k = n selects everything: Omega* = sum x - n / 2. The shift moves onto -1e308 (k-th largest far below the max),
    // where max k and sum (x - max) p overflowed to -Infinity + Infinity.
    const x = [-4.559120993992495e-121, -1e308, 2.6586796065512912e-284];
    t.equal(kSubsets.conjugate(x, { k: 3, backend }), x.reduce((a, b) => a + b, 0) - 1.5, `${backend} k-subsets conjugate, everything selected`);
    t.throws(() => kSubsets.conjugate([1e308, 1e308, 0], { k: 2, backend }), { name: 'RangeError', message: /x row 0: the k-subsets conjugate overflows/ }, `${backend} k-subsets conjugate beyond the range`);
  }
});

t.test('long rows (sampled support bound): KKT on normal, uniform and sample-defeating inputs', async (t) => {
  const rng = new Rng(43);
  const d = 16384;
  const inputs: Array<[string, number[]]> = [
    ['normal', Array.from({ length: d }, () => rng.normal())],
    ['uniform [0,1)', Array.from({ length: d }, () => rng.nextDouble())],
    // the strided sample (every 16th entry) sits far above the rest: its bound must be refuted
    ['skewed', Array.from({ length: d }, (_, j) => (j % 16 === 0 ? 0.9 + 0.1 * rng.nextDouble() : rng.nextDouble() * 0.8))],
    // the row's max far above the sample's (the floor is taken relative to the sample's, before the max is known)
    ['outlier', Array.from({ length: d }, (_, j) => (j === 7 ? 50 : rng.nextDouble()))],
    ['masked', Array.from({ length: d }, () => (rng.nextDouble() < 0.2 ? -Infinity : rng.normal() * 0.3))],
  ];
  for (const backend of backends) {
    for (const c of cases) {
      let worst = 0;
      for (const [, x] of inputs) worst = Math.max(worst, kktViolation(c, x, vec(c, x, backend)));
      t.ok(worst <= 1e-9, `${backend} ${c.name}: KKT violation ${worst}`);
    }
    // The pass that scans and gathers at once still finds a NaN or +Infinity the sample misses.
    for (const c of cases.filter((c) => c.kind !== 'ksubsets')) {
      for (const bad of [NaN, Infinity]) {
        const x = inputs[1][1].slice();
        x[d - 3] = bad;
        t.throws(() => vec(c, x, backend), { name: 'RangeError', message: new RegExp(`column ${d - 3}`) }, `${backend} ${c.name}: ${bad} at column ${d - 3}`);
      }
    }
  }
  if (backends.length > 1) {
    let worst = 0;
    for (const c of cases) for (const [, x] of inputs) worst = Math.max(worst, maxAbsDiff(vec(c, x, 'native'), vec(c, x, 'js')));
    t.ok(worst <= 1e-12, `backends agree (${worst})`);
  }
});

/** Entmax / normmax by bisection on tau in double precision (64 halvings of [-1, 0]): p ∝ [a (x - max) - tau]_+^r, sum [.]^q = 1. */
function bisectedPower(x: Float64Array, a: number, r: number, q: number): Float64Array {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  const y = x.map((v) => a * (v - max));
  const F = (tau: number) => y.reduce((f, v) => (v > tau ? f + Math.pow(v - tau, q) : f), 0);
  let lo = -1;
  let hi = 0;
  for (let i = 0; i < 64; i++) {
    const mid = 0.5 * (lo + hi);
    if (F(mid) >= 1) lo = mid;
    else hi = mid;
  }
  const p = y.map((v) => (v > lo ? Math.pow(v - lo, r) : 0));
  const sum = p.reduce((s, v) => s + v, 0);
  return p.map((v) => v / sum);
}

t.test('long rows with large supports (start estimated per cell, powers reused between passes): bisection reference', async (t) => {
  const rng = new Rng(47);
  const d = 60000;
  const plain = Float64Array.from({ length: d }, () => rng.nextDouble() / 3); // about half the row in the support at alpha = 1.3
  const masked = plain.map((v) => (rng.nextDouble() < 0.1 ? -Infinity : v));
  for (const [name, param, x] of [['entmax', 1.3, plain], ['entmax', 1.2, plain], ['normmax', 1.3, plain], ['entmax', 1.3, masked]] as const) {
    // entmax: r = q = 1/(alpha - 1) on scores scaled by alpha - 1; normmax: r = 1/(gamma - 1), q = r + 1
    const r = 1 / (param - 1);
    const expected = name === 'entmax' ? bisectedPower(x, param - 1, r, r) : bisectedPower(x, 1, r, r + 1);
    for (const backend of backends) {
      const p = name === 'entmax' ? entmax(x, { alpha: param, backend }) : normmax(x, { gamma: param, backend });
      const label = `${backend} ${name} ${param}${x === masked ? ', 10% masked' : ''}`;
      t.ok(maxAbsDiff(p, expected) <= 1e-13, `${label}: max deviation ${maxAbsDiff(p, expected)}`);
      t.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) <= 1e-12, `${label}: sums to 1`);
    }
  }
});

t.test('margins: a lead of m gives one-hot, of 0.99 m does not', async (t) => {
  for (const backend of backends) {
    for (const c of cases.filter((c) => c.margin !== undefined)) {
      for (const base of [0, 1e6, -3e5]) {
        // away from 0 the subtraction rounds; lead by a hair more than m so the rounded lead is >= m
        const lead = base === 0 ? c.margin! : c.margin! * (1 + 1e-9);
        const x = [base, base - lead, base - lead - 0.5, base - 2 * lead];
        const p = vec(c, x, backend);
        t.same(Array.from(p), [1, 0, 0, 0], `${backend} ${c.name} lead m at ${base}`);
        const near = vec(c, [base, base - 0.99 * c.margin!, base - 5 * c.margin!], backend);
        t.ok(near[1] > 0 && near[0] < 1, `${backend} ${c.name} lead 0.99 m is not one-hot`);
      }
    }
    // k-subsets: exact top-k when the k-th and (k+1)-th scores differ by >= 1
    t.same(Array.from(kSubsets([3, 0.2, 5, 2, -1], { backend, k: 2 })), [1, 0, 1, 0, 0], `${backend} k-subsets top-2 gap 1`);
    const soft = kSubsets([3, 0.2, 5, 2.01, -1], { backend, k: 2 });
    t.ok(soft[0] < 1 && soft[3] > 0, `${backend} k-subsets gap 0.99 is not 0/1`);
  }
});

t.test('magnitudes up to 1e6', async (t) => {
  for (const backend of backends) {
    t.same(Array.from(sparsemax([1e6, 1e6 - 0.5, 1e6 - 3, -1e6], { backend })), [0.75, 0.25, 0, 0], `${backend} sparsemax`);
    t.same(Array.from(kSubsets([1e6, -1e6, 1e6 - 0.25], { backend, k: 2 })), [1, 0, 1], `${backend} k-subsets`);
    for (const c of cases) {
      const offsets = [0, -0.5, -0.25, -3, 0.125];
      const big = vec(c, offsets.map((v) => v + 1e6), backend);
      const small = vec(c, offsets, backend);
      t.ok(maxAbsDiff(big, small) <= 1e-9, `${backend} ${c.name} at 1e6 equals at 0`);
      const spread = vec(c, [1e6, -1e6, 5e5, 0], backend);
      t.same(Array.from(spread).map((v) => (v > 0.5 ? 1 : v)), c.kind === 'ksubsets' ? [1, 0, 1, c.k === 3 ? 1 : 0] : [1, 0, 0, 0], `${backend} ${c.name} huge spread`);
    }
  }
});

t.test('-Infinity masks give exact zeros, no NaN, also in the Jacobian', async (t) => {
  const rng = new Rng(3);
  for (const backend of backends) {
    for (const c of cases) {
      const x = Array.from({ length: 9 }, () => rng.normal());
      const masked = x.map((v, i) => (i % 3 === 1 ? -Infinity : v));
      const kept = x.filter((_, i) => i % 3 !== 1);
      const p = vec(c, masked, backend);
      const pk = vec(c, kept, backend);
      t.ok(p.every((v, i) => (i % 3 === 1 ? Object.is(v, 0) : !Number.isNaN(v))), `${backend} ${c.name} masked are +0`);
      t.ok(maxAbsDiff(p.filter((_, i) => i % 3 !== 1), pk) <= 1e-15, `${backend} ${c.name} equals the unmasked sub-vector`);
      const v = x.map(() => rng.normal());
      const j = c.f.jvp(masked, v, { ...c.opts, backend } as never) as unknown as Float64Array;
      const jk = c.f.jvp(kept, v.filter((_, i) => i % 3 !== 1), { ...c.opts, backend } as never) as unknown as Float64Array;
      t.ok(j.every((val, i) => (i % 3 === 1 ? Object.is(val, 0) : Number.isFinite(val))), `${backend} ${c.name} jvp masked +0`);
      t.ok(maxAbsDiff(j.filter((_, i) => i % 3 !== 1), jk) <= 1e-14, `${backend} ${c.name} jvp equals unmasked`);
    }
  }
});

t.test('JVP against central finite differences; entmax alpha derivative', async (t) => {
  const rng = new Rng(17);
  const h = 1e-6;
  for (const backend of backends) {
    for (const c of cases) {
      let worst = 0, symmetric = 0;
      for (let trial = 0; trial < 8; trial++) {
        const d = 2 + Math.floor(rng.nextDouble() * 9);
        if (c.kind === 'ksubsets' && d <= c.k!) continue;
        const x = Array.from({ length: d }, () => rng.normal());
        const v = x.map(() => rng.normal());
        const w = x.map(() => rng.normal());
        const jv = c.f.jvp(x, v, { ...c.opts, backend } as never) as unknown as Float64Array;
        const plus = vec(c, x.map((xi, i) => xi + h * v[i]), backend);
        const minus = vec(c, x.map((xi, i) => xi - h * v[i]), backend);
        const fd = Array.from(plus, (pv, i) => (pv - minus[i]) / (2 * h));
        worst = Math.max(worst, maxAbsDiff(jv, fd));
        const jw = c.f.jvp(x, w, { ...c.opts, backend } as never) as unknown as Float64Array;
        const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, ai, i) => s + ai * b[i], 0);
        symmetric = Math.max(symmetric, Math.abs(dot(w, jv) - dot(v, jw)));
      }
      t.ok(worst <= 2e-5, `${backend} ${c.name}: |Jv - FD| = ${worst}`);
      t.ok(symmetric <= 1e-12, `${backend} ${c.name}: w.Jv = v.Jw (${symmetric})`);
    }
    let worst = 0;
    for (const alpha of [1.1, 1.25, 1.5, 1.8, 2, 2.5, 3]) {
      for (let trial = 0; trial < 4; trial++) {
        const x = Array.from({ length: 6 }, () => rng.normal());
        const g = entmax.alphaGradient(x, { alpha, backend });
        const plus = entmax(x, { alpha: alpha + h, backend });
        const minus = entmax(x, { alpha: alpha - h, backend });
        worst = Math.max(worst, maxAbsDiff(g, Array.from(plus, (pv, i) => (pv - minus[i]) / (2 * h))));
      }
    }
    t.ok(worst <= 2e-5, `${backend} d entmax / d alpha against FD: ${worst}`);
  }
});

t.test('conjugate: gradient is p, it is the maximum of <x,q> - Omega(q), matches its formula', async (t) => {
  const rng = new Rng(23);
  const omega = (c: Case, q: number[]): number => {
    const sum = (f: (v: number) => number) => q.reduce((s, v) => s + f(v), 0);
    if (c.kind === 'softmax') return sum((v) => (v > 0 ? v * Math.log(v) : 0));
    if (c.kind === 'entmax') return (sum((v) => Math.pow(v, c.alpha!)) - 1) / (c.alpha! * (c.alpha! - 1));
    if (c.kind === 'normmax') return Math.pow(sum((v) => Math.pow(v, c.gamma!)), 1 / c.gamma!) - 1;
    return 0.5 * sum((v) => v * v);
  };
  const h = 1e-6;
  for (const backend of backends) {
    for (const c of cases) {
      let grad = 0, maximal = 0, formula = 0;
      for (let trial = 0; trial < 6; trial++) {
        const d = 4 + trial;
        const x = Array.from({ length: d }, () => rng.normal() * 2);
        const conj = c.f.conjugate(x, { ...c.opts, backend } as never) as unknown as number;
        const p = vec(c, x, backend);
        formula = Math.max(formula, Math.abs(conj - (x.reduce((s, xi, i) => s + xi * p[i], 0) - omega(c, Array.from(p)))));
        for (let i = 0; i < d; i++) {
          const xp = x.slice(); xp[i] += h;
          const xm = x.slice(); xm[i] -= h;
          const fd = ((c.f.conjugate(xp, { ...c.opts, backend } as never) as unknown as number) - (c.f.conjugate(xm, { ...c.opts, backend } as never) as unknown as number)) / (2 * h);
          grad = Math.max(grad, Math.abs(fd - p[i]));
        }
        for (let s = 0; s < 20; s++) {
          // a random feasible q: the simplex, or for k-subsets a mix of p and a random 0/1 top-k vector
          let q: number[];
          if (c.kind === 'ksubsets') {
            const order = x.map((_, i) => i).sort(() => rng.nextDouble() - 0.5);
            const e = x.map(() => 0);
            for (let j = 0; j < c.k!; j++) e[order[j]] = 1;
            const lam = rng.nextDouble();
            q = e.map((v, i) => lam * v + (1 - lam) * p[i]);
          } else {
            const r = x.map(() => -Math.log(1 - rng.nextDouble()));
            const rs = r.reduce((a, b) => a + b, 0);
            q = r.map((v) => v / rs);
          }
          const value = x.reduce((acc, xi, i) => acc + xi * q[i], 0) - omega(c, q);
          maximal = Math.max(maximal, value - conj);
        }
      }
      t.ok(formula <= 1e-12, `${backend} ${c.name}: conjugate = <x,p> - Omega(p) (${formula})`);
      t.ok(grad <= 1e-5, `${backend} ${c.name}: d conjugate / dx = p (${grad})`);
      t.ok(maximal <= 1e-12, `${backend} ${c.name}: no feasible q beats it (${maximal})`);
    }
  }
});

t.test('alpha limits: entmax -> softmax at first order as alpha -> 1, 2 +- 1e-9 is sparsemax, against closed forms', async (t) => {
  const rng = new Rng(29);
  for (const backend of backends) {
    let ratioSpread = 0, worstOne = 0, worstTwo = 0, worstNearTwo = 0, supportMismatch = 0;
    for (let trial = 0; trial < 10; trial++) {
      const x = Array.from({ length: 5 + trial * 3 }, () => rng.normal() * (1 + trial / 3));
      const soft = softmaxClosedForm(x);
      worstOne = Math.max(worstOne, maxAbsDiff(entmax(x, { alpha: 1, backend }), soft));
      // The general path at alpha = 1 + eps is eps * (d p / d alpha at 1) + O(eps^2) away from softmax:
      // the error falls 100-fold per step and error / eps settles to a constant.
      const eps = [1e-3, 1e-5, 1e-7];
      const errors = eps.map((e) => maxAbsDiff(entmax(x, { alpha: 1 + e, backend }), soft));
      t.ok(errors[0] > 30 * errors[1] && errors[1] > 30 * errors[2] && errors[2] <= 1e-6, `${backend} alpha -> 1: ${errors.map((e) => e.toExponential(2)).join(', ')}`);
      const slopes = errors.map((e, i) => e / eps[i]);
      ratioSpread = Math.max(ratioSpread, Math.abs(slopes[1] / slopes[2] - 1));
      const sparse = sparsemaxBySorting(x);
      worstTwo = Math.max(worstTwo, maxAbsDiff(entmax(x, { alpha: 2, backend }), sparse));
      for (const alpha of [2 - 1e-9, 2 + 1e-9]) {
        const p = entmax(x, { alpha, backend });
        worstNearTwo = Math.max(worstNearTwo, maxAbsDiff(p, sparse));
        if (p.some((pi, i) => (pi > 0) !== (sparse[i] > 0))) supportMismatch++;
      }
    }
    t.ok(worstOne <= 1e-15, `${backend} alpha = 1 is the softmax closed form (${worstOne})`);
    t.ok(ratioSpread <= 0.05, `${backend} first-order convergence: (error / eps) at 1e-5 and 1e-7 agree to ${ratioSpread}`);
    t.ok(worstTwo <= 1e-15, `${backend} alpha = 2 is sparsemax by sorting (${worstTwo})`);
    t.ok(worstNearTwo <= 1e-8, `${backend} alpha = 2 +- 1e-9 (general path) within 1e-8 of sparsemax by sorting (${worstNearTwo})`);
    t.equal(supportMismatch, 0, `${backend} alpha = 2 +- 1e-9 has the sparsemax support`);
  }
});

t.test('support sizes, solve, async', async (t) => {
  for (const backend of backends) {
    const r = sparsemax([1, 0.5, -1, -Infinity], { backend, support: true });
    t.equal(r.support, 2);
    t.same(Array.from(r.p), [0.75, 0.25, 0, 0]);
    const m = { data: new Float32Array([1, 0.5, -1, 3, 0, 0]), rows: 2, cols: 3 };
    const rm = kSubsets(m, { backend, k: 2, support: true });
    t.same(Array.from(rm.support), [2, 3], 'k-subsets [1, 0.5, -1] -> [1, 1, 0]; [3, 0, 0] -> [1, 1/2, 1/2]');
    const solved = entmax15.solve(m, { backend });
    const viaAsync = await entmax15.async(m, { backend });
    t.same(Array.from(viaAsync.p.data), Array.from(solved.p.data));
    t.same(Array.from(viaAsync.support), Array.from(solved.support));
    t.same(Array.from(viaAsync.conjugate), Array.from(solved.conjugate));
    t.ok(solved.p.data instanceof Float32Array);
    const out = new Float32Array(6);
    const into = entmax15(m, { backend, out });
    t.equal(into.data, out, 'options.out is filled and returned');
    t.same(Array.from(out), Array.from(solved.p.data));
    t.throws(() => entmax15(m, { backend, out: new Float64Array(6) }), { name: 'TypeError', message: /options.out must be a Float32Array/ });
    t.throws(() => entmax15(m, { backend, out: new Float32Array(5) }), { name: 'RangeError', message: /options.out must have 6/ });
  }
});

t.test('clear errors', async (t) => {
  for (const backend of backends) {
    t.throws(() => sparsemax([-Infinity, -Infinity], { backend }), { name: 'RangeError', message: /entirely -Infinity/ });
    t.throws(() => softmax({ data: [0, 1, -Infinity, -Infinity], rows: 2, cols: 2 }, { backend }), { name: 'RangeError', message: /row 1 is entirely -Infinity/ });
    t.throws(() => entmax([1, NaN], { backend }), { name: 'RangeError', message: /NaN at column 1/ });
    t.throws(() => normmax([Infinity, 1], { backend }), { name: 'RangeError', message: /\+Infinity at column 0/ });
    t.throws(() => normmax([1, 2], { backend, gamma: 1 }), { name: 'RangeError', message: /gamma/ });
    t.throws(() => entmax([1, 2], { backend, alpha: 0.5 }), { name: 'RangeError', message: /alpha/ });
    t.throws(() => kSubsets([1, 2], { backend, k: 3 }), { name: 'RangeError', message: /options.k/ });
    t.throws(() => kSubsets([1, 2], { backend, k: 0 }), { name: 'RangeError', message: /options.k/ });
    t.throws(() => kSubsets([1, -Infinity, -Infinity], { backend, k: 2 }), { name: 'RangeError', message: /exceeds the 1 unmasked/ });
    t.throws(() => kSubsets([1, 2], { backend } as never), { name: 'TypeError', message: /k is required/ });
    t.throws(() => sparsemax.jvp([1, 2], [1, 2, 3], { backend }), { name: 'RangeError', message: /v must have 2/ });
    t.throws(() => sparsemax.jvp({ data: [1, 2, 3, 4], rows: 2, cols: 2 }, { data: [1, 2, 3, 4], rows: 1, cols: 4 }, { backend }), { name: 'RangeError' });
    t.throws(() => sparsemax.jvp([1, 2], [1, NaN], { backend }), { name: 'RangeError', message: /v\[1\] must be finite/ });
    t.throws(() => sparsemax({ data: [1, 2, 3], rows: 2, cols: 2 }, { backend }), { name: 'RangeError', message: /rows \* cols/ });
    t.throws(() => sparsemax([], { backend }), { name: 'RangeError' });
    t.throws(() => sparsemax('abc' as never, { backend }), { name: 'TypeError' });
    t.throws(() => sparsemax([1, '2'] as never, { backend }), { name: 'TypeError', message: /x\[1\]/ });
    t.throws(() => entmax.alphaGradient([1, 2], { backend, alpha: 1 }), { name: 'RangeError' });
    await t.rejects(sparsemax.async([NaN], { backend }), { name: 'RangeError', message: /NaN/ });
  }
});
