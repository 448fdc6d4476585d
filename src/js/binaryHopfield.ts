// Pure TypeScript twin of native/core/binary_hopfield.cpp. Every floating-point operation runs in
// the same order as the C++ code, so states, sweeps and energies match bit for bit.
import { NetworkData, RecallMode, RecallOutputs, RecallParams, RecallStatus, StorageRuleCode, WeightArray } from '../kernels';
import { Rng } from '../rng';

type IntWeights = Int8Array | Int16Array | Int32Array;

function computeFields(net: NetworkData, s: Int8Array, acc: Float64Array): void {
  const { weights, n } = net;
  for (let i = 0; i < n; i++) {
    const base = i * n;
    let sum = 0;
    for (let j = 0; j < n; j++) sum += weights[base + j] * s[j];
    acc[i] = sum;
  }
}

function energyFromFields(net: NetworkData, s: Int8Array, acc: Float64Array): number {
  const u = net.thresholds;
  let quadratic = 0;
  let linear = 0;
  for (let i = 0; i < net.n; i++) {
    quadratic += s[i] * acc[i];
    if (u) linear += u[i] * s[i];
  }
  return -0.5 * net.scale * quadratic + linear;
}

function applyFlip(weightsT: WeightArray, n: number, acc: Float64Array, i: number, newSign: number): void {
  const delta = 2 * newSign;
  const base = i * n;
  for (let k = 0; k < n; k++) acc[k] += delta * weightsT[base + k];
}

function sameState(history: Int8Array[], t: number, s: Int8Array): boolean {
  const old = history[t];
  for (let i = 0; i < s.length; i++) if (old[i] !== s[i]) return false;
  return true;
}

/** Local fields of every neuron, updated on each flip from one row of W: O(n) per flip. */
class MatrixFields {
  private readonly acc: Float64Array;
  constructor(private readonly net: NetworkData) {
    this.acc = new Float64Array(net.n);
  }
  reset(s: Int8Array): void {
    computeFields(this.net, s, this.acc);
  }
  field(_s: Int8Array, i: number): number {
    const u = this.net.thresholds;
    return this.net.scale * this.acc[i] - (u ? u[i] : 0);
  }
  flip(i: number, sign: number): void {
    applyFlip(this.net.weightsT, this.net.n, this.acc, i, sign);
  }
  energy(s: Int8Array): number {
    return energyFromFields(this.net, s, this.acc);
  }
  endSweep(): void {}
  /** Sets acc_i = sum_j W_ij s_j, computed elsewhere (from the overlaps). */
  setCountSum(i: number, countSum: number): void {
    this.acc[i] = countSum;
  }
}

/**
 * sum_mu x[base + mu] m[mu] in four independent lanes: V8 does not vectorise, so one add chain is
 * latency-bound. Exact integers in any order (|sum| <= p n < 2^53).
 */
function overlapDot(x: Int8Array, base: number, m: Int32Array, p: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let mu = 0;
  for (; mu + 4 <= p; mu += 4) {
    const k = base + mu;
    a += x[k] * m[mu];
    b += x[k + 1] * m[mu + 1];
    c += x[k + 2] * m[mu + 2];
    d += x[k + 3] * m[mu + 3];
  }
  for (; mu < p; mu++) a += x[base + mu] * m[mu];
  return a + b + c + d;
}

/** Per stored pattern set (a network's patternsT is replaced, never changed, on store). */
function cachedFor<T>(cache: WeakMap<Int8Array, T>, patternsT: Int8Array, build: () => T): T {
  let value = cache.get(patternsT);
  if (value === undefined) {
    value = build();
    cache.set(patternsT, value);
  }
  return value;
}

/** Pattern-major sign bits, for m = X s by XOR and popcount (V8's scalar int8 products are 10x slower). */
const negativeBitsCache = new WeakMap<Int8Array, Int32Array>();
const groupCodesCache = new WeakMap<Int8Array, Uint8Array>();

/**
 * For each neuron i and group g of four patterns, a 4-bit code with bit k set where pattern
 * 4g + k is -1 at i (neuron-major, ceil(p / 4) codes per neuron; missing patterns count as +1).
 */
function groupCodes(patternsT: Int8Array, n: number, p: number): Uint8Array {
  const groups = Math.ceil(p / 4);
  const codes = new Uint8Array(n * groups);
  for (let i = 0; i < n; i++) {
    for (let mu = 0; mu < p; mu++) if (patternsT[i * p + mu] < 0) codes[i * groups + (mu >>> 2)] |= 1 << (mu & 3);
  }
  return codes;
}

/** For each column of a rows x cols +-1 matrix (row-major), one bit per row, set where the entry is -1: cols x ceil(rows / 32) words. */
function negativeColumnBits(matrix: Int8Array, rows: number, cols: number): Int32Array {
  const words = Math.ceil(rows / 32);
  const bits = new Int32Array(cols * words);
  for (let r = 0; r < rows; r++) {
    const mask = 1 << (r & 31);
    const word = r >>> 5;
    const row = r * cols;
    for (let c = 0; c < cols; c++) if (matrix[row + c] < 0) bits[c * words + word] |= mask;
  }
  return bits;
}

/**
 * Hebbian fields from the p overlaps m = X s: O(p) per flip and per field. All sums are exact
 * integers, so results equal MatrixFields' bit for bit (see the C++ twin). Overlaps are int32
 * (|m| <= n). The C++ twin takes x_i . m as a vectorised int8 product; V8's scalar products cost
 * four times what one lookup per group of four patterns does, in a table of the 16 signed sums
 * of the group's overlaps (4p entries). After a flip the table is rebuilt (about 2.5 products'
 * time) only while flips are rarer than one per three field reads, else the product is taken.
 */
class PatternFields {
  private readonly m: Int32Array;
  private readonly p: number;
  private readonly offset: number;
  private readonly x: Int8Array;
  private readonly signBits: Int32Array;
  private readonly stateBits: Int32Array;
  private readonly codes: Uint8Array;
  private readonly groups: number;
  /** Entry 16 g + c: sum over k < 4 of (bit k of c ? -1 : 1) m_{4g+k}. */
  private readonly signedSums: Int32Array;
  private stale = true;
  /** Field reads and flips, halved every 64 reads: the recent flip rate. */
  private recentReads = 0;
  private recentFlips = 0;
  constructor(private readonly net: NetworkData) {
    this.p = net.patternCount ?? 0;
    this.offset = net.diagonalOffset ?? 0;
    this.x = net.patternsT as Int8Array;
    this.groups = Math.ceil(this.p / 4);
    this.m = new Int32Array(4 * this.groups);
    this.signBits = cachedFor(negativeBitsCache, this.x, () => negativeColumnBits(this.x, net.n, this.p));
    this.codes = cachedFor(groupCodesCache, this.x, () => groupCodes(this.x, net.n, this.p));
    this.stateBits = new Int32Array(Math.ceil(net.n / 32));
    this.signedSums = new Int32Array(16 * this.groups);
  }
  /** m_mu = n - 2 popcount(negatives of pattern mu xor negatives of s), 32 neurons per operation. */
  reset(s: Int8Array): void {
    const { m, p, signBits, stateBits } = this;
    const n = this.net.n;
    const words = stateBits.length;
    stateBits.fill(0);
    for (let i = 0; i < n; i++) if (s[i] < 0) stateBits[i >>> 5] |= 1 << (i & 31);
    for (let mu = 0; mu < p; mu++) m[mu] = n - 2 * differingBits(signBits, mu * words, stateBits, 0, words);
    this.stale = true;
    this.recentReads = 0;
    this.recentFlips = 0;
  }
  /** sum_j W_ij s_j = x_i . m - offset s_i, exactly. */
  countSum(s: Int8Array, i: number): number {
    if (++this.recentReads === 64) {
      this.recentReads = 32;
      this.recentFlips /= 2;
    }
    if (this.stale) {
      if (3 * this.recentFlips > this.recentReads) return overlapDot(this.x, i * this.p, this.m, this.p) - this.offset * s[i];
      this.buildSignedSums();
    }
    const { codes, signedSums: t, groups } = this;
    const base = i * groups;
    let a = 0;
    let b = 0;
    let c = 0;
    let d = 0;
    let g = 0;
    for (; g + 4 <= groups; g += 4) {
      const k = base + g;
      a += t[(g << 4) | codes[k]];
      b += t[((g + 1) << 4) | codes[k + 1]];
      c += t[((g + 2) << 4) | codes[k + 2]];
      d += t[((g + 3) << 4) | codes[k + 3]];
    }
    for (; g < groups; g++) a += t[(g << 4) | codes[base + g]];
    return a + b + c + d - this.offset * s[i];
  }
  /** Each entry from one with a bit fewer: flipping bit k subtracts 2 m_{4g+k}. */
  private buildSignedSums(): void {
    const { m, signedSums: t } = this;
    for (let g = 0; g < this.groups; g++) {
      const b = g << 4;
      const mu = g << 2;
      const e0 = 2 * m[mu];
      const e1 = 2 * m[mu + 1];
      const e2 = 2 * m[mu + 2];
      const e3 = 2 * m[mu + 3];
      const t0 = m[mu] + m[mu + 1] + m[mu + 2] + m[mu + 3];
      const t1 = t0 - e0;
      const t2 = t0 - e1;
      const t3 = t1 - e1;
      for (let high = 0; high < 4; high++) {
        const shift = (high & 1 ? e2 : 0) + (high & 2 ? e3 : 0);
        const q = b + (high << 2);
        t[q] = t0 - shift;
        t[q + 1] = t1 - shift;
        t[q + 2] = t2 - shift;
        t[q + 3] = t3 - shift;
      }
    }
    this.stale = false;
  }
  field(s: Int8Array, i: number): number {
    const u = this.net.thresholds;
    return this.net.scale * this.countSum(s, i) - (u ? u[i] : 0);
  }
  /** m += 2 sign x_i, four loads before four stores. */
  flip(i: number, sign: number): void {
    const { m, p, x } = this;
    const base = i * p;
    const delta = 2 * sign;
    let mu = 0;
    for (; mu + 4 <= p; mu += 4) {
      const k = base + mu;
      const a = m[mu] + delta * x[k];
      const b = m[mu + 1] + delta * x[k + 1];
      const c = m[mu + 2] + delta * x[k + 2];
      const d = m[mu + 3] + delta * x[k + 3];
      m[mu] = a;
      m[mu + 1] = b;
      m[mu + 2] = c;
      m[mu + 3] = d;
    }
    for (; mu < p; mu++) m[mu] += delta * x[base + mu];
    this.stale = true;
    this.recentFlips++;
  }
  energy(s: Int8Array): number {
    const { m, p } = this;
    let quadratic = -this.offset * this.net.n;
    for (let mu = 0; mu < p; mu++) quadratic += m[mu] * m[mu];
    const u = this.net.thresholds;
    let linear = 0;
    for (let i = 0; i < this.net.n; i++) if (u) linear += u[i] * s[i];
    return -0.5 * this.net.scale * quadratic + linear;
  }
  endSweep(): void {}
}

const enum Stage { Overlaps, Recording, Matrix }

/**
 * Overlap fields, then matrix fields for the late sweeps of a recall, which flip few neurons: each
 * then costs O(n) plus O(n) per flip instead of O(n p). After a sweep that flipped fewer than 2p
 * neurons, the next sweep records each field it computes and applies its flips to the recorded
 * fields too, so matrix fields are ready after it for O(n) per flip, not another O(n p) pass.
 * Same exact integer fields throughout, so the same results.
 */
class OverlapsThenMatrixFields {
  private readonly overlaps: PatternFields;
  private readonly matrix: MatrixFields;
  private stage = Stage.Overlaps;
  constructor(private readonly net: NetworkData) {
    this.overlaps = new PatternFields(net);
    this.matrix = new MatrixFields(net);
  }
  reset(s: Int8Array): void {
    this.stage = Stage.Overlaps;
    this.overlaps.reset(s);
  }
  field(s: Int8Array, i: number): number {
    if (this.stage === Stage.Overlaps) return this.overlaps.field(s, i);
    if (this.stage === Stage.Recording) this.matrix.setCountSum(i, this.overlaps.countSum(s, i));
    return this.matrix.field(s, i);
  }
  flip(i: number, sign: number): void {
    if (this.stage !== Stage.Matrix) this.overlaps.flip(i, sign);
    if (this.stage !== Stage.Overlaps) this.matrix.flip(i, sign);
  }
  energy(s: Int8Array): number {
    return this.stage === Stage.Matrix ? this.matrix.energy(s) : this.overlaps.energy(s);
  }
  endSweep(_s: Int8Array, flips: number): void {
    if (this.stage === Stage.Recording) this.stage = Stage.Matrix;
    else if (this.stage === Stage.Overlaps && flips < 2 * (this.net.patternCount ?? 0)) this.stage = Stage.Recording;
  }
}

type Fields = MatrixFields | PatternFields | OverlapsThenMatrixFields;

function recallOne(fields: Fields, n: number, cues: Int8Array, item: number, params: RecallParams, out: RecallOutputs,
  order: Uint32Array, next: Int8Array): void {
  const s = out.states.subarray(item * n, (item + 1) * n);
  s.set(cues.subarray(item * n, (item + 1) * n));
  const stride = params.maxSweeps + 1;
  const energies = params.trackEnergy ? out.energies.subarray(item * stride, (item + 1) * stride) : null;
  fields.reset(s);
  if (energies) energies[0] = fields.energy(s);

  const rng = new Rng(params.seed, item);
  for (let i = 0; i < n; i++) order[i] = i;
  const history: Int8Array[] = params.mode === RecallMode.Sync ? [s.slice()] : [];

  let status = RecallStatus.MaxSweeps;
  let cycleLength = 0;
  let sweep = 0;
  while (sweep < params.maxSweeps) {
    sweep++;
    let flips = 0;
    if (params.mode === RecallMode.Sync) {
      for (let i = 0; i < n; i++) next[i] = fields.field(s, i) >= 0 ? 1 : -1;
      for (let i = 0; i < n; i++) {
        if (next[i] !== s[i]) {
          s[i] = next[i];
          fields.flip(i, s[i]);
          flips++;
        }
      }
    } else {
      for (let i = n - 1; i > 0; i--) {
        const j = rng.below(i + 1);
        const tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
      }
      for (let k = 0; k < n; k++) {
        const i = order[k];
        const h = fields.field(s, i);
        let sign: number;
        if (params.mode === RecallMode.Async) {
          sign = h >= 0 ? 1 : -1;
        } else {
          const pPlus = 1 / (1 + Math.exp((-2 * h) / params.temperature));
          sign = rng.nextDouble() < pPlus ? 1 : -1;
        }
        if (sign !== s[i]) {
          s[i] = sign;
          fields.flip(i, sign);
          flips++;
        }
      }
    }
    if (energies) energies[sweep] = fields.energy(s);
    if (flips === 0) {
      status = RecallStatus.Converged;
      break;
    }
    fields.endSweep(s, flips);
    if (params.mode === RecallMode.Sync) {
      for (let t = history.length - 1; t >= 0; t--) {
        if (sameState(history, t, s)) {
          cycleLength = sweep - t;
          break;
        }
      }
      if (cycleLength > 0) {
        status = RecallStatus.Cycle;
        break;
      }
      history.push(s.slice());
    }
  }
  if (energies) energies.fill(NaN, sweep + 1);
  out.sweeps[item] = sweep;
  out.status[item] = status;
  out.cycleLength[item] = cycleLength;
}

/**
 * Recalls the items `claim` hands out until it returns `count` or more, calling `finished` after
 * each; one set of fields serves them all. Each item's result depends on the item alone (its
 * random stream is (seed, item)), so threads sharing the items give the results of one thread.
 */
export function binaryRecallItems(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs,
  claim: () => number, finished: (item: number) => void = () => {}): void {
  if (params.patternFields && !(net.patternsT && (net.patternCount ?? 0) >= 1)) throw new TypeError('pattern fields need the stored patterns');
  const fields = !params.patternFields ? new MatrixFields(net)
    : params.matrixWhenSettled ? new OverlapsThenMatrixFields(net) : new PatternFields(net);
  const order = new Uint32Array(net.n);
  const next = new Int8Array(net.n);
  for (let item = claim(); item < count; item = claim()) {
    recallOne(fields, net.n, cues, item, params, out, order, next);
    finished(item);
  }
}

export function binaryRecall(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs): void {
  let item = 0;
  binaryRecallItems(net, cues, count, params, out, () => item++);
}

export function binaryEnergy(net: NetworkData, state: Int8Array): number {
  const acc = new Float64Array(net.n);
  computeFields(net, state, acc);
  return energyFromFields(net, state, acc);
}

/** popcount(a[aOff..aOff+words) xor b[bOff..)): the bits where two packed sign rows differ. */
function differingBits(a: Int32Array, aOff: number, b: Int32Array, bOff: number, words: number): number {
  let differing = 0;
  for (let w = 0; w < words; w++) differing += popcount32(a[aOff + w] ^ b[bOff + w]);
  return differing;
}

function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

function hebbianAccumulate(patterns: Int8Array, p: number, n: number, counts: IntWeights, zeroDiagonal: boolean): void {
  // One bit per pattern and neuron (set where the pattern is -1):
  // sum_mu x_i x_j = p - 2 popcount(bits_i xor bits_j).
  const words = Math.ceil(p / 32);
  const bits = negativeColumnBits(patterns, p, n);
  // Pairs i < j in bands of 32 rows, j outer: the mirrored writes of a band then land in one
  // short run of row j, not in 32 rows far apart.
  const band = 32;
  for (let i0 = 0; i0 < n; i0 += band) {
    const i1 = Math.min(n, i0 + band);
    for (let j = i0 + 1; j < n; j++) {
      const bj = j * words;
      const iEnd = Math.min(i1, j);
      for (let i = i0; i < iEnd; i++) {
        const value = counts[i * n + j] + (p - 2 * differingBits(bits, i * words, bits, bj, words));
        counts[i * n + j] = value;
        counts[j * n + i] = value;
      }
    }
  }
  for (let i = 0; i < n; i++) counts[i * n + i] = zeroDiagonal ? 0 : counts[i * n + i] + p;
}

function storkeyAccumulate(patterns: Int8Array, p: number, n: number, weights: Float64Array): void {
  const local = new Float64Array(n);
  const invN = 1 / n;
  const view: NetworkData = { weights, weightsT: weights, scale: 1, thresholds: null, n };
  for (let mu = 0; mu < p; mu++) {
    const base = mu * n;
    computeFields(view, patterns.subarray(base, base + n), local);
    // Row by row in place (see the C++ twin): the old w_ji = w_ij stays in row j until row j is rewritten.
    for (let i = 0; i < n; i++) {
      const xi = patterns[base + i];
      const localI = local[i];
      const row = i * n;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const xj = patterns[base + j];
        const w = weights[row + j];
        const hij = localI - w * xj;
        const hji = local[j] - w * xi;
        weights[row + j] = w + (xi * xj - (xi * hji + hij * xj)) * invN;
      }
    }
  }
}

function pseudoinverseWeights(patterns: Int8Array, p: number, n: number, weights: Float64Array, zeroDiagonal: boolean): number {
  const gram = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += patterns[a * n + i] * patterns[b * n + i];
      gram[a * p + b] = dot;
      gram[b * p + a] = dot;
    }
  }
  // Cholesky restricted to linearly independent patterns, in order.
  const kept: number[] = [];
  const chol = new Float64Array(p * p);
  for (let k = 0; k < p; k++) {
    const m = kept.length;
    const row = m * p;
    for (let a = 0; a < m; a++) {
      let v = gram[k * p + kept[a]];
      for (let b = 0; b < a; b++) v -= chol[row + b] * chol[a * p + b];
      chol[row + a] = v / chol[a * p + a];
    }
    let d = gram[k * p + k];
    for (let b = 0; b < m; b++) d -= chol[row + b] * chol[row + b];
    if (d > 1e-9 * gram[k * p + k]) {
      chol[row + m] = Math.sqrt(d);
      kept.push(k);
    } else {
      chol.fill(0, row, row + p);
    }
  }
  const m = kept.length;
  const coef = new Float64Array(m * n);
  for (let a = 0; a < m; a++) {
    const out = a * n;
    for (let i = 0; i < n; i++) coef[out + i] = patterns[kept[a] * n + i];
    for (let b = 0; b < a; b++) {
      const l = chol[a * p + b];
      for (let i = 0; i < n; i++) coef[out + i] -= l * coef[b * n + i];
    }
    const diag = chol[a * p + a];
    for (let i = 0; i < n; i++) coef[out + i] /= diag;
  }
  for (let a = m - 1; a >= 0; a--) {
    const out = a * n;
    for (let b = a + 1; b < m; b++) {
      const l = chol[b * p + a];
      for (let i = 0; i < n; i++) coef[out + i] -= l * coef[b * n + i];
    }
    const diag = chol[a * p + a];
    for (let i = 0; i < n; i++) coef[out + i] /= diag;
  }
  // weights_i = sum_a x_{a,i} coef_a, adding over a in order (as the C++ twin does); eight terms
  // per load and store of an entry. A sign times an entry is exact, so w + s c equals w +- c.
  weights.fill(0);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let a = 0;
    for (; a + 8 <= m; a += 8) {
      const s0 = patterns[kept[a] * n + i];
      const s1 = patterns[kept[a + 1] * n + i];
      const s2 = patterns[kept[a + 2] * n + i];
      const s3 = patterns[kept[a + 3] * n + i];
      const s4 = patterns[kept[a + 4] * n + i];
      const s5 = patterns[kept[a + 5] * n + i];
      const s6 = patterns[kept[a + 6] * n + i];
      const s7 = patterns[kept[a + 7] * n + i];
      const c0 = a * n;
      for (let j = 0; j < n; j++) {
        const k = c0 + j;
        let w = weights[row + j];
        w += s0 * coef[k];
        w += s1 * coef[k + n];
        w += s2 * coef[k + 2 * n];
        w += s3 * coef[k + 3 * n];
        w += s4 * coef[k + 4 * n];
        w += s5 * coef[k + 5 * n];
        w += s6 * coef[k + 6 * n];
        w += s7 * coef[k + 7 * n];
        weights[row + j] = w;
      }
    }
    for (; a < m; a++) {
      const s = patterns[kept[a] * n + i];
      const c = a * n;
      for (let j = 0; j < n; j++) weights[row + j] += s * coef[c + j];
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const mean = 0.5 * (weights[i * n + j] + weights[j * n + i]);
      weights[i * n + j] = mean;
      weights[j * n + i] = mean;
    }
    if (zeroDiagonal) weights[i * n + i] = 0;
  }
  return m;
}

export function binaryStore(rule: StorageRuleCode, patterns: Int8Array, p: number, n: number, weights: WeightArray, zeroDiagonal: boolean): number {
  switch (rule) {
    case StorageRuleCode.Hebbian:
      if (weights instanceof Float64Array) throw new TypeError('Hebbian counts must be an integer typed array');
      hebbianAccumulate(patterns, p, n, weights, zeroDiagonal);
      return p;
    case StorageRuleCode.Storkey:
      storkeyAccumulate(patterns, p, n, weights as Float64Array);
      return p;
    default:
      return pseudoinverseWeights(patterns, p, n, weights as Float64Array, zeroDiagonal);
  }
}
