// Hopfield pooling (as HopfieldPooling of Ramsauer et al., with any memory transform): a bag Y of m
// instance vectors (m x inputDim) is the memory, and learned queries retrieve from it in one update:
//   K = Y Wk^T (keys), s_j = beta K q_j, p_j = yhat(s_j), out_j = Wv (Y^T p_j)   (Wv = I when absent).
// backward() gives the gradients of a loss through the outputs with respect to the queries, Wk, Wv
// and the bag, using the transform's symmetric Jacobian (J v for the transforms, the SparseMAP
// backward pass for sequential k-subsets).
import { getBackend } from '../backend';
import { Backend, BackendName, MemoryKind } from '../kernels';
import { checkedFloat64Array } from '../limits';
import { Rng } from '../rng';
import { largestMagnitude, scaledBy } from '../scaling';
import { sequentialKSubsetsBackward, sequentialKSubsetsBatch } from '../sparsemap/index';
import { entmax, kSubsets, normmax, softmax, sparsemax } from '../transforms/index';
import type { RealMatrix } from '../transforms/index';
import { checkInteger, checkOptions, optionKeys, checkPositive, checkSeed, describe, Matrix, toFiniteRealRows } from '../validate';
import { MemoryTransform, parseTransform, ParsedTransform } from './index';

/** Options of {@link HopfieldPooling}. */
export interface HopfieldPoolingOptions {
  /** Dimension of the bag's instances. */
  inputDim: number;
  /** Dimension of keys and queries (default inputDim). */
  keyDim?: number;
  /** Output dimension per query; omit (or null) for no value projection (outputs are in the input space). */
  valueDim?: number | null;
  /** Number of learned queries (default 1); the output has one row per query. */
  queries?: number;
  /** Default 'softmax'. */
  transform?: MemoryTransform;
  /** Inverse temperature (default 1 / sqrt(keyDim), as in attention). */
  beta?: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  backend?: BackendName;
}

/** The result of {@link HopfieldPooling.forward}. */
export interface PoolingOutput {
  /** queries x outputDim. */
  output: Matrix<Float64Array>;
  /** queries x m: the p of each query over the bag's instances. */
  weights: Matrix<Float64Array>;
  /** Nonzero weights per query. */
  support: Int32Array;
}

/** Gradients of a loss with respect to every parameter and the bag (same shapes, row-major). */
export interface PoolingGradients {
  queries: Float64Array;
  keyWeights: Float64Array;
  /** null without a value projection. */
  valueWeights: Float64Array | null;
  inputs: Float64Array;
}

interface Forward {
  y: Float64Array;
  m: number;
  keys: Float64Array;
  scores: Matrix<Float64Array>;
  p: Float64Array;
  pooled: Float64Array;
  result: PoolingOutput;
}

/**
 * A Hopfield pooling layer with learned queries over bags of vectors, trainable with
 * {@link AdamW} from its {@link HopfieldPooling.parameters} and {@link HopfieldPooling.backward}.
 *
 * @example
 * ```ts
 * import { AdamW, HopfieldPooling } from 'sshn';
 * const pool = new HopfieldPooling({ inputDim: 10, keyDim: 8, transform: 'sparsemax', seed: 1 });
 * const bag = [[...Array(10).keys()], Array(10).fill(1)];
 * const { output, weights } = pool.forward(bag);           // output: 1 x 10, weights: 1 x 2
 * const grads = pool.backward(bag, new Float64Array(10).fill(1)); // d(sum of outputs)
 * new AdamW(pool.parameters(), { learningRate: 0.01 }).step([grads.queries, grads.keyWeights]);
 * ```
 */
export class HopfieldPooling {
  /** Dimension of the bag's instances. */
  readonly inputDim: number;
  /** Dimension of keys and queries. */
  readonly keyDim: number;
  /** Output dimension per query; null without a value projection. */
  readonly valueDim: number | null;
  /** Number of learned queries (rows of the output). */
  readonly queryCount: number;
  /** Inverse temperature beta. */
  readonly beta: number;
  /** queries x keyDim, learned. */
  readonly queries: Float64Array;
  /** keyDim x inputDim, learned. */
  readonly keyWeights: Float64Array;
  /** valueDim x inputDim, learned; null without a value projection. */
  readonly valueWeights: Float64Array | null;
  private readonly parsed: ParsedTransform;
  private readonly backend: Backend;

  constructor(options: HopfieldPoolingOptions) {
    const o = checkOptions(options, 'options', optionKeys<HopfieldPoolingOptions>()('inputDim', 'keyDim', 'valueDim', 'queries', 'transform', 'beta', 'seed', 'backend'));
    this.inputDim = checkInteger(o.inputDim, 'options.inputDim', 1, 2 ** 24);
    this.keyDim = o.keyDim === undefined ? this.inputDim : checkInteger(o.keyDim, 'options.keyDim', 1, 2 ** 24);
    this.valueDim = o.valueDim === undefined || o.valueDim === null ? null : checkInteger(o.valueDim, 'options.valueDim', 1, 2 ** 24);
    this.queryCount = o.queries === undefined ? 1 : checkInteger(o.queries, 'options.queries', 1, 2 ** 16);
    this.beta = o.beta === undefined ? 1 / Math.sqrt(this.keyDim) : checkPositive(o.beta, 'options.beta');
    this.parsed = parseTransform(o.transform ?? 'softmax');
    this.backend = getBackend(o.backend as BackendName | undefined);
    const rng = new Rng(o.seed === undefined ? 0 : checkSeed(o.seed, 'options.seed'));
    // Glorot-style scales keep the initial scores of order one.
    const init = (what: string, length: number, fanIn: number) => {
      const w = checkedFloat64Array(what, length);
      for (let i = 0; i < length; i++) w[i] = rng.normal() / Math.sqrt(fanIn);
      return w;
    };
    this.queries = init('the queries (options.queries x options.keyDim)', this.queryCount * this.keyDim, 1);
    this.keyWeights = init('the key weights (options.keyDim x options.inputDim)', this.keyDim * this.inputDim, this.inputDim);
    this.valueWeights = this.valueDim === null ? null : init('the value weights (options.valueDim x options.inputDim)', this.valueDim * this.inputDim, this.inputDim);
  }

  /** Output size per query. */
  get outputDim(): number {
    return this.valueDim ?? this.inputDim;
  }

  /** The learned arrays, in the order backward() returns their gradients (for {@link AdamW}). */
  parameters(): Float64Array[] {
    return this.valueWeights ? [this.queries, this.keyWeights, this.valueWeights] : [this.queries, this.keyWeights];
  }

  /** Pools one bag (m x inputDim: number[][] or {data, rows, cols}). */
  forward(bag: unknown): PoolingOutput {
    return this.run(bag).result;
  }

  /** Gradients of a loss whose gradient with respect to the output (queries x outputDim) is gradOutput. */
  backward(bag: unknown, gradOutput: ArrayLike<number>): PoolingGradients {
    const { inputDim: d, keyDim: dk, queryCount: nq, beta } = this;
    const dv = this.outputDim;
    if (!(gradOutput && typeof gradOutput === 'object' && typeof gradOutput.length === 'number')) {
      throw new TypeError(`gradOutput must be an array or typed array, got ${describe(gradOutput)}`);
    }
    if (gradOutput.length !== nq * dv) throw new RangeError(`gradOutput must have ${nq * dv} entries (queries x outputDim), got ${gradOutput.length}`);
    // The gradients are linear in gradOutput: work on it scaled by a power of two to at most 1 and
    // scale back (both exact), so that only gradients beyond the double range (a RangeError) overflow.
    let largest = 0;
    for (let i = 0; i < gradOutput.length; i++) {
      if (!Number.isFinite(gradOutput[i])) throw new RangeError(`gradOutput[${i}] must be finite, got ${gradOutput[i]}`);
      largest = Math.max(largest, Math.abs(gradOutput[i]));
    }
    if (largest > 1) {
      const e = Math.ceil(Math.log2(largest));
      const grads = this.backward(bag, scaledBy(Float64Array.from(gradOutput), -e));
      const back = (g: Float64Array) => {
        const scaled = scaledBy(g, e);
        if (!scaled.every(Number.isFinite)) throw new RangeError(`gradOutput is too large: the gradients overflow (|gradOutput| up to ${largest})`);
        return scaled;
      };
      return {
        queries: back(grads.queries), keyWeights: back(grads.keyWeights), valueWeights: grads.valueWeights && back(grads.valueWeights), inputs: back(grads.inputs),
      };
    }
    const f = this.run(bag);
    const { m, y, keys, p, pooled } = f;
    const wv = this.valueWeights;
    // h_j = dL/d(Y^T p_j) = Wv^T g_j (or g_j); dL/dWv = g_j (Y^T p_j)^T.
    const h = checkedFloat64Array('dL/d(pooled) (queries x inputDim)', nq * d);
    const gradWv = wv ? checkedFloat64Array('the value weights gradient', dv * d) : null;
    for (let j = 0; j < nq; j++) {
      for (let o = 0; o < dv; o++) {
        const g = gradOutput[j * dv + o];
        if (!wv) {
          h[j * d + o] = g;
          continue;
        }
        for (let c = 0; c < d; c++) {
          h[j * d + c] += wv[o * d + c] * g;
          gradWv![o * d + c] += g * pooled[j * d + c];
        }
      }
    }
    // dL/dp_j = Y h_j, then dL/ds_j = J(s_j) Y h_j.
    const gradP = checkedFloat64Array('dL/dp (queries x bag rows)', nq * m);
    for (let j = 0; j < nq; j++) for (let i = 0; i < m; i++) gradP[j * m + i] = dotAt(y, i * d, h, j * d, d);
    this.checkOverflow(gradP, 'dL/dp = bag h', y);
    const gradS = this.transformJvp(f.scores, gradP);
    // s_j = beta K q_j: dL/dq_j = beta K^T gs_j; dL/dK = beta sum_j gs_j q_j^T.
    const gradQ = checkedFloat64Array('the queries gradient', nq * dk);
    const gradK = checkedFloat64Array('dL/dK (bag rows x keyDim)', m * dk);
    for (let j = 0; j < nq; j++) {
      for (let i = 0; i < m; i++) {
        const g = beta * gradS[j * m + i];
        if (g === 0) continue;
        for (let c = 0; c < dk; c++) {
          gradQ[j * dk + c] += g * keys[i * dk + c];
          gradK[i * dk + c] += g * this.queries[j * dk + c];
        }
      }
    }
    // K = Y Wk^T: dL/dWk = gradK^T Y, dL/dY += gradK Wk; and dL/dY += sum_j p_j h_j^T from the read-out.
    const gradWk = checkedFloat64Array('the key weights gradient', dk * d);
    const gradY = checkedFloat64Array('the bag gradient (bag rows x inputDim)', m * d);
    for (let i = 0; i < m; i++) {
      for (let c = 0; c < dk; c++) {
        const g = gradK[i * dk + c];
        if (g === 0) continue;
        for (let e = 0; e < d; e++) {
          gradWk[c * d + e] += g * y[i * d + e];
          gradY[i * d + e] += g * this.keyWeights[c * d + e];
        }
      }
      for (let j = 0; j < nq; j++) {
        const w = p[j * m + i];
        if (w === 0) continue;
        for (let e = 0; e < d; e++) gradY[i * d + e] += w * h[j * d + e];
      }
    }
    for (const g of [gradQ, gradWk, gradY, gradWv ?? gradY]) this.checkOverflow(g, 'the gradients', y);
    return { queries: gradQ, keyWeights: gradWk, valueWeights: gradWv, inputs: gradY };
  }

  /** A RangeError naming the bag (and the weights it meets) when `values`, computed from it, overflowed. */
  private checkOverflow(values: Float64Array, what: string, bag: Float64Array): void {
    for (let i = 0; i < values.length; i++) {
      if (Number.isFinite(values[i])) continue;
      const sizes = [['bag', bag], ['queries', this.queries], ['keyWeights', this.keyWeights], ['valueWeights', this.valueWeights ?? []]] as const;
      const largest = sizes.filter(([, a]) => a.length > 0).map(([name, a]) => `|${name}| up to ${largestMagnitude(a)}`).join(', ');
      throw new RangeError(`bag is too large for this layer: ${what} overflowed (${largest})`);
    }
  }

  private run(bag: unknown): Forward {
    const b = toFiniteRealRows(bag, 'bag', this.inputDim);
    const { rows: m, data: y } = b;
    const { inputDim: d, keyDim: dk, queryCount: nq, beta } = this;
    if (this.parsed.k > m) throw new RangeError(`the bag must hold at least k = ${this.parsed.k} instances, got ${m}`);
    const keys = checkedFloat64Array('the keys (bag rows x keyDim)', m * dk);
    for (let i = 0; i < m; i++) for (let c = 0; c < dk; c++) keys[i * dk + c] = dotAt(this.keyWeights, c * d, y, i * d, d);
    const scores = { data: checkedFloat64Array('the scores (queries x bag rows)', nq * m), rows: nq, cols: m };
    for (let j = 0; j < nq; j++) for (let i = 0; i < m; i++) scores.data[j * m + i] = beta * dotAt(keys, i * dk, this.queries, j * dk, dk);
    // A score of -Infinity would read as a mask, +Infinity or NaN as bad input to the transform.
    this.checkOverflow(scores.data, 'the scores beta (bag Wk^T) q', y);
    const p = this.transformForward(scores);
    const pooled = checkedFloat64Array('the pooled bag (queries x inputDim)', nq * d);
    for (let j = 0; j < nq; j++) {
      for (let i = 0; i < m; i++) {
        const w = p[j * m + i];
        if (w === 0) continue;
        for (let e = 0; e < d; e++) pooled[j * d + e] += w * y[i * d + e];
      }
    }
    const dv = this.outputDim;
    const output = checkedFloat64Array('the output (queries x outputDim)', nq * dv);
    if (this.valueWeights) {
      for (let j = 0; j < nq; j++) for (let o = 0; o < dv; o++) output[j * dv + o] = dotAt(this.valueWeights, o * d, pooled, j * d, d);
    } else {
      output.set(pooled);
    }
    this.checkOverflow(output, 'the output', y);
    const support = new Int32Array(nq);
    for (let k = 0; k < p.length; k++) if (p[k] !== 0) support[Math.floor(k / m)]++;
    return { y, m, keys, scores, p, pooled, result: { output: { data: output, rows: nq, cols: dv }, weights: { data: p, rows: nq, cols: m }, support } };
  }

  private transformForward(scores: Matrix<Float64Array>): Float64Array {
    const backend = this.backend.name;
    const { kind, param } = this.parsed;
    switch (kind) {
      case MemoryKind.Softmax:
        return (softmax(scores, { backend }) as RealMatrix).data as Float64Array;
      case MemoryKind.Sparsemax:
        return (sparsemax(scores, { backend }) as RealMatrix).data as Float64Array;
      case MemoryKind.Entmax:
        return (entmax(scores, { alpha: param, backend }) as RealMatrix).data as Float64Array;
      case MemoryKind.Normmax:
        return (normmax(scores, { gamma: param, backend }) as RealMatrix).data as Float64Array;
      case MemoryKind.KSubsets:
        return (kSubsets(scores, { k: param, backend }) as RealMatrix).data as Float64Array;
      default:
        return sequentialKSubsetsBatch(scores, this.sequentialOptions()).data;
    }
  }

  private transformJvp(scores: Matrix<Float64Array>, v: Float64Array): Float64Array {
    const backend = this.backend.name;
    const { kind, param } = this.parsed;
    const vm = { data: v, rows: scores.rows, cols: scores.cols };
    switch (kind) {
      case MemoryKind.Softmax:
        return softmax.jvp(scores, vm, { backend }).data as Float64Array;
      case MemoryKind.Sparsemax:
        return sparsemax.jvp(scores, vm, { backend }).data as Float64Array;
      case MemoryKind.Entmax:
        return entmax.jvp(scores, vm, { alpha: param, backend }).data as Float64Array;
      case MemoryKind.Normmax:
        return normmax.jvp(scores, vm, { gamma: param, backend }).data as Float64Array;
      case MemoryKind.KSubsets:
        return kSubsets.jvp(scores, vm, { k: param, backend }).data as Float64Array;
      default:
        return sequentialKSubsetsBackward(scores, vm, this.sequentialOptions()).data;
    }
  }

  private sequentialOptions() {
    const { param: k, bonus, maxActiveSetIter } = this.parsed;
    return { k, bonus, maxActiveSetIter, backend: this.backend.name };
  }
}

function dotAt(a: ArrayLike<number>, aOff: number, b: ArrayLike<number>, bOff: number, length: number): number {
  let s = 0;
  for (let i = 0; i < length; i++) s += a[aOff + i] * b[bOff + i];
  return s;
}
