// Scale and shift properties of every sparse transformation (fast-check, both backends, float64 and
// float32), at magnitudes from the smallest doubles up to the documented bound: any finite score of
// the input's precision (float64 below 2^1024, float32 below 2^128; src/transforms/index.ts).
// Scores are m 2^s with integer m, so that shifts x + c 2^s and differences x_i - x_j are exact and
// the mathematics can be checked without rounding in the inputs:
// - shift: p(x + c) = p(x) bit for bit (every map is onto the simplex or the capped simplex, whose
//   sum constraint absorbs c, and rows are solved relative to their max), likewise J v, and
//   Omega*(x + c) = Omega*(x) + c (k c for k-subsets);
// - scaling: no map is homogeneous (softmax(t x) is not softmax(x)), but their optimality
//   conditions hold in the differences of the scores at every scale 2^s: with the kind's potential
//   phi (softmax log p, sparsemax and k-subsets p, alpha-entmax (p^(alpha-1) - 1) / (alpha-1),
//   normmax (p / ||p||_gamma)^(gamma-1)), phi(p_i) - phi(p_j) = x_i - x_j on the support
//   (k-subsets: strictly inside (0, 1)), p = 0 only where the conditions put p below the smallest
//   value of the precision, p = 1 (k-subsets) only at least 1 - p_j above an inside x_j; at large s
//   that is the margin (one-hot, the exact top k), at small s the near-uniform answer;
// - invariants: 0 <= p <= 1, sum p = 1 (k), support = nonzero count, tied scores get equal p;
// - J v: J 1 = 0, symmetric (u.Jv = v.Ju), 0 off the support, a RangeError only where J v is
//   beyond the range (checked through J (v 2^-k) 2^k), and central differences of p along v (exact
//   steps, float64, extrapolated) wherever the support does not change within the step;
// - Omega*(x) = <x, p> - Omega(p), computed from the differences x - max.
import t from 'tap';
import fc from 'fast-check';
import { entmax, entmax15, kSubsets, normmax, softmax, sparsemax } from '../src/index';
import type { Transform, TransformOptions } from '../src/index';
import { backendsUnderTest } from './helpers';
import { RUNS } from './property-helpers';

const backends = backendsUnderTest();
type AnyTransform = Transform<TransformOptions & Record<string, unknown>>;

interface Kind {
  name: 'softmax' | 'sparsemax' | 'entmax15' | 'entmax' | 'normmax' | 'kSubsets';
  options: Record<string, unknown>;
  /** alpha (entmax: 1.5 for entmax15, 2 for sparsemax), gamma or k. */
  param: number;
}

const TRANSFORMS = { softmax, sparsemax, entmax15, entmax, normmax, kSubsets } as unknown as Record<Kind['name'], AnyTransform>;
/** alpha-entmax, entmax15 included. */
const tsallis = (kind: Kind) => kind.name === 'entmax' || kind.name === 'entmax15';

// alpha - 1 and gamma - 1 log-uniform over 1e-6..1e3 and 1e-3..1e3, and the special values.
const kindArb: fc.Arbitrary<Kind> = fc.oneof(
  fc.constant<Kind>({ name: 'softmax', options: {}, param: 1 }),
  fc.constant<Kind>({ name: 'sparsemax', options: {}, param: 2 }),
  fc.constant<Kind>({ name: 'entmax15', options: {}, param: 1.5 }),
  fc.oneof(fc.constantFrom(1, 1.5, 2, 3), fc.double({ min: -6, max: 3, noNaN: true }).map((e) => 1 + 10 ** e)).map((alpha) => ({ name: 'entmax' as const, options: { alpha }, param: alpha })),
  fc.oneof(fc.constantFrom(2, 1.5, 3), fc.double({ min: -3, max: 3, noNaN: true }).map((e) => 1 + 10 ** e)).map((gamma) => ({ name: 'normmax' as const, options: { gamma }, param: gamma })),
);

interface Case {
  kind: Kind;
  /** Integer mantissas (null: masked). */
  m: Array<number | null>;
  /** Scores are m 2^s. */
  s: number;
  /** The shift in units of 2^s. */
  c: number;
  f32: boolean;
  /** Two tangent directions, small integers. */
  u: number[];
  v: number[];
}

const M = 2 ** 20;

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    kind: fc.oneof({ weight: 5, arbitrary: kindArb }, { weight: 1, arbitrary: fc.constant(null) }),
    d: fc.integer({ min: 1, max: 12 }),
    f32: fc.boolean(),
    pool: fc.array(fc.integer({ min: -M, max: M }), { minLength: 1, maxLength: 4 }),
    seed: fc.array(fc.tuple(fc.nat(), fc.integer({ min: -M, max: M }), fc.integer({ min: 0, max: 9 })), { minLength: 12, maxLength: 12 }),
    // 2^s from the smallest double (float32: 2^-149) up to the bound less the mantissa and shift bits.
    s: fc.integer({ min: -1074, max: 1023 - 31 }),
    s32: fc.integer({ min: -149, max: 127 - 24 }),
    c: fc.integer({ min: -(2 ** 22), max: 2 ** 22 }),
    k: fc.nat(),
    u: fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 12, maxLength: 12 }),
    v: fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 12, maxLength: 12 }),
  })
  .map((r) => {
    // Ties from a small pool about one entry in three, a mask one in ten (never all).
    const m = r.seed.slice(0, r.d).map(([pick, free, roll]) => (roll === 0 ? null : roll < 4 ? r.pool[pick % r.pool.length] : free));
    if (m.every((v) => v === null)) m[0] = r.pool[0];
    const finite = m.filter((v) => v !== null).length;
    const kind = r.kind ?? { name: 'kSubsets' as const, options: { k: 1 + (r.k % finite) }, param: 1 + (r.k % finite) };
    return { kind, m, s: r.f32 ? r.s32 : r.s, c: r.c, f32: r.f32, u: r.u.slice(0, r.d), v: r.v.slice(0, r.d) };
  });

/** m 2^s, exactly (2^s itself may be subnormal, never out of range here). */
const scaled = (m: number, s: number): number => m * 2 ** s;

function scores(c: Case, offset = 0, along: number[] | null = null, step = 0): Float64Array | Float32Array {
  const values = c.m.map((m, i) => (m === null ? -Infinity : scaled(m + offset, c.s) + (along ? scaled(along[i], c.s - step) : 0)));
  return c.f32 ? Float32Array.from(values) : Float64Array.from(values);
}

const like = (c: Case, values: number[]) => (c.f32 ? Float32Array.from(values) : Float64Array.from(values));

/** The kind's potential phi (its optimality condition: phi(p_i) - x_i is the same on the whole support). */
function potential(kind: Kind, p: ArrayLike<number>): (q: number) => number {
  switch (kind.name) {
    case 'softmax':
      return Math.log;
    case 'sparsemax':
    case 'kSubsets':
      return (q) => q;
    case 'entmax15':
    case 'entmax': {
      const a = kind.param - 1;
      // (q^a - 1) / a, stable near alpha = 1, where it tends to log q.
      return a === 0 ? Math.log : (q) => Math.expm1(a * Math.log(q)) / a;
    }
    default: {
      const norm = gammaNorm(p, kind.param);
      return (q) => Math.pow(q / norm, kind.param - 1);
    }
  }
}

/** ||p||_gamma as max p ||p / max p||_gamma (p^gamma underflows for large gamma). */
function gammaNorm(p: ArrayLike<number>, gamma: number): number {
  let top = 0;
  for (let i = 0; i < p.length; i++) top = Math.max(top, p[i]);
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += p[i] > 0 ? Math.pow(p[i] / top, gamma) : 0;
  return top * Math.pow(sum, 1 / gamma);
}

/** The kind's regulariser Omega(p) (src/transforms/index.ts conventions). */
function omega(kind: Kind, p: ArrayLike<number>): number {
  let sum = 0;
  const a = kind.param - 1;
  for (let i = 0; i < p.length; i++) {
    const q = p[i];
    if (!(q > 0)) continue;
    if (kind.name === 'softmax' || (tsallis(kind) && a === 0)) sum += q * Math.log(q);
    else if (tsallis(kind)) sum += q * Math.expm1(a * Math.log(q)); // q^alpha - q
    else sum += q * q;
  }
  if (kind.name === 'softmax' || (tsallis(kind) && a === 0)) return sum;
  if (tsallis(kind)) return sum / (kind.param * a);
  if (kind.name === 'normmax') return gammaNorm(p, kind.param) - 1;
  return kind.name === 'kSubsets' ? sum / 2 : (sum - 1) / 2;
}

/**
 * Largest violation of the optimality conditions at p in score differences (exact: (m_i - m_j) 2^s),
 * relative to 1 + |difference|: phi(p_i) - phi(p_r) = x_i - x_r on the support, x_j - x_r <= -phi(p_r) off
 * it (k-subsets: the interior, with ones at x_i - x_r >= 1 - p_r, or the exact top k when none).
 */
function kktViolation(c: Case, p: ArrayLike<number>): number {
  const { kind, m, s } = c;
  const phi = potential(kind, p);
  const idx = m.map((_, i) => i).filter((i) => m[i] !== null);
  const inside = (i: number) => p[i] > 0 && (kind.name !== 'kSubsets' || p[i] < 1);
  const diff = (i: number, j: number) => scaled((m[i] as number) - (m[j] as number), s);
  let bad = 0;
  const worse = (v: number, scale: number) => {
    bad = Math.max(bad, v / (1 + Math.abs(scale)));
  };
  const support = idx.filter(inside);
  if (kind.name === 'kSubsets' && support.length === 0) {
    // The exact top k: the k-th and (k+1)-th scores at least 1 apart.
    const ones = idx.filter((i) => p[i] === 1);
    const zeros = idx.filter((i) => p[i] === 0);
    if (ones.length !== kind.param || ones.length + zeros.length !== idx.length) return Infinity;
    for (const i of ones) for (const j of zeros) worse(1 - diff(i, j), diff(i, j));
    return bad;
  }
  const r = support.reduce((a, b) => (p[b] > p[a] ? b : a), support[0]);
  if (r === undefined) return Infinity;
  const phiR = phi(p[r]);
  // A zero is right where the conditions put p below the output's smallest magnitude: off the support, or
  // underflowing in it (softmax, entmax near alpha = 1, normmax near gamma = 1). Subnormal outputs are too imprecise
  // to check.
  const floor = phi(c.f32 ? 1e-45 : 1e-300);
  const precise = c.f32 ? 1e-36 : 1e-290;
  for (const i of idx) {
    const dx = diff(i, r);
    if (p[i] === 0) worse(dx + phiR - floor, dx);
    else if (kind.name === 'kSubsets' && p[i] === 1) worse(1 - phiR - dx, dx);
    else if (p[i] >= precise) worse(Math.abs(phi(p[i]) - phiR - dx), dx);
  }
  return bad;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
};

const describe = (c: Case) => `${c.kind.name} ${JSON.stringify(c.kind.options)} m = [${c.m.join(', ')}] 2^${c.s} ${c.f32 ? 'float32' : 'float64'}`;

function check(c: Case, backend: string): void {
  const { kind } = c;
  const f = TRANSFORMS[kind.name];
  const options = { ...kind.options, backend } as never;
  const x = scores(c);
  const total = kind.name === 'kSubsets' ? kind.param : 1;
  const eps = c.f32 ? 6e-8 : 1.2e-16;
  const fail = (what: string) => {
    throw new Error(`[${backend}] ${describe(c)}: ${what}`);
  };

  // Invariants.
  const solved = f.solve(x, options);
  const p = solved.p.data;
  let sum = 0;
  let nonzero = 0;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0 && p[i] <= 1)) fail(`p[${i}] = ${p[i]} outside [0, 1]`);
    if (c.m[i] === null && !Object.is(p[i], 0)) fail(`masked p[${i}] = ${p[i]}`);
    sum += p[i];
    nonzero += p[i] !== 0 ? 1 : 0;
    for (let j = 0; j < i; j++) if (c.m[i] !== null && c.m[i] === c.m[j] && p[i] !== p[j]) fail(`tied scores ${i}, ${j} got ${p[i]}, ${p[j]}`);
  }
  if (!(Math.abs(sum - total) <= 4 * eps * p.length * total)) fail(`sum p = ${sum}, not ${total}`);
  if (solved.support[0] !== nonzero) fail(`support ${solved.support[0]}, ${nonzero} nonzero`);

  // Optimality at this scale.
  const kkt = kktViolation(c, p);
  if (!(kkt <= (c.f32 ? 1e-5 * Math.max(1, kind.param) : 1e-9))) fail(`optimality conditions violated by ${kkt}: p = [${Array.from(p).join(', ')}]`);

  // Shift: the same p and J v bit for bit (x - max is the same), Omega* moved by c (k c).
  const shifted = f.solve(scores(c, c.c), options);
  if (Array.from(shifted.p.data).some((q, i) => !Object.is(q, p[i]))) fail(`p(x + c) = [${Array.from(shifted.p.data).join(', ')}] differs from p(x)`);
  const cShift = scaled(c.c, c.s) * total;
  const conj = solved.conjugate[0];
  const moved = shifted.conjugate[0] - conj;
  // Rounding: of max + (the rest, O(1) unless p is one-hot) for the simplex maps, of each term of <x, p> and of
  // ||p||^2 / 2 for k-subsets.
  let spread = Math.abs(conj) + Math.abs(shifted.conjugate[0]) + (nonzero > 1 || kind.name === 'kSubsets' ? total : 0);
  for (let i = 0; i < p.length; i++) spread += p[i] > 0 ? (Math.abs(x[i]) + Math.abs(scaled(c.c, c.s))) * p[i] : 0;
  if (!(Math.abs(moved - cShift) <= 4e-16 * p.length * spread)) fail(`Omega*(x + c) - Omega*(x) = ${moved}, not ${cShift}`);

  // Omega*(x) = <x, p> - Omega(p) = max + <x - max, p> (sum p = 1) - Omega(p) for maps onto the simplex.
  const finite = c.m.map((mi, i) => (mi === null ? -1 : i)).filter((i) => i >= 0);
  const top = finite.reduce((a, b) => ((c.m[b] as number) > (c.m[a] as number) ? b : a));
  let inner = 0;
  let size = Math.abs(x[top]);
  for (const i of finite) {
    const z = kind.name === 'kSubsets' ? x[i] : scaled((c.m[i] as number) - (c.m[top] as number), c.s);
    if (p[i] > 0) inner += z * p[i];
    size += Math.abs(z) * p[i];
  }
  const expected = (kind.name === 'kSubsets' ? 0 : x[top]) + inner - omega(kind, p);
  if (!(Math.abs(conj - expected) <= (c.f32 ? 1e-6 : 1e-13) * (size + 1))) fail(`Omega* = ${conj}, <x, p> - Omega(p) = ${expected}`);

  // J v. Only a J v beyond the range may be refused: then J (v 2^-k) 2^k must lie beyond it (J is linear) for the
  // first k (a multiple of 64) at which J (v 2^-k) is in range, and the checks go on with u and v scaled by that 2^-k.
  // When no representable v 2^-k is small enough, the Jacobian's largest weight itself must exceed the range by as
  // much (entmax, alpha > 2: p^(2 - alpha) at the smallest p).
  const rangeBits = c.f32 ? 128 : 1024;
  const largestScale = c.f32 ? 128 : 960;
  const scaledTangent = (t: number[], k: number) => like(c, t.map((ti) => ti * 2 ** -k));
  const jvpAt = (t: number[]): number => {
    for (let k = 0; k <= largestScale; k += 64) {
      try {
        const j = f.jvp(x, scaledTangent(t, k), options);
        const beyond = Math.log2(Math.max(...Array.from(j, Math.abs))) + k;
        if (k > 0 && !(beyond >= rangeBits - 1e-9)) fail(`J v refused though J (v 2^-${k}) 2^${k} is at most 2^${beyond}`);
        return k;
      } catch (error) {
        if (!(error instanceof RangeError) || !/^J v overflows/.test(error.message)) throw error;
      }
    }
    const alpha = kind.param;
    let weightBits = -Infinity;
    for (let i = 0; i < p.length; i++) if (p[i] > 0 && tsallis(kind) && alpha > 2) weightBits = Math.max(weightBits, (2 - alpha) * Math.log2(p[i]));
    if (!(weightBits >= rangeBits + largestScale - 4)) fail(`J v refused even for v 2^-${largestScale}, with weights up to 2^${weightBits}`);
    return Infinity;
  };
  const tangentScale = Math.max(jvpAt(c.u), jvpAt(c.v));
  if (tangentScale === Infinity) return;
  const u = scaledTangent(c.u, tangentScale);
  const v = scaledTangent(c.v, tangentScale);
  const jv = f.jvp(x, v, options);
  const ju = f.jvp(x, u, options);
  const jOnes = f.jvp(x, like(c, c.m.map(() => 1)), options);
  const jScale = Math.max(1e-300, ...Array.from(jv, Math.abs), ...Array.from(ju, Math.abs));
  for (let i = 0; i < p.length; i++) {
    // (float32: a p that rounds to 0 may leave a J v that does not, only masked entries are exactly off the support)
    if (p[i] === 0 && (!c.f32 || c.m[i] === null) && !Object.is(jv[i], 0)) fail(`(J v)[${i}] = ${jv[i]} off the support`);
    if (!(Math.abs(jOnes[i]) <= (c.f32 ? 1e-6 : 1e-13) * p.length * jScale)) fail(`J 1 = [${Array.from(jOnes).join(', ')}] (J v up to ${jScale})`);
  }
  // (in units of jScale: J v may lie near the largest double; outputs below the normal range are rounded absolutely)
  const uJv = dot(u, jv.map((q) => q / jScale));
  const vJu = dot(v, ju.map((q) => q / jScale));
  const subnormal = (c.f32 ? 2 ** -149 : 2 ** -1074) / jScale;
  if (!(Math.abs(uJv - vJu) <= ((c.f32 ? 1e-5 : 1e-12) + subnormal) * 16 * p.length * 2 ** -tangentScale)) fail(`u.Jv = ${uJv} jScale, v.Ju = ${vJu} jScale`);
  const jvShifted = f.jvp(scores(c, c.c), v, options);
  if (Array.from(jvShifted).some((q, i) => !Object.is(q, jv[i]))) fail(`J(x + c) v differs from J(x) v`);
  if (!c.f32 && c.s > -1050 && tangentScale === 0) {
    // Central differences with steps h = 2^(s - 20) and h / 2 along v (exact: m 2^21 + v fits in 53 bits), extrapolated
    // (Richardson: O(h^4)), wherever the support stays the same and p moves by little.
    const central = (step: number) => {
      const plus = f(scores(c, 0, c.v, step), options) as Float64Array;
      const minus = f(scores(c, 0, c.v.map((vi) => -vi), step), options) as Float64Array;
      const sameSupport = (q: ArrayLike<number>) => Array.from(q).every((qi, i) => qi > 0 === p[i] > 0 && qi < 1 === p[i] < 1);
      const moved = Math.max(...Array.from(plus, (qi, i) => Math.abs(qi - minus[i])));
      return sameSupport(plus) && sameSupport(minus) && moved <= 1e-3 ? Array.from(plus, (qi, i) => (qi - minus[i]) / 2 ** (c.s - step + 1)) : null;
    };
    const coarse = central(20);
    const fine = coarse && central(21);
    if (coarse && fine) {
      const jvMax = Math.max(...Array.from(jv, Math.abs));
      for (let i = 0; i < p.length; i++) {
        const fd = (4 * fine[i] - coarse[i]) / 3;
        if (!(Math.abs(fd - jv[i]) <= 1e-6 * jvMax + 1e-12 * 2 ** (20 - c.s))) fail(`(J v)[${i}] = ${jv[i]}, central difference ${fd}`);
      }
    }
  }
}

t.test('every transform at magnitudes up to the documented bound: shift invariance, optimality in the score differences, invariants, J v, Omega*', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(caseArb, (c) => {
      for (const backend of backends) {
        try {
          check(c, backend);
        } catch (error) {
          // SSHN_PROPERTY_VERBOSE=1 prints every failing case met while shrinking (fast-check reports only the last).
          if (process.env.SSHN_PROPERTY_VERBOSE) console.error((error as Error).message.startsWith('[') ? (error as Error).message : `[${backend}] ${describe(c)}: ${(error as Error).message}`);
          throw error;
        }
      }
      checked++;
    }),
    { numRuns: 4 * RUNS },
  );
  t.ok(checked >= 4 * RUNS, `${checked} cases on ${backends.join(' and ')}`);
});
