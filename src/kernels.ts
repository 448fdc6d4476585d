// The kernel interface that both backends implement: the native addon (native/addon) and the pure
// TypeScript twin (src/js). Kernels take already-validated typed arrays and fill caller-owned
// outputs; the public classes in src/hopfield do all checking and allocation.

/** The two backends: the C++ addon and the pure TypeScript twin. */
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
  /** Hebbian networks: the stored patterns neuron-major (n x patternCount), counts = X^T X - diagonalOffset I. */
  patternsT?: Int8Array | null;
  patternCount?: number;
  diagonalOffset?: number;
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
  /** Compute fields from the pattern overlaps (needs network.patternsT); same results, faster when p << n. */
  patternFields: boolean;
}

export interface RecallOutputs {
  states: Int8Array;
  sweeps: Int32Array;
  status: Uint8Array;
  cycleLength: Int32Array;
  /** count x (maxSweeps + 1) when energy is tracked; NaN after the last sweep. */
  energies: Float64Array;
}

export interface Kernels {
  binaryRecall(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs): void;
  binaryRecallAsync(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs): Promise<unknown>;
  binaryEnergy(net: NetworkData, state: Int8Array): number;
  /** Hebbian accumulates into integer counts; Storkey into real weights; pseudo-inverse overwrites them and returns the rank. */
  binaryStore(rule: StorageRuleCode, patterns: Int8Array, p: number, n: number, weights: WeightArray, zeroDiagonal: boolean): number;
  binaryStoreAsync(rule: StorageRuleCode, patterns: Int8Array, p: number, n: number, weights: WeightArray, zeroDiagonal: boolean): Promise<number>;
}

/** A backend: its name and its kernels. */
export interface Backend extends Kernels {
  readonly name: BackendName;
}
