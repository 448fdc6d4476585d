// Pure TypeScript twin of native/core/memory.cpp and gemm.cpp: the same update loop over the same
// compacted blocks of running rows, with dot products and read-outs accumulated in double.
import { MemoryKind, MemoryOutputs, MemoryParams, MemoryStatus, RealArray, TransformKind } from '../kernels';
import { sequentialKSubsetsBatch } from './sparsemap/solver';
import { transformForward } from './transforms';

function checkParams(n: number, d: number, count: number, params: MemoryParams): void {
  if (n < 1 || d < 1) throw new RangeError('the memory must hold at least one pattern of dimension >= 1');
  if (count < 0) throw new RangeError('count must be >= 0');
  if (!(params.beta > 0) || !Number.isFinite(params.beta)) throw new RangeError('beta must be a finite number > 0');
  if (params.maxIter < 0) throw new RangeError('maxIter must be >= 0');
  if (!(params.tol >= 0)) throw new RangeError('tol must be >= 0');
  if (!(params.supportThreshold >= 0)) throw new RangeError('supportThreshold must be >= 0');
  if (params.kind === MemoryKind.SequentialKSubsets) {
    if (!(params.param >= 1 && params.param <= n) || !Number.isInteger(params.param)) {
      throw new RangeError('k must be an integer in [1, number of patterns]');
    }
    if (!Number.isFinite(params.bonus)) throw new RangeError('bonus must be finite');
    if (params.maxActiveSetIter < 1) throw new RangeError('maxActiveSetIter must be >= 1');
  }
}

export function memoryScores(
  queries: RealArray, rows: number, patterns: RealArray, n: number, d: number, scale: number, out: RealArray,
): void {
  for (let r = 0; r < rows; r++) {
    const qOff = r * d;
    for (let i = 0; i < n; i++) {
      const xOff = i * d;
      let dot = 0;
      for (let c = 0; c < d; c++) dot += queries[qOff + c] * patterns[xOff + c];
      out[r * n + i] = scale === 1 ? dot : scale * dot;
    }
  }
}

export function memoryGram(patterns: RealArray, n: number, d: number, out: RealArray): void {
  memoryScores(patterns, n, patterns, n, d, 1, out);
}

/** The weights behind a state, kept when few: nnz rows of G cost less than the product by X when nnz * GRAM_COST <= d (as natively). */
const GRAM_COST = 32;
const LISTED = 256;
interface StateWeights {
  columns: number[];
  values: number[];
}

function keepWeights(p: RealArray, offset: number, n: number, d: number): StateWeights | null {
  const columns: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < n; j++) {
    if (p[offset + j] === 0) continue;
    if (columns.length === LISTED || (columns.length + 1) * GRAM_COST > d) return null;
    columns.push(j);
    values.push(p[offset + j]);
  }
  return { columns, values };
}

/** The missing rows of an on-demand Gram matrix that the states with few weights need: the scores of their patterns, then flagged. */
function fillGramRows(weights: (StateWeights | null)[], x: RealArray, n: number, d: number, gram: RealArray, ready: Uint8Array): void {
  for (const w of weights) {
    if (!w) continue;
    for (const j of w.columns) {
      if (ready[j]) continue;
      memoryScores(x.subarray(j * d, (j + 1) * d), 1, x, n, d, 1, gram.subarray(j * n, (j + 1) * n));
      ready[j] = 1;
    }
  }
}

/** Scores of the pass's states: from the Gram rows where the weights are few, else by the product. */
function scoresOfStates(q: RealArray, a: number, weights: (StateWeights | null)[], gram: RealArray, x: RealArray, n: number, d: number, beta: number, s: RealArray): void {
  const Real = q.constructor as Float64ArrayConstructor;
  const byProduct: number[] = [];
  const acc = new Float64Array(n);
  for (let i = 0; i < a; i++) {
    const w = weights[i];
    if (!w) {
      byProduct.push(i);
      continue;
    }
    acc.fill(0);
    for (let k = 0; k < w.columns.length; k++) {
      const off = w.columns[k] * n;
      for (let c = 0; c < n; c++) acc[c] += w.values[k] * gram[off + c];
    }
    for (let c = 0; c < n; c++) s[i * n + c] = beta === 1 ? acc[c] : beta * acc[c];
  }
  if (byProduct.length === 0) return;
  const packed = new Real(byProduct.length * d);
  byProduct.forEach((i, k) => packed.set(q.subarray(i * d, (i + 1) * d), k * d));
  const out = new Real(byProduct.length * n);
  memoryScores(packed, byProduct.length, x, n, d, beta, out);
  byProduct.forEach((i, k) => s.set(out.subarray(k * n, (k + 1) * n), i * n));
}

export function memoryFirstNonFinite(data: RealArray): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return i;
  return -1;
}

function transformRows(params: MemoryParams, s: RealArray, rows: number, n: number, p: RealArray, conjugate: Float64Array | null, failed: Uint8Array): void {
  if (params.kind !== MemoryKind.SequentialKSubsets) {
    const kind = params.kind as number as TransformKind;
    transformForward({ kind, param: params.param, rows, cols: n, threads: params.threads }, s.subarray(0, rows * n), p, null, conjugate);
    return;
  }
  const sd = Float64Array.from(s.subarray(0, rows * n));
  const pd = new Float64Array(rows * n);
  const status = new Uint8Array(rows);
  sequentialKSubsetsBatch(sd, rows, n, params.param, params.bonus, params.maxActiveSetIter, pd, status, 0, conjugate);
  p.set(pd);
  for (let i = 0; i < rows; i++) failed[i] = status[i] !== 0 ? 1 : 0;
}

/** qn_i = sum_j p_ij x_j, in the order of j (as the native sparse read-out). */
function readoutRows(p: RealArray, rows: number, x: RealArray, n: number, d: number, qn: RealArray): void {
  const acc = new Float64Array(d);
  for (let i = 0; i < rows; i++) {
    acc.fill(0);
    for (let j = 0; j < n; j++) {
      const w = p[i * n + j];
      if (w === 0) continue;
      const xOff = j * d;
      for (let c = 0; c < d; c++) acc[c] += w * x[xOff + c];
    }
    qn.set(acc, i * d);
  }
}

export function memoryRetrieve(patterns: RealArray, n: number, d: number, count: number, params: MemoryParams, out: MemoryOutputs): void {
  checkParams(n, d, count, params);
  const stride = params.maxIter + 1;
  if (out.energies) out.energies.fill(NaN, 0, count * stride);
  const Real = (patterns.constructor as Float64ArrayConstructor);
  let active: number[] = [];
  const final = new Uint8Array(count).fill(params.maxIter === 0 ? 1 : 0);
  const failed = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    active.push(r);
    out.iterations[r] = 0;
    out.status[r] = MemoryStatus.MaxIterations;
  }
  const conjugate = out.energies ? new Float64Array(count) : null;
  const passFailed = new Uint8Array(count);
  const q = new Real(count * d);
  const scratch = out.scratch ?? new Real(2 * count * n);  // any two disjoint regions will do here
  const s = scratch.subarray(0, count * n);
  const p = scratch.subarray(count * n, 2 * count * n);
  const qn = new Real(count * d);
  // With a Gram matrix: the weights behind each active row's state, in the order of `active`.
  let stateWeights: (StateWeights | null)[] = [];
  for (let t = 0; active.length > 0; t++) {
    const nextWeights: (StateWeights | null)[] = [];
    const a = active.length;
    for (let i = 0; i < a; i++) q.set(out.states.subarray(active[i] * d, (active[i] + 1) * d), i * d);
    // Every row is active in the first pass (t === 0), in order.
    const given = t === 0 && out.firstScores;
    if (out.gram && out.gramReady && t > 0) fillGramRows(stateWeights, patterns, n, d, out.gram, out.gramReady);
    if (out.gram && t > 0) scoresOfStates(q, a, stateWeights, out.gram, patterns, n, d, params.beta, s);
    else if (!given) memoryScores(q, a, patterns, n, d, params.beta, s);
    passFailed.fill(0);
    transformRows(params, given ? out.firstScores as RealArray : s, a, n, p, conjugate, passFailed);
    // Weights below the smallest normal number become 0, as natively (subnormals would slow the read-out).
    const smallest = p instanceof Float32Array ? 1.1754943508222875e-38 : 2.2250738585072014e-308;
    for (let i = 0; i < a * n; i++) if (p[i] < smallest) p[i] = 0;
    readoutRows(p, a, patterns, n, d, qn);

    const next: number[] = [];
    for (let i = 0; i < a; i++) {
      const r = active[i];
      if (out.energies && conjugate) {
        let norm2 = 0;
        for (let c = 0; c < d; c++) norm2 += q[i * d + c] * q[i * d + c];
        out.energies[r * stride + t] = -conjugate[i] / params.beta + 0.5 * norm2;
      }
      const update = final[r] === 0;
      if (update || out.iterations[r] === 0) {
        if (out.weights) out.weights.set(p.subarray(i * n, (i + 1) * n), r * n);
        let support = 0;
        for (let j = 0; j < n; j++) if (p[i * n + j] > params.supportThreshold) support++;
        out.support[r] = support;
      }
      if (!update) continue;
      failed[r] |= passFailed[i];
      let change = 0;
      let scale = 1;
      for (let c = 0; c < d; c++) {
        change = Math.max(change, Math.abs(qn[i * d + c] - q[i * d + c]));
        scale = Math.max(scale, Math.abs(q[i * d + c]));
      }
      out.states.set(qn.subarray(i * d, (i + 1) * d), r * d);
      out.iterations[r] = t + 1;
      const converged = change <= params.tol * scale;
      if (converged) out.status[r] = failed[r] ? MemoryStatus.ActiveSetMaxIterations : MemoryStatus.Converged;
      else if (failed[r]) out.status[r] = MemoryStatus.ActiveSetMaxIterations;
      if (!converged && t + 1 < params.maxIter) next.push(r);
      else if (out.energies) {
        final[r] = 1;
        next.push(r);
      } else continue;
      if (out.gram) nextWeights.push(keepWeights(p, i * n, n, d));
    }
    active = next;
    stateWeights = nextWeights;
  }
}
