// Classical binary Hopfield networks (SPEC.md section 1): storage rules, recall dynamics, energy.
import { getBackend } from '../backend';
import { Backend, BackendName, MAX_WEIGHT, NetworkData, RecallMode, RecallOutputs, RecallParams, RecallStatus, StorageRuleCode, WeightArray } from '../kernels';
import { checkAllocation } from '../limits';
import { writeFileAtomic } from '../io/files';
import { decodeModel, encodeModel, ModelSnapshot, readModelFile } from '../io/modelFile';
import {
  checkBoolean, checkInteger, checkMagnitudes, checkOneOf, checkOptions, optionKeys, checkPositive, checkSeed, toBipolarRows, toBipolarVector, toFiniteFloat64, toRows,
} from '../validate';

const NETWORK_KEYS = optionKeys<BinaryHopfieldOptions>()('rule', 'zeroDiagonal', 'thresholds', 'backend');
const RECALL_KEYS = optionKeys<RecallOptions>()('mode', 'maxSweeps', 'seed', 'temperature', 'trackEnergy', 'threads', 'fields');

/** How patterns become weights: Hebb's rule (1/N) sum x x^T, Storkey's rule, or the projection (pseudo-inverse) rule. */
export type StorageRule = 'hebbian' | 'storkey' | 'pseudoinverse';
/** Update schedule of recall: one neuron at a time in a seeded random order, all at once, or Glauber dynamics. */
export type RecallModeName = 'async' | 'sync' | 'stochastic';

/** Real weights or thresholds, finite and within MAX_WEIGHT, or a RangeError naming the entry. */
function toBoundedFloat64(value: unknown, name: string, length: number): Float64Array {
  return checkMagnitudes(toFiniteFloat64(value, name, length), name, MAX_WEIGHT, 'larger values overflow the energy');
}

/** Options of {@link BinaryHopfield}. */
export interface BinaryHopfieldOptions {
  /** Storage rule; default 'hebbian' (W = (1/N) sum x x^T). */
  rule?: StorageRule;
  /** Zero the diagonal of W (default true; Storkey weights always have a zero diagonal). */
  zeroDiagonal?: boolean;
  /** Thresholds U (length n, each at most 1e150 in magnitude); h_i = sum_j W_ij S_j - U_i. */
  thresholds?: ArrayLike<number>;
  /** Backend for this network; default the active one. */
  backend?: BackendName;
}

/** Options of {@link BinaryHopfield.fromWeights}. */
export type FromWeightsOptions = Pick<BinaryHopfieldOptions, 'thresholds' | 'backend'>;

/** Options of {@link BinaryHopfield.recall} and its batch and async forms. */
export interface RecallOptions {
  /** 'async' (default): one neuron at a time in a seeded random order; 'sync': all at once; 'stochastic': Glauber dynamics. */
  mode?: RecallModeName;
  /** Stop after this many sweeps (default 100). */
  maxSweeps?: number;
  /** Seed of the visiting order and of stochastic choices (default 0). Item b of a batch uses stream b. */
  seed?: number;
  /** Temperature T of stochastic dynamics (default 1): P(S_i = +1) = 1 / (1 + exp(-2 h_i / T)). */
  temperature?: number;
  /** Record the energy after each sweep (default true). */
  trackEnergy?: boolean;
  /** Threads for batches (default: all cores; capped at the cores; pure TS uses worker threads for large batches); results do not depend on it. */
  threads?: number;
  /**
   * How local fields are kept (speed only, results are identical): 'matrix' updates all n fields
   * from a row of W per flip; 'patterns' (Hebbian networks) keeps the p pattern overlaps instead;
   * 'auto' (default) uses 'patterns' when 4p <= n and moves to 'matrix' once a sweep flips fewer
   * than 2p neurons (the late sweeps of a recall flip few).
   */
  fields?: 'auto' | 'matrix' | 'patterns';
}

/** What one recall returns. */
export interface RecallResult {
  /** Final state, +-1. */
  state: Int8Array;
  /** Sweeps run, including the last one (which, when converged, changed nothing). */
  sweeps: number;
  converged: boolean;
  status: 'converged' | 'cycle' | 'max-sweeps';
  /** Period of the cycle the synchronous dynamics entered, else 0. */
  cycleLength: number;
  /** Energy of the cue, then after each sweep (empty when not tracked). */
  energies: Float64Array;
}

const RULE_CODES: Record<StorageRule, StorageRuleCode> = {
  hebbian: StorageRuleCode.Hebbian,
  storkey: StorageRuleCode.Storkey,
  pseudoinverse: StorageRuleCode.Pseudoinverse,
};
const MODE_CODES: Record<RecallModeName, RecallMode> = { sync: RecallMode.Sync, async: RecallMode.Async, stochastic: RecallMode.Stochastic };
const STATUS_NAMES = ['converged', 'cycle', 'max-sweeps'] as const;

/** The narrowest integer array that holds Hebbian counts of p patterns exactly. */
function countsArray(p: number, length: number): Int8Array | Int16Array | Int32Array {
  if (p <= 127) return new Int8Array(length);
  if (p <= 32767) return new Int16Array(length);
  return new Int32Array(length);
}

/** Hebbian counts are X^T X less p on a zeroed diagonal: the patterns neuron-major give the fields from p overlaps. */
function patternView(stored: Int8Array, n: number, zeroDiagonal: boolean): Pick<NetworkData, 'patternsT' | 'patternCount' | 'diagonalOffset'> {
  const p = stored.length / n;
  const patternsT = new Int8Array(stored.length);
  for (let mu = 0; mu < p; mu++) for (let i = 0; i < n; i++) patternsT[i * p + mu] = stored[mu * n + i];
  return { patternsT, patternCount: p, diagonalOffset: zeroDiagonal ? p : 0 };
}

function isSymmetric(w: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (w[i * n + j] !== w[j * n + i]) return false;
  return true;
}

function transpose(w: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = w[i * n + j];
  return t;
}

/**
 * A classical Hopfield network of n binary (+-1) neurons (SPEC.md section 1).
 *
 * @example
 * ```ts
 * const net = new BinaryHopfield(9, { rule: 'storkey' });
 * net.store([[1, 1, 1, 1, -1, 1, 1, 1, 1], [-1, 1, -1, -1, 1, -1, -1, 1, -1]]);
 * const { state, sweeps, energies } = net.recall([1, 1, -1, 1, -1, 1, -1, 1, 1], { seed: 1 });
 * ```
 */
export class BinaryHopfield {
  /** Number of neurons. */
  readonly n: number;
  /** The storage rule, or 'custom' for a network built from explicit weights. */
  readonly rule: StorageRule | 'custom';
  /** Whether W has a zero diagonal (self-couplings removed). */
  readonly zeroDiagonal: boolean;
  private readonly kernels: Backend;
  private net: NetworkData;
  private stored: Int8Array = new Int8Array(0);
  private rankUsed = 0;
  private pendingStore: Promise<unknown> = Promise.resolve();
  private storesInFlight = 0;

  constructor(n: number, options?: BinaryHopfieldOptions);
  constructor(n: number, options: BinaryHopfieldOptions = {}, restored?: RestoredState) {
    checkInteger(n, 'n', 1, 2 ** 31 - 1);
    const opts = checkOptions(options, 'options', NETWORK_KEYS);
    this.n = n;
    this.kernels = getBackend(opts.backend as BackendName | undefined);
    if (restored) {
      this.rule = restored.rule;
      this.zeroDiagonal = restored.zeroDiagonal;
      this.net = restored.net;
      this.stored = restored.patterns;
      this.rankUsed = restored.rank;
      return;
    }
    this.rule = checkOneOf(opts.rule ?? 'hebbian', 'options.rule', ['hebbian', 'storkey', 'pseudoinverse'] as const);
    this.zeroDiagonal = this.rule === 'storkey' ? true : checkBoolean(opts.zeroDiagonal ?? true, 'options.zeroDiagonal');
    checkAllocation(`weights of ${n} neurons`, n * n, this.rule === 'hebbian' ? 1 : 8);
    const thresholds = opts.thresholds === undefined ? null : toBoundedFloat64(opts.thresholds, 'options.thresholds', n);
    const weights = this.rule === 'hebbian' ? new Int8Array(n * n) : new Float64Array(n * n);
    this.net = { weights, weightsT: weights, scale: this.rule === 'hebbian' ? 1 / n : 1, thresholds, n };
  }

  /** A network with explicit real weights (n x n, row-major or number[][], each at most 1e150 in magnitude); it cannot store patterns. */
  static fromWeights(weights: unknown, options: FromWeightsOptions = {}): BinaryHopfield {
    const m = toRows(weights, 'weights');
    if (m.rows !== m.cols) throw new RangeError(`weights must be square, got ${m.rows} x ${m.cols}`);
    const n = m.rows;
    checkAllocation(`weights of ${n} neurons`, n * n, 8);
    const w = new Float64Array(n * n);
    for (let i = 0; i < n; i++) w.set(toBoundedFloat64(m.row(i), `weights[${i}]`, n), i * n);
    const opts = checkOptions(options, 'options', optionKeys<FromWeightsOptions>()('thresholds', 'backend'));
    const thresholds = opts.thresholds === undefined ? null : toBoundedFloat64(opts.thresholds, 'options.thresholds', n);
    const net = { weights: w, weightsT: isSymmetric(w, n) ? w : transpose(w, n), scale: 1, thresholds, n };
    return new (BinaryHopfield as RestoringConstructor)(n, { backend: opts.backend as BackendName | undefined }, { rule: 'custom', zeroDiagonal: false, net, patterns: new Int8Array(0), rank: 0 });
  }

  /** Name of the backend this network runs on. */
  get backend(): BackendName {
    return this.kernels.name;
  }

  /** Number of stored patterns. */
  get patternCount(): number {
    return this.stored.length / this.n;
  }

  /** A copy of the stored patterns (patternCount x n). */
  get patterns(): { data: Int8Array; rows: number; cols: number } {
    return { data: this.stored.slice(), rows: this.patternCount, cols: this.n };
  }

  /** Rank of the pattern set used by the pseudo-inverse rule (dependent patterns are skipped). */
  get rank(): number {
    return this.rule === 'pseudoinverse' ? this.rankUsed : this.patternCount;
  }

  /** A copy of the thresholds, or null when all are zero. */
  get thresholds(): Float64Array | null {
    return this.net.thresholds ? this.net.thresholds.slice() : null;
  }

  /** Real weights W (n x n, row-major), a copy. */
  getWeights(): Float64Array {
    const { weights, scale } = this.net;
    return Float64Array.from(weights as ArrayLike<number>, (w) => w * scale);
  }

  /** How the weights are held: integer Hebbian counts (with scale 1/n) or real values. */
  get weightStorage(): 'int8' | 'int16' | 'int32' | 'float64' {
    const w = this.net.weights;
    return w instanceof Int8Array ? 'int8' : w instanceof Int16Array ? 'int16' : w instanceof Int32Array ? 'int32' : 'float64';
  }

  /** Stores +-1 patterns (number[][] or {data, rows, cols} with n columns), adding to those already stored. */
  store(patterns: unknown): this {
    if (this.storesInFlight > 0) throw new Error('store() called while a storeAsync() is running; await it first');
    const prepared = this.prepareStore(this.storeRows(patterns));
    const rank = this.kernels.binaryStore(prepared.rule, prepared.patterns, prepared.p, this.n, prepared.weights, this.zeroDiagonal);
    this.publish(prepared, rank);
    return this;
  }

  /** Like store(), computed off the main thread by the native backend; the patterns are copied first. Calls apply in order. */
  storeAsync(patterns: unknown): Promise<this> {
    // Copy now: the store may start only after earlier ones finish, by when the caller may have changed them.
    let rows: ReturnType<BinaryHopfield['storeRows']> | undefined;
    let invalid: unknown;
    try {
      rows = this.storeRows(patterns);
    } catch (error) {
      invalid = error;
    }
    const run = async (): Promise<this> => {
      if (!rows) throw invalid;
      const prepared = this.prepareStore(rows);
      const rank = await this.kernels.binaryStoreAsync(prepared.rule, prepared.patterns, prepared.p, this.n, prepared.weights, this.zeroDiagonal);
      this.publish(prepared, rank);
      return this;
    };
    this.storesInFlight++;
    const result = this.pendingStore.then(run, run).finally(() => this.storesInFlight--);
    this.pendingStore = result.catch(() => undefined);
    return result;
  }

  /** The patterns to store as a private Int8Array copy. */
  private storeRows(patterns: unknown): { data: Int8Array; rows: number; cols: number } {
    if (this.rule === 'custom') throw new TypeError('this network was built from explicit weights and cannot store patterns');
    return toBipolarRows(patterns, 'patterns', this.n);
  }

  private prepareStore(x: { data: Int8Array; rows: number; cols: number }) {
    const total = this.patternCount + x.rows;
    checkAllocation('stored patterns', total * this.n, 1);
    const all = new Int8Array(total * this.n);
    all.set(this.stored);
    all.set(x.data, this.stored.length);
    const cells = this.n * this.n;
    let weights: WeightArray;
    if (this.rule === 'hebbian') {
      weights = countsArray(total, cells);
      checkAllocation('Hebbian counts', cells, weights.BYTES_PER_ELEMENT);
      weights.set(this.net.weights as Int8Array);
    } else {
      weights = this.rule === 'storkey' ? Float64Array.from(this.net.weights as Float64Array) : new Float64Array(cells);
    }
    const incremental = this.rule !== 'pseudoinverse';
    return {
      rule: RULE_CODES[this.rule as StorageRule], // storeRows refused custom networks
      patterns: incremental ? x.data : all,
      p: incremental ? x.rows : total,
      all,
      weights,
    };
  }

  private publish(prepared: { all: Int8Array; weights: WeightArray }, rank: number): void {
    this.stored = prepared.all;
    this.rankUsed = rank;
    this.net = { ...this.net, weights: prepared.weights, weightsT: prepared.weights };
    if (this.rule === 'hebbian') Object.assign(this.net, patternView(this.stored, this.n, this.zeroDiagonal));
  }

  /** E(S) = -1/2 sum_ij W_ij S_i S_j + sum_i U_i S_i. */
  energy(state: ArrayLike<number>): number {
    return this.kernels.binaryEnergy(this.net, toBipolarVector(state, 'state', this.n, true));
  }

  /** Whether `state` is a fixed point of the (deterministic) update. */
  isStable(state: ArrayLike<number>): boolean {
    // Checked here so that an error names state, not recall's cue.
    const s = toBipolarVector(state, 'state', this.n, true);
    return this.recall(s, { mode: 'sync', maxSweeps: 1, trackEnergy: false }).converged;
  }

  /** Runs the dynamics from `cue` until no neuron changes, a cycle, or maxSweeps. */
  recall(cue: ArrayLike<number>, options: RecallOptions = {}): RecallResult {
    const cues = toBipolarVector(cue, 'cue', this.n, true);
    return this.runRecall(cues, 1, options, false)[0];
  }

  /** Recalls every row of `cues` (number[][] or {data, rows, cols}); item b uses random stream b. */
  recallBatch(cues: unknown, options: RecallOptions = {}): RecallResult[] {
    const x = toBipolarRows(cues, 'cues', this.n, true);
    return this.runRecall(x.data, x.rows, options, false);
  }

  /** recall() off the main thread (native backend); the cue is copied first. */
  async recallAsync(cue: ArrayLike<number>, options: RecallOptions = {}): Promise<RecallResult> {
    const cues = toBipolarVector(cue, 'cue', this.n);
    return (await this.runRecall(cues, 1, options, true))[0];
  }

  /** recallBatch() off the main thread (native backend); the cues are copied first. */
  async recallBatchAsync(cues: unknown, options: RecallOptions = {}): Promise<RecallResult[]> {
    const x = toBipolarRows(cues, 'cues', this.n);
    return this.runRecall(x.data, x.rows, options, true);
  }

  private runRecall(cues: Int8Array, count: number, options: RecallOptions, async: false): RecallResult[];
  private runRecall(cues: Int8Array, count: number, options: RecallOptions, async: true): Promise<RecallResult[]>;
  private runRecall(cues: Int8Array, count: number, options: RecallOptions, async: boolean): RecallResult[] | Promise<RecallResult[]> {
    const params = parseRecallOptions(options, this.net);
    const stride = params.maxSweeps + 1;
    checkAllocation('recall states', count * this.n, 1);
    if (params.trackEnergy) checkAllocation('energy traces', count * stride, 8);
    const out: RecallOutputs = {
      states: new Int8Array(count * this.n),
      sweeps: new Int32Array(count),
      status: new Uint8Array(count),
      cycleLength: new Int32Array(count),
      energies: new Float64Array(params.trackEnergy ? count * stride : 0),
    };
    const collect = (): RecallResult[] =>
      Array.from({ length: count }, (_, b) => {
        const sweeps = out.sweeps[b];
        return {
          state: out.states.subarray(b * this.n, (b + 1) * this.n),
          sweeps,
          converged: out.status[b] === RecallStatus.Converged,
          status: STATUS_NAMES[out.status[b]],
          cycleLength: out.cycleLength[b],
          energies: params.trackEnergy ? out.energies.subarray(b * stride, b * stride + sweeps + 1) : new Float64Array(0),
        };
      });
    if (async) return this.kernels.binaryRecallAsync(this.net, cues, count, params, out).then(collect);
    this.kernels.binaryRecall(this.net, cues, count, params, out);
    return collect();
  }

  /** Serialises the network to the versioned, checksummed model format. */
  toBuffer(): Buffer {
    return encodeModel(this.snapshot());
  }

  /** Writes the model atomically (temporary file, fsync, rename). */
  save(path: string): void {
    writeFileAtomic(path, this.toBuffer());
  }

  /**
   * Rebuilds a network from {@link BinaryHopfield.toBuffer} output; a damaged buffer throws a ModelFileError.
   *
   * @example
   * ```ts
   * const copy = BinaryHopfield.fromBuffer(net.toBuffer());
   * ```
   */
  static fromBuffer(buffer: Uint8Array, options: { backend?: BackendName } = {}): BinaryHopfield {
    return BinaryHopfield.restore(decodeModel(buffer), options);
  }

  /**
   * Reads a model file written by {@link BinaryHopfield.save}; a truncated or corrupted file throws a ModelFileError.
   *
   * @example
   * ```ts
   * net.save('letters.sshn');
   * const again = BinaryHopfield.load('letters.sshn');
   * ```
   */
  static load(path: string, options: { backend?: BackendName } = {}): BinaryHopfield {
    return BinaryHopfield.restore(decodeModel(readModelFile(path), path), options);
  }

  private snapshot(): ModelSnapshot {
    const { weights, weightsT, scale, thresholds } = this.net;
    return {
      n: this.n,
      rule: this.rule,
      zeroDiagonal: this.zeroDiagonal,
      patterns: this.stored,
      rank: this.rankUsed,
      scale,
      thresholds,
      weights,
      weightsT: weightsT === weights ? null : weightsT,
    };
  }

  private static restore(model: ModelSnapshot, options: { backend?: BackendName }): BinaryHopfield {
    const opts = checkOptions(options, 'options', optionKeys<{ backend?: BackendName }>()('backend'));
    const net: NetworkData = { weights: model.weights, weightsT: model.weightsT ?? model.weights, scale: model.scale, thresholds: model.thresholds, n: model.n };
    if (model.rule === 'hebbian' && model.patterns.length > 0) Object.assign(net, patternView(model.patterns, model.n, model.zeroDiagonal));
    return new (BinaryHopfield as RestoringConstructor)(model.n, { backend: opts.backend as BackendName | undefined }, {
      rule: model.rule, zeroDiagonal: model.zeroDiagonal, net, patterns: model.patterns, rank: model.rank,
    });
  }
}

/** The full state of a network, for fromWeights() and load(). */
interface RestoredState {
  rule: StorageRule | 'custom';
  zeroDiagonal: boolean;
  net: NetworkData;
  patterns: Int8Array;
  rank: number;
}
type RestoringConstructor = new (n: number, options: BinaryHopfieldOptions, restored: RestoredState) => BinaryHopfield;

/** Validates recall options into kernel parameters for `net`. @internal */
export function parseRecallOptions(options: RecallOptions, net: NetworkData): RecallParams {
  const opts = checkOptions(options, 'options', RECALL_KEYS);
  const mode = checkOneOf(opts.mode ?? 'async', 'options.mode', ['async', 'sync', 'stochastic'] as const);
  const fields = checkOneOf(opts.fields ?? 'auto', 'options.fields', ['auto', 'matrix', 'patterns'] as const);
  const p = net.patternCount ?? 0;
  if (fields === 'patterns' && p === 0) throw new RangeError("options.fields 'patterns' needs a Hebbian network with stored patterns");
  return {
    mode: MODE_CODES[mode],
    maxSweeps: checkInteger(opts.maxSweeps ?? 100, 'options.maxSweeps', 1, 2 ** 31 - 2),
    seed: checkSeed(opts.seed ?? 0, 'options.seed'),
    temperature: checkPositive(opts.temperature ?? 1, 'options.temperature'),
    trackEnergy: checkBoolean(opts.trackEnergy ?? true, 'options.trackEnergy'),
    threads: checkInteger(opts.threads ?? 0, 'options.threads', 0, 1024),
    patternFields: fields === 'patterns' || (fields === 'auto' && p > 0 && 4 * p <= net.n),
    matrixWhenSettled: fields === 'auto',
  };
}
