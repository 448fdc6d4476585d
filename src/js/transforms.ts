// Pure TypeScript twin of native/core/transforms.cpp: the same row solvers step for step (same
// pivot sequence, same summation order), every row computed in double and rounded once on output.
import { Rng } from '../rng';
import { RealArray, TransformKind, TransformParams } from '../kernels';
import { Boundary, boundaryProbability, boundaryUnresolved, largeAlphaJvp, relativeWeights, solveBoundary } from './entmaxLargeAlpha';

// Seed of the pivot choices; the same for every row so rows stay independent of the batch.
const PIVOT_SEED = 20160401;

interface Workspace {
  candidates: Float64Array;
  count: number;
  scratch: Float64Array;
  /** Candidate counts per cell above the floor (gatherPowerCandidates). */
  histogram: Float64Array;
  /** The last threshold pass's t^(q-1) of the candidates y > storedFloor, then a 0 (hasStored). */
  stored: Float64Array;
  storedFloor: number;
  storedTotal: number;
  storedSlope: number;
  hasStored: boolean;
}

interface Solution {
  /** The shift of the scores, z = x - max: the row max (k-subsets: x_(k) when tau lies far below the max). */
  max: number;
  tau: number;
  scale: number;
  finite: number;
  /** Entmax, alpha > 2: p from this (entmaxLargeAlpha.ts), not tau. */
  boundary?: Boundary;
}

interface Shape {
  kind: TransformKind;
  a: number;
  r: number;
  q: number;
  k: number;
  /** Entmax with a < LOG1P_BELOW: p = exp(log1p(a (z - tau)) / a) (see log1pThreshold). */
  log1pForm: boolean;
}

/** Below this alpha - 1, [a z - tau]^(1/a) loses eps / a to the rounding of its base near 1. */
const LOG1P_BELOW = 1e-3;

/** Integer powers exactly, others with Math.pow (as the native twin does). */
function power(t: number, r: number): number {
  if (r === 1) return t;
  if (r === 2) return t * t;
  if (r === 3) return t * t * t;
  if (r === 0.5) return Math.sqrt(t);
  if (r === 1.5) return t * Math.sqrt(t);
  return Math.pow(t, r);
}

/** Whether power(t, r) is computed without pow. */
function exactPower(r: number): boolean {
  return r === 1 || r === 2 || r === 3 || r === 0.5 || r === 1.5;
}

function shapeOf(params: TransformParams): Shape {
  const s: Shape = { kind: params.kind, a: 1, r: 1, q: 1, k: 0, log1pForm: false };
  if (params.kind === TransformKind.Entmax) {
    if (params.param === 2) s.kind = TransformKind.Sparsemax;
    else if (params.param === 1) s.kind = TransformKind.Softmax;
    else {
      s.a = params.param - 1;
      s.r = 1 / s.a;
      s.q = s.r;
      s.log1pForm = s.a < LOG1P_BELOW;
    }
  } else if (params.kind === TransformKind.Normmax) {
    s.r = 1 / (params.param - 1);
    s.q = s.r + 1;
  } else if (params.kind === TransformKind.KSubsets) {
    s.k = params.param;
  }
  return s;
}

/** The unnormalised alpha-entmax term near softmax (a = alpha - 1 < LOG1P_BELOW), tau = a c - 1 written through c: exp(log1p(a (z - c)) / a) (as the native twin). */
function log1pTerm(a: number, c: number, z: number): number {
  const t = a * (z - c);
  return t > -1 ? Math.exp(Math.log1p(t) / a) : 0;
}

/**
 * p as a function of the shifted score z = x - max, the kind chosen once per row (as the native twin's
 * forEachProbability); masked entries (z = -Infinity) give 0 without a test. When the threshold search kept its
 * last pass's t^(q-1), the power kinds walk them alongside the row instead of calling pow: the function must then
 * be called once per column, in order.
 */
function probabilityOf(s: Shape, sol: Solution, ws: Workspace): (z: number) => number {
  const { tau, scale } = sol;
  const { a, r } = s;
  switch (s.kind) {
    case TransformKind.Softmax:
      return (z) => Math.exp(z) * scale;
    case TransformKind.Sparsemax:
      return (z) => {
        const t = z - tau;
        return t > 0 ? t : 0;
      };
    case TransformKind.KSubsets:
      return (z) => {
        const t = z - tau;
        const above0 = t > 0 ? t : 0;
        return above0 < 1 ? above0 : 1;
      };
    default: {
      if (s.log1pForm) return (z) => log1pTerm(a, tau, z) * scale; // tau holds c (see log1pThreshold)
      const boundary = sol.boundary;
      if (boundary) return (z) => boundaryProbability(a * z, boundary, s.q);
      if (ws.hasStored) {
        const u = ws.stored;
        const floor = ws.storedFloor;
        const timesT = r === s.q;
        let next = 0;
        return (z) => {
          const y = a * z;
          const t = y - tau;
          const term = timesT ? u[next] * t : u[next];
          if (y > floor) next++;
          return t > 0 ? term * scale : 0;
        };
      }
      return (z) => {
        const t = a * z - tau;
        return t > 0 ? power(t, r) * scale : 0;
      };
    }
  }
}

/**
 * alpha-entmax near softmax (alpha - 1 = e < LOG1P_BELOW): the threshold written tau = e c - 1, so
 * that p = (1 + e (z - c))^(1/e) = exp(log1p(e (z - c)) / e), solved for c by Newton from the
 * softmax value logsumexp(z). sum p is decreasing and convex in c, so the iterates approach the
 * root from below after at most one step.
 */
function log1pThreshold(z: Float64Array, count: number, e: number): number {
  let sum = 0;
  for (let j = 0; j < count; j++) sum += Math.exp(z[j]);
  let c = Math.log(sum);
  for (let iteration = 0; iteration < 100; iteration++) {
    let f = -1;
    let slope = 0;
    for (let j = 0; j < count; j++) {
      const t = e * (z[j] - c);
      if (t > -1) {
        const p = Math.exp(Math.log1p(t) / e);
        f += p;
        slope += p / (1 + t);
      }
    }
    const step = f / slope;
    c += step;
    if (!(Math.abs(step) > 1e-15 * Math.max(1, Math.abs(c)))) break;
  }
  return c;
}

function scanRow(x: RealArray, offset: number, d: number, row: number): Solution {
  let m = -Infinity;
  let finite = 0;
  for (let j = 0; j < d; j++) {
    const v = x[offset + j];
    if (v === -Infinity) continue;
    if (!(v < Infinity)) {
      throw new RangeError(`x row ${row} has ${Number.isNaN(v) ? 'NaN' : '+Infinity'} at column ${j} (only finite values and -Infinity masks are allowed)`);
    }
    finite++;
    if (v > m) m = v;
  }
  if (finite === 0) throw new RangeError(`x row ${row} is entirely -Infinity (masked); at least one entry must be finite`);
  return { max: m, tau: 0, scale: 1, finite };
}

/** The workspace kept between calls (as the native twin's calling-thread one), up to KEPT_DOUBLES in total. */
let kept: Workspace | null = null;
const KEPT_DOUBLES = 1 << 22;

/** A workspace for rows of d entries: the kept one when it is large enough (fresh typed arrays are zeroed per call). */
function workspaceFor(d: number): Workspace {
  if (kept && kept.candidates.length >= d) return kept;
  const ws = newWorkspace(d);
  kept = 3 * d + 1 <= KEPT_DOUBLES ? ws : null;
  return ws;
}

function newWorkspace(d: number): Workspace {
  return {
    candidates: new Float64Array(d),
    count: 0,
    scratch: new Float64Array(d),
    histogram: new Float64Array(CELLS),
    stored: new Float64Array(d + 1),
    storedFloor: 0,
    storedTotal: 0,
    storedSlope: 0,
    hasStored: false,
  };
}

function copyCandidates(ws: Workspace): Float64Array {
  ws.scratch.set(ws.candidates.subarray(0, ws.count));
  return ws.scratch;
}

/** Three-way partition of w[begin, end) around pivot: > pivot in [begin, lt), == in [lt, gt), < in [gt, end). */
function partition3(w: Float64Array, begin: number, end: number, pivot: number): { lt: number; gt: number } {
  let lt = begin;
  let i = begin;
  let gt = end;
  while (i < gt) {
    const v = w[i];
    if (v > pivot) {
      w[i] = w[lt];
      w[lt] = v;
      lt++;
      i++;
    } else if (v < pivot) {
      gt--;
      w[i] = w[gt];
      w[gt] = v;
    } else i++;
  }
  return { lt, gt };
}

/** Simplex projection threshold of w[0, end) (a superset of the support): randomized pivot search. */
function pivotThreshold(w: Float64Array, end: number): number {
  const rng = new Rng(PIVOT_SEED);
  let begin = 0;
  let sumIn = 0;
  let countIn = 0;
  while (begin < end) {
    const pivot = w[begin + rng.below(end - begin)];
    const { lt, gt } = partition3(w, begin, end, pivot);
    let sumGt = 0;
    for (let j = begin; j < lt; j++) sumGt += w[j];
    const countGt = lt - begin;
    const f = sumIn + sumGt - (countIn + countGt) * pivot;
    if (f >= 1) {
      end = lt;
    } else {
      sumIn += sumGt + pivot * (gt - lt);
      countIn += gt - begin;
      begin = gt;
    }
  }
  return (sumIn - 1) / countIn;
}

/** Simplex projection threshold: Michelot's iteration from below, finished by the pivot search when it stalls. */
function sparsemaxThreshold(ws: Workspace): number {
  const w = copyCandidates(ws);
  let end = ws.count;
  let sum = 0;
  for (let i = 0; i < end; i++) sum += w[i];
  let tau = (sum - 1) / end;
  for (;;) {
    let kept = 0;
    let keptSum = 0;
    for (let i = 0; i < end; i++) {
      const z = w[i];
      if (z > tau) {
        w[kept++] = z;
        keptSum += z;
      }
    }
    if (kept === end) break;
    if (4 * kept > 3 * end) {
      tau = pivotThreshold(w, kept);
      break;
    }
    end = kept;
    tau = (keptSum - 1) / kept;
  }
  let supportSum = 0;
  let count = 0;
  for (let j = 0; j < ws.count; j++) {
    const z = ws.candidates[j];
    if (z > tau) {
      supportSum += z;
      count += 1;
    }
  }
  return (supportSum - 1) / count;
}

/** k-subsets: a bracket lo <= tau < hi and the sums over the entries determined on it that left the search. */
interface Bracket {
  lo: number;
  hi: number;
  ones: number;
  midSum: number;
  midCount: number;
}

/** The determined entries' part of F(t) = sum clip(z - t, 0, 1), t in the bracket (or -Infinity). */
function determinedPart(b: Bracket, t: number): number {
  return b.ones + (b.midCount > 0 ? b.midSum - b.midCount * t : 0);
}

/** The t with S(t) - slope t = c, S(t) = sum clip(s_i - t, 0, 1) over s sorted decreasing: a sweep down the breakpoints. */
function sampleRoot(s: number[], slope: number, c: number): number {
  const m = s.length;
  let t = s[0];
  let h = -slope * t;
  let active = 0;
  if (h >= c) return slope > 0 ? -c / slope : Infinity;
  let i = 0;
  let j = 0;
  while (j < m) {
    const rise = i < m ? s[i] : -Infinity;
    const saturate = s[j] - 1;
    const next = rise >= saturate ? rise : saturate;
    const reach = h + (active + slope) * (t - next);
    if (reach >= c) return t - (c - h) / (active + slope);
    h = reach;
    t = next;
    if (rise >= saturate) {
      i++;
      active += 1;
    } else {
      j++;
      active -= 1;
    }
  }
  return slope > 0 ? t - (c - h) / slope : -Infinity;
}

interface SampledBracket {
  lo: number;
  hi: number;
  branchy: boolean;
}

/** A narrower bracket suggested by a sample of the undetermined entries (4 standard deviations each side), or null (as the native twin). */
function sampleBracket(sample: number[], weight: number, k: number, b: Bracket): SampledBracket | null {
  if (sample.length === 0) return null;
  sample.sort((u, v) => v - u);
  const slope = b.midCount / weight;
  const c = (k - b.ones - b.midSum) / weight;
  const estimate = sampleRoot(sample, slope, c);
  let mean = 0;
  for (const s of sample) mean += Math.min(Math.max(s - estimate, 0), 1);
  mean /= sample.length;
  let spread = 0;
  for (const s of sample) {
    const u = Math.min(Math.max(s - estimate, 0), 1) - mean;
    spread += u * u;
  }
  const margin = 4 * Math.sqrt(spread + 1);
  const lo = Math.max(b.lo, sampleRoot(sample, slope, c + margin));
  const hi = Math.min(b.hi, sampleRoot(sample, slope, c - margin));
  if (!(lo < hi && (lo > b.lo || hi < b.hi))) return null;
  let outs = 0;
  let ones = 0;
  for (const s of sample) {
    outs += s <= lo ? 1 : 0;
    ones += s - 1 >= hi ? 1 : 0;
  }
  const m = sample.length;
  return { lo, hi, branchy: 8 * Math.max(outs, ones, m - outs - ones) >= 7 * m };
}

/**
 * Classifies z = value(j), j < n, on the bracket: out, one and linear entries go into b's sums (linear ones summed
 * in two lanes, j even and odd, per block of 256 as the native twin does), undetermined ones are kept(z) in order.
 */
function classifyOnBracket(n: number, value: (j: number) => number, sb: SampledBracket, b: Bracket, keep: (z: number) => void): void {
  const { lo, hi } = sb;
  let ones = 0;
  let midCount = 0;
  let midSum = 0;
  for (let j0 = 0; j0 < n; j0 += 256) {
    const j1 = Math.min(n, j0 + 256);
    let lane0 = 0;
    let lane1 = 0;
    for (let j = j0; j < j1; j++) {
      const z = value(j);
      if (!(z > lo)) continue;
      if (z - 1 >= hi) ones++;
      else if (z - 1 <= lo && z >= hi) {
        midCount++;
        if (j & 1) lane1 += z;
        else lane0 += z;
      } else keep(z);
    }
    midSum += lane0 + lane1;
  }
  b.ones += ones;
  b.midSum += midSum;
  b.midCount += midCount;
}

/** F(t) from b's sums and the undetermined entries w[0, n). */
function kSubsetsSum(b: Bracket, w: Float64Array, n: number, t: number): number {
  let f = 0;
  for (let i = 0; i < n; i++) f += Math.min(Math.max(w[i] - t, 0), 1);
  return determinedPart(b, t) + f;
}

const SAMPLE_SIZE = 1024;

/** Long candidate sets: a sampled bracket and one pass retiring the entries determined on it, kept only if verified. */
function narrowFromSample(w: Float64Array, end: number, k: number, b: Bracket): number {
  const stride = Math.floor(end / SAMPLE_SIZE);
  const sample: number[] = [];
  for (let i = 0; i < end; i += stride) sample.push(w[i]);
  const sb = sampleBracket(sample, end / sample.length, k, b);
  if (!sb) return end;
  const narrowed: Bracket = { lo: sb.lo, hi: sb.hi, ones: b.ones, midSum: b.midSum, midCount: b.midCount };
  const kept = new Float64Array(end);
  let count = 0;
  classifyOnBracket(end, (i) => w[i], sb, narrowed, (z) => {
    kept[count++] = z;
  });
  if (kSubsetsSum(narrowed, kept, count, sb.lo) >= k && kSubsetsSum(narrowed, kept, count, sb.hi) < k) {
    w.set(kept.subarray(0, count));
    Object.assign(b, narrowed);
    return count;
  }
  return end;
}

/** k-subsets threshold over the candidates (the entries not counted in `start`): random breakpoints in a shrinking bracket. */
function kSubsetsThreshold(ws: Workspace, k: number, start: Bracket): number {
  const w = copyCandidates(ws);
  const b: Bracket = { ...start };
  let end = ws.count;
  if (end >= 8 * SAMPLE_SIZE) end = narrowFromSample(w, end, k, b);
  let { lo, hi, ones, midSum, midCount } = b;
  const rng = new Rng(PIVOT_SEED);
  while (end > 0) {
    // A random entry still undetermined on (lo, hi) gives a breakpoint t strictly inside.
    let t = 0;
    let found = false;
    for (let attempt = 0; attempt < 8 && !found; attempt++) {
      const y = w[rng.below(end)];
      const upper = y > lo && y < hi;
      const lower = y - 1 > lo && y - 1 < hi;
      // Both breakpoints inside: pick one at random, or the bracket would only shrink from above.
      if (upper && lower) t = rng.nextU32() & 1 ? y : y - 1;
      else if (upper || lower) t = upper ? y : y - 1;
      found = upper || lower;
    }
    // One pass: retire entries whose term is 0, 1 or linear on (lo, hi); sum the others' terms at t.
    let clipSum = 0;
    let kept = 0;
    for (let i = 0; i < end; i++) {
      const z = w[i];
      if (z <= lo) continue;
      if (z - 1 >= hi) ones += 1;
      else if (z - 1 <= lo && z >= hi) {
        midSum += z;
        midCount += 1;
      } else {
        const u = z - t;
        clipSum += u <= 0 ? 0 : u >= 1 ? 1 : u;
        w[kept++] = z;
      }
    }
    end = kept;
    if (!found) continue;
    const f = ones + midSum - midCount * t + clipSum;
    if (f >= k) lo = t;
    else hi = t;
  }
  let tau = midCount > 0 ? (ones + midSum - k) / midCount : hi;
  // Recompute in index order at tau; the entries determined before the search keep their class.
  ({ ones, midSum, midCount } = start);
  for (let j = 0; j < ws.count; j++) {
    const z = ws.candidates[j];
    const u = z - tau;
    if (u >= 1) ones += 1;
    else if (u > 0) {
      midSum += z;
      midCount += 1;
    }
  }
  if (midCount > 0) tau = (ones + midSum - k) / midCount;
  return tau;
}

const CELLS = 2048;
const HISTOGRAM_MIN = 8 * CELLS;

/** Sums over the cells of count t^(q-1) and count t^q at each cell's lowest y less a slack (a lower bound) or its midpoint (as the native twin). */
function cellSums(h: Float64Array, floor: number, width: number, lowerBound: boolean, q: number, tau: number): { total: number; slope: number } {
  const cell = width / CELLS;
  const offset = lowerBound ? 0 : 0.5;
  const slack = lowerBound ? 2 ** -47 * Math.abs(floor) : 0;
  let total = 0;
  let slope = 0;
  for (let c = 0; c < CELLS; c++) {
    const t = floor + (c + offset) * cell - tau - slack;
    if (!(t > 0) || h[c] === 0) continue;
    const tq1 = h[c] * power(t, q - 1);
    total += tq1 * t;
    slope += tq1;
  }
  return { total, slope };
}

/** A start for the exact search from the histogram; lo moves up to where the cells' lower bound confirms F >= 1 (as the native twin). */
function histogramStart(h: Float64Array, floor: number, q: number, bracket: { lo: number; hi: number }): number {
  const width = -floor;
  const cell = width / CELLS;
  const { hi } = bracket;
  let tau = bracket.lo;
  for (let iteration = 0; iteration < 50; iteration++) {
    const m = cellSums(h, floor, width, false, q, tau);
    if (!(m.slope > 0)) break;
    const root = Math.pow(m.total, 1 / q);
    const next = Math.min(Math.max(tau + ((root - 1) * m.total) / (root * m.slope), bracket.lo), hi);
    const done = Math.abs(next - tau) <= 1e-12 * Math.abs(tau);
    tau = next;
    if (done) break;
  }
  for (let back = 1; back <= 4; back++) {
    const below = tau - back * cell;
    if (!(below > bracket.lo)) break;
    if (cellSums(h, floor, width, true, q, below).total * (1 - 1e-9) >= 1) {
      bracket.lo = below;
      break;
    }
  }
  return tau;
}

/**
 * tau with sum [y - tau]_+^q = 1: safeguarded Newton (Halley for q >= 2) in [floor, -(1/n)^(1/q)], shrinking the
 * candidates; keeps the last pass's t^(q-1) when `store` and the search ends on a pass (as the native twin).
 */
function powerThreshold(ws: Workspace, q: number, n: number, floor: number, counted: boolean, store: boolean): number {
  const w = ws.scratch;
  const bracket = { lo: floor, hi: -Math.pow(1 / n, 1 / q) };
  let tau = q >= 1 ? bracket.lo : bracket.hi;
  if (counted && ws.count >= HISTOGRAM_MIN) tau = histogramStart(ws.histogram, floor, q, bracket);
  let { lo, hi } = bracket;
  let end = 0;
  for (let j = 0; j < ws.count; j++) if (ws.candidates[j] > lo) w[end++] = ws.candidates[j];
  // Once tau moves by little, passes whose exponent needs pow take t^(q-1) from the previous pass's by the
  // binomial series to z^4, z = delta / t, where |z| max(p, 1) <= 1e-4 (as the native twin).
  const u = ws.stored;
  const powPasses = q > 1 && !exactPower(q - 1);
  ws.hasStored = false;
  let reuse = false;
  let lastTau = tau;
  let lastStep = Infinity;
  const p = q - 1;
  const c1 = -p;
  const c2 = (p * (p - 1)) / 2;
  const c3 = (-p * (p - 1) * (p - 2)) / 6;
  const c4 = (p * (p - 1) * (p - 2) * (p - 3)) / 24;
  for (let iteration = 0; iteration < 200; iteration++) {
    let total = 0;
    let slope = 0;
    let curve = 0;
    const passFloor = lo;
    const delta = tau - lastTau;
    const near = q > 1 && reuse ? Math.abs(delta) * Math.max(p, 1) * 1e4 : Infinity;
    let kept = 0;
    for (let i = 0; i < end; i++) {
      const y = w[i];
      if (y <= lo) continue;
      w[kept] = y;
      const t = y - tau;
      const before = y - lastTau;
      let tq1 = 0;
      if (before >= near) {
        const z = delta / before;
        tq1 = u[i] * (1 + z * (c1 + z * (c2 + z * (c3 + z * c4))));
      } else if (t > 0) tq1 = power(t, p);
      if (t > 0) {
        total += tq1 * t;
        slope += tq1;
        curve += tq1 / t;
      }
      if (store || powPasses) u[kept] = tq1;
      kept++;
    }
    if (q > 1) {
      reuse = powPasses;
      lastTau = tau;
    }
    end = kept;
    if (total === 1) break;
    if (total > 1) lo = tau;
    else hi = tau;
    // Newton on G = F^(1/q) - 1, with Halley's correction for q >= 2, as in the native twin.
    const root = Math.pow(total, 1 / q);
    let move = ((1 - 1 / root) * total) / slope; // not (root - 1) / root: root overflows for small q
    if (q >= 2) {
      const c = ((root - 1) * (q - 1) * (total * curve - slope * slope)) / (2 * root * slope * slope);
      if (Math.abs(c) < 0.5) move /= 1 - c;
    }
    let next = tau + move;
    if (Math.abs(next - tau) <= 1e-15 * Math.abs(tau)) {
      if (store) {
        u[end] = 0;
        ws.storedFloor = passFloor;
        ws.storedTotal = total;
        ws.storedSlope = slope;
        ws.hasStored = true;
      }
      break;
    }
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    const step = Math.abs(next - tau);
    tau = next;
    const scale = Math.abs(tau);
    if (step <= 1e-15 * scale || hi - lo <= 1e-15 * scale) break;
    if (step <= 1e-10 * scale && step >= lastStep) break;
    lastStep = step;
  }
  if (q === 2) {
    let count = 0;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < ws.count; j++) {
      const y = ws.candidates[j];
      if (y > tau) {
        count += 1;
        s1 += y;
        s2 += y * y;
      }
    }
    const disc = s1 * s1 - count * (s2 - 1);
    if (disc >= 0) tau = (s1 - Math.sqrt(disc)) / count;
  }
  return tau;
}

function gatherCandidates(x: RealArray, offset: number, d: number, max: number, a: number, floor: number, ws: Workspace): void {
  let count = 0;
  for (let j = 0; j < d; j++) {
    const y = a * (x[offset + j] - max);
    if (y > floor) ws.candidates[count++] = y;
  }
  ws.count = count;
}

const SMALL_K = 16;

/** The (i+1)-th largest of w[0, end) (w is permuted): quickselect on partition3 (as the native twin). */
function selectLargest(w: Float64Array, end: number, i: number): number {
  const rng = new Rng(PIVOT_SEED);
  let begin = 0;
  for (;;) {
    const pivot = w[begin + rng.below(end - begin)];
    const { lt, gt } = partition3(w, begin, end, pivot);
    if (i < lt) end = lt;
    else if (i < gt) return pivot;
    else begin = gt;
  }
}

/** The k-th largest finite score itself, not shifted (at least k finite): one scan for k <= SMALL_K, else a selection on a copy. */
function kthLargest(x: RealArray, offset: number, d: number, k: number, ws: Workspace): number {
  if (k > SMALL_K) {
    const w = ws.scratch;
    let n = 0;
    for (let j = 0; j < d; j++) if (x[offset + j] > -Infinity) w[n++] = x[offset + j];
    return selectLargest(w, n, k - 1);
  }
  const top = new Float64Array(k).fill(-Infinity);
  for (let j = 0; j < d; j++) {
    const z = x[offset + j];
    if (z <= top[k - 1]) continue;
    let i = k - 1;
    while (i > 0 && top[i - 1] < z) {
      top[i] = top[i - 1];
      i--;
    }
    top[i] = z;
  }
  return top[k - 1];
}

/** The bracket (lo, hi] when every candidate is undetermined: lo at or below min - 1 (F = count >= k), hi at or above every candidate (F = 0), as the native twin. */
function wholeBracket(ws: Workspace): Bracket {
  let lo = 0;
  let hi = 0;
  for (let j = 0; j < ws.count; j++) {
    const z = ws.candidates[j];
    lo = z < lo ? z : lo;
    hi = z > hi && z < Infinity ? z : hi;
  }
  // min - 1 rounds back to min beyond 2^53.
  lo = lo - 1 < lo ? lo - 1 : lo - Math.abs(lo) * 2 ** -50;
  return { lo, hi, ones: 0, midSum: 0, midCount: 0 };
}

function checkK(k: number, finite: number, row: number): void {
  if (k > finite) throw new RangeError(`k = ${k} exceeds the ${finite} unmasked entries of x row ${row}`);
}

/** A k-subsets threshold further than this from the shift is not trusted: kSubsetsRow shifts by x_(k). */
const RECENTRE = 8192;

/**
 * Long rows: a sampled bracket, and one pass that checks the row, counts masked entries and keeps only the
 * undetermined ones, with scores shifted by the sample's maximum (as the native twin). Null (kSubsetsRow then
 * solves the row) if the sample has no finite entry or its max is below -2^969, if the bracket is unconfirmed, or
 * if tau is further than RECENTRE from the shift.
 */
function solveKSubsetsLongRow(x: RealArray, offset: number, d: number, row: number, k: number, ws: Workspace): Solution | null {
  const stride = Math.floor(d / SAMPLE_SIZE);
  const sample: number[] = [];
  let positions = 0;
  let shift = -Infinity;
  for (let j = 0; j < d; j += stride, positions++) {
    const v = x[offset + j];
    if (Math.abs(v) < Infinity) {
      sample.push(v);
      shift = v > shift ? v : shift;
    }
  }
  // Below -2^969, x - shift could overflow to +Infinity (x up to the largest double).
  if (sample.length === 0 || !(shift > -(2 ** 969))) return null;
  for (let i = 0; i < sample.length; i++) sample[i] -= shift;
  const b: Bracket = { lo: -Infinity, hi: Infinity, ones: 0, midSum: 0, midCount: 0 };
  const sb = sampleBracket(sample, d / positions, k, b);
  if (!sb) return null;
  b.lo = sb.lo;
  b.hi = sb.hi;
  let count = 0;
  let masked = 0;
  let bad = false;
  const shifted = (j: number): number => {
    const v = x[offset + j];
    if (!(Math.abs(v) < Infinity)) {
      if (v === -Infinity) masked++;
      else bad = true;
    }
    return v - shift;
  };
  classifyOnBracket(d, shifted, sb, b, (z) => {
    ws.candidates[count++] = z;
  });
  ws.count = count;
  if (bad) scanRow(x, offset, d, row); // throws at the first NaN or +Infinity
  checkK(k, d - masked, row);
  if (!(kSubsetsSum(b, ws.candidates, count, b.lo) >= k && kSubsetsSum(b, ws.candidates, count, b.hi) < k)) return null;
  const tau = kSubsetsThreshold(ws, k, b);
  // Too far from the shift to be resolved (the sample's max far above the threshold): kSubsetsRow.
  return Math.abs(tau) <= RECENTRE ? { max: shift, tau, scale: 1, finite: d - masked } : null;
}

/** For long rows: a sampled score v > -1 below which nothing is in the support (verified by the caller), or -1; sample y <= 0, each for `stride` entries. */
function sampledFloor(all: number[], stride: number, q: number): number {
  const MIN_ABOVE = 16;
  const sample = all.filter((y) => y > -1);
  if (sample.length <= MIN_ABOVE) return -1;
  sample.sort((u, v) => v - u);
  const enough = (i: number): boolean => {
    let total = 0;
    for (let j = 0; j < i; j++) total += power(sample[j] - sample[i], q);
    return total * stride >= 4;
  };
  let lo = MIN_ABOVE;
  let hi = sample.length - 1;
  if (!enough(hi)) return -1;
  if (enough(lo)) return sample[lo];
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (enough(mid)) hi = mid;
    else lo = mid;
  }
  return sample[hi];
}

interface Floor {
  value: number;
  counted: boolean;
}

/** Whether the candidates (every y > v, maybe some y = v) confirm F(v) >= 1: cells' lower bounds first when q - 1 needs pow (as the native twin). */
function confirmFloor(v: number, q: number, ws: Workspace): Floor | null {
  if (!(v > -1 && v < 0)) return null;
  const counted = q > 1 && !exactPower(q - 1);
  if (counted) {
    const h = ws.histogram;
    h.fill(0);
    const inverse = CELLS / -v;
    for (let j = 0; j < ws.count; j++) h[Math.min(Math.floor((ws.candidates[j] - v) * inverse), CELLS - 1)] += 1;
    if (cellSums(h, v, -v, true, q, v).total * (1 - 1e-9) >= 1) return { value: v, counted };
  }
  let total = 0;
  for (let j = 0; j < ws.count; j++) total += power(ws.candidates[j] - v, q);
  return total >= 1 ? { value: v, counted } : null;
}

/** Gathers the candidates above the sampled floor when it is confirmed, else above -1 (the row's max known). */
function gatherPowerCandidates(x: RealArray, offset: number, d: number, max: number, a: number, q: number, ws: Workspace): Floor {
  if (d >= 8 * SAMPLE_SIZE) {
    const stride = Math.floor(d / SAMPLE_SIZE);
    const sample: number[] = [];
    for (let j = 0; j < d; j += stride) sample.push(a * (x[offset + j] - max));
    const v = sampledFloor(sample, stride, q);
    if (v > -1) {
      gatherCandidates(x, offset, d, max, a, v, ws);
      const floor = confirmFloor(v, q, ws);
      if (floor) return floor;
    }
  }
  gatherCandidates(x, offset, d, max, a, -1, ws);
  return { value: -1, counted: false };
}

/**
 * Long rows: the row's scan and the gathering above a floor sampled relative to the sample's max, taken as a raw
 * score (s0 - 1/a without one), in one pass; the candidates are shifted and scaled after it, and cut to y > -1 when
 * that bound lies at or below max - 1/a (as the native twin).
 * Null if the sample has no finite entry.
 */
function scanAndGather(x: RealArray, offset: number, d: number, row: number, a: number, q: number, ws: Workspace): { sol: Solution; floor: Floor } | null {
  const stride = Math.floor(d / SAMPLE_SIZE);
  const sample: number[] = [];
  let s0 = -Infinity;
  for (let j = 0; j < d; j += stride) {
    const v = x[offset + j];
    if (Math.abs(v) < Infinity) {
      sample.push(v);
      s0 = v > s0 ? v : s0;
    }
  }
  if (sample.length === 0) return null;
  for (let i = 0; i < sample.length; i++) sample[i] = a * (sample[i] - s0);
  const sampled = sampledFloor(sample, stride, q);
  const raw = s0 + (sampled > -1 ? sampled : -1) / a;
  let m = -Infinity;
  let masked = 0;
  let count = 0;
  for (let j = 0; j < d; j++) {
    const v = x[offset + j];
    if (!(v < Infinity)) {
      if (v === -Infinity) {
        masked++;
        continue;
      }
      scanRow(x, offset, d, row); // throws at this first NaN or +Infinity
    }
    if (v > m) m = v;
    if (v > raw) ws.candidates[count++] = v;
  }
  for (let i = 0; i < count; i++) ws.candidates[i] = a * (ws.candidates[i] - m);
  ws.count = count;
  const sol = { max: m, tau: 0, scale: 1, finite: d - masked };
  const v = a * (raw - m);
  if (v > -1) {
    const floor = confirmFloor(v, q, ws);
    if (floor) return { sol, floor };
    gatherCandidates(x, offset, d, m, a, -1, ws);
  } else {
    // raw <= max - 1/a: the candidates hold every y > -1; cut them to those.
    let kept = 0;
    for (let i = 0; i < count; i++) if (ws.candidates[i] > -1) ws.candidates[kept++] = ws.candidates[i];
    ws.count = kept;
  }
  return { sol, floor: { value: -1, counted: false } };
}

/**
 * The k-subsets threshold of one row. tau lies in [x_(k) - 1, x_(k)), x_(k) the k-th largest score, so with the
 * shift on x_(k) itself the bracket (-1, 0) holds tau at any magnitudes: an entry that can be fractional has
 * |x - shift| < 1, exact (Sterbenz) or off by 2^-53 at most, every other one is certainly 0 or 1 (an x - shift beyond
 * the range is +-Infinity, still on its side). k > SMALL_K first try the row max as the shift (no selection), which
 * resolves the row when tau lands within RECENTRE of it. As the native twin.
 */
function kSubsetsRow(k: number, x: RealArray, offset: number, d: number, sol: Solution, ws: Workspace): void {
  if (k > SMALL_K) {
    gatherCandidates(x, offset, d, sol.max, 1, -Infinity, ws);
    // Fewer than k candidates: some x - max overflowed to -Infinity, tau is far below the max.
    if (ws.count >= k) {
      sol.tau = kSubsetsThreshold(ws, k, wholeBracket(ws));
      if (Math.abs(sol.tau) <= RECENTRE) return;
    }
  }
  const shift = kthLargest(x, offset, d, k, ws);
  const b: Bracket = { lo: -1, hi: 0, ones: 0, midSum: 0, midCount: 0 };
  if (d < 8 * SAMPLE_SIZE && sol.max - shift < Infinity) gatherCandidates(x, offset, d, shift, 1, -1, ws); // too few to be sampled: those above x_(k) + 1 too
  else {
    // Those above x_(k) + 1 counted as ones here: none reaches kSubsetsThreshold's sample, nor its sums as an x - shift of +Infinity.
    let count = 0;
    classifyOnBracket(d, (j) => x[offset + j] - shift, { lo: -1, hi: 0, branchy: true }, b, (z) => {
      ws.candidates[count++] = z;
    });
    ws.count = count;
  }
  sol.max = shift;
  sol.tau = kSubsetsThreshold(ws, k, b);
}

function solveRow(s: Shape, x: RealArray, offset: number, d: number, row: number, ws: Workspace): Solution {
  if (s.kind === TransformKind.KSubsets && d >= 8 * SAMPLE_SIZE) {
    const long = solveKSubsetsLongRow(x, offset, d, row, s.k, ws);
    if (long) return long;
  }
  // Sparsemax, entmax and normmax, but not the log1p form (its candidates are unscaled, above -Infinity).
  const thresholded = s.kind !== TransformKind.Softmax && s.kind !== TransformKind.KSubsets && !s.log1pForm;
  const gathered = thresholded && d >= 8 * SAMPLE_SIZE ? scanAndGather(x, offset, d, row, s.a, s.q, ws) : null;
  const sol = gathered ? gathered.sol : scanRow(x, offset, d, row);
  switch (s.kind) {
    case TransformKind.Softmax: {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += Math.exp(x[offset + j] - sol.max);
      sol.scale = 1 / sum;
      sol.tau = Math.log(sum);
      return sol;
    }
    case TransformKind.Sparsemax:
      if (!gathered) gatherPowerCandidates(x, offset, d, sol.max, 1, 1, ws);
      sol.tau = sparsemaxThreshold(ws);
      return sol;
    case TransformKind.KSubsets:
      checkK(s.k, sol.finite, row);
      kSubsetsRow(s.k, x, offset, d, sol, ws);
      return sol;
    default: {
      if (s.log1pForm) {
        // The support reaches about 1/a (> 1000) below the max: every unmasked entry is a candidate, unscaled.
        gatherCandidates(x, offset, d, sol.max, 1, -Infinity, ws);
        sol.tau = log1pThreshold(ws.candidates, ws.count, s.a);
        let sum = 0;
        for (let j = 0; j < ws.count; j++) sum += log1pTerm(s.a, sol.tau, ws.candidates[j]);
        sol.scale = 1 / sum;
        return sol;
      }
      const floor = gathered ? gathered.floor : gatherPowerCandidates(x, offset, d, sol.max, s.a, s.q, ws);
      sol.tau = powerThreshold(ws, s.q, ws.count, floor.value, floor.counted, !exactPower(s.r));
      if (s.kind === TransformKind.Entmax && s.q < 1 && boundaryUnresolved(ws.candidates, ws.count, sol.tau, s.q)) {
        sol.boundary = solveBoundary(ws.candidates, ws.count, sol.tau, s.q);
        ws.hasStored = false;
        return sol; // scale 1: sum p = 1 by construction
      }
      let sum = 0;
      if (ws.hasStored) sum = s.r === s.q ? ws.storedTotal : ws.storedSlope;
      else {
        for (let j = 0; j < ws.count; j++) {
          const y = ws.candidates[j];
          if (y > sol.tau) sum += power(y - sol.tau, s.r);
        }
      }
      sol.scale = 1 / sum;
      return sol;
    }
  }
}

function checkParams(params: TransformParams): void {
  if (params.rows < 1 || params.cols < 1) throw new RangeError('x must have at least one row and one column');
  if (params.kind === TransformKind.Entmax && !(params.param >= 1 && params.param < Infinity)) throw new RangeError('alpha must be >= 1');
  if (params.kind === TransformKind.Normmax && !(params.param > 1 && params.param < Infinity)) throw new RangeError('gamma must be > 1');
  if (params.kind === TransformKind.KSubsets && !(Number.isInteger(params.param) && params.param >= 1 && params.param <= params.cols)) {
    throw new RangeError('k must be an integer in [1, cols]');
  }
}

/** The row's probabilities in double, into p. */
function probabilities(s: Shape, x: RealArray, offset: number, d: number, row: number, ws: Workspace, p: Float64Array): Solution {
  const sol = solveRow(s, x, offset, d, row, ws);
  const phi = probabilityOf(s, sol, ws);
  for (let j = 0; j < d; j++) p[j] = phi(x[offset + j] - sol.max);
  return sol;
}

export function transformForward(params: TransformParams, x: RealArray, out: RealArray, support: Int32Array | null, conjugate: Float64Array | null): void {
  checkParams(params);
  const s = shapeOf(params);
  const d = params.cols;
  const ws = workspaceFor(d);
  const exponent = params.kind === TransformKind.Entmax || params.kind === TransformKind.Normmax ? params.param : 2;
  for (let row = 0; row < params.rows; row++) {
    const offset = row * d;
    const sol = solveRow(s, x, offset, d, row, ws);
    let nonzero = 0;
    let dot = 0;
    let reg = 0;
    // k-subsets: <x, p> itself, as its shift (x_(k)) may lie far below the max, where shift k + <x - shift, p> cancels or
    // overflows; it overflows only when the selected scores do (as the native twin).
    const shift = s.kind === TransformKind.KSubsets ? 0 : sol.max;
    const phi = probabilityOf(s, sol, ws);
    for (let j = 0; j < d; j++) {
      const v = x[offset + j];
      const p = phi(v - sol.max);
      out[offset + j] = p;
      if (out[offset + j] !== 0) nonzero++;
      if (conjugate && p > 0) {
        dot += (v - shift) * p;
        // Entmax keeps sum p (p^(alpha-1) - 1) = sum p^alpha - 1 without the cancellation near alpha = 1.
        reg += s.kind === TransformKind.Softmax ? 0 : params.kind === TransformKind.Entmax ? p * Math.expm1((exponent - 1) * Math.log(p)) : power(p, exponent);
      }
    }
    if (support) support[row] = nonzero;
    if (conjugate) {
      // The max is added last: a one-hot p (dot = 0, Omega(p) = 0) gives it exactly at any magnitude (as the native twin).
      let value: number;
      switch (params.kind) {
        case TransformKind.Softmax:
          value = sol.max + sol.tau;
          break;
        case TransformKind.Sparsemax:
          value = sol.max + (dot - 0.5 * reg + 0.5);
          break;
        case TransformKind.Entmax: {
          const alpha = params.param;
          value = s.kind === TransformKind.Softmax ? sol.max + sol.tau : sol.max + (dot - reg / (alpha * (alpha - 1)));
          break;
        }
        case TransformKind.Normmax: {
          // sum p^gamma underflows for large gamma ((1/7)^1001 = 0): then summed again as (p / top)^gamma, top = p at the
          // max, and ||p||_gamma = top (that sum)^(1/gamma) (as the native twin).
          let norm = Math.pow(reg, 1 / params.param);
          if (reg < 2 ** -960) {
            const top = power(-sol.tau, s.r) * sol.scale;
            const again = probabilityOf(s, sol, ws);
            reg = 0;
            for (let j = 0; j < d; j++) {
              const q = again(x[offset + j] - sol.max);
              reg += q > 0 ? power(q / top, params.param) : 0;
            }
            norm = top * Math.pow(reg, 1 / params.param);
          }
          value = sol.max + (dot - norm + 1);
          break;
        }
        default: {
          value = dot - 0.5 * reg;
          if (Number.isFinite(value)) break;
          // A partial sum can overflow when <x, p> does not: summed again scaled by 2^-64, a RangeError only if the result
          // overflows too (as the native twin).
          let scaled = 0;
          const again = probabilityOf(s, sol, ws);
          for (let j = 0; j < d; j++) {
            const q = again(x[offset + j] - sol.max);
            scaled += q > 0 ? x[offset + j] * 2 ** -64 * q : 0;
          }
          value = (scaled - 2 ** -64 * 0.5 * reg) * 2 ** 64;
          if (!Number.isFinite(value)) throw new RangeError(`x row ${row}: the k-subsets conjugate overflows (the selected scores sum beyond about 1.8e308)`);
        }
      }
      conjugate[row] = value;
    }
  }
}

/** The entmax weights g = p^(2-alpha) on the support (0 off it) into w, for alpha > 2 relative to the largest (as the native twin). */
function entmaxWeights(p: Float64Array, alpha: number, w: Float64Array): void {
  if (alpha > 2) relativeWeights(p, alpha, w);
  else for (let j = 0; j < p.length; j++) w[j] = p[j] > 0 ? Math.pow(p[j], 2 - alpha) : 0;
}

/**
 * The w-weighted mean of v (from offset) less v_r (ref), r the largest weight: sum w (v - v_r) / sum w (0 if every
 * weight is 0). J v takes v - mean as (v - v_r) - this, which does not cancel when one weight dominates: near one-hot,
 * v_r - mean is O(the other weights), below the rounding of mean itself (as the native twin).
 */
function centredMean(w: Float64Array, v: RealArray, offset: number): { ref: number; mean: number } {
  let r = 0;
  for (let j = 1; j < w.length; j++) r = w[j] > w[r] ? j : r;
  const ref = v[offset + r];
  let sum = 0;
  let total = 0;
  for (let j = 0; j < w.length; j++) {
    sum += w[j] * (v[offset + j] - ref);
    total += w[j];
  }
  return { ref, mean: total > 0 ? sum / total : 0 };
}

export function transformJvp(params: TransformParams, x: RealArray, v: RealArray, out: RealArray): void {
  checkParams(params);
  const s = shapeOf(params);
  const d = params.cols;
  const ws = workspaceFor(d);
  const p = new Float64Array(d);
  const weights = new Float64Array(d);
  for (let row = 0; row < params.rows; row++) {
    const offset = row * d;
    const sol = probabilities(s, x, offset, d, row, ws, p);
    // v - mean is taken as (v - v_r) - centredMean, v_r at the largest weight (see centredMean).
    if (s.kind === TransformKind.Softmax) {
      const { ref, mean } = centredMean(p, v, offset);
      for (let j = 0; j < d; j++) out[offset + j] = p[j] * (v[offset + j] - ref - mean) + 0;
      continue;
    }
    if (s.kind === TransformKind.Normmax) {
      const { ref, mean } = centredMean(p, v, offset);
      let total = 0;
      for (let j = 0; j < d; j++) {
        const xv = x[offset + j];
        const t = xv === -Infinity ? 0 : xv - sol.max - sol.tau;
        const h = t > 0 ? s.r * power(t, s.r - 1) : 0;
        weights[j] = h * (v[offset + j] - ref - mean);
        total += weights[j];
      }
      const u = 1 / sol.scale;
      for (let j = 0; j < d; j++) out[offset + j] = (weights[j] - p[j] * total) / u + 0;
      continue;
    }
    if (s.kind === TransformKind.Entmax && params.param > 2) {
      largeAlphaJvp(p, params.param, v, out, offset); // weights beyond the double range
      continue;
    }
    if (s.kind === TransformKind.Entmax) entmaxWeights(p, params.param, weights);
    else for (let j = 0; j < d; j++) weights[j] = s.kind === TransformKind.KSubsets ? (p[j] > 0 && p[j] < 1 ? 1 : 0) : p[j] > 0 ? 1 : 0;
    const { ref, mean } = centredMean(weights, v, offset);
    // + 0 turns the -0 of a zero weight times a negative difference into +0.
    for (let j = 0; j < d; j++) out[offset + j] = weights[j] * (v[offset + j] - ref - mean) + 0;
  }
}

/** Below this alpha - 1 the closed form of d p / d alpha cancels to O(eps / (alpha - 1)^2). */
const NEAR_SOFTMAX = 0.01;

/** (e^-y - 1 + y) / y^2, by its series near 0. */
function secondOrder(y: number): number {
  if (Math.abs(y) > 0.5) return (Math.expm1(-y) + y) / (y * y);
  let term = 0.5;
  let sum = 0.5;
  for (let n = 3; n < 24; n++) {
    term *= -y / n;
    sum += term;
  }
  return sum;
}

/**
 * d p / d alpha for alpha = 1 + e near 1: the closed form rearranged so that its O(1/e) terms
 * cancel analytically. With L = log p, N = (e^(-eL) - 1 + eL) / e^2 and W = sum p e^(-eL):
 *   d p_i / d alpha = p_i / W ((sum pN - N_i)(1 - e sum pL) - e (L_i - sum pL) sum pN),
 * which tends to p_i (sum p L^2 - L_i^2) / 2 at alpha = 1.
 */
function nearSoftmaxAlphaGradient(p: Float64Array, e: number, out: RealArray, offset: number): void {
  let w = 0;
  let sl = 0;
  let sn = 0;
  for (let j = 0; j < p.length; j++) {
    if (p[j] > 0) {
      const l = Math.log(p[j]);
      w += p[j] * Math.exp(-e * l);
      sl += p[j] * l;
      sn += p[j] * l * l * secondOrder(e * l);
    }
  }
  for (let j = 0; j < p.length; j++) {
    if (p[j] > 0) {
      const l = Math.log(p[j]);
      const n = l * l * secondOrder(e * l);
      out[offset + j] = (p[j] / w) * ((sn - n) * (1 - e * sl) - e * (l - sl) * sn);
    } else out[offset + j] = 0;
  }
}

export function transformAlphaGradient(params: TransformParams, x: RealArray, out: RealArray): void {
  checkParams(params);
  if (params.kind !== TransformKind.Entmax || !(params.param > 1)) throw new RangeError('the alpha derivative needs entmax with alpha > 1');
  const s = shapeOf(params);
  const d = params.cols;
  const alpha = params.param;
  const r = 1 / (alpha - 1);
  const ws = workspaceFor(d);
  const p = new Float64Array(d);
  const weights = new Float64Array(d);
  for (let row = 0; row < params.rows; row++) {
    const offset = row * d;
    probabilities(s, x, offset, d, row, ws, p);
    if (alpha - 1 < NEAR_SOFTMAX) {
      nearSoftmaxAlphaGradient(p, alpha - 1, out, offset);
      continue;
    }
    // g / G needs no common factor of g (see entmaxWeights).
    entmaxWeights(p, alpha, weights);
    let gsum = 0;
    let plogp = 0;
    for (let j = 0; j < d; j++) {
      if (p[j] > 0) {
        gsum += weights[j];
        plogp += p[j] * Math.log(p[j]);
      }
    }
    for (let j = 0; j < d; j++) {
      if (p[j] > 0) {
        const g = weights[j] / gsum;
        out[offset + j] = r * r * (p[j] - g) - r * (p[j] * Math.log(p[j]) - g * plogp);
      } else out[offset + j] = 0;
    }
  }
}
