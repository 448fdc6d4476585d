// Pure TypeScript twin of native/core/transforms.cpp: the same row solvers step for step (same
// pivot sequence, same summation order), every row computed in double and rounded once on output.
import { Rng } from '../rng';
import { RealArray, TransformKind, TransformParams } from '../kernels';

// Seed of the pivot choices; the same for every row so rows stay independent of the batch.
const PIVOT_SEED = 20160401;

interface Workspace {
  candidates: Float64Array;
  count: number;
  scratch: Float64Array;
}

interface Solution {
  max: number;
  tau: number;
  scale: number;
  finite: number;
}

interface Shape {
  kind: TransformKind;
  a: number;
  r: number;
  q: number;
  k: number;
}

/** Integer powers exactly, others with Math.pow (as the native twin does). */
function power(t: number, r: number): number {
  if (r === 1) return t;
  if (r === 2) return t * t;
  if (r === 3) return t * t * t;
  if (r === 0.5) return Math.sqrt(t);
  if (r === 1.5) return t * Math.sqrt(t);
  return Math.pow(t, r);
}

function shapeOf(params: TransformParams): Shape {
  const s: Shape = { kind: params.kind, a: 1, r: 1, q: 1, k: 0 };
  if (params.kind === TransformKind.Entmax) {
    if (params.param === 2) s.kind = TransformKind.Sparsemax;
    else if (params.param === 1) s.kind = TransformKind.Softmax;
    else {
      s.a = params.param - 1;
      s.r = 1 / s.a;
      s.q = s.r;
    }
  } else if (params.kind === TransformKind.Normmax) {
    s.r = 1 / (params.param - 1);
    s.q = s.r + 1;
  } else if (params.kind === TransformKind.KSubsets) {
    s.k = params.param;
  }
  return s;
}

/**
 * p as a function of the shifted score z = x - max, the kind chosen once per row (as the native
 * twin's forEachProbability); masked entries (z = -Infinity) give 0 without a test.
 */
function probabilityOf(s: Shape, sol: Solution): (z: number) => number {
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
    default:
      return (z) => {
        const t = a * z - tau;
        return t > 0 ? power(t, r) * scale : 0;
      };
  }
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

function newWorkspace(d: number): Workspace {
  return { candidates: new Float64Array(d), count: 0, scratch: new Float64Array(d) };
}

function copyCandidates(ws: Workspace): Float64Array {
  ws.scratch.set(ws.candidates.subarray(0, ws.count));
  return ws.scratch;
}

/** Simplex projection threshold of w[0, end) (a superset of the support): randomized pivot search. */
function pivotThreshold(w: Float64Array, end: number): number {
  const rng = new Rng(PIVOT_SEED);
  let begin = 0;
  let sumIn = 0;
  let countIn = 0;
  while (begin < end) {
    const pivot = w[begin + rng.below(end - begin)];
    // Three-way partition: > pivot, == pivot, < pivot.
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

/**
 * Long rows: a bracket around the threshold of a strided sample; one pass checks F(vlo) >= k > F(vhi)
 * and retires the entries determined on it (as the native twin does). Null, with w untouched, if the check fails.
 */
function narrowFromSample(ws: Workspace, k: number, lo: number, hi: number) {
  const w = ws.scratch;
  const end = ws.count;
  const stride = Math.floor(end / 1024);
  const sample: number[] = [];
  for (let i = 0; i < end; i += stride) sample.push(w[i]);
  const weight = end / sample.length;
  let a = lo;
  let b = hi;
  for (let iteration = 0; iteration < 100; iteration++) {
    const mid = 0.5 * (a + b);
    let f = 0;
    for (const z of sample) f += Math.min(Math.max(z - mid, 0), 1);
    if (f * weight >= k) a = mid;
    else b = mid;
  }
  let inside = 0;
  for (const z of sample) inside += z - a > 0 && z - a < 1 ? 1 : 0;
  const delta = 4 / Math.sqrt(inside + 1);
  const vlo = Math.max(lo, a - delta);
  const vhi = Math.min(hi, a + delta);
  let fLo = 0;
  let fHi = 0;
  let ones = 0;
  let midSum = 0;
  let midCount = 0;
  let kept = 0;
  for (let i = 0; i < end; i++) {
    const z = w[i];
    fLo += Math.min(Math.max(z - vlo, 0), 1);
    fHi += Math.min(Math.max(z - vhi, 0), 1);
    if (z <= vlo) continue;
    if (z - 1 >= vhi) ones += 1;
    else if (z - 1 <= vlo && z >= vhi) {
      midSum += z;
      midCount += 1;
    } else w[kept++] = z;
  }
  if (fLo >= k && fHi < k) return { lo: vlo, hi: vhi, ones, midSum, midCount, end: kept };
  w.set(ws.candidates.subarray(0, ws.count));
  return null;
}

/** k-subsets threshold: sum clip(z - tau, 0, 1) = k by random breakpoints in a shrinking bracket. */
function kSubsetsThreshold(ws: Workspace, k: number): number {
  const w = copyCandidates(ws);
  let lo = 0;
  for (let j = 0; j < ws.count; j++) lo = w[j] < lo ? w[j] : lo;
  lo -= 1;
  let hi = 0;
  let ones = 0;
  let midSum = 0;
  let midCount = 0;
  let end = ws.count;
  if (end >= 8192) {
    const narrowed = narrowFromSample(ws, k, lo, hi);
    if (narrowed) ({ lo, hi, ones, midSum, midCount, end } = narrowed);
  }
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
  ones = 0;
  midSum = 0;
  midCount = 0;
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

/** tau with sum [y - tau]_+^q = 1: safeguarded Newton in [-1, -(1/n)^(1/q)], shrinking the candidates. */
function powerThreshold(ws: Workspace, q: number, n: number, floor: number): number {
  const w = copyCandidates(ws);
  let lo = floor;
  let hi = -Math.pow(1 / n, 1 / q);
  let tau = q >= 1 ? lo : hi;
  let end = ws.count;
  let lastStep = Infinity;
  for (let iteration = 0; iteration < 200; iteration++) {
    let f = -1;
    let slope = 0;
    let kept = 0;
    for (let i = 0; i < end; i++) {
      const y = w[i];
      if (y <= lo) continue;
      w[kept++] = y;
      const t = y - tau;
      if (t > 0) {
        const tq1 = power(t, q - 1);
        f += tq1 * t;
        slope += tq1;
      }
    }
    end = kept;
    if (f === 0) break;
    if (f > 0) lo = tau;
    else hi = tau;
    // Newton on G = F^(1/q) - 1 (F = f + 1), nearly linear, as in the native twin.
    const total = f + 1;
    let next = tau + (total - Math.pow(total, 1 - 1 / q)) / slope;
    if (Math.abs(next - tau) <= 1e-15 * Math.abs(tau)) break; // converged (next may equal lo)
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

/** The k-th largest of the shifted finite scores x - max (k <= SMALL_K, at least k finite entries). */
function kthLargest(x: RealArray, offset: number, d: number, max: number, k: number): number {
  const top = new Float64Array(k).fill(-Infinity);
  for (let j = 0; j < d; j++) {
    const z = x[offset + j] - max;
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

/**
 * For larger k: a strided sample suggests a score v with at least k entries >= v; one pass gathers
 * the entries above v - 1 while counting those >= v, and everything is gathered if the count fails.
 */
function gatherAboveSampledBound(x: RealArray, offset: number, d: number, max: number, k: number, ws: Workspace): void {
  const SAMPLE = 1024;
  if (d < 8 * SAMPLE) return gatherCandidates(x, offset, d, max, 1, -Infinity, ws);
  const stride = Math.floor(d / SAMPLE);
  const sample: number[] = [];
  for (let j = 0; j < d; j += stride) {
    const z = x[offset + j] - max;
    if (z > -Infinity) sample.push(z);
  }
  const expected = (sample.length * k) / d;
  const rank = Math.floor(expected + 3 * Math.sqrt(expected) + 2);
  if (rank >= sample.length) return gatherCandidates(x, offset, d, max, 1, -Infinity, ws);
  sample.sort((a, b) => b - a);
  const v = sample[rank];
  let count = 0;
  let atLeastV = 0;
  for (let j = 0; j < d; j++) {
    const z = x[offset + j] - max;
    if (z >= v) atLeastV++;
    if (z > v - 1) ws.candidates[count++] = z;
  }
  ws.count = count;
  if (atLeastV < k) gatherCandidates(x, offset, d, max, 1, -Infinity, ws);
}

/** For long rows: a sampled score v > -1 below which nothing is in the support (verified by the caller), or -1. */
function sampledFloor(x: RealArray, offset: number, d: number, max: number, a: number, q: number): number {
  const SAMPLE = 1024;
  const MIN_ABOVE = 16;
  if (d < 8 * SAMPLE) return -1;
  const stride = Math.floor(d / SAMPLE);
  const sample: number[] = [];
  for (let j = 0; j < d; j += stride) {
    const y = a * (x[offset + j] - max);
    if (y > -1) sample.push(y);
  }
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

/** Gathers the candidates above the sampled floor when F(floor) >= 1 confirms it, else above -1; returns the floor. */
function gatherPowerCandidates(x: RealArray, offset: number, d: number, max: number, a: number, q: number, ws: Workspace): number {
  const v = sampledFloor(x, offset, d, max, a, q);
  if (v > -1) {
    let count = 0;
    let total = 0;
    for (let j = 0; j < d; j++) {
      const y = a * (x[offset + j] - max);
      if (y > v) {
        ws.candidates[count++] = y;
        total += power(y - v, q);
      }
    }
    ws.count = count;
    if (total >= 1) return v;
  }
  gatherCandidates(x, offset, d, max, a, -1, ws);
  return -1;
}

function solveRow(s: Shape, x: RealArray, offset: number, d: number, row: number, ws: Workspace): Solution {
  const sol = scanRow(x, offset, d, row);
  switch (s.kind) {
    case TransformKind.Softmax: {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += Math.exp(x[offset + j] - sol.max);
      sol.scale = 1 / sum;
      sol.tau = Math.log(sum);
      return sol;
    }
    case TransformKind.Sparsemax:
      gatherPowerCandidates(x, offset, d, sol.max, 1, 1, ws);
      sol.tau = sparsemaxThreshold(ws);
      return sol;
    case TransformKind.KSubsets:
      if (s.k > sol.finite) throw new RangeError(`k = ${s.k} exceeds the ${sol.finite} unmasked entries of x row ${row}`);
      // tau >= z_(k) - 1: for small k find z_(k) in one pass and skip every entry at or below that bound.
      if (s.k <= SMALL_K) gatherCandidates(x, offset, d, sol.max, 1, kthLargest(x, offset, d, sol.max, s.k) - 1, ws);
      else gatherAboveSampledBound(x, offset, d, sol.max, s.k, ws);
      sol.tau = kSubsetsThreshold(ws, s.k);
      return sol;
    default: {
      const floor = gatherPowerCandidates(x, offset, d, sol.max, s.a, s.q, ws);
      sol.tau = powerThreshold(ws, s.q, ws.count, floor);
      let sum = 0;
      for (let j = 0; j < ws.count; j++) {
        const y = ws.candidates[j];
        if (y > sol.tau) sum += power(y - sol.tau, s.r);
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
  const phi = probabilityOf(s, sol);
  for (let j = 0; j < d; j++) p[j] = phi(x[offset + j] - sol.max);
  return sol;
}

export function transformForward(params: TransformParams, x: RealArray, out: RealArray, support: Int32Array | null, conjugate: Float64Array | null): void {
  checkParams(params);
  const s = shapeOf(params);
  const d = params.cols;
  const ws = newWorkspace(d);
  const exponent = params.kind === TransformKind.Entmax || params.kind === TransformKind.Normmax ? params.param : 2;
  for (let row = 0; row < params.rows; row++) {
    const offset = row * d;
    const sol = solveRow(s, x, offset, d, row, ws);
    const phi = probabilityOf(s, sol);
    let nonzero = 0;
    let dot = 0;
    let reg = 0;
    for (let j = 0; j < d; j++) {
      const v = x[offset + j];
      const p = phi(v - sol.max);
      out[offset + j] = p;
      if (out[offset + j] !== 0) nonzero++;
      if (conjugate && p > 0) {
        dot += (v - sol.max) * p;
        reg += s.kind === TransformKind.Softmax ? 0 : power(p, exponent);
      }
    }
    if (support) support[row] = nonzero;
    if (conjugate) {
      let value: number;
      switch (params.kind) {
        case TransformKind.Softmax:
          value = sol.max + sol.tau;
          break;
        case TransformKind.Sparsemax:
          value = sol.max + dot - 0.5 * reg + 0.5;
          break;
        case TransformKind.Entmax: {
          const alpha = params.param;
          value = s.kind === TransformKind.Softmax ? sol.max + sol.tau : sol.max + dot - (reg - 1) / (alpha * (alpha - 1));
          break;
        }
        case TransformKind.Normmax:
          value = sol.max + dot - Math.pow(reg, 1 / params.param) + 1;
          break;
        default:
          value = sol.max * s.k + dot - 0.5 * reg;
      }
      conjugate[row] = value;
    }
  }
}

export function transformJvp(params: TransformParams, x: RealArray, v: RealArray, out: RealArray): void {
  checkParams(params);
  const s = shapeOf(params);
  const d = params.cols;
  const ws = newWorkspace(d);
  const p = new Float64Array(d);
  const weights = new Float64Array(d);
  for (let row = 0; row < params.rows; row++) {
    const offset = row * d;
    const sol = probabilities(s, x, offset, d, row, ws, p);
    if (s.kind === TransformKind.Softmax) {
      let pv = 0;
      for (let j = 0; j < d; j++) pv += p[j] * v[offset + j];
      for (let j = 0; j < d; j++) out[offset + j] = p[j] * (v[offset + j] - pv) + 0;
      continue;
    }
    if (s.kind === TransformKind.Normmax) {
      let pv = 0;
      let total = 0;
      for (let j = 0; j < d; j++) pv += p[j] * v[offset + j];
      for (let j = 0; j < d; j++) {
        const xv = x[offset + j];
        const t = xv === -Infinity ? 0 : xv - sol.max - sol.tau;
        const h = t > 0 ? s.r * power(t, s.r - 1) : 0;
        weights[j] = h * (v[offset + j] - pv);
        total += weights[j];
      }
      const u = 1 / sol.scale;
      for (let j = 0; j < d; j++) out[offset + j] = (weights[j] - p[j] * total) / u + 0;
      continue;
    }
    let wv = 0;
    let wsum = 0;
    for (let j = 0; j < d; j++) {
      let weight = 0;
      if (s.kind === TransformKind.KSubsets) weight = p[j] > 0 && p[j] < 1 ? 1 : 0;
      else if (p[j] > 0) weight = s.kind === TransformKind.Sparsemax ? 1 : Math.pow(p[j], 2 - params.param);
      weights[j] = weight;
      wv += weight * v[offset + j];
      wsum += weight;
    }
    const mean = wsum > 0 ? wv / wsum : 0;
    // + 0 turns the -0 of a zero weight times a negative difference into +0.
    for (let j = 0; j < d; j++) out[offset + j] = weights[j] * (v[offset + j] - mean) + 0;
  }
}

export function transformAlphaGradient(params: TransformParams, x: RealArray, out: RealArray): void {
  checkParams(params);
  if (params.kind !== TransformKind.Entmax || !(params.param > 1)) throw new RangeError('the alpha derivative needs entmax with alpha > 1');
  const s = shapeOf(params);
  const d = params.cols;
  const alpha = params.param;
  const r = 1 / (alpha - 1);
  const ws = newWorkspace(d);
  const p = new Float64Array(d);
  for (let row = 0; row < params.rows; row++) {
    const offset = row * d;
    probabilities(s, x, offset, d, row, ws, p);
    let gsum = 0;
    let plogp = 0;
    for (let j = 0; j < d; j++) {
      if (p[j] > 0) {
        gsum += Math.pow(p[j], 2 - alpha);
        plogp += p[j] * Math.log(p[j]);
      }
    }
    for (let j = 0; j < d; j++) {
      if (p[j] > 0) {
        const g = Math.pow(p[j], 2 - alpha) / gsum;
        out[offset + j] = r * r * (p[j] - g) - r * (p[j] * Math.log(p[j]) - g * plogp);
      } else out[offset + j] = 0;
    }
  }
}
