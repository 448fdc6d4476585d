// The kernel interface that both backends implement: the native addon (native/addon) and the pure
// TypeScript twin (src/js). Kernels take already-validated typed arrays and fill caller-owned
// outputs; the public classes in src/hopfield do all checking and allocation.

export type BackendName = 'js' | 'native';

/** Integer Hebbian counts or real weights, row-major n x n. */
export type WeightArray = Int8Array | Int16Array | Int32Array | Float64Array;

export interface NetworkData {
  weights: WeightArray;
  /** The transpose; the same object when the weights are symmetric. */
  weightsT: WeightArray;
  /** Multiplies weights: 1/n for integer Hebbian counts, 1 for real weights. */
  scale: number;
  thresholds: Float64Array | null;
  n: number;
}

export enum RecallMode {
  Sync = 0,
  Async = 1,
  Stochastic = 2,
}

export enum RecallStatus {
  Converged = 0,
  Cycle = 1,
  MaxSweeps = 2,
}

export enum StorageRuleCode {
  Hebbian = 0,
  Storkey = 1,
  Pseudoinverse = 2,
}

export interface RecallParams {
  mode: RecallMode;
  maxSweeps: number;
  seed: number;
  temperature: number;
  trackEnergy: boolean;
  /** 0 = as many as the machine has. */
  threads: number;
}

export interface RecallOutputs {
  states: Int8Array;
  sweeps: Int32Array;
  status: Uint8Array;
  cycleLength: Int32Array;
  /** count x (maxSweeps + 1) when energy is tracked; NaN after the last sweep. */
  energies: Float64Array;
}

export enum TransformKind {
  Softmax = 0,
  Sparsemax = 1,
  Entmax = 2,
  Normmax = 3,
  KSubsets = 4,
}

export interface TransformParams {
  kind: TransformKind;
  /** alpha (Entmax), gamma (Normmax), k (KSubsets); ignored otherwise. */
  param: number;
  rows: number;
  cols: number;
  /** 0 = as many as the machine has. */
  threads: number;
}

/** Float storage of a transform's input and outputs (each row is computed in double). */
export type RealArray = Float32Array | Float64Array;

export interface Kernels {
  binaryRecall(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs): void;
  binaryRecallAsync(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs): Promise<unknown>;
  binaryEnergy(net: NetworkData, state: Int8Array): number;
  /** Hebbian accumulates into integer counts; Storkey into real weights; pseudo-inverse overwrites them and returns the rank. */
  binaryStore(rule: StorageRuleCode, patterns: Int8Array, p: number, n: number, weights: WeightArray, zeroDiagonal: boolean): number;
  binaryStoreAsync(rule: StorageRuleCode, patterns: Int8Array, p: number, n: number, weights: WeightArray, zeroDiagonal: boolean): Promise<number>;
  /** out = yhat(x) per row; support[row] = nonzeros; conjugate[row] = Omega*(x row). x, out share one element type. */
  transformForward(params: TransformParams, x: RealArray, out: RealArray, support: Int32Array | null, conjugate: Float64Array | null): void;
  transformForwardAsync(params: TransformParams, x: RealArray, out: RealArray, support: Int32Array | null, conjugate: Float64Array | null): Promise<unknown>;
  /** out = J(x) v per row. */
  transformJvp(params: TransformParams, x: RealArray, v: RealArray, out: RealArray): void;
  /** out = d yhat / d alpha per row (Entmax, alpha > 1). */
  transformAlphaGradient(params: TransformParams, x: RealArray, out: RealArray): void;
}

export interface Backend extends Kernels {
  readonly name: BackendName;
}
