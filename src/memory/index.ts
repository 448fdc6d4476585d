// Hopfield-Fenchel-Young memories (SPEC section 4): patterns X (n x d, one per row), queries q in R^d,
// the update q <- X^T yhat(beta X q) with a sparse or structured transformation yhat, and the energy
// E(q) = -(1/beta) Omega*(beta X q) + 1/2 ||q||^2, which the update never increases (it is the
// concave-convex procedure on E). softmax gives the modern Hopfield network; sparsemax, entmax and
// normmax retrieve single patterns exactly; k-subsets and sequential k-subsets retrieve sums of k
// patterns (pattern associations).
//
// Conjugates Omega* follow src/transforms (one-hot p gives Omega*(s) = max s); for sequential
// k-subsets Omega*(s) = max over the 2-state SequenceBudget polytope of <s, x> + bonus sum(v) - ||x||^2
// (the bonus is not scaled by beta).
//
// Exact retrieval: with the transform's margin m, a lead of beta (x_i.q - max_{j != i} x_j.q) >= m
// makes p one-hot, so one update returns x_i exactly. certify() turns this into a fixed-point test
// and a radius around each pattern (for k-subsets, around each sum of k patterns).
import { getBackend } from '../backend';
import { Backend, BackendName, MemoryKind, MemoryOutputs, MemoryParams, memoryScratchLength, RealArray } from '../kernels';
import { checkAllocation } from '../limits';
import { Rng } from '../rng';
import { blockScores, copyFilledRows, isShared, privateGram, sharedReal } from './sharing';
import { compress, concatenate } from './sparseRows';
import {
  checkBoolean, checkFinite, checkInteger, checkOneOf, checkOptions, checkPositive, describe, isArrayLikeOfNumbers, Matrix, optionKeys, RealConstructor, toFiniteReal, toFiniteRealRows,
} from '../validate';

/**
 * The transformation yhat of a memory: a name, or an object with the transformation's parameter.
 */
export type MemoryTransform =
  | 'softmax'
  | 'sparsemax'
  | 'entmax15'
  | { name: 'softmax' | 'sparsemax' | 'entmax15' }
  | { name: 'entmax'; alpha: number }
  | { name: 'normmax'; gamma: number }
  | { name: 'kSubsets'; k: number }
  | { name: 'sequentialKSubsets'; k: number; bonus?: number; maxActiveSetIter?: number };

/** Options of {@link HopfieldMemory}. */
export interface HopfieldMemoryOptions {
  /** Default 'softmax'. */
  transform?: MemoryTransform;
  /** Inverse temperature, in [1e-100, ...) (default 1). */
  beta?: number;
  /** Updates at most (default 100; 0 only evaluates the query). */
  maxIter?: number;
  /**
   * Stop once max |q_new - q| <= tol * max(1, max |q|) (default 1e-9, float32 1e-6). Values below
   * 8 units in the last place (8 eps: 1.8e-15, float32 9.5e-7) count as 8 eps, so 0 means "until
   * only rounding moves the state": near a fixed point rounding can move its last bits forever.
   */
  tol?: number;
  /** Storage and arithmetic precision; default float32 when the patterns are a Float32Array matrix, else float64. */
  dtype?: 'float64' | 'float32';
  backend?: BackendName;
  /** Threads for the matrix products and batches (0 = all cores; capped at the cores); results do not depend on it. */
  threads?: number;
}

/** Per-call options of the retrieval methods. */
export interface RetrieveOptions {
  maxIter?: number;
  tol?: number;
  /** Record E(q_0), ..., E(q_T) (default true for one query, false for a batch; costs one more product). */
  energies?: boolean;
  /** Entries of p above this count in the support (default 0: every nonzero; e.g. 1e-2 for softmax). */
  supportThreshold?: number;
  threads?: number;
}

/** Options of {@link HopfieldMemory.retrieveBatch}. */
export interface BatchRetrieveOptions extends RetrieveOptions {
  /** The final p of every query: 'sparse' rows (default), a 'dense' matrix, or 'none'. */
  weights?: 'sparse' | 'dense' | 'none';
  /**
   * The queries' scores beta X q as {@link HopfieldMemory.scores} returns them (queries x patterns,
   * in the memory's dtype), taken for the first update instead of computed again: retrieving the
   * same queries with several transforms of the same patterns and beta then computes the first
   * product once. The results are those of a call without it (up to the rounding of the scores
   * kernel, which for batches of 4 or more queries on AVX2/AVX-512 is the same). Read, not copied:
   * leave it unchanged until an async call settles.
   */
  scores?: Matrix<RealArray>;
  /**
   * The Gram matrix X X^T of the patterns, as {@link HopfieldMemory.gram} returns it. An update
   * from a state whose p has few nonzeros (nnz * 32 <= d), q = sum_j p_j x_j, then takes its scores
   * as beta sum_j p_j G_j, reading nnz rows of G instead of multiplying by all of X: the same scores
   * up to rounding (bitwise for a one-hot p on AVX2/AVX-512). It holds n^2 entries; it pays for
   * many retrievals with sparse transforms, and one serves every memory of the same patterns, at
   * any beta. Checked against the patterns on its diagonal and a sample of entries (of the rows
   * filled, for an on-demand one); read, not copied (an on-demand one is written: its missing rows
   * that an update needs are computed and flagged).
   */
  gram?: GramMatrix;
}

/** X X^T (n x n) as {@link HopfieldMemory.gram} returns it, for options.gram of the batch retrievals. */
export interface GramMatrix extends Matrix<RealArray> {
  /**
   * Only on an on-demand Gram matrix (options.rows 'onDemand'): ready[j] is 1 once row j holds
   * X x_j. The retrievals it is passed to compute the rows they need that are missing and flag them.
   */
  ready?: Uint8Array;
}

/** Options of {@link HopfieldMemory.gram}. */
export interface GramOptions {
  /**
   * 'all' (default): every row computed now, by symmetry (the upper half of the products). 'onDemand':
   * none now; a retrieval computes the rows its states need the first time (n^2 entries of address
   * space, of which only the rows used touch memory; rows of the same values, bitwise on AVX2/AVX-512).
   */
  rows?: 'all' | 'onDemand';
}

/** How a retrieval ended. */
export type RetrievalStatus = 'converged' | 'max-iterations' | 'active-set-max-iterations';

/** The result of {@link HopfieldMemory.retrieve}. */
export interface RetrievalResult {
  /** The final state q_T. */
  state: RealArray;
  /** The p over the patterns that produced it (q_T = X^T p); exact zeros where the transform is sparse (and below the smallest normal number of the precision). */
  weights: RealArray;
  /** Entries of weights above the support threshold. */
  support: number;
  /** Updates run. */
  iterations: number;
  converged: boolean;
  status: RetrievalStatus;
  /** E(q_0), ..., E(q_T) (empty when not asked for). */
  energies: Float64Array;
}

/** Rows of a sparse matrix in compressed form: row r holds values[indptr[r]..indptr[r+1]) at columns indices[...]. */
export interface SparseRows {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: RealArray;
}

/** The result of {@link HopfieldMemory.retrieveBatch}: one row per query. */
export interface BatchRetrievalResult {
  states: Matrix<RealArray>;
  /** Per options.weights: SparseRows, a dense queries x patterns matrix, or null. */
  weights: SparseRows | Matrix<RealArray> | null;
  support: Int32Array;
  iterations: Int32Array;
  converged: boolean[];
  status: RetrievalStatus[];
  /** queries x (maxIter + 1): E(q_0..q_T) per row, then NaN; null unless options.energies. */
  energies: Matrix<Float64Array> | null;
}

/** The exact-retrieval certificate of a pattern (or, for k-subsets, of a sum of k patterns). */
export interface RetrievalCertificate {
  /** The pattern indices certified (one, or k for k-subsets), ascending. */
  patterns: number[];
  /** The transform's margin m (Infinity for softmax, which never gives a one-hot p). */
  margin: number;
  /** Delta = min_{i in S} x_i.x_S - max_{j not in S} x_j.x_S, with x_S the sum of the patterns (one pattern: ||x_i||^2 - max_j x_i.x_j). */
  separation: number;
  /** beta * Delta >= m: x_S is a fixed point, reached exactly. */
  fixedPoint: boolean;
  /** (Delta - m / beta) / (2 M), M the largest pattern norm: every query this close to x_S (Euclidean) is mapped to x_S by one update; 0 when not a fixed point. */
  radius: number;
}

/** A transform spec checked and reduced to kernel codes (shared with the pooling layer). */
export interface ParsedTransform {
  kind: MemoryKind;
  param: number;
  bonus: number;
  maxActiveSetIter: number;
  margin: number;
  /** Patterns the state sums (k for the k-subsets transforms, else 1). */
  k: number;
  spec: MemoryTransform;
}

/** The smallest tolerance a retrieval uses: 8 eps of the precision (see HopfieldMemoryOptions.tol). */
const ROUNDING_TOL = { float64: 8 * 2 ** -52, float32: 8 * 2 ** -23 } as const;

const MEMORY_KEYS = optionKeys<HopfieldMemoryOptions>()('transform', 'beta', 'maxIter', 'tol', 'dtype', 'backend', 'threads');
const RETRIEVE_KEYS = optionKeys<RetrieveOptions>()('maxIter', 'tol', 'energies', 'supportThreshold', 'threads');
const BATCH_KEYS = optionKeys<BatchRetrieveOptions>()('maxIter', 'tol', 'energies', 'supportThreshold', 'threads', 'weights', 'scores', 'gram');
const GRAM_KEYS = optionKeys<GramOptions>()('rows');

type TransformSpec = Exclude<MemoryTransform, string>;
// The spec object a transform name belongs to.
type SpecNamed<N> = TransformSpec extends infer U ? (U extends { name: infer M } ? (N extends M ? U : never) : never) : never;
// The keys each transform's spec takes, checked against MemoryTransform.
const TRANSFORM_SPEC_KEYS: { [N in TransformSpec['name']]: readonly (keyof SpecNamed<N> & string)[] } = {
  softmax: ['name'],
  sparsemax: ['name'],
  entmax15: ['name'],
  entmax: ['name', 'alpha'],
  normmax: ['name', 'gamma'],
  kSubsets: ['name', 'k'],
  sequentialKSubsets: ['name', 'k', 'bonus', 'maxActiveSetIter'],
};

const STATUS_NAMES: RetrievalStatus[] = ['converged', 'max-iterations', 'active-set-max-iterations'];
/** Score and weight buffers of one kernel call stay below this. */
const CHUNK_BYTES = 256 * 2 ** 20;

export function parseTransform(value: unknown): ParsedTransform {
  const base = { bonus: 0, maxActiveSetIter: 1000, k: 1 };
  const spec = typeof value === 'string' ? { name: value } : value;
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new TypeError(`options.transform must be a transform name or { name, ... }, got ${describe(value)}`);
  }
  const t = spec as Record<string, unknown>;
  const name = checkOneOf(t.name, 'options.transform.name', ['softmax', 'sparsemax', 'entmax15', 'entmax', 'normmax', 'kSubsets', 'sequentialKSubsets']);
  checkOptions(t, 'options.transform', TRANSFORM_SPEC_KEYS[name]);
  switch (name) {
    case 'softmax':
      return { ...base, kind: MemoryKind.Softmax, param: 0, margin: Infinity, spec: { name } };
    case 'sparsemax':
      return { ...base, kind: MemoryKind.Sparsemax, param: 0, margin: 1, spec: { name } };
    case 'entmax15':
      return { ...base, kind: MemoryKind.Entmax, param: 1.5, margin: 2, spec: { name } };
    case 'entmax': {
      const alpha = checkFinite(t.alpha, 'options.transform.alpha');
      if (!(alpha >= 1)) throw new RangeError(`options.transform.alpha must be >= 1, got ${alpha}`);
      return { ...base, kind: MemoryKind.Entmax, param: alpha, margin: alpha === 1 ? Infinity : 1 / (alpha - 1), spec: { name, alpha } };
    }
    case 'normmax': {
      const gamma = checkFinite(t.gamma, 'options.transform.gamma');
      if (!(gamma > 1)) throw new RangeError(`options.transform.gamma must be > 1, got ${gamma}`);
      return { ...base, kind: MemoryKind.Normmax, param: gamma, margin: 1, spec: { name, gamma } };
    }
    case 'kSubsets': {
      const k = checkInteger(t.k, 'options.transform.k', 1);
      return { ...base, kind: MemoryKind.KSubsets, param: k, margin: 1, k, spec: { name, k } };
    }
    default: {
      const k = checkInteger(t.k, 'options.transform.k', 1);
      const bonus = t.bonus === undefined ? 0 : checkFinite(t.bonus, 'options.transform.bonus');
      if (Math.abs(bonus) > 1e150) throw new RangeError(`options.transform.bonus must be at most 1e150 in magnitude (as factor scores), got ${bonus}`);
      const maxActiveSetIter = t.maxActiveSetIter === undefined ? 1000 : checkInteger(t.maxActiveSetIter, 'options.transform.maxActiveSetIter', 1);
      // No margin is known for the structured factor with a bonus.
      return { kind: MemoryKind.SequentialKSubsets, param: k, bonus, maxActiveSetIter, margin: NaN, k, spec: { name: 'sequentialKSubsets', k, bonus, maxActiveSetIter } };
    }
  }
}

/**
 * A Hopfield-Fenchel-Young associative memory over n stored patterns of dimension d. Synchronous
 * batch calls keep their working buffer (scores and weights of a block of queries, up to about
 * 256 MiB) for the next call, since fresh memory costs page faults on every call.
 *
 * @example
 * ```ts
 * import { HopfieldMemory } from 'sshn';
 * const memory = new HopfieldMemory([[1, 0, 0], [0, 1, 0], [0, 0, 1]], { transform: 'sparsemax', beta: 4 });
 * const r = memory.retrieve([0.9, 0.2, 0.1]);
 * r.state;   // Float64Array [1, 0, 0]: the first pattern, exactly
 * r.support; // 1
 * memory.certify(0); // { fixedPoint: true, radius: 0.375, ... }
 * ```
 */
export class HopfieldMemory {
  /** Pattern dimension d. */
  readonly dimension: number;
  /** Storage precision. */
  readonly dtype: 'float64' | 'float32';
  /** Inverse temperature beta. */
  readonly beta: number;
  /** Default updates per retrieval. */
  readonly maxIter: number;
  /** Default convergence tolerance of a retrieval. */
  readonly tol: number;
  private readonly parsed: ParsedTransform;
  private readonly backend: Backend;
  private readonly threads: number;
  private readonly Real: RealConstructor;
  // Replaced, never written in place, by add/remove: async calls in flight keep the array they started with.
  private data: RealArray;
  private count: number;
  private maxNorm = -1;
  /** The working buffer of synchronous batch calls, kept for the next one (see chunks). */
  private kept: RealArray | null = null;

  constructor(patterns: unknown, options: HopfieldMemoryOptions = {}) {
    const o = checkOptions(options, 'options', MEMORY_KEYS);
    this.backend = getBackend(o.backend as BackendName | undefined);
    const typedData = patterns !== null && typeof patterns === 'object' && 'data' in patterns ? (patterns as Matrix).data : undefined;
    this.dtype = o.dtype === undefined ? (typedData instanceof Float32Array ? 'float32' : 'float64') : checkOneOf(o.dtype, 'options.dtype', ['float64', 'float32']);
    this.Real = this.dtype === 'float32' ? Float32Array : Float64Array;
    const m = toFiniteRealRows(patterns, 'patterns', undefined, this.Real);
    this.data = m.data;
    this.count = m.rows;
    this.dimension = m.cols;
    if (this.dimension < 1) throw new RangeError('patterns must have at least one column');
    this.parsed = parseTransform(o.transform ?? 'softmax');
    this.beta = o.beta === undefined ? 1 : checkPositive(o.beta, 'options.beta');
    // The energy divides Omega*(beta X q) (of order log n as beta -> 0) by beta.
    if (this.beta < 1e-100) throw new RangeError(`options.beta must be >= 1e-100 (the energies would overflow), got ${this.beta}`);
    this.maxIter = o.maxIter === undefined ? 100 : checkInteger(o.maxIter, 'options.maxIter', 0, 2 ** 30);
    // float32 states jitter by a few units in the last place near a fixed point.
    this.tol = o.tol === undefined ? (this.dtype === 'float32' ? 1e-6 : 1e-9) : checkNonNegative(o.tol, 'options.tol');
    this.threads = o.threads === undefined ? 0 : checkInteger(o.threads, 'options.threads', 0, 1024);
    this.checkPatternCount(this.count);
    this.checkScale(new this.Real(0), 0);
  }

  /** Number of stored patterns n. */
  get size(): number {
    return this.count;
  }

  /** The transformation, normalised (e.g. { name: 'entmax', alpha: 1.3 }). */
  get transform(): MemoryTransform {
    const spec = this.parsed.spec;
    return typeof spec === 'string' ? spec : { ...spec };
  }

  /** A copy of the stored patterns, n x d. */
  patterns(): Matrix<RealArray> {
    return { data: this.data.slice(), rows: this.count, cols: this.dimension };
  }

  /** Appends patterns (rows of length d). */
  add(patterns: unknown): void {
    const m = toFiniteRealRows(patterns, 'patterns', this.dimension, this.Real);
    checkAllocation('memory patterns', (this.count + m.rows) * this.dimension, this.Real.BYTES_PER_ELEMENT);
    const next = new this.Real((this.count + m.rows) * this.dimension);
    next.set(this.data);
    next.set(m.data, this.data.length);
    const previous = { data: this.data, count: this.count };
    this.data = next;
    this.count += m.rows;
    this.maxNorm = -1;
    try {
      this.checkScale(new this.Real(0), 0);
    } catch (error) {
      ({ data: this.data, count: this.count } = previous);
      this.maxNorm = -1;
      throw error;
    }
  }

  /** Removes the patterns at the given indices (the others keep their order). */
  remove(indices: number | ArrayLike<number>): void {
    const drop = new Uint8Array(this.count);
    for (const index of checkIndices(indices, 'indices', this.count)) drop[index] = 1;
    const kept = this.count - drop.reduce((a, b) => a + b, 0);
    this.checkPatternCount(kept);
    const next = new this.Real(kept * this.dimension);
    let row = 0;
    for (let i = 0; i < this.count; i++) {
      if (drop[i]) continue;
      next.set(this.data.subarray(i * this.dimension, (i + 1) * this.dimension), row * this.dimension);
      row++;
    }
    this.data = next;
    this.count = kept;
    this.maxNorm = -1;
  }

  /** The scores beta X q of one query (length n) or of each row of a batch (queries x n). */
  scores(query: ArrayLike<number>): RealArray;
  scores(queries: Matrix | ArrayLike<number>[]): Matrix<RealArray>;
  scores(query: unknown): RealArray | Matrix<RealArray> {
    const single = isVector(query);
    const { q, rows } = this.toQueries(query, single ? 'query' : 'queries', single);
    checkAllocation('scores', rows * this.count, this.Real.BYTES_PER_ELEMENT);
    // Shared memory, which cannot be detached: async retrievals given these scores read them in place.
    const out = sharedReal(this.Real, rows * this.count);
    this.backend.memoryScores(q, rows, this.data, this.count, this.dimension, this.beta, out, this.threads);
    return single ? out : { data: out, rows, cols: this.count };
  }

  /**
   * The Gram matrix X X^T (n x n) of the stored patterns, for options.gram of the batch retrievals:
   * computed now, or (options.rows 'onDemand') row by row as retrievals need them, which pays when
   * the states of the retrievals use few of the patterns.
   */
  gram(options: GramOptions = {}): GramMatrix {
    const o = checkOptions(options, 'options', GRAM_KEYS);
    const rows = o.rows === undefined ? 'all' : checkOneOf(o.rows, 'options.rows', ['all', 'onDemand'] as const);
    const n = this.count;
    checkAllocation('Gram matrix', n * n, this.Real.BYTES_PER_ELEMENT);
    // On SharedArrayBuffers, which cannot be detached: async retrievals read (and fill) them in place.
    const out = sharedReal(this.Real, n * n);
    if (rows === 'onDemand') return { data: out, rows: n, cols: n, ready: new Uint8Array(new SharedArrayBuffer(n)) };
    this.backend.memoryGram(this.data, n, this.dimension, out, this.threads);
    return { data: out, rows: n, cols: n };
  }

  /**
   * Runs the updates from one query: q_{t+1} = X^T yhat(beta X q_t) until the state stops
   * changing (options.tol) or options.maxIter updates.
   */
  retrieve(query: ArrayLike<number>, options: RetrieveOptions = {}): RetrievalResult {
    const run = this.prepare(query, options, true, 'dense');
    this.backend.memoryRetrieve(run.patterns, run.n, this.dimension, run.rows, run.params, run.out);
    return this.single(run);
  }

  /** retrieve() off the main thread (libuv pool for native); the query is copied first. */
  async retrieveAsync(query: ArrayLike<number>, options: RetrieveOptions = {}): Promise<RetrievalResult> {
    const run = this.prepare(query, options, true, 'dense');
    await this.backend.memoryRetrieveAsync(run.patterns, run.n, this.dimension, run.rows, run.params, run.out);
    return this.single(run);
  }

  /** retrieve() for every row of a batch, with matrix-matrix products over blocks of queries. */
  retrieveBatch(queries: Matrix | ArrayLike<number>[], options: BatchRetrieveOptions = {}): BatchRetrievalResult {
    const o = checkOptions(options, 'options', BATCH_KEYS);
    const run = this.prepare(queries, o, false, weightsMode(o.weights));
    this.runBlocks(run);
    return this.batch(run);
  }

  /**
   * retrieveBatch() off the main thread, a block of queries at a time, on the patterns of the
   * moment of the call (add and remove while it runs do not change its result). The queries are
   * copied; options.scores and options.gram are read (an on-demand Gram matrix also filled) in
   * place when they come from memory.scores() and memory.gram() (shared memory, which cannot be
   * detached), else copied (the scores a block at a time).
   */
  async retrieveBatchAsync(queries: Matrix | ArrayLike<number>[], options: BatchRetrieveOptions = {}): Promise<BatchRetrievalResult> {
    const o = checkOptions(options, 'options', BATCH_KEYS);
    const run = this.prepare(queries, o, false, weightsMode(o.weights));
    const callersGram = privateGram(run.out);
    for (const chunk of this.chunks(run, false)) await this.backend.memoryRetrieveAsync(run.patterns, run.n, this.dimension, chunk.rows, run.params, chunk.out);
    if (callersGram) copyFilledRows(run.out, callersGram, run.n);
    return this.batch(run);
  }

  /** E(q) = -(1/beta) Omega*(beta X q) + 1/2 ||q||^2 of one query. */
  energy(query: ArrayLike<number>): number {
    const q = toFiniteReal(query, 'query', this.dimension, this.Real);
    return this.energyBatch({ data: q, rows: 1, cols: this.dimension })[0];
  }

  /** E(q) of each row of a batch. */
  energyBatch(queries: Matrix | ArrayLike<number>[]): Float64Array {
    const run = this.prepare(queries, { maxIter: 0, energies: true }, false, 'none');
    this.runBlocks(run);
    return run.out.energies as Float64Array;
  }

  /** A prepared run on the calling thread, block by block. */
  private runBlocks(run: PreparedRun): void {
    for (const chunk of this.chunks(run, true)) this.backend.memoryRetrieve(run.patterns, run.n, this.dimension, chunk.rows, run.params, chunk.out);
  }

  /**
   * The exact-retrieval certificate of pattern i (SPEC section 4), or for k-subsets of the sum of
   * the k patterns given.
   */
  certify(patterns: number | ArrayLike<number>): RetrievalCertificate {
    const { k, margin, kind } = this.parsed;
    if (kind === MemoryKind.SequentialKSubsets) throw new RangeError('certify: sequential k-subsets have no known margin');
    const list = checkIndices(patterns, 'patterns', this.count);
    if (list.length !== k) throw new RangeError(`patterns must list ${k} pattern${k === 1 ? '' : 's'} for this transform, got ${list.length}`);
    const chosen = new Uint8Array(this.count);
    const sorted: number[] = [];
    for (let i = 0; i < list.length; i++) {
      const index = list[i];
      if (chosen[index]) throw new RangeError(`patterns[${i}] repeats pattern ${index}`);
      chosen[index] = 1;
      sorted.push(index);
    }
    sorted.sort((a, b) => a - b);
    const d = this.dimension;
    const sum = new this.Real(d);
    const acc = new Float64Array(d);
    for (const i of sorted) for (let c = 0; c < d; c++) acc[c] += this.data[i * d + c];
    sum.set(acc);
    const dots = new this.Real(this.count);
    this.backend.memoryScores(sum, 1, this.data, this.count, d, 1, dots, this.threads);
    let inside = Infinity;
    let outside = -Infinity;
    for (let j = 0; j < this.count; j++) {
      if (chosen[j]) inside = Math.min(inside, dots[j]);
      else outside = Math.max(outside, dots[j]);
    }
    // With every pattern chosen nothing competes.
    const separation = inside - outside;
    const slack = separation - margin / this.beta;
    const fixedPoint = slack >= 0;
    return { patterns: sorted, margin, separation, fixedPoint, radius: fixedPoint ? slack / (2 * this.largestNorm()) : 0 };
  }

  private largestNorm(): number {
    if (this.maxNorm < 0) {
      let best = 0;
      for (let i = 0; i < this.count; i++) {
        let s = 0;
        for (let c = 0; c < this.dimension; c++) s += this.data[i * this.dimension + c] ** 2;
        best = Math.max(best, s);
      }
      this.maxNorm = Math.sqrt(best);
    }
    return this.maxNorm;
  }

  private checkPatternCount(n: number): void {
    if (n < 1) throw new RangeError('the memory must keep at least one pattern');
    if (this.parsed.k > n) throw new RangeError(`options.transform.k must be <= the number of patterns (${n}), got ${this.parsed.k}`);
  }

  /** One query (a vector) or a batch of rows, copied into the memory's precision. */
  private toQueries(value: unknown, name: string, isVector: boolean): { q: RealArray; rows: number } {
    const m = isVector
      ? { data: toFiniteReal(value, name, this.dimension, this.Real), rows: 1 }
      : toFiniteRealRows(value, name, this.dimension, this.Real);
    this.checkScale(m.data, m.rows);
    return { q: m.data, rows: m.rows };
  }

  // Scores beta x_i.q must stay finite in the working precision (states after an update have norm <= k M).
  private checkScale(q: RealArray, rows: number): void {
    const limit = this.dtype === 'float32' ? 1e37 : 1e300;
    const m = this.largestNorm();
    let norm = this.parsed.k * m;
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let c = 0; c < this.dimension; c++) s += q[r * this.dimension + c] ** 2;
      norm = Math.max(norm, Math.sqrt(s));
    }
    // Norms below 1 count as 1, so that beta itself stays within the precision's range too.
    const bound = this.beta * Math.max(1, m) * Math.max(1, norm);
    if (!(bound < limit)) throw new RangeError(`beta * |pattern| * |state| = ${bound} would overflow the scores`);
  }

  private prepare(query: unknown, rawOptions: unknown, single: boolean, weights: 'sparse' | 'dense' | 'none'): PreparedRun {
    const o = checkOptions(rawOptions, 'options', single ? RETRIEVE_KEYS : BATCH_KEYS);
    const maxIter = o.maxIter === undefined ? this.maxIter : checkInteger(o.maxIter, 'options.maxIter', 0, 2 ** 30);
    const tol = Math.max(o.tol === undefined ? this.tol : checkNonNegative(o.tol, 'options.tol'), ROUNDING_TOL[this.dtype]);
    const energies = o.energies === undefined ? single : checkBoolean(o.energies, 'options.energies');
    const supportThreshold = o.supportThreshold === undefined ? 0 : checkNonNegative(o.supportThreshold, 'options.supportThreshold');
    const threads = o.threads === undefined ? this.threads : checkInteger(o.threads, 'options.threads', 0, 1024);
    const { q, rows } = this.toQueries(query, single ? 'query' : 'queries', single);
    const n = this.count;
    const firstScores = o.scores === undefined ? null : this.checkScores(o.scores, rows);
    const { gram, gramReady } = o.gram === undefined ? { gram: null, gramReady: null } : this.checkGram(o.gram);
    const stride = maxIter + 1;
    if (weights === 'dense' || weights === 'sparse') checkAllocation('retrieval weights', (weights === 'dense' ? rows : Math.min(rows, this.chunkRows(n))) * n, this.Real.BYTES_PER_ELEMENT);
    if (energies) checkAllocation('energy traces', rows * stride, 8);
    const params: MemoryParams = {
      kind: this.parsed.kind,
      param: this.parsed.param,
      bonus: this.parsed.bonus,
      beta: this.beta,
      maxIter,
      tol,
      supportThreshold,
      maxActiveSetIter: this.parsed.maxActiveSetIter,
      threads,
    };
    const out: MemoryOutputs = {
      states: q,
      weights: weights === 'dense' ? new this.Real(rows * n) : null,
      support: new Int32Array(rows),
      iterations: new Int32Array(rows),
      status: new Uint8Array(rows),
      energies: energies ? new Float64Array(rows * stride) : null,
      firstScores,
      scratch: null,
      gram,
      gramReady,
    };
    return { patterns: this.data, n, rows, params, out, weights, stride, sparse: weights === 'sparse' ? [] : null };
  }

  /** options.scores: queries x patterns finite scores in the memory's dtype (not copied: they may be large). */
  private checkScores(value: unknown, rows: number): RealArray {
    const m = value as { data?: unknown; rows?: unknown; cols?: unknown } | null;
    if (m === null || typeof m !== 'object' || !(m.data instanceof this.Real)) {
      throw new TypeError(`options.scores must be a { data, rows, cols } matrix with ${this.Real.name} data, as memory.scores returns, got ${describe(value)}`);
    }
    if (m.rows !== rows || m.cols !== this.count || m.data.length !== rows * this.count) {
      throw new RangeError(`options.scores must be ${rows} x ${this.count} (queries x patterns), got ${m.rows} x ${m.cols} with ${m.data.length} entries`);
    }
    const bad = this.backend.memoryFirstNonFinite(m.data, this.threads);
    if (bad >= 0) throw new RangeError(`options.scores.data[${bad}] must be finite, got ${m.data[bad]}`);
    return m.data;
  }

  /**
   * options.gram: n x n in the memory's dtype, equal to X X^T on the diagonal and on a fixed sample
   * of entries of its filled rows (all, or those `ready` flags on an on-demand one).
   */
  private checkGram(value: unknown): { gram: RealArray; gramReady: Uint8Array | null } {
    const m = value as { data?: unknown; rows?: unknown; cols?: unknown; ready?: unknown } | null;
    const n = this.count;
    const d = this.dimension;
    if (m === null || typeof m !== 'object' || !(m.data instanceof this.Real)) {
      throw new TypeError(`options.gram must be a { data, rows, cols } matrix with ${this.Real.name} data, as memory.gram() returns, got ${describe(value)}`);
    }
    if (m.rows !== n || m.cols !== n || m.data.length !== n * n) {
      throw new RangeError(`options.gram must be ${n} x ${n} (patterns x patterns), got ${m.rows} x ${m.cols} with ${m.data.length} entries`);
    }
    const ready = m.ready === undefined ? null : m.ready;
    if (ready !== null && !(ready instanceof Uint8Array && ready.length === n)) {
      throw new TypeError(`options.gram.ready must be a Uint8Array of ${n} flags (one per pattern), as memory.gram({ rows: 'onDemand' }) returns, got ${describe(ready)}`);
    }
    const g = m.data;
    // Rounding of a d-term dot product in the working precision, relative to |x_i| |x_j|.
    const tolerance = d * (this.dtype === 'float32' ? 2 ** -22 : 2 ** -50);
    const check = (i: number, j: number): void => {
      let dot = 0, ni = 0, nj = 0;
      for (let c = 0; c < d; c++) {
        const a = this.data[i * d + c], b = this.data[j * d + c];
        dot += a * b;
        ni += a * a;
        nj += b * b;
      }
      const v = g[i * n + j];
      if (!(Math.abs(v - dot) <= tolerance * Math.sqrt(ni * nj) + Number.MIN_VALUE)) {
        throw new RangeError(`options.gram is not X X^T of this memory's patterns: entry (${i}, ${j}) is ${v}, x_${i}.x_${j} = ${dot}`);
      }
    };
    const filled: number[] = [];
    for (let i = 0; i < n; i++) if (!ready || ready[i]) filled.push(i);
    for (const i of filled) check(i, i);
    const rng = new Rng(n);
    if (filled.length > 0) for (let k = 0; k < Math.min(256, n * n); k++) check(filled[rng.below(filled.length)], rng.below(n));
    return { gram: g, gramReady: ready };
  }

  private chunkRows(n: number): number {
    return Math.max(1, Math.floor(CHUNK_BYTES / (3 * n * this.Real.BYTES_PER_ELEMENT)));
  }

  /**
   * Blocks of rows as views into the run's outputs; sparse weights are gathered after each block.
   * The blocks share one working buffer (the kernel's scores and weights, and the dense weights
   * of a block to gather): fresh pages cost their faults (about 0.5 s per GB on the VMs seen here).
   * Synchronous calls (`keep`) keep it for the next call (about CHUNK_BYTES at most); async calls,
   * which may overlap, have their own, and copy each block's given first scores into it unless
   * they are on shared memory (memory.scores()'s), since the caller could detach them meanwhile.
   */
  private *chunks(run: PreparedRun, keep: boolean): Generator<{ rows: number; out: MemoryOutputs }> {
    const n = run.n;
    const step = this.chunkRows(n);
    const d = this.dimension;
    const blockRows = Math.min(step, run.rows);
    const scratchLength = memoryScratchLength(blockRows, n);
    const copyScores = !keep && run.out.firstScores !== null && !isShared(run.out.firstScores);
    const needed = scratchLength + (run.sparse ? blockRows * n : 0) + (copyScores ? blockRows * n : 0);
    let buffer: RealArray;
    if (keep) {
      if (!this.kept || this.kept.length < needed) this.kept = new this.Real(needed);
      buffer = this.kept;
    } else {
      buffer = new this.Real(needed);
    }
    const sparseWeights = run.sparse ? buffer.subarray(scratchLength, scratchLength + blockRows * n) : null;
    const scoresCopy = copyScores ? buffer.subarray(needed - blockRows * n) : null;
    for (let start = 0; start < run.rows; start += step) {
      const rows = Math.min(step, run.rows - start);
      const o = run.out;
      const weights = sparseWeights ? sparseWeights.subarray(0, rows * n) : o.weights ? o.weights.subarray(start * n, (start + rows) * n) : null;
      yield {
        rows,
        out: {
          states: o.states.subarray(start * d, (start + rows) * d),
          weights,
          support: o.support.subarray(start, start + rows),
          iterations: o.iterations.subarray(start, start + rows),
          status: o.status.subarray(start, start + rows),
          energies: o.energies ? o.energies.subarray(start * run.stride, (start + rows) * run.stride) : null,
          firstScores: o.firstScores ? blockScores(o.firstScores, run.rows, n, start, rows, scoresCopy) : null,
          scratch: buffer.subarray(0, memoryScratchLength(rows, n)),
          gram: o.gram,
          gramReady: o.gramReady,
        },
      };
      if (run.sparse && weights) run.sparse.push(compress(weights, rows, n));
    }
  }

  private single(run: PreparedRun): RetrievalResult {
    const iterations = run.out.iterations[0];
    const status = STATUS_NAMES[run.out.status[0]];
    return {
      state: run.out.states,
      weights: run.out.weights as RealArray,
      support: run.out.support[0],
      iterations,
      converged: status === 'converged',
      status,
      energies: run.out.energies ? run.out.energies.slice(0, iterations + 1) : new Float64Array(0),
    };
  }

  private batch(run: PreparedRun): BatchRetrievalResult {
    const { out, rows } = run;
    const status = Array.from(out.status, (s) => STATUS_NAMES[s]);
    let weights: BatchRetrievalResult['weights'] = null;
    if (run.weights === 'dense') weights = { data: out.weights as RealArray, rows, cols: run.n };
    else if (run.sparse) weights = concatenate(run.sparse, rows, run.n, this.Real);
    return {
      states: { data: out.states, rows, cols: this.dimension },
      weights,
      support: out.support,
      iterations: out.iterations,
      converged: status.map((s) => s === 'converged'),
      status,
      energies: out.energies ? { data: out.energies, rows, cols: run.stride } : null,
    };
  }
}

interface PreparedRun {
  /** The patterns (n x d) when the call was made: add and remove replace the memory's array. */
  patterns: RealArray;
  n: number;
  rows: number;
  params: MemoryParams;
  out: MemoryOutputs;
  weights: 'sparse' | 'dense' | 'none';
  stride: number;
  /** Compressed weights of each block so far (weights 'sparse'). */
  sparse: SparseRows[] | null;
}

/** A vector (number[] or typed array) rather than rows (arrays of rows or a {data, rows, cols} matrix). */
function isVector(value: unknown): boolean {
  return isArrayLikeOfNumbers(value) && !(Array.isArray(value) && value.length > 0 && typeof value[0] === 'object');
}

/** An index (named `name`) or an array of them (`name[i]`), each in [0, count). */
function checkIndices(value: unknown, name: string, count: number): number[] {
  const single = typeof value === 'number';
  const list = single ? [value] : value;
  if (!isArrayLikeOfNumbers(list)) throw new TypeError(`${name} must be an index or an array of indices, got ${describe(value)}`);
  return Array.from(list, (v, i) => checkInteger(v, single ? name : `${name}[${i}]`, 0, count - 1));
}

function checkNonNegative(value: unknown, name: string): number {
  const v = checkFinite(value, name);
  if (v < 0) throw new RangeError(`${name} must be >= 0, got ${v}`);
  return v;
}

function weightsMode(value: unknown): 'sparse' | 'dense' | 'none' {
  return value === undefined ? 'sparse' : checkOneOf(value, 'options.weights', ['sparse', 'dense', 'none']);
}
